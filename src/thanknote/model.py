"""The interview, as frozen values. Built only by :mod:`thanknote.loader`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from thanknote import rules


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


class Relation(StrEnum):
    """Who a reader is to the candidate; the default note is written for each kind."""

    INTERVIEWER = "interviewer"
    HIRING_MANAGER = "hiring-manager"
    RECRUITER = "recruiter"
    COORDINATOR = "coordinator"

    @property
    def arranges(self) -> bool:
        """A recruiter or coordinator: thanked for the day and the process, not a technical talk."""
        return self in (Relation.RECRUITER, Relation.COORDINATOR)


@dataclass(frozen=True)
class Interviewer:
    name: str
    email: str
    conversation_point: str
    title: str | None = None
    fit: str | None = None
    new_information: str | None = None
    template: Path | None = None
    relation: Relation = Relation.INTERVIEWER
    relation_assumed: bool = False
    """True when the file gave no ``relation`` and the title suggested this one."""

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    @property
    def arranges(self) -> bool:
        return self.relation.arranges


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
        return rules.deadline(self.ends_at)

    @property
    def start_is_ambiguous(self) -> bool:
        """The start was written as a local time that occurs twice (a fall-back night).

        Read as its first occurrence (``fold=0``), as RFC 5545 reads such a time.
        """
        return rules.start_is_ambiguous(self.starts_at)

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
        return self._by_address.get(email.casefold())

    @cached_property
    def _by_address(self) -> dict[str, Interviewer]:
        # Asked once per note by the checks: a dictionary keeps a large batch linear.
        return {person.email.casefold(): person for person in reversed(self.interviewers)}


_TITLE_RELATIONS = (
    (re.compile(r"coordinator|scheduler", re.IGNORECASE), Relation.COORDINATOR),
    (
        re.compile(r"recruit|talent|sourc(?:er|ing)|people partner", re.IGNORECASE),
        Relation.RECRUITER,
    ),
    (re.compile(r"hiring manager", re.IGNORECASE), Relation.HIRING_MANAGER),
)


def relation_from_title(title: str | None) -> Relation | None:
    """The relation a title suggests ("Technical Recruiter": recruiter), if any."""
    for pattern, relation in _TITLE_RELATIONS:
        if title and pattern.search(title):
            return relation
    return None
