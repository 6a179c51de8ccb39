"""The follow-up dates and states: the first on the date the employer gave (or
:data:`DEFAULT_FOLLOW_UP_DAYS` after the interview), a second :data:`SECOND_AFTER_DAYS`
later if still no word, at most :data:`MAX_FOLLOW_UPS`.

The protocol career advisers teach. An interview is

- ``drafted``: the thank-you notes are Gmail drafts, none sent through thanknote yet
  (thanknote cannot see a draft sent from Gmail), and no follow-up went out;
- ``waiting``: the notes went out, the follow-up date has not come;
- ``due``: the date has come and no follow-up went out;
- ``followed-up``: one went out; a second is fair seven days later (``next_on``);
- ``second-due``: that day has come;
- ``closed``: an answer came (``followups --done``), or the second follow-up went out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from thanknote.values import Status

DEFAULT_FOLLOW_UP_DAYS = 10
"""Without a ``follow_up_on`` in the file, the first follow-up is due this many days after."""
SECOND_AFTER_DAYS = 7
"""A second follow-up is fair this many days after the first."""
MAX_FOLLOW_UPS = 2


def first_follow_up_on(interview_day: date) -> date:
    """The first follow-up's date when the employer gave none (a day in the interview's zone)."""
    return interview_day + timedelta(days=DEFAULT_FOLLOW_UP_DAYS)


def second_follow_up_on(first_sent_on: date) -> date:
    """The day a second follow-up is fair: a week after the first went out."""
    return first_sent_on + timedelta(days=SECOND_AFTER_DAYS)


class State(StrEnum):
    """Where an interview stands with its follow-ups (see :func:`standing`)."""

    DRAFTED = "drafted"
    WAITING = "waiting"
    DUE = "due"
    FOLLOWED_UP = "followed-up"
    SECOND_DUE = "second-due"
    CLOSED = "closed"


NEEDS_ACTION = frozenset({State.DUE, State.SECOND_DUE})
"""What the default listing shows: something to do today."""


@dataclass(frozen=True)
class Standing:
    state: State
    next_on: date | None
    """The next action's date: the follow-up date, or the day a second one is fair."""


def standing(
    *,
    follow_up_on: date,
    today: date,
    followed_up_on: Sequence[date],
    done: bool,
    only_drafted: bool = False,
) -> Standing:
    """The state of one interview on ``today`` (a day in the interview's own timezone).

    ``followed_up_on``: the days its follow-ups went out (or may have), oldest first;
    ``only_drafted``: its thank-you notes were drafted and none was sent.
    """
    if done or len(followed_up_on) >= MAX_FOLLOW_UPS:
        return Standing(State.CLOSED, None)
    if followed_up_on:
        second_on = second_follow_up_on(followed_up_on[0])
        return Standing(State.SECOND_DUE if today >= second_on else State.FOLLOWED_UP, second_on)
    if only_drafted:
        return Standing(State.DRAFTED, follow_up_on)
    return Standing(State.DUE if today >= follow_up_on else State.WAITING, follow_up_on)


def only_drafted(thank_you_statuses: Sequence[Status | str]) -> bool:
    """True when every thank-you note of an interview is a draft (given the status of each
    note's newest row that did not fail): none was sent, or may have been."""
    return bool(thank_you_statuses) and all(s == Status.DRAFTED for s in thank_you_statuses)
