"""Where an interview stands with its follow-ups: pure functions of dates and log rows.

The protocol career advisers teach: follow up once on the date the employer gave
(or about ten days after the interview), once more a week later if there is
still no word, then stop. So an interview is

- ``drafted``: the thank-you notes are Gmail drafts, none sent through thanknote yet
  (thanknote cannot see a draft sent from Gmail), and no follow-up went out;
- ``waiting``: the notes went out, the follow-up date has not come;
- ``due``: the date has come and no follow-up went out;
- ``followed-up``: one went out; a second is fair seven days later (``next_on``);
- ``second-due``: that day has come;
- ``closed``: an answer came (``followups --done``), or the second follow-up went out.

A follow-up "went out" when the send log has a row for it that did not fail:
sent, drafted in Gmail (the user sends it from there) or unknown (it may have
gone). Rows that share a Message-ID are one message: a draft and its send, an
interrupted send and its resumption, a resend of one that may have gone out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from thanknote.render import FOLLOW_UP, THANK_YOU
from thanknote.sendlog import Record
from thanknote.status import DRAFTED, FAILED, SENT

SECOND_AFTER_DAYS = 7
"""A second follow-up is fair this many days after the first."""
MAX_FOLLOW_UPS = 2


class State(StrEnum):
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

    ``only_drafted``: its thank-you notes were drafted and none was sent.
    """
    if done or len(followed_up_on) >= MAX_FOLLOW_UPS:
        return Standing(State.CLOSED, None)
    if followed_up_on:
        second_on = followed_up_on[0] + timedelta(days=SECOND_AFTER_DAYS)
        return Standing(State.SECOND_DUE if today >= second_on else State.FOLLOWED_UP, second_on)
    if only_drafted:
        return Standing(State.DRAFTED, follow_up_on)
    return Standing(State.DUE if today >= follow_up_on else State.WAITING, follow_up_on)


def only_drafted(notes: Sequence[Record]) -> bool:
    """True when every thank-you note of an interview is a draft: none was sent (or may have
    been, as an interrupted send)."""
    thank_yous = [note for note in notes if note.kind == THANK_YOU]
    return bool(thank_yous) and all(note.status == DRAFTED for note in thank_yous)


@dataclass(frozen=True)
class Delivered:
    """One follow-up message (its rows share a Message-ID), in the order they went out."""

    number: int
    rows: tuple[Record, ...]
    """Its rows that did not fail, oldest first."""

    @property
    def message_id(self) -> str:
        return self.rows[0].message_id

    @property
    def confirmed(self) -> bool:
        return any(row.status == SENT for row in self.rows)

    @property
    def latest(self) -> Record:
        return self.rows[-1]

    @property
    def best(self) -> Record:
        """The row that speaks for the message: a sent one if any, else the newest."""
        sent = [row for row in self.rows if row.status == SENT]
        return sent[-1] if sent else self.rows[-1]

    @property
    def on(self) -> date:
        """The day it went out (drafted or logged, if never confirmed), in the interview's zone."""
        row = self.best
        moment = row.sent_at or self.rows[0].created_at
        return moment.astimezone(row.interview.display_timezone).date()


def delivered(records: Sequence[Record]) -> tuple[Delivered, ...]:
    """The follow-ups of one interview that went out (or may have), oldest first."""
    groups: dict[str, list[Record]] = {}
    for record in sorted(records, key=lambda record: record.id):
        if record.kind == FOLLOW_UP and record.status != FAILED:
            groups.setdefault(record.message_id, []).append(record)
    return tuple(
        Delivered(number, tuple(rows)) for number, rows in enumerate(groups.values(), start=1)
    )


def reply_subject(subject: str) -> str:
    """``Re: `` and the subject answered, never ``Re: Re: ``."""
    return subject if subject[:3].casefold() == "re:" else f"Re: {subject}"
