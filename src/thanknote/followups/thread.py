"""The conversation a follow-up continues: which message it answers, and by which channel.

A follow-up to someone who got a thank-you note is a reply to that note, so the
reader's mail client shows the two together: ``In-Reply-To`` and ``References``
name the thank-you's Message-ID, the subject is ``Re: `` and the thank-you's
subject, and through Gmail the message joins the thank-you's thread. A second
follow-up answers the first. Someone who got no thank-you note (a recruiter
outside the panel) gets a new thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from thanknote.followups.states import Delivered, reply_subject
from thanknote.render import THANK_YOU
from thanknote.sendlog import Record
from thanknote.values import Status


@dataclass(frozen=True)
class Thread:
    """What a new follow-up carries to join a conversation; empty for a new thread."""

    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    thread_id: str | None = None
    subject: str | None = None
    """``Re: `` and the answered message's subject; None: the template's own."""
    answers: str = ""
    """What it answers, in words: "your thank-you note of Wed 25 Nov 2026"."""
    answered_on: date | None = None


def _day(value: date) -> str:
    return f"{value:%a %d %b %Y}"


def _reply_to(record: Record, what: str, via: str | None) -> Thread:
    moment = record.sent_at or record.created_at
    on = moment.astimezone(record.interview.display_timezone).date()
    # A Gmail thread id belongs to the mailbox it came from: only a Gmail delivery uses it.
    thread_id = record.thread_id if via == "gmail" and record.via == "gmail" else None
    references = tuple(dict.fromkeys((*record.references, record.message_id)))
    return Thread(
        in_reply_to=record.message_id,
        references=references,
        thread_id=thread_id,
        subject=reply_subject(record.subject),
        answers=f"{what} of {_day(on)}",
        answered_on=on,
    )


def thread_for(
    records: Sequence[Record], sent: Sequence[Delivered], *, to: str, number: int, via: str | None
) -> Thread:
    """The thread follow-up ``number`` to ``to`` joins, from this interview's log rows."""
    folded = to.casefold()
    if number > 1 and sent and sent[0].best.to.casefold() == folded:
        return _reply_to(sent[0].best, "your first follow-up", via)
    thank_yous = [
        record
        for record in records
        if record.kind == THANK_YOU
        and record.to.casefold() == folded
        and record.status == Status.SENT
    ]
    if thank_yous:
        return _reply_to(max(thank_yous, key=lambda record: record.id), "your thank-you note", via)
    return Thread()


def remembered_channel(records: Sequence[Record], to: str | None = None) -> str | None:
    """The channel this interview's thank-you notes went by (to ``to``'s first, if any).

    A sent note speaks louder than a Gmail draft (which the user then sent from
    Gmail); the newest wins.
    """
    candidates = [
        record for record in records if record.kind == THANK_YOU and record.status != Status.FAILED
    ]

    def rank(record: Record) -> tuple[bool, bool, bool, int]:
        mine = to is not None and record.to.casefold() == to.casefold()
        return (record.status == Status.SENT, mine, record.status == Status.DRAFTED, record.id)

    if not candidates:
        return None
    return max(candidates, key=rank).via
