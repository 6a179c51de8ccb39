"""The batch logic, written once for every sender: check, plan, claim, deliver, record.

``prepare`` renders nothing itself: it takes rendered notes, runs every guard
(including against the send log's history) and builds each message. ``plan``
says what a run would do with each note, which is all ``--dry-run`` and the
confirmation prompt show. ``deliver`` claims each note in the send log before
the network call and records the outcome after it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from thanknote.errors import AuthRequired, GuardRefusal, ThanknoteError
from thanknote.guards import (
    DEFAULT_MAX_SIMILARITY,
    GuardReport,
    PooledNote,
    Refusal,
    run_checks,
)
from thanknote.interrupt import Interrupted, NotStarted, Stopper
from thanknote.message import Prepared, build
from thanknote.model import Interview, InterviewFile
from thanknote.names import WRONG_NAME, OtherInterview
from thanknote.personal import PersonalReport
from thanknote.render import Note
from thanknote.rules import Skip, decide
from thanknote.senders.base import FAILED, UNKNOWN, FatalSenderError, Outcome, Outgoing, Sender
from thanknote.sendlog import Claim, SendLog, latest_of


@dataclass(frozen=True)
class GuardOptions:
    max_similarity: float = DEFAULT_MAX_SIMILARITY
    allow_similar: bool = False
    allow_mention: frozenset[str] = frozenset()
    """Companies or roles of other interviews that a note may name on purpose."""


@dataclass(frozen=True)
class Preparation:
    interview_file: InterviewFile
    prepared: tuple[Prepared, ...]
    report: GuardReport
    personal: PersonalReport = field(default_factory=PersonalReport)
    name_warnings: tuple[str, ...] = ()

    @property
    def warnings(self) -> list[str]:
        """What the user should read before sending (nothing here stops a send)."""
        return [*self.personal.warnings, *self.name_warnings]


def pooled(note: Note) -> PooledNote:
    return PooledNote(to=note.to, name=note.name, title=note.title, body=note.body)


def check_notes(
    notes: Sequence[Note], log: SendLog | None, interview: Interview, options: GuardOptions
) -> GuardReport:
    history = []
    if log is not None and notes:
        history = [
            PooledNote(to=r.to, name=r.name, title=r.title, body=r.body, new=False)
            for r in log.history(interview, notes[0].kind)
        ]
    return run_checks(
        [pooled(n) for n in notes],
        history,
        max_similarity=options.max_similarity,
        allow_similar=options.allow_similar,
    )


def refusal_message(report: GuardReport) -> str:
    lines = [f"refused: {len(report.refusals)} problem(s); nothing was sent"]
    for refusal in report.refusals:
        lines.append(f"  {refusal.check}: {refusal.describe()}: {refusal.reason}")
    return "\n".join(lines)


def prepare(
    interview_file: InterviewFile,
    notes: Sequence[Note],
    *,
    log: SendLog | None,
    options: GuardOptions,
    now: datetime,
    raise_on_refusal: bool = True,
) -> Preparation:
    """Build and verify every message, then run the body and name checks."""
    from thanknote import names, personal

    candidate = interview_file.candidate
    prepared = tuple(
        build(note, sender_name=candidate.name, sender_address=candidate.email, date=now)
        for note in notes
    )
    report = check_notes(notes, log, interview_file.interview, options)
    named = names.check(
        interview_file,
        [(n.to, n.subject, n.body) for n in notes],
        _other_interviews(log, interview_file.interview),
        options.allow_mention,
    )
    by_address = {note.to: note for note in notes}
    report.checks[WRONG_NAME] = [
        Refusal(WRONG_NAME, pooled(by_address[problem.to]), None, problem.reason)
        for problem in named.refusals
    ]
    if raise_on_refusal and not report.ok:
        raise GuardRefusal(refusal_message(report))
    return Preparation(
        interview_file,
        prepared,
        report,
        personal.measure(interview_file, notes),
        tuple(named.warnings),
    )


def _other_interviews(log: SendLog | None, interview: Interview) -> list[OtherInterview]:
    """Every interview in the send log but this one, for the wrong-name check."""
    if log is None:
        return []
    return [
        OtherInterview(
            logged.company,
            logged.role,
            f"{logged.starts_at.astimezone(logged.display_timezone):%d %b %Y}",
        )
        for logged in log.interviews()
        if (logged.company, logged.role, logged.starts_at.astimezone(UTC).isoformat())
        != interview.key
    ]


# -- timing: the rules live in thanknote.rules (re-exported while callers move) --------------

from thanknote.rules import ambiguous_start as ambiguous_start  # noqa: E402
from thanknote.rules import hours_late as hours_late  # noqa: E402
from thanknote.rules import late_warning as late_warning  # noqa: E402
from thanknote.rules import sent_timing as sent_timing  # noqa: E402
from thanknote.rules import timing_problem as timing_problem  # noqa: E402

# -- planning and delivery --------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    prepared: Prepared
    action: str
    """``deliver`` or ``skip``."""
    reason: str = ""
    notice: str = ""
    """Something the user should do besides, e.g. delete a Gmail draft this send makes moot."""
    state: str = ""
    """For a skip: the note's state in the log (``sent``, ``unknown``, ...)."""


def plan(
    preparation: Preparation,
    log: SendLog | None,
    *,
    via: str,
    purpose: str,
    resend: frozenset[str],
    only: frozenset[str],
) -> list[Planned]:
    """What a run would do with each note, read from the log (the claim re-checks atomically)."""
    latest = {}
    if log is not None and preparation.prepared:
        kind = preparation.prepared[0].note.kind
        interview_id = log.find_interview_id(preparation.interview_file.interview)
        if interview_id is not None:
            latest = {
                r.to.casefold(): r
                for r in log.records(interview_id=interview_id, latest_only=True, kind=kind)
            }
    planned = []
    for prepared in preparation.prepared:
        to = prepared.recipient.casefold()
        if only and to not in only:
            continue
        record = latest.get(to)
        decision = decide(
            latest_of(record) if record is not None else None,
            prepared.note,
            via=via,
            purpose=purpose,
            resend=to in resend,
        )
        reason = decision.reason if isinstance(decision, Skip) else ""
        state = decision.status if isinstance(decision, Skip) else ""
        notice = ""
        # An unsent draft this run does not send through (another channel, a changed
        # note, --resend) would stay in Gmail, one click from a second copy.
        if (
            not reason
            and record is not None
            and record.gmail_id
            and record.status in ("drafted", "failed")
            and getattr(decision, "gmail_id", None) != record.gmail_id
        ):
            notice = (
                f"Gmail draft {record.gmail_id} still holds an earlier note to "
                f"{record.to}; delete it so that it is not sent a second time"
            )
        planned.append(Planned(prepared, "skip" if reason else "deliver", reason, notice, state))
    return planned


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
        return self.stopped is not None or any(r.status in (FAILED, UNKNOWN) for r in self.results)

    @property
    def unsettled(self) -> list[NoteResult]:
        """Notes this run skipped because nobody can say yet whether they went out."""
        return [r for r in self.results if r.status == "skipped" and r.state == UNKNOWN]

    @property
    def exit_code(self) -> int:
        """The spec's rule: 1 while any note of the batch failed or is unknown, else 0.

        A batch stopped by a refused login, with nothing sent and nothing that may
        have been, exits as a missing login does (2): the user has to sign in again.
        """
        went = self.count("sent") + self.count("drafted")
        if self.needs_auth and not went and not self.count(UNKNOWN) and not self.unsettled:
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
                    report(NoteResult(prepared, UNKNOWN, _unrecorded(outcome)))
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
        return Outcome(FAILED, "interrupted (Ctrl-C) before it was sent; nothing was sent")
    # A sender that cannot tell: the note may have gone out.
    return Outcome(
        UNKNOWN, "interrupted (Ctrl-C) while it was being delivered; it may have gone out"
    )


def _unrecorded(outcome: Outcome) -> str:
    """A note whose outcome the log could not record: its row still reads ``unknown``."""
    if outcome.status in ("sent", "drafted"):
        what = "accepted by the server" if outcome.status == "sent" else "drafted in Gmail"
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
                error=outcome.detail if outcome.status in (FAILED, UNKNOWN) else None,
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
        return Outcome(FAILED, str(error))
