"""The 24-hour rule's timing: whether a thank-you note may be sent now, and how late it is.

(What is left of the old batch module; the checks are in :mod:`thanknote.checks`, the
plan in :mod:`thanknote.planning`, the delivery loop in :mod:`thanknote.delivery`.)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from thanknote import timing
from thanknote.model import Interview
from thanknote.render import THANK_YOU, Note

# -- timing ---------------------------------------------------------------------------------


def hours_late(interview: Interview, when: datetime) -> float | None:
    """Hours past the protocol's 24 hours after the interview ended, or None when on time."""
    if when <= interview.deadline:
        return None
    return (when - interview.deadline).total_seconds() / 3600


def timing_problem(interview: Interview, now: datetime) -> str | None:
    """Why a thank-you note may not be *sent* now (drafts are allowed at any time)."""
    if now < interview.ends_at:
        local_end = interview.ends_at.astimezone(interview.display_timezone)
        return (
            f"the interview has not ended yet (it ends {local_end:%a %d %b %H:%M %Z}); "
            "a thank-you note goes out after the conversation. Use 'thanknote draft' to "
            "prepare drafts now"
        )
    return None


def ambiguous_start(interview: Interview) -> str | None:
    """What thanknote made of a start time that occurs twice (the repeated hour of a fall-back)."""
    if not interview.start_is_ambiguous:
        return None
    start = interview.starts_at
    second = start.replace(fold=1 - start.fold)
    zone = interview.timezone_name or start.tzname()
    return (
        f"starts_at {start:%Y-%m-%dT%H:%M} occurs twice in {zone} (the clocks go back "
        f"that night); thanknote reads it as the first, {start:%H:%M %Z} "
        f"({interview.start_instant:%H:%M} UTC). For the second, write it with its offset: "
        f"{second.isoformat()}"
    )


def late_warning(interview: Interview, now: datetime) -> str | None:
    """What a send *now* would be, when it would be late (preview, dry run, the question)."""
    hours = timing.hours_between(interview.ends_at, now)
    if timing.lateness(hours) is None:
        return None
    return timing.timing_phrase(hours, hypothetical=True)


def sent_timing(interview: Interview, now: datetime, sent: Sequence[Note]) -> tuple[str, bool]:
    """After a send: "sent 18.5 h after the interview ended: on time", and whether it was late.

    The figure is the log's ``hours_after_end``: ``thanknote log`` shows the same.
    Empty for follow-ups, which the 24 hours do not judge.
    """
    if not sent or any(note.kind != THANK_YOU for note in sent):
        return "", False
    hours = timing.hours_between(interview.ends_at, now)
    return timing.timing_phrase(hours, hypothetical=False), timing.lateness(hours) is not None
