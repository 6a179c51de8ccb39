"""The interview, as frozen values. Built only by :mod:`thanknote.loader`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

ON_TIME_HOURS = 24
"""The protocol's window: a thank-you note goes out within this many hours of the end."""


class ReadableDate(date):
    """A date that prints the way a person writes it in a note: "Friday, December 4"."""

    def __str__(self) -> str:
        return f"{self:%A, %B} {self.day}"

    @classmethod
    def of(cls, value: date) -> ReadableDate:
        return cls(value.year, value.month, value.day)


@dataclass(frozen=True)
class Candidate:
    name: str
    email: str
    signature: str


@dataclass(frozen=True)
class Interviewer:
    name: str
    email: str
    conversation_point: str
    title: str | None = None
    fit: str | None = None
    new_information: str | None = None
    template: Path | None = None
    relation: str = "interviewer"
    """interviewer, hiring-manager, recruiter or coordinator."""

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


@dataclass(frozen=True)
class Interview:
    company: str
    role: str
    starts_at: datetime
    """The start instant, timezone-aware."""
    display_timezone: tzinfo
    """The timezone used to show times: the file's ``timezone``, else the start's offset."""
    timezone_name: str | None
    duration_minutes: int
    follow_up_on: date
    follow_up_with: str
    fit: str | None
    new_information: str | None

    @property
    def start_instant(self) -> datetime:
        """The start in UTC: every sum and comparison of instants is done on this.

        Arithmetic on a ``ZoneInfo`` datetime is wall-clock arithmetic (90 minutes
        after 01:30 on a spring-forward night would be 03:00 local, an hour late).
        """
        return self.starts_at.astimezone(UTC)

    @property
    def ends_at(self) -> datetime:
        """The end instant (UTC): exactly ``duration_minutes`` after the start."""
        return self.start_instant + timedelta(minutes=self.duration_minutes)

    @property
    def deadline(self) -> datetime:
        """The last instant (UTC) a thank-you note is on time: 24 hours after the end."""
        return self.ends_at + timedelta(hours=ON_TIME_HOURS)

    @property
    def start_is_ambiguous(self) -> bool:
        """The start was written as a local time that occurs twice (a fall-back night).

        Read as its first occurrence (``fold=0``), as RFC 5545 reads such a time.
        """
        start = self.starts_at
        return (start.tzinfo is not None and start.tzinfo is not UTC
                and start.replace(fold=1 - start.fold).utcoffset() != start.utcoffset())

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.display_timezone)

    @property
    def weekday(self) -> str:
        return f"{self.local_start:%A}"

    @property
    def date(self) -> ReadableDate:
        return ReadableDate.of(self.local_start.date())

    @property
    def key(self) -> tuple[str, str, str]:
        """The interview's identity in the send log: company, role and start instant (UTC)."""
        return (self.company, self.role, self.starts_at.astimezone(UTC).isoformat())


@dataclass(frozen=True)
class InterviewFile:
    path: Path
    candidate: Candidate
    interview: Interview
    interviewers: tuple[Interviewer, ...]

    def interviewer(self, email: str) -> Interviewer | None:
        wanted = email.casefold()
        return next((i for i in self.interviewers if i.email.casefold() == wanted), None)
