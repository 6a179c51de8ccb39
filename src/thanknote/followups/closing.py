"""Closing an interview: ``followups --done FILE`` (an answer came).

A closed interview leaves the agenda, and its calendar reminder is cancelled the
next time the ``.ics`` file is written.
"""

from __future__ import annotations

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


def close(path: Path, db: Path | None, now: datetime) -> Closed:
    """Mark the interview of the file at ``path`` done (an answer came)."""
    interview = loader.load(path).interview
    log_path = send_log_path(db)
    log = SendLog.existing(log_path)
    logged = None
    if log is not None:
        with log:
            logged = log.find_interview(interview)
            if logged is not None and logged.done_at is None:
                log.mark_done(logged.id, now)
                return Closed(replace(logged, done_at=now), already=False)
    if logged is None:
        raise BadInput(
            f"{path}: the interview ({interview.company} / {interview.role}, "
            f"{interview.local_start:%a %d %b %Y %H:%M %Z}) is not in the send log {log_path}",
            hint="an interview gets into the log when 'thanknote draft' or 'thanknote send' "
            "runs; check --db / THANKNOTE_DB")
    return Closed(logged, already=True)
