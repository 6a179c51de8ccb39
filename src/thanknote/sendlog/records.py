"""What the send log hands out: its rows as values, and the conversions from SQLite rows.

Stored values are the same strings as ever: a ``Status``, ``Kind`` or ``Channel``
member equals its string, so a row read back compares equal to the member and
``log --json`` prints the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from thanknote import claimant, rules
from thanknote.values import Channel, Kind, Status

if TYPE_CHECKING:
    import sqlite3


@dataclass(frozen=True)
class LoggedInterview:
    id: int
    company: str
    role: str
    starts_at: datetime
    ends_at: datetime
    display_timezone: tzinfo
    follow_up_on: date
    follow_up_with: str
    source_path: str | None
    done_at: datetime | None

    @property
    def key(self) -> tuple[str, str, str]:
        """The interview's identity in the send log: company, role and start instant (UTC)."""
        return (self.company, self.role, self.starts_at.astimezone(UTC).isoformat())


@dataclass(frozen=True)
class Record:
    """One row of the log, as ``thanknote log`` shows it."""

    id: int
    interview: LoggedInterview
    kind: Kind
    to: str
    name: str
    title: str | None
    subject: str
    body: str
    status: Status
    via: Channel
    message_id: str
    gmail_id: str | None
    error: str | None
    created_at: datetime
    sent_at: datetime | None
    claimed_by: str | None = None
    claimant_started: str | None = None
    thread_id: str | None = None
    """Gmail's thread id (null for SMTP, and for notes logged before migration 003)."""
    in_reply_to: str | None = None
    """The Message-ID this note answers (a follow-up's thank-you or first follow-up)."""
    references: tuple[str, ...] = ()

    @property
    def shown_status(self) -> Status:
        # A row still 'sending' was interrupted (or is being sent right now):
        # nobody can say whether it went out.
        return Status.UNKNOWN if self.status == Status.SENDING else self.status

    @property
    def hours_after_interview(self) -> float | None:
        if self.sent_at is None:
            return None
        return rules.hours_between(self.interview.starts_at, self.sent_at)

    @property
    def hours_after_end(self) -> float | None:
        """Hours from the interview's end: the figure every human-readable line shows."""
        if self.sent_at is None:
            return None
        return rules.hours_between(self.interview.ends_at, self.sent_at)

    @property
    def on_time(self) -> bool | None:
        return rules.on_time(self.kind, self.interview.ends_at, self.sent_at)

    def as_json(self) -> dict[str, object]:
        zone = self.interview.display_timezone
        hours = self.hours_after_interview
        return {
            "to": self.to,
            "name": self.name,
            "status": self.shown_status,
            "via": self.via,
            "kind": self.kind,
            "company": self.interview.company,
            "role": self.interview.role,
            "subject": self.subject,
            "interview_at": self.interview.starts_at.astimezone(zone).isoformat(),
            "sent_at": self.sent_at.astimezone(zone).isoformat() if self.sent_at else None,
            "hours_after_interview": round(hours, 2) if hours is not None else None,
            "hours_after_end": round(after, 2)
            if (after := self.hours_after_end) is not None
            else None,
            "on_time": self.on_time,
            "message_id": self.message_id,
            "gmail_id": self.gmail_id,
            "thread_id": self.thread_id,
            "in_reply_to": self.in_reply_to,
            "error": self.error,
        }


class Attempt(NamedTuple):
    """One attempt as ``thanknote log`` lists it (see :meth:`SendLog.attempts_by_interview`,
    which hands over plain tuples in this order)."""

    interview_id: int
    code: int
    """What the row shows, in one small number (one column instead of four): the shown
    status (``STATUS_CODES``; a row still ``sending`` reads ``unknown``) plus ``GMAIL``,
    ``FOLLOW_UP_NOTE`` and ``TIMED`` (a sent thank-you note: its hours are shown)."""
    at: str
    """When it was sent, or tried when it was not (ISO 8601, UTC, as stored)."""
    name: str
    to: str
    error: str | None
    id: int


AttemptRow = tuple[int, int, str, str, str, str | None, int]

TIMED, FOLLOW_UP_NOTE, GMAIL = 1, 2, 4
STATUS_CODES = {Status.SENT: 0, Status.DRAFTED: 8, Status.FAILED: 16, Status.UNKNOWN: 24}
"""A status in ``Attempt.code`` (``code & ~7``); from FAILED up, the row needs a why-line."""


class ListedInterview(NamedTuple):
    """An interview's heading in ``thanknote log``."""

    id: int
    company: str
    role: str
    starts_at: datetime
    ends_at: datetime
    display_timezone: tzinfo


# The members by their stored text (a dict lookup: calling the enum costs more per row).
KINDS: dict[str, Kind] = {str(kind): kind for kind in Kind}
STATUSES: dict[str, Status] = {str(status): status for status in Status}
CHANNELS: dict[str, Channel] = {str(channel): channel for channel in Channel}


def zone_of(timezone: str | None, local: str) -> tzinfo:
    """The interview's display zone: its IANA name, else the offset it was written with."""
    return ZoneInfo(timezone) if timezone else datetime.fromisoformat(local).tzinfo or UTC


def listed(row: tuple[Any, ...]) -> ListedInterview:
    number, company, role, starts_at, local, timezone, ends_at = row
    return ListedInterview(
        number,
        company,
        role,
        datetime.fromisoformat(starts_at),
        datetime.fromisoformat(ends_at),
        zone_of(timezone, local),
    )


def iso(value: datetime) -> str:
    """An instant as the log stores it: UTC, ISO 8601."""
    return value.astimezone(UTC).isoformat()


def time_of(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def interview_from_row(row: sqlite3.Row | Mapping[str, Any]) -> LoggedInterview:
    return LoggedInterview(
        id=row["id"],
        company=row["company"],
        role=row["role"],
        starts_at=datetime.fromisoformat(row["starts_at"]),
        ends_at=datetime.fromisoformat(row["ends_at"]),
        display_timezone=zone_of(row["timezone"], row["starts_at_local"]),
        follow_up_on=date.fromisoformat(row["follow_up_on"]),
        follow_up_with=row["follow_up_with"],
        source_path=row["source_path"],
        done_at=time_of(row["done_at"]),
    )


def logged_interview(row: tuple[Any, ...]) -> LoggedInterview:
    """An interview from its columns as a plain tuple, in the table's order."""
    number, company, role, starts_at, local, timezone, ends_at, on, with_, source, done = row
    return LoggedInterview(
        number,
        company,
        role,
        datetime.fromisoformat(starts_at),
        datetime.fromisoformat(ends_at),
        zone_of(timezone, local),
        date.fromisoformat(on),
        with_,
        source,
        time_of(done),
    )


def record_from_row(row: sqlite3.Row, interview: LoggedInterview) -> Record:
    return Record(
        id=row["id"],
        interview=interview,
        kind=KINDS[row["kind"]],
        to=row["address"],
        name=row["name"],
        title=row["title"],
        subject=row["subject"],
        body=row["body"],
        status=STATUSES[row["status"]],
        via=CHANNELS[row["via"]],
        message_id=row["message_id"],
        gmail_id=row["gmail_id"],
        error=row["error"],
        created_at=datetime.fromisoformat(row["created_at"]),
        sent_at=time_of(row["sent_at"]),
        claimed_by=row["claimed_by"],
        claimant_started=row["claimant_started"],
        thread_id=row["thread_id"],
        in_reply_to=row["in_reply_to"],
        references=tuple((row["reference_ids"] or "").split()),
    )


@dataclass(frozen=True)
class Claim:
    """The right to deliver one note: its row, and a Gmail draft it may resume from."""

    row_id: int
    gmail_id: str | None
    resumed_status: Status | None = None
    """The state of the row ``gmail_id`` came from: ``sending``/``unknown`` (an interrupted
    send handed that draft to Gmail), or ``drafted``/``failed`` (thanknote never sent it)."""
    stray_message_ids: tuple[str, ...] = ()
    """Message-IDs whose unsent Gmail drafts an interrupted run may have left (see Resume)."""


class InterviewRow(dict):  # type: ignore[type-arg]
    """Adapts a joined notes row to the interview columns (id is the interview's)."""

    def __init__(self, row: sqlite3.Row) -> None:
        super().__init__({key: row[key] for key in row.keys()})  # noqa: SIM118 - a Row iterates values
        self["id"] = row["interview_row"]


def latest_of(row: sqlite3.Row | Record) -> rules.Latest:
    """A note's newest row as :func:`thanknote.rules.decide` reads it, its claimant asked
    whether it still runs (the one question here that asks the system)."""
    if isinstance(row, Record):
        return rules.Latest(
            row.status,
            row.via,
            row.gmail_id,
            row.subject,
            row.body,
            row.sent_at.isoformat() if row.sent_at else None,
            row.status == Status.SENDING and claimant.is_live(row.claimed_by, row.claimant_started),
            row.error,
            rules.claimant_pid(row.claimed_by),
        )
    return rules.Latest(
        row["status"],
        row["via"],
        row["gmail_id"],
        row["subject"],
        row["body"],
        row["sent_at"],
        row["status"] == Status.SENDING
        and claimant.is_live(row["claimed_by"], row["claimant_started"]),
        row["error"],
        rules.claimant_pid(row["claimed_by"]),
    )
