"""The send window and lateness: a thank-you note goes out after the interview ends and
within :data:`ON_TIME_HOURS` of that end. Every human-readable line measures from the
interview's *end*; the JSON's ``hours_after_interview`` keeps its meaning (from the start)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol

from thanknote.values import Kind

ON_TIME_HOURS = 24
"""The protocol's window: a thank-you note goes out within this many hours of the end."""


class Meeting(Protocol):
    """What the timing rules read of an interview (:class:`thanknote.model.Interview`)."""

    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def display_timezone(self) -> tzinfo: ...
    @property
    def timezone_name(self) -> str | None: ...


def hours_between(start: datetime, when: datetime) -> float:
    """Hours from ``start`` to ``when`` (negative before it): the figure every line shows."""
    return (when - start).total_seconds() / 3600


def deadline(ends_at: datetime) -> datetime:
    """The last instant a thank-you note is on time: :data:`ON_TIME_HOURS` after the end."""
    return ends_at + timedelta(hours=ON_TIME_HOURS)


def has_ended(ends_at: datetime, now: datetime) -> bool:
    """Whether the send window is open: a thank-you note goes out after the conversation."""
    return now >= ends_at


def is_late(hours_after_end: float) -> bool:
    """Past the window, by the hours from the end (exactly 24 h is still on time)."""
    return hours_after_end > ON_TIME_HOURS


def lateness(hours_after_end: float) -> float | None:
    """Hours past the protocol's 24, or None when on time."""
    return hours_after_end - ON_TIME_HOURS if is_late(hours_after_end) else None


def hours_late(meeting: Meeting, when: datetime) -> float | None:
    """Hours past the protocol's 24 hours after the interview ended, or None when on time."""
    past = when - deadline(meeting.ends_at)
    return past.total_seconds() / 3600 if past > timedelta(0) else None


def on_time(kind: Kind | str, ends_at: datetime, sent_at: datetime | None) -> bool | None:
    """The log's ``on_time``: the 24-hour rule is the thank-you note's (None for a follow-up,
    and for a note not sent)."""
    if sent_at is None or kind != Kind.THANK_YOU:
        return None
    return sent_at <= deadline(ends_at)


def timing_problem(meeting: Meeting, now: datetime) -> str | None:
    """Why a thank-you note may not be *sent* now (drafts are allowed at any time)."""
    if has_ended(meeting.ends_at, now):
        return None
    local_end = meeting.ends_at.astimezone(meeting.display_timezone)
    return (
        f"the interview has not ended yet (it ends {local_end:%a %d %b %H:%M %Z}); "
        "a thank-you note goes out after the conversation. Use 'thanknote draft' to "
        "prepare drafts now"
    )


def start_is_ambiguous(starts_at: datetime) -> bool:
    """The start was written as a local time that occurs twice (a fall-back night).

    Read as its first occurrence (``fold=0``), as RFC 5545 reads such a time.
    """
    return (
        starts_at.tzinfo is not None
        and starts_at.tzinfo is not UTC
        and starts_at.replace(fold=1 - starts_at.fold).utcoffset() != starts_at.utcoffset()
    )


def ambiguous_start(meeting: Meeting) -> str | None:
    """What thanknote made of a start time that occurs twice (the repeated hour of a fall-back)."""
    start = meeting.starts_at
    if not start_is_ambiguous(start):
        return None
    second = start.replace(fold=1 - start.fold)
    zone = meeting.timezone_name or start.tzname()
    return (
        f"starts_at {start:%Y-%m-%dT%H:%M} occurs twice in {zone} (the clocks go back "
        f"that night); thanknote reads it as the first, {start:%H:%M %Z} "
        f"({start.astimezone(UTC):%H:%M} UTC). For the second, write it with its offset: "
        f"{second.isoformat()}"
    )


def format_hours(hours: float) -> str:
    """One decimal, the way ``send``, ``preview`` and ``log`` all print it: "18.5 h"."""
    return f"{hours:.1f} h"


def timing_phrase(hours_after_end: float, *, hypothetical: bool) -> str:
    """The one sentence about timing: "if sent now, it would be 132.0 h after ..." or "sent ..."."""
    when = format_hours(hours_after_end)
    late = lateness(hours_after_end)
    if hypothetical:
        head = f"if sent now, it would be {when} after the interview ended"
        if late is None:
            return f"{head}: on time"
        return (
            f"{head}, {format_hours(late)} past the {ON_TIME_HOURS} h the protocol asks "
            "for; the log would mark it on_time: false"
        )
    head = f"sent {when} after the interview ended"
    if late is None:
        return f"{head}: on time"
    return (
        f"{head}, {format_hours(late)} past the {ON_TIME_HOURS} h the protocol asks for; "
        "the log marks it on_time: false"
    )


def late_warning(meeting: Meeting, now: datetime) -> str | None:
    """What a send *now* would be, when it would be late (preview, dry run, the question)."""
    hours = hours_between(meeting.ends_at, now)
    if not is_late(hours):
        return None
    return timing_phrase(hours, hypothetical=True)


class Kinded(Protocol):
    @property
    def kind(self) -> str: ...


def sent_timing(meeting: Meeting, now: datetime, sent: Sequence[Kinded]) -> tuple[str, bool]:
    """After a send: "sent 18.5 h after the interview ended: on time", and whether it was late.

    The figure is the log's ``hours_after_end``: ``thanknote log`` shows the same.
    Empty for follow-ups, which the 24 hours do not judge.
    """
    if not sent or any(note.kind != Kind.THANK_YOU for note in sent):
        return "", False
    hours = hours_between(meeting.ends_at, now)
    return timing_phrase(hours, hypothetical=False), is_late(hours)
