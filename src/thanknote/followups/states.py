"""Where an interview stands with its follow-ups, from its send-log rows.

The dates and states are the protocol's rules (:mod:`thanknote.rules`): follow up
once on the date the employer gave, once more a week later if there is still no word,
then stop. This module reads them off the log's records.

A follow-up "went out" when the send log has a row for it that did not fail:
sent, drafted in Gmail (the user sends it from there) or unknown (it may have
gone). Rows that share a Message-ID are one message: a draft and its send, an
interrupted send and its resumption, a resend of one that may have gone out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from thanknote import rules
from thanknote.render import FOLLOW_UP, THANK_YOU
from thanknote.sendlog import Record
from thanknote.values import Status


def only_drafted(notes: Sequence[Record]) -> bool:
    """True when every thank-you note of an interview is a draft: none was sent (or may have
    been, as an interrupted send)."""
    return rules.only_drafted([note.status for note in notes if note.kind == THANK_YOU])


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
        return any(row.status == Status.SENT for row in self.rows)

    @property
    def latest(self) -> Record:
        return self.rows[-1]

    @property
    def best(self) -> Record:
        """The row that speaks for the message: a sent one if any, else the newest."""
        sent = [row for row in self.rows if row.status == Status.SENT]
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
        if record.kind == FOLLOW_UP and record.status != Status.FAILED:
            groups.setdefault(record.message_id, []).append(record)
    return tuple(
        Delivered(number, tuple(rows)) for number, rows in enumerate(groups.values(), start=1)
    )


def reply_subject(subject: str) -> str:
    """``Re: `` and the subject answered, never ``Re: Re: ``."""
    return subject if subject[:3].casefold() == "re:" else f"Re: {subject}"
