"""One interview on the follow-up agenda: where it stands, as text and as JSON.

Built from the interview's send-log rows that did not fail, without their text
(:meth:`thanknote.sendlog.SendLog.agenda_rows`): plain tuples, formatted without
building an object per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from thanknote import rules
from thanknote.rules import NEEDS_ACTION, Standing, State
from thanknote.sendlog import LoggedInterview, NoteRow
from thanknote.values import Kind, Status


def day(value: date) -> str:
    text = _DAYS.get(value)
    if text is None:
        if len(_DAYS) > 4096:
            _DAYS.clear()
        text = _DAYS[value] = f"{value:%a %d %b %Y}"
    return text


_DAYS: dict[date, str] = {}
"""Days already written (an agenda names the same few days many times)."""


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
    notes: tuple[NoteRow, ...]
    """Each note of the interview (any kind): its newest row that did not fail."""
    followed_up_on: tuple[date, ...]
    """The days its follow-ups went out (or may have), oldest first."""
    channel: str | None
    """The channel of the thank-you notes, which ``followup`` uses by default."""
    today: date
    standing: Standing = field(init=False, compare=False)

    def __post_init__(self) -> None:
        standing = rules.standing(
            follow_up_on=self.interview.follow_up_on,
            today=self.today,
            followed_up_on=self.followed_up_on,
            done=self.interview.done_at is not None,
            only_drafted=rules.only_drafted(
                [status for _, _, kind, _, _, status, *_ in self.notes if kind == _THANK_YOU]
            ),
        )
        object.__setattr__(self, "standing", standing)

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
        return self.followed_up_on[-1] if self.state is State.CLOSED else None

    @property
    def uid(self) -> str:
        from thanknote.followups.calendar import calendar_uid

        return calendar_uid(self.interview)

    @property
    def summary(self) -> str:
        return f"Follow up: {self.interview.role} at {self.interview.company}"

    def when(self, moment: datetime) -> str:
        return _when(moment, self.interview.display_timezone)

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
        first = day(self.followed_up_on[0]) if self.followed_up_on else ""
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
            f"closed: follow-ups went out on {first} and {day(self.followed_up_on[-1])}; the "
            "protocol stops here"
        )

    def note_lines(self) -> list[str]:
        zone = self.interview.display_timezone
        utc = _utc_name(zone)
        days, shown = _TEXT_DAYS, _SHOWN
        lines = []
        for _, _, kind, to, name, status, via, _, created_at, sent_at in self.notes:
            at = sent_at or created_at
            if utc is not None and at[10:11] == "T" and at.endswith("+00:00"):
                # Stored in UTC and shown in UTC: the text as stored, its day looked up.
                stored = at[:10]
                text_day = days.get(stored) or _day_of_text(stored)
                when = f"{text_day} {at[11:16]} {utc}"
            else:
                when = _when(datetime.fromisoformat(at), zone)
            if name:
                lines.append(
                    f"{kind} to {name} <{to}>: {shown.get(status, status)} {when} via {via}"
                )
            else:
                lines.append(f"{kind} to {to}: {shown.get(status, status)} {when} via {via}")
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
            "followed_up_on": [on.isoformat() for on in self.followed_up_on],
            "closed_on": self.closed_on.isoformat() if self.closed_on else None,
            "follow_up_with": interview.follow_up_with,
            "via": self.channel,
            "file": interview.source_path,
            "uid": self.uid,
            "next": self.next_command,
            "notes": [
                {
                    "to": to,
                    "name": name,
                    "kind": kind,
                    "status": _shown(status),
                    "via": via,
                    "sent_at": datetime.fromisoformat(sent_at).astimezone(zone).isoformat()
                    if sent_at
                    else None,
                    "logged_at": datetime.fromisoformat(created_at).astimezone(zone).isoformat(),
                }
                for _, _, kind, to, name, status, via, _, created_at, sent_at in self.notes
            ],
        }

    def as_text(self) -> list[str]:
        return self.block().split("\n")

    def block(self) -> str:
        """:meth:`as_text` as one string (the lines joined by newlines)."""
        interview = self.interview
        notes = self.note_lines() or ["nothing drafted or sent"]
        more = "".join(f"\n                {line}" for line in notes[1:])
        command = self.next_command
        tail = "" if command is None else f"\n    next:       {command}"
        return (
            f"  {interview.company} / {interview.role}\n"
            f"    state:      {self.state_line()}\n"
            f"    interview:  {self.when(interview.starts_at)}\n"
            f"    follow up:  with {interview.follow_up_with}\n"
            f"    notes:      {notes[0]}{more}{tail}"
        )


def follow_up(interview: LoggedInterview, rows: Iterable[NoteRow], today: date) -> FollowUp:
    """One interview from its rows that did not fail, oldest first.

    Each note's newest row that may have reached its recipient: a failed resend does
    not hide the note that went out before it. Each follow-up (a Message-ID) is its own
    note, and one message: its day is that of its sent row (else its newest), or when
    it was first logged. The channel is the thank-you notes': a sent note speaks louder
    than a draft, a note to the follow-up's recipient louder than another, then the newest.
    """
    newest: dict[tuple[str, str, str], NoteRow] = {}
    messages: dict[str, list[NoteRow]] = {}
    channel, best = None, (False, False, False, -1)
    recipient = interview.follow_up_with.casefold()
    for row in rows:
        _, number, kind, to, _, status, via, message_id, _, _ = row
        folded = to.casefold()
        if kind == _THANK_YOU:
            newest[(kind, folded, "")] = row
            rank = (status == _SENT, folded == recipient, status == _DRAFTED, number)
            if rank > best:
                channel, best = via, rank
        else:
            newest[(kind, folded, message_id)] = row
            messages.setdefault(message_id, []).append(row)
    zone = interview.display_timezone
    return FollowUp(
        interview,
        tuple(sorted(newest.values(), key=_id)),
        tuple(_day_of(message, zone) for message in messages.values()),
        channel,
        today,
    )


def _day_of(message: list[NoteRow], zone: tzinfo) -> date:
    sent = [row for row in message if row[5] == _SENT]  # its status
    sent_at = (sent[-1] if sent else message[-1])[9]
    moment = datetime.fromisoformat(sent_at or message[0][8])  # else when first logged
    return moment.astimezone(zone).date()


def _id(row: NoteRow) -> int:
    return row[1]


def _shown(status: str) -> str:
    # A row still 'sending' was interrupted (or is being sent right now).
    return _UNKNOWN if status == _SENDING else status


# As plain strings, compared once or more per row (an enum member costs a lookup each time).
_THANK_YOU, _SENT, _DRAFTED = str(Kind.THANK_YOU), str(Status.SENT), str(Status.DRAFTED)
_SENDING, _UNKNOWN = str(Status.SENDING), str(Status.UNKNOWN)
_SHOWN = {_SENDING: _UNKNOWN}
"""A status as listed, where it differs from the stored one (see :func:`_shown`)."""


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _utc_name(zone: tzinfo) -> str | None:
    """The name ``zone`` shows all year when it is UTC all year (``UTC``, ``GMT``), else None."""
    name = _UTC_ZONES.get(zone, "")
    if name == "":
        zoned = [
            datetime(year, month, 1, tzinfo=UTC).astimezone(zone)
            for year in (1970, 2026)
            for month in (1, 7)
        ]
        fixed = all(moment.utcoffset() == timedelta(0) for moment in zoned)
        names = {moment.tzname() for moment in zoned}
        name = _UTC_ZONES[zone] = names.pop() if fixed and len(names) == 1 else None
    return name


_UTC_ZONES: dict[tzinfo, str | None] = {}


def _day_of_text(stored: str) -> str:
    """``%a %d %b %Y`` of a stored ``YYYY-MM-DD`` (remembered by its text)."""
    text = _TEXT_DAYS.get(stored)
    if text is None:
        if len(_TEXT_DAYS) > 4096:
            _TEXT_DAYS.clear()
        text = _TEXT_DAYS[stored] = day(date.fromisoformat(stored))
    return text


_TEXT_DAYS: dict[str, str] = {}


def _when(moment: datetime, zone: tzinfo) -> str:
    """``%a %d %b %Y %H:%M %Z`` in ``zone``, without strftime (once per note listed)."""
    local = moment.astimezone(zone)
    return (
        f"{_WEEKDAYS[local.weekday()]} {local.day:02d} {_MONTHS[local.month]} {local.year} "
        f"{local.hour:02d}:{local.minute:02d} {local.tzname() or ''}"
    )
