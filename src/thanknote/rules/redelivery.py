"""Whether a logged note may be delivered again: :func:`decide`, for the plan and the claim.

A note's newest row in the send log (:class:`Latest`) decides: sent never goes again;
one that may have gone out (``sending``/``unknown``) goes again only with ``--resend``,
or through the Gmail draft that holds it; a failed one goes again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from thanknote.values import Channel, Purpose, Status


@dataclass(frozen=True)
class Latest:
    """The newest row of a note: all that decides what a new run may do with it."""

    status: Status | str
    via: Channel | str
    gmail_id: str | None
    subject: str
    body: str
    sent_at: str | None
    live: bool = False
    """Still being sent by a running process (a row in ``sending`` whose claimant lives)."""
    error: str | None = None
    """What the run that left the row said happened (for an ``unknown`` row: why)."""
    claimant_pid: int | None = None


@dataclass(frozen=True)
class Skip:
    reason: str
    status: Status


@dataclass(frozen=True)
class Resume:
    """Deliver; through this Gmail draft, when one already holds the note."""

    gmail_id: str | None = None
    resumed_status: Status | None = None
    strays: bool = False
    """Earlier Gmail attempts may have left drafts the log has no id for: look for them."""


class Addressed(Protocol):
    """What :func:`decide` reads of a note (:class:`thanknote.render.Note`)."""

    @property
    def to(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def body(self) -> str: ...


def unknown_reason(status: Status | str, address: str, detail: str | None = None) -> str:
    """Why a note that may have gone out is skipped, and what the user can do."""
    advice = f"check your Sent folder, then use --resend {address} to send it again"
    if status != Status.SENDING and detail:
        return f"unknown: {detail.rstrip('.')}. Before sending again, {advice}"
    why = (
        "an earlier run stopped while sending it"
        if status == Status.SENDING
        else "the answer to an earlier attempt was lost"
    )
    return f"unknown: {why}, so it may have gone out; {advice}"


def live_reason(pid: int | None) -> str:
    """Why a note another running thanknote is sending right now is skipped."""
    who = f"process {pid}" if pid is not None else "another thanknote run"
    return f"being sent by {who}; run again when it finishes"


def decide(
    latest: Latest | None,
    note: Addressed,
    *,
    via: Channel | str,
    purpose: Purpose | str,
    resend: bool,
) -> Skip | Resume:
    """What a run may do with a note, given its newest row: the one rule, for plan and claim."""
    if latest is None or resend:
        return Resume()
    status, earlier_via, draft = Status(latest.status), latest.via, latest.gmail_id
    gmail_draft = via == Channel.GMAIL and earlier_via == Channel.GMAIL and draft is not None
    if status is Status.SENT:
        when = (latest.sent_at or "")[:16].replace("T", " ")
        return Skip(f"already sent {when} UTC via {earlier_via}", Status.SENT)
    if status in (Status.SENDING, Status.UNKNOWN):
        if latest.live:
            return Skip(live_reason(latest.claimant_pid), Status.UNKNOWN)
        if gmail_draft:
            # Gmail sends go through a draft: the draft's fate says whether it went
            # out, so this run may safely finish the job.
            return Resume(draft, status)
        if status is Status.SENDING and via == Channel.GMAIL == earlier_via:
            # drafts.send runs only once the draft's id is in the log: a Gmail run that
            # stopped before recording one did not send the note (it may have left a draft).
            return Resume(strays=True)
        return Skip(unknown_reason(status, note.to, latest.error), Status.UNKNOWN)
    same_text = (latest.subject, latest.body) == (note.subject, note.body)
    if status is Status.DRAFTED and purpose == Purpose.DRAFT:
        hint = (
            ""
            if same_text
            else (
                f"; the file has changed since: --resend {note.to} makes "
                "a new draft (then delete the old one)"
            )
        )
        return Skip(f"already drafted (Gmail draft {draft}){hint}", Status.DRAFTED)
    if status is Status.DRAFTED and gmail_draft and not same_text:
        return Skip(
            f"its Gmail draft ({draft}) was made from an earlier version of the file; "
            f"send that draft from Gmail as it is, or use --resend {note.to} for a new "
            "one (then delete the old draft)",
            Status.DRAFTED,
        )
    if status in (Status.DRAFTED, Status.FAILED) and gmail_draft and same_text:
        # A draft thanknote has not handed to drafts.send: reuse it rather than leave a
        # stray copy. The sender records it on the new row once it has seen that the
        # draft still exists; if it is gone, the user sent or deleted it.
        return Resume(draft, status)
    return Resume(
        strays=status is Status.FAILED and via == Channel.GMAIL == earlier_via and draft is None
    )
