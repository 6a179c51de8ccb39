"""The draft calls of one note, with their retries: create, send, check, and clear strays.

``drafts.send`` is made only for a draft the send log already knows. When its
answer is unclear (a timeout, a lost connection, a 5xx, or a 404 for a draft
that existed a moment ago), ``drafts.get`` decides: a draft that still exists
was not sent, and is sent again; a draft that is gone was sent. So a retry
never sends a note twice. Each step moves the :class:`Stage`, which says what a
stop or a Ctrl-C leaves the note as.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from thanknote.retry import Backoff, RateLimitTooLong
from thanknote.senders.base import Outcome, Outgoing
from thanknote.senders.gmail.calls import Calls
from thanknote.senders.gmail.failures import (
    AUTH,
    LOST,
    RATE,
    REFUSED,
    UNREACHABLE,
    CallFailed,
    Stop,
    fatal,
)
from thanknote.values import Status


@dataclass
class Stage:
    """Where the note in hand is: what a stop or a Ctrl-C leaves it as."""

    step: str = "create"
    """``create`` (no draft known), ``created`` (a draft, not yet sent), ``check`` (asking
    whether a known draft exists), ``send`` (drafts.send may have been called)."""
    draft_id: str | None = None
    in_flight: bool = False
    """``check`` of a draft an interrupted run handed to drafts.send."""

    def at(self, step: str, draft_id: str | None = None, *, in_flight: bool = False) -> None:
        self.step, self.draft_id, self.in_flight = step, draft_id, in_flight


@dataclass
class Created:
    draft_id: str
    attempts: int
    maybe_stray: bool
    """An earlier attempt's answer was lost: Gmail may hold a second copy of the draft."""
    thread_id: str | None = None
    cleared: str = ""
    """What was done about drafts an interrupted run left (for the outcome's detail)."""


class DraftRequests:
    """The ``users().drafts()`` calls of a batch, each repeated only where that is safe."""

    def __init__(self, resource: Any, calls: Calls, backoff: Backoff, stage: Stage) -> None:
        self.resource = resource
        self.calls = calls
        self.backoff = backoff
        self.stage = stage

    def clear_strays(self, message_ids: tuple[str, ...]) -> str:
        """Delete the unsent drafts an interrupted run left for this note; say what was done.

        Such a run never called drafts.send (the log would hold the draft's id), so a
        draft with the note's Message-ID is an unsent copy: deleting it before creating
        the new draft leaves exactly one.
        """
        if not message_ids:
            return ""
        deleted = 0
        try:
            for message_id in message_ids:
                query = f"rfc822msgid:{message_id.strip('<>')}"
                answer = self.calls.execute(self.resource.list(userId="me", q=query), "drafts.list")
                found = answer.get("drafts") if isinstance(answer, dict) else None
                for draft in found if isinstance(found, list) else []:
                    stray = draft.get("id") if isinstance(draft, dict) else None
                    if isinstance(stray, str) and stray:
                        self.calls.execute(
                            self.resource.delete(userId="me", id=stray), "drafts.delete"
                        )
                        deleted += 1
        except CallFailed as failure:
            if failure.kind == AUTH:
                raise fatal(failure, Status.FAILED, None) from None
            return (
                f"; an interrupted run may have left an unsent copy of this draft, and "
                f"thanknote could not look for it ({failure.words}): delete it if you see "
                "one"
            )
        if not deleted:
            return ""
        return f"; deleted {deleted} unsent draft(s) an interrupted run had left"

    def create(self, outgoing: Outgoing) -> Created | Outcome:
        body = {"message": reply(outgoing) or {"raw": raw(outgoing)}}
        maybe_stray = False
        last = ""
        attempts = self.backoff.attempts
        for attempt in range(1, attempts + 1):
            try:
                draft = self.calls.execute(
                    self.resource.create(userId="me", body=body), "drafts.create"
                )
            except CallFailed as failure:
                if failure.kind == AUTH:
                    raise fatal(failure, Status.FAILED, None) from None
                if failure.kind == REFUSED:
                    return Outcome(
                        Status.FAILED, f"Gmail refused the draft: {failure.words}", attempts=attempt
                    )
                maybe_stray = maybe_stray or failure.unclear
                last = failure.words
                self.wait(attempt, failure)
                continue
            draft_id = draft.get("id") if isinstance(draft, dict) else None
            if not isinstance(draft_id, str) or not draft_id:
                return Outcome(
                    Status.FAILED,
                    "Gmail answered drafts.create without a draft id",
                    attempts=attempt,
                )
            message = draft.get("message")
            thread_id = message.get("threadId") if isinstance(message, dict) else None
            return Created(
                draft_id,
                attempt,
                maybe_stray,
                thread_id if isinstance(thread_id, str) and thread_id else None,
            )
        detail = f"Gmail did not create the draft after {attempts} attempts ({last})"
        if maybe_stray:
            detail += f"; {stray_warning()}"
        return Outcome(Status.FAILED, detail, attempts=attempts)

    def send(self, draft_id: str, message: dict[str, str] | None = None) -> Outcome:
        """Send the draft; ``message`` (its own raw bytes and thread) keeps a reply threaded."""
        attempts = self.backoff.attempts
        last = ""
        body: dict[str, Any] = {"id": draft_id, **({"message": message} if message else {})}
        for attempt in range(1, attempts + 1):
            self.stage.at("send", draft_id)
            try:
                answer = self.calls.execute(
                    self.resource.send(userId="me", body=body), "drafts.send"
                )
                thread_id = answer.get("threadId") if isinstance(answer, dict) else None
                return Outcome(
                    Status.SENT,
                    f"sent Gmail draft {draft_id}",
                    gmail_id=draft_id,
                    attempts=attempt,
                    thread_id=thread_id if isinstance(thread_id, str) else None,
                )
            except CallFailed as failure:
                if failure.kind == AUTH:
                    # Refused before anything happened: the draft is still there.
                    raise fatal(failure, Status.FAILED, draft_id) from None
                if failure.kind == REFUSED and failure.status != 404:
                    return Outcome(
                        Status.FAILED,
                        f"Gmail refused to send draft {draft_id}: "
                        f"{failure.words}; the draft is still in your Gmail drafts",
                        gmail_id=draft_id,
                        attempts=attempt,
                    )
                last = failure.words
                if failure.unclear or failure.status == 404:
                    # A 404 for a draft that existed: typically an earlier attempt went through.
                    try:
                        exists = self.exists(draft_id)
                    except CallFailed as auth_failure:
                        raise fatal(auth_failure, Status.UNKNOWN, draft_id) from None
                    if exists is False:
                        return Outcome(
                            Status.SENT,
                            f"Gmail did not confirm sending draft {draft_id} "
                            f"({failure.words}), but the draft is gone: it was sent",
                            gmail_id=draft_id,
                            attempts=attempt,
                        )
                    if exists is None:
                        return Outcome(
                            Status.UNKNOWN,
                            f"Gmail did not confirm sending draft {draft_id} "
                            f"({failure.words}) and could not say whether it is still a draft; "
                            "a rerun checks the draft and sends it only if it is still there",
                            gmail_id=draft_id,
                            attempts=attempt,
                        )
                self.wait(attempt, failure)
        return Outcome(
            Status.FAILED,
            f"not sent after {attempts} attempts ({last}); Gmail draft "
            f"{draft_id} is still in your drafts",
            gmail_id=draft_id,
            attempts=attempts,
        )

    def exists(self, draft_id: str) -> bool | None:
        """True / False when Gmail says so; None when it would not answer. Raises on AUTH.

        Only an answer that is the draft (its id) means it exists: anything else
        (an empty or unparseable body) is no answer, and is asked again.
        """
        attempts = self.backoff.attempts
        for attempt in range(1, attempts + 1):
            try:
                answer = self.calls.execute(
                    self.resource.get(userId="me", id=draft_id, format="minimal"), "drafts.get"
                )
                if isinstance(answer, dict) and answer.get("id") == draft_id:
                    return True
                raise CallFailed(
                    LOST,
                    f"drafts.get: an answer that is not draft {draft_id} ({str(answer)[:80]!r})",
                )
            except CallFailed as failure:
                if failure.status == 404:
                    return False
                if failure.kind == AUTH:
                    raise
                if failure.kind == REFUSED:
                    return None
                self.wait(attempt, failure, effect_known=False)
        return None

    def wait(self, attempt: int, failure: CallFailed, *, effect_known: bool = True) -> None:
        """Wait before the next attempt (announced, capped); stop the batch where waiting is
        pointless: after the last attempt when the API cannot be reached, or when Gmail asks
        for a longer wait than thanknote makes. ``effect_known``: the failed call is the
        note's own create or send (not a check), so RATE and UNREACHABLE mean "not done"."""
        if attempt >= self.backoff.attempts:
            if failure.kind == UNREACHABLE:
                raise Stop(
                    f"the Gmail API cannot be reached ({failure.words})", not_done=effect_known
                )
            return
        why = (
            f"rate limited by Gmail: {failure.words}"
            if failure.kind == RATE
            else f"retrying: {failure.words}"
        )
        try:
            self.backoff.sleep(attempt, failure.retry_after, why=why)
        except RateLimitTooLong as too_long:
            raise Stop(
                f"Gmail rate-limits this account ({too_long})",
                not_done=effect_known and failure.kind == RATE,
            ) from None


def raw(outgoing: Outgoing) -> str:
    return base64.urlsafe_b64encode(outgoing.prepared.as_bytes()).decode("ascii")


def reply(outgoing: Outgoing) -> dict[str, str] | None:
    """The message with the thread it answers, for a reply (a follow-up); else None.

    Gmail files a message in a thread only when the request names the thread and
    the message's References and Subject match it.
    """
    thread_id = outgoing.prepared.note.thread_id
    return {"raw": raw(outgoing), "threadId": thread_id} if thread_id else None


def stray_warning() -> str:
    return (
        "an earlier attempt's answer was lost, so Gmail may hold a second, unsent copy of "
        "this draft: delete it if you see one"
    )
