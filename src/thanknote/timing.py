"""How long after an interview a note went (or would go) out, said one way everywhere.

Every human-readable line measures from the interview's *end*, because that is
what the protocol's 24 hours count from; the JSON's ``hours_after_interview``
keeps its meaning (from the start) and ``hours_after_end`` carries this figure.
"""

from __future__ import annotations

from datetime import datetime

from thanknote.model import ON_TIME_HOURS as ON_TIME_HOURS


def hours_between(start: datetime, when: datetime) -> float:
    return (when - start).total_seconds() / 3600


def format_hours(hours: float) -> str:
    """One decimal, the way ``send``, ``preview`` and ``log`` all print it: "18.5 h"."""
    return f"{hours:.1f} h"


def lateness(hours_after_end: float) -> float | None:
    """Hours past the protocol's 24, or None when on time."""
    late = hours_after_end - ON_TIME_HOURS
    return late if late > 0 else None


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
