"""The delivery loop, written once for every sender: claim, deliver, record.

:func:`deliver` claims each planned note in the send log before the network
call and records the outcome after it; one failure does not stop the others,
a fatal one (a revoked login) stops the batch, and Ctrl-C leaves every note
in a state the next run can act on. :class:`BatchResult` holds the exit-code
rule. The session around it (opening, asking, closing) is :mod:`thanknote.session`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from thanknote.errors import AuthRequired, ThanknoteError
from thanknote.interrupt import Interrupted, NotStarted, Stopper
from thanknote.message import Prepared
from thanknote.model import Interview
from thanknote.planning import Planned
from thanknote.rules import Skip
from thanknote.senders.base import FatalSenderError, Outcome, Outgoing, Sender
from thanknote.sendlog import Claim
from thanknote.values import Status

if TYPE_CHECKING:
    from thanknote.sendlog import SendLog

NOT_TRIED = "not tried"


@dataclass
class NoteResult:
    prepared: Prepared
    status: str
    detail: str = ""
    state: str = ""
    """For a skipped note: its state in the log; ``unknown`` keeps the batch unfinished."""


@dataclass
class BatchResult:
    results: list[NoteResult] = field(default_factory=list)
    stopped: str | None = None
    needs_auth: bool = False
    """The batch stopped because the login was refused."""
    stop_hint: str | None = None
    """What to change before a rerun, when the batch stopped on a problem of its own."""
    interrupted: bool = False
    """The user pressed Ctrl-C: the batch stopped (exit 130)."""

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> bool:
        return self.stopped is not None or any(
            r.status in (Status.FAILED, Status.UNKNOWN) for r in self.results
        )

    @property
    def unsettled(self) -> list[NoteResult]:
        """Notes this run skipped because nobody can say yet whether they went out."""
        return [r for r in self.results if r.status == "skipped" and r.state == Status.UNKNOWN]

    @property
    def exit_code(self) -> int:
        """The spec's rule: 1 while any note of the batch failed or is unknown, else 0.

        A batch stopped by a refused login, with nothing sent and nothing that may
        have been, exits as a missing login does (2): the user has to sign in again.
        """
        went = self.count(Status.SENT) + self.count(Status.DRAFTED)
        if self.needs_auth and not went and not self.count(Status.UNKNOWN) and not self.unsettled:
            return AuthRequired.exit_code
        return 1 if self.failed or self.unsettled else 0


def deliver(
    planned: Sequence[Planned],
    sender: Sender | None,
    log: SendLog | None,
    interview: Interview | None,
    *,
    source: Path | None = None,
    resend: frozenset[str],
    now: Callable[[], datetime],
    on_result: Callable[[NoteResult], None] = lambda _r: None,
) -> BatchResult:
    """Deliver every planned note through ``sender``; one failure does not stop the others.

    With no ``log`` (preview and dry runs) nothing is claimed or recorded: the
    notes go through the same path to a sender that touches nothing outside.
    The interview is entered in the log with its first claim (``source`` is the
    interview file, remembered for ``followups``).
    """
    journal = _Journal(log, interview, source)
    result = BatchResult()
    to_deliver = [p for p in planned if p.action == "deliver"]
    for skipped in (p for p in planned if p.action == "skip"):
        note_result = NoteResult(skipped.prepared, "skipped", skipped.reason, state=skipped.state)
        result.results.append(note_result)
        on_result(note_result)
    if not to_deliver:
        return result
    if sender is None:
        raise ValueError("notes to deliver and no sender to deliver them")

    def report(note_result: NoteResult) -> None:
        result.results.append(note_result)
        on_result(note_result)

    def stop(why: str | None, after: int, untried: str = "the batch stopped first") -> None:
        if why is not None:
            result.stopped = why
        # The rest were never tried (nor claimed): say so, note by note.
        for rest in to_deliver[after + 1 :]:
            report(NoteResult(rest.prepared, NOT_TRIED, f"not tried: {untried}"))

    with Stopper() as stopper:
        try:
            with stopper.interruptible():
                sender.open()
        except KeyboardInterrupt:
            sender.close()
            result.interrupted = True
            stop(None, -1, "interrupted (Ctrl-C) before the first note")
            return result
        try:
            for position, item in enumerate(to_deliver):
                if stopper.requested:
                    result.interrupted = True
                    stop(None, position - 1, "interrupted (Ctrl-C) before this note")
                    break
                prepared = item.prepared
                try:
                    claim = journal.claim(
                        prepared, sender, resend=prepared.recipient.casefold() in resend, now=now()
                    )
                except ThanknoteError as error:
                    # Nothing was handed to the server: this note is as untried as the rest.
                    report(
                        NoteResult(
                            prepared,
                            NOT_TRIED,
                            "not tried: the send log could not record that it was about to go",
                        )
                    )
                    stop(f"the log could not record a note before sending it: {error}", position)
                    break
                if isinstance(claim, Skip):
                    report(NoteResult(prepared, "skipped", claim.reason, state=claim.status))
                    continue
                fatal: FatalSenderError | None = None
                interrupted = False
                try:
                    # The sender marks where Ctrl-C may land (interrupt.interruptible).
                    outcome = _deliver_one(sender, prepared, claim, journal)
                except FatalSenderError as error:
                    fatal, outcome = error, error.outcome
                except KeyboardInterrupt as error:
                    interrupted, outcome = True, _interrupted(error)
                result.interrupted = result.interrupted or interrupted
                unrecorded = journal.record(claim.row_id, outcome, now=now())
                if unrecorded is not None:
                    report(NoteResult(prepared, Status.UNKNOWN, _unrecorded(outcome)))
                    stop(
                        f"the log could not record what happened to a note: {unrecorded}", position
                    )
                    break
                report(NoteResult(prepared, outcome.status, outcome.detail))
                if fatal is not None:
                    result.needs_auth = fatal.needs_auth
                    result.stop_hint = fatal.hint
                    stop(str(fatal), position)
                    break
                if interrupted:
                    stop(None, position, "interrupted (Ctrl-C) before this note")
                    break
        finally:
            sender.close()
    return result


def _interrupted(stop: KeyboardInterrupt) -> Outcome:
    """The state of the note in hand when Ctrl-C stopped its delivery."""
    if isinstance(stop, Interrupted):
        return stop.outcome
    if isinstance(stop, NotStarted):
        return Outcome(Status.FAILED, "interrupted (Ctrl-C) before it was sent; nothing was sent")
    # A sender that cannot tell: the note may have gone out.
    return Outcome(
        Status.UNKNOWN, "interrupted (Ctrl-C) while it was being delivered; it may have gone out"
    )


def _unrecorded(outcome: Outcome) -> str:
    """A note whose outcome the log could not record: its row still reads ``unknown``."""
    if outcome.status in (Status.SENT, Status.DRAFTED):
        what = "accepted by the server" if outcome.status == Status.SENT else "drafted in Gmail"
        return f"{what}; the log could not record it: it shows as unknown"
    detail = f"{outcome.status}: {outcome.detail}" if outcome.detail else outcome.status
    return f"{detail}; the log could not record that: it shows as unknown"


class _Journal:
    """The send log as the batch uses it; without a log every call is a no-op."""

    def __init__(
        self, log: SendLog | None, interview: Interview | None, source: Path | None
    ) -> None:
        self.log = log
        self.interview = interview
        self.source = source
        self.interview_id: int | None = None

    def claim(
        self, prepared: Prepared, sender: Sender, *, resend: bool, now: datetime
    ) -> Claim | Skip:
        if self.log is None or self.interview is None:
            return Claim(row_id=-1, gmail_id=None)
        if self.interview_id is None:
            self.interview_id = self.log.add_interview(self.interview, self.source)
            assert self.interview_id is not None
        return self.log.claim(
            self.interview_id,
            prepared.note,
            via=sender.via,
            purpose=sender.purpose,
            message_id=prepared.message_id,
            resend=resend,
            now=now,
        )

    def set_gmail_id(self, row_id: int, gmail_id: str) -> None:
        if self.log is not None:
            self.log.set_gmail_id(row_id, gmail_id)

    def finish(
        self,
        row_id: int,
        status: str,
        *,
        now: datetime,
        gmail_id: str | None = None,
        error: str | None = None,
        thread_id: str | None = None,
    ) -> None:
        if self.log is not None:
            self.log.finish(
                row_id, status, now=now, gmail_id=gmail_id, error=error, thread_id=thread_id
            )

    def record(self, row_id: int, outcome: Outcome, *, now: datetime) -> ThanknoteError | None:
        """Record a delivery's outcome; the log's error when it could not."""
        try:
            self.finish(
                row_id,
                outcome.status,
                now=now,
                gmail_id=outcome.gmail_id,
                error=outcome.detail if outcome.status in (Status.FAILED, Status.UNKNOWN) else None,
                thread_id=outcome.thread_id,
            )
        except ThanknoteError as error:
            return error
        return None


def _deliver_one(sender: Sender, prepared: Prepared, claim: Claim, journal: _Journal) -> Outcome:
    outgoing = Outgoing(
        prepared=prepared,
        gmail_id=claim.gmail_id,
        resumed_status=claim.resumed_status,
        stray_message_ids=claim.stray_message_ids,
        record_gmail_id=lambda gmail_id: journal.set_gmail_id(claim.row_id, gmail_id),
    )
    try:
        return sender.deliver(outgoing)
    except FatalSenderError:
        raise
    except ThanknoteError as error:
        return Outcome(Status.FAILED, str(error))
