"""The protocol's rules, as pure functions: no I/O, no SQLite, no clock read.

One module per rule (the package is one layer: it imports only :mod:`thanknote.values`).
Everything a rule needs comes in as a value (the time is always a parameter), so
each one is tested by a table of cases (``tests/test_rules.py``). The callers
fetch the facts (the send log's rows, the interview file, what the system says
about a process) and act on the answer.

- the send window and lateness: a thank-you note goes out after the interview
  ends and within :data:`ON_TIME_HOURS` of that end;
- the follow-up dates and states: the first on the date the employer gave (or
  :data:`DEFAULT_FOLLOW_UP_DAYS` after the interview), a second
  :data:`SECOND_AFTER_DAYS` later if still no word, at most :data:`MAX_FOLLOW_UPS`;
- whether a logged note may be delivered again (:func:`decide`);
- the look-alike interview (:func:`look_alike`);
- the claimant's liveness (:func:`claim_is_live`).
"""

# Each rule module is imported when one of its names is first used (PEP 562), so
# that `preview`, which needs only the window and the follow-up dates, does not pay
# for the others at start-up. Type checkers see the plain imports below.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from thanknote.rules.follow_up_dates import (
        DEFAULT_FOLLOW_UP_DAYS,
        MAX_FOLLOW_UPS,
        NEEDS_ACTION,
        SECOND_AFTER_DAYS,
        Standing,
        State,
        first_follow_up_on,
        only_drafted,
        second_follow_up_on,
        standing,
    )
    from thanknote.rules.liveness import (
        Process,
        claim_is_live,
        claimant_pid,
        local_claimant,
    )
    from thanknote.rules.redelivery import (
        Addressed,
        Latest,
        Resume,
        Skip,
        decide,
        live_reason,
        unknown_reason,
    )
    from thanknote.rules.same_interview import (
        folded,
        look_alike,
    )
    from thanknote.rules.window import (
        ON_TIME_HOURS,
        Kinded,
        Meeting,
        ambiguous_start,
        deadline,
        format_hours,
        has_ended,
        hours_between,
        hours_late,
        is_late,
        late_warning,
        lateness,
        on_time,
        sent_timing,
        start_is_ambiguous,
        timing_phrase,
        timing_problem,
    )

_HOMES = {
    "DEFAULT_FOLLOW_UP_DAYS": "follow_up_dates",
    "MAX_FOLLOW_UPS": "follow_up_dates",
    "NEEDS_ACTION": "follow_up_dates",
    "SECOND_AFTER_DAYS": "follow_up_dates",
    "Standing": "follow_up_dates",
    "State": "follow_up_dates",
    "first_follow_up_on": "follow_up_dates",
    "only_drafted": "follow_up_dates",
    "second_follow_up_on": "follow_up_dates",
    "standing": "follow_up_dates",
    "Process": "liveness",
    "claim_is_live": "liveness",
    "claimant_pid": "liveness",
    "local_claimant": "liveness",
    "Addressed": "redelivery",
    "Latest": "redelivery",
    "Resume": "redelivery",
    "Skip": "redelivery",
    "decide": "redelivery",
    "live_reason": "redelivery",
    "unknown_reason": "redelivery",
    "folded": "same_interview",
    "look_alike": "same_interview",
    "ON_TIME_HOURS": "window",
    "Kinded": "window",
    "Meeting": "window",
    "ambiguous_start": "window",
    "deadline": "window",
    "format_hours": "window",
    "has_ended": "window",
    "hours_between": "window",
    "hours_late": "window",
    "is_late": "window",
    "late_warning": "window",
    "lateness": "window",
    "on_time": "window",
    "sent_timing": "window",
    "start_is_ambiguous": "window",
    "timing_phrase": "window",
    "timing_problem": "window",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'thanknote.rules' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"thanknote.rules.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "Addressed",
    "DEFAULT_FOLLOW_UP_DAYS",
    "Kinded",
    "Latest",
    "MAX_FOLLOW_UPS",
    "Meeting",
    "NEEDS_ACTION",
    "ON_TIME_HOURS",
    "Process",
    "Resume",
    "SECOND_AFTER_DAYS",
    "Skip",
    "Standing",
    "State",
    "ambiguous_start",
    "claim_is_live",
    "claimant_pid",
    "deadline",
    "decide",
    "first_follow_up_on",
    "folded",
    "format_hours",
    "has_ended",
    "hours_between",
    "hours_late",
    "is_late",
    "late_warning",
    "lateness",
    "live_reason",
    "local_claimant",
    "look_alike",
    "on_time",
    "only_drafted",
    "second_follow_up_on",
    "sent_timing",
    "standing",
    "start_is_ambiguous",
    "timing_phrase",
    "timing_problem",
    "unknown_reason",
]
