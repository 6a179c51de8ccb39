"""Closing an interview: ``followups --done FILE`` (an answer came), and ``--reopen FILE``.

A closed interview leaves the agenda, ``followup`` refuses it, and its calendar
reminder is cancelled the next time the ``.ics`` file is written. Reopening puts
it back where its dates and follow-ups say it stands.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from thanknote import loader
from thanknote.errors import BadInput
from thanknote.paths import send_log_path
from thanknote.sendlog import LoggedInterview, SendLog


@dataclass(frozen=True)
class Closed:
    interview: LoggedInterview
    already: bool
    """True when it had been closed before (its first closing time is kept)."""

    def as_text(self) -> str:
        interview = self.interview
        assert interview.done_at is not None
        when = f"{interview.done_at.astimezone(interview.display_timezone):%a %d %b %Y %H:%M %Z}"
        what = f"{interview.company} / {interview.role}"
        if self.already:
            return f"{what} was already closed on {when}"
        return f"closed {what}: no more follow-up reminders for it"


@dataclass(frozen=True)
class Reopened:
    interview: LoggedInterview
    closed_at: datetime | None
    """When it had been closed; None when it was not closed."""

    def as_text(self) -> str:
        interview = self.interview
        what = f"{interview.company} / {interview.role}"
        if self.closed_at is None:
            return f"{what} was not closed; nothing to reopen"
        when = f"{self.closed_at.astimezone(interview.display_timezone):%a %d %b %Y %H:%M %Z}"
        return (
            f"reopened {what} (closed on {when}): it is listed again, and followup may write to it"
        )


def close(path: Path, db: Path | None, now: datetime) -> Closed:
    """Mark the interview of the file at ``path`` done (an answer came)."""
    with _logged(path, db) as (log, logged):
        if logged.done_at is None:
            log.mark_done(logged.id, now)
            return Closed(replace(logged, done_at=now), already=False)
    return Closed(logged, already=True)


def reopen(path: Path, db: Path | None) -> Reopened:
    """Undo ``close``: the interview of the file at ``path`` is open again."""
    with _logged(path, db) as (log, logged):
        if logged.done_at is not None:
            log.mark_open(logged.id)
    return Reopened(replace(logged, done_at=None), logged.done_at)


@contextmanager
def _logged(path: Path, db: Path | None) -> Iterator[tuple[SendLog, LoggedInterview]]:
    """The send log and the file's interview in it; BadInput when it is not there."""
    interview = loader.load_interview(path)  # the identity only: no [candidate] needed
    log_path = send_log_path(db)
    log = SendLog.existing(log_path)
    logged = None
    if log is not None:
        with log:
            logged = log.find_interview(interview)
            if logged is not None:
                yield log, logged
                return
    raise BadInput(
        f"{path}: the interview ({interview.company} / {interview.role}, "
        f"{interview.local_start:%a %d %b %Y %H:%M %Z}) is not in the send log {log_path}",
        hint="an interview gets into the log when 'thanknote draft' or 'thanknote send' "
        "runs; check --db / THANKNOTE_DB",
    )
