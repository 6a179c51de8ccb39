"""The agenda: every interview of the send log with where it stands, as text and as JSON.

"Today" is the day in each interview's own timezone ("today" in New York is not
"today" in UTC at 9 p.m.). The default listing shows what needs action today
(``due`` and ``second-due``); ``--all`` adds every other interview not closed by
``--done``. Text and JSON are built from the same list, so they name the same
interviews with the same states.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from thanknote.followups.states import (
    NEEDS_ACTION,
    Delivered,
    Standing,
    State,
    delivered,
    only_drafted,
    standing,
)
from thanknote.followups.thread import remembered_channel
from thanknote.paths import send_log_path
from thanknote.render import FOLLOW_UP
from thanknote.sendlog import FAILED, LoggedInterview, Record, SendLog


def day(value: date) -> str:
    return f"{value:%a %d %b %Y}"


def relative(value: date, today: date) -> str:
    days = (value - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return f"in {days} days" if days > 0 else f"{-days} days ago"


def followup_command(path: str, via: str | None) -> str:
    """The ``followup`` command to suggest: with the channel the thank-you notes used."""
    return f"thanknote followup {path}" + (f" --via {via}" if via else "")


@dataclass(frozen=True)
class FollowUp:
    """One interview from the send log, seen on one day."""

    interview: LoggedInterview
    notes: tuple[Record, ...]
    """Each note of the interview (any kind): its newest row that did not fail."""
    sent: tuple[Delivered, ...]
    """The follow-ups that went out (or may have), oldest first."""
    channel: str | None
    """The channel of the thank-you notes, which ``followup`` uses by default."""
    today: date

    @property
    def standing(self) -> Standing:
        return standing(
            follow_up_on=self.interview.follow_up_on,
            today=self.today,
            followed_up_on=[item.on for item in self.sent],
            done=self.interview.done_at is not None,
            only_drafted=only_drafted(self.notes),
        )

    @property
    def state(self) -> State:
        return self.standing.state

    @property
    def next_on(self) -> date | None:
        return self.standing.next_on

    @property
    def closed_on(self) -> date | None:
        interview = self.interview
        if interview.done_at is not None:
            return interview.done_at.astimezone(interview.display_timezone).date()
        return self.sent[-1].on if self.state is State.CLOSED else None

    @property
    def uid(self) -> str:
        from thanknote.followups.calendar import calendar_uid

        return calendar_uid(self.interview)

    @property
    def summary(self) -> str:
        return f"Follow up: {self.interview.role} at {self.interview.company}"

    def when(self, moment: datetime) -> str:
        return f"{moment.astimezone(self.interview.display_timezone):%a %d %b %Y %H:%M %Z}"

    @property
    def next_command(self) -> str | None:
        """The command that does what this interview needs next, when there is one."""
        path = self.interview.source_path
        if path is None:
            return None
        if self.state in NEEDS_ACTION:
            return followup_command(path, self.channel)
        if self.state is State.CLOSED and self.interview.done_at is None:
            return f"thanknote followups --done {path}"
        return None

    def state_line(self) -> str:
        state, next_on, today = self.state, self.next_on, self.today
        if state is State.DRAFTED and next_on:
            return (
                f"drafted: the thank-you notes are still Gmail drafts, none sent; send them "
                f"from Gmail (the follow-up date is {day(next_on)}, "
                f"{relative(next_on, today)})"
            )
        if state is State.WAITING and next_on:
            return f"waiting: follow up on {day(next_on)} ({relative(next_on, today)})"
        if state is State.DUE and next_on:
            return f"due: the follow-up date was {day(next_on)} ({relative(next_on, today)})"
        first = day(self.sent[0].on) if self.sent else ""
        if state is State.FOLLOWED_UP and next_on:
            return (
                f"followed-up on {first}; a second follow-up is fair from {day(next_on)} "
                f"({relative(next_on, today)})"
            )
        if state is State.SECOND_DUE and next_on:
            return (
                f"second-due: followed up on {first} and no answer since; a second "
                f"follow-up is fair since {day(next_on)} ({relative(next_on, today)})"
            )
        if self.interview.done_at is not None:
            return f"closed on {day(self.closed_on or today)}: an answer came"
        return (
            f"closed: follow-ups went out on {first} and {day(self.sent[-1].on)}; the "
            "protocol stops here"
        )

    def note_lines(self) -> list[str]:
        lines = []
        for record in self.notes:
            at = record.sent_at or record.created_at
            who = f"{record.name} <{record.to}>" if record.name else record.to
            lines.append(
                f"{record.kind} to {who}: {record.shown_status} {self.when(at)} via {record.via}"
            )
        return lines

    def as_json(self) -> dict[str, object]:
        interview = self.interview
        zone = interview.display_timezone
        return {
            "company": interview.company,
            "role": interview.role,
            "state": str(self.state),
            "next_on": self.next_on.isoformat() if self.next_on else None,
            "interview_at": interview.starts_at.astimezone(zone).isoformat(),
            "follow_up_on": interview.follow_up_on.isoformat(),
            "followed_up_on": [item.on.isoformat() for item in self.sent],
            "closed_on": self.closed_on.isoformat() if self.closed_on else None,
            "follow_up_with": interview.follow_up_with,
            "via": self.channel,
            "file": interview.source_path,
            "uid": self.uid,
            "next": self.next_command,
            "notes": [
                {
                    "to": record.to,
                    "name": record.name,
                    "kind": record.kind,
                    "status": record.shown_status,
                    "via": record.via,
                    "sent_at": record.sent_at.astimezone(zone).isoformat()
                    if record.sent_at
                    else None,
                    "logged_at": record.created_at.astimezone(zone).isoformat(),
                }
                for record in self.notes
            ],
        }

    def as_text(self) -> list[str]:
        interview = self.interview
        lines = [
            f"  {interview.company} / {interview.role}",
            f"    state:      {self.state_line()}",
            f"    interview:  {self.when(interview.starts_at)}",
            f"    follow up:  with {interview.follow_up_with}",
        ]
        notes = self.note_lines() or ["nothing drafted or sent"]
        lines.append(f"    notes:      {notes[0]}")
        lines += [f"                {line}" for line in notes[1:]]
        if (command := self.next_command) is not None:
            lines.append(f"    next:       {command}")
        return lines


@dataclass(frozen=True)
class Agenda:
    items: tuple[FollowUp, ...]
    """Every interview of the log, the soonest (or longest overdue) next action first."""
    log_path: Path

    @property
    def open(self) -> tuple[FollowUp, ...]:
        return tuple(item for item in self.items if item.state is not State.CLOSED)

    def listed(self, *, show_all: bool) -> tuple[FollowUp, ...]:
        """What a listing names: what needs action today, or (``--all``) all not --done."""
        if show_all:
            return tuple(item for item in self.items if item.interview.done_at is None)
        return tuple(item for item in self.items if item.state in NEEDS_ACTION)

    def not_listed(self, *, show_all: bool) -> dict[str, int]:
        """How many interviews the listing leaves out, by state (closed by --done never count)."""
        shown = {id(item) for item in self.listed(show_all=show_all)}
        counts = Counter(
            str(item.state)
            for item in self.items
            if id(item) not in shown and item.interview.done_at is None
        )
        return {str(state): counts[str(state)] for state in State if counts[str(state)]}

    def as_json(self, *, show_all: bool) -> dict[str, object]:
        return {
            "interviews": [item.as_json() for item in self.listed(show_all=show_all)],
            "not_listed": self.not_listed(show_all=show_all),
        }

    def as_text(self, *, show_all: bool) -> str:
        if not self.listed(show_all=True):
            return (
                f"no open interviews in the send log ({self.log_path}); 'thanknote draft' "
                "and 'thanknote send' add them"
            )
        listed = self.listed(show_all=show_all)
        action = [item for item in listed if item.state in NEEDS_ACTION]
        others = [item for item in listed if item.state not in NEEDS_ACTION]
        lines = [
            f"needs a follow-up today ({len(action)}):" if action else "no follow-ups due today"
        ]
        for number, item in enumerate(action):
            lines += ([""] if number else []) + item.as_text()
        if others:
            lines += ["", f"nothing to send today ({len(others)}):"]
            for number, item in enumerate(others):
                lines += ([""] if number else []) + item.as_text()
        left_out = self.not_listed(show_all=show_all)
        if left_out:
            counts = ", ".join(f"{count} {state}" for state, count in left_out.items())
            lines.append(f"({counts}; --all lists them)")
        lines += ["", "when you hear back: thanknote followups --done FILE"]
        return "\n".join(lines)


def agenda(log: SendLog | None, now: datetime, *, log_path: Path) -> Agenda:
    """Every interview of the log and where it stands as of ``now``."""
    if log is None:
        return Agenda((), log_path)
    records = log.records()
    by_interview: dict[int, list[Record]] = {}
    for record in records:
        by_interview.setdefault(record.interview.id, []).append(record)
    items = []
    for interview in map(as_filed, log.interviews()):
        rows = sorted(by_interview.get(interview.id, []), key=lambda record: record.id)
        # Each note's newest row that may have reached its recipient: a failed resend
        # does not hide the note that went out before it. Each follow-up is its own note.
        newest: dict[tuple[str, str, str], Record] = {}
        for record in rows:
            if record.status != FAILED:
                message = record.message_id if record.kind == FOLLOW_UP else ""
                newest[(record.kind, record.to.casefold(), message)] = record
        today = now.astimezone(interview.display_timezone).date()
        items.append(
            FollowUp(
                interview,
                tuple(sorted(newest.values(), key=lambda r: r.id)),
                delivered(rows),
                remembered_channel(rows, interview.follow_up_with),
                today,
            )
        )

    def order(item: FollowUp) -> tuple[date, datetime]:
        return (
            item.next_on or item.closed_on or item.interview.follow_up_on,
            item.interview.starts_at,
        )

    return Agenda(tuple(sorted(items, key=order)), log_path)


def as_filed(interview: LoggedInterview) -> LoggedInterview:
    """The logged interview with the follow-up date and recipient its file gives now.

    ``followup FILE`` goes by the file as it is now, so the agenda (and the calendar) do
    too: a ``follow_up_on`` moved after the notes went out moves the reminder. The logged
    values stay when the file is gone, does not load, or now names another interview.
    """
    if interview.source_path is None:
        return interview
    from thanknote import loader
    from thanknote.errors import ThanknoteError

    try:
        current = loader.load_interview(Path(interview.source_path))
    except ThanknoteError:
        return interview
    key = (interview.company, interview.role, interview.starts_at.astimezone(UTC).isoformat())
    if current.key != key:
        return interview
    return replace(
        interview, follow_up_on=current.follow_up_on, follow_up_with=current.follow_up_with
    )


def load_agenda(db: Path | None, now: datetime) -> Agenda:
    """The agenda of the log at ``db`` (the default log without it); never creates a log."""
    path = send_log_path(db)
    log = SendLog.existing(path, read_only=True)
    if log is None:
        return agenda(None, now, log_path=path)
    with log:
        return agenda(log, now, log_path=path)
