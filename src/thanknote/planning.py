"""The planning pipeline of ``preview``, ``draft``, ``send`` and ``followup``, written once.

    load → render → check → plan

- **load**: the interview file, read and validated (:func:`thanknote.loader.load`);
- **render**: one note per interviewer, or the next follow-up (which reads the
  send log to know its number, thread and channel);
- **check**: every message built and every guard run (:func:`thanknote.checks.check`);
- **plan**: what a run would do with each note, read from the send log.

The send log is only read here, and only if it exists: :func:`plan` opens it
read-only and closes it before it returns, so a run that is declined or refused
leaves no trace. The delivery session (:mod:`thanknote.session`) opens it for
writing. ``strict`` plans (``draft``, ``send``, ``followup``) raise at the first
refusal; a rehearsal (``preview``) collects them as warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from thanknote import loader, rules
from thanknote.addresses import as_sent
from thanknote.checks import Checked, GuardOptions, check, look_alike_problem
from thanknote.errors import BadInput, GuardRefusal
from thanknote.message import Prepared
from thanknote.model import InterviewFile
from thanknote.paths import send_log_path
from thanknote.render import THANK_YOU, Note, render_notes
from thanknote.values import Status

if TYPE_CHECKING:
    from thanknote.followups.note import FollowUpOptions, FollowUpPlan
    from thanknote.sendlog import Record, SendLog


@dataclass(frozen=True)
class Request:
    """What to plan: the file, the channel and purpose, and the options of the command."""

    path: Path
    via: str | None = None
    """``smtp`` or ``gmail``; None for a preview, or a follow-up on the thank-you's channel."""
    purpose: str = "send"
    """``send`` or ``draft``."""
    template: Path | None = None
    db: Path | None = None
    only: frozenset[str] = frozenset()
    resend: frozenset[str] = frozenset()
    guards: GuardOptions = field(default_factory=GuardOptions)
    follow_up: FollowUpOptions | None = None
    """Plan the next follow-up instead of the thank-you notes."""


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


@dataclass(frozen=True)
class Plan:
    """A checked batch and what a run would do with each note."""

    interview_file: InterviewFile
    checked: Checked
    planned: tuple[Planned, ...]
    via: str | None
    purpose: str
    log_path: Path
    logged: bool
    """The send log existed when the plan was made."""
    resend: frozenset[str] = frozenset()
    """Case-folded addresses to deliver again on purpose (the send log compares them so)."""
    follow_up: FollowUpPlan | None = None
    latest: dict[str, Record] = field(default_factory=dict)
    """The newest log row of each note of this kind, by case-folded address."""
    history: tuple[Record, ...] = ()
    """This interview's notes of this kind that may have reached someone."""
    look_alike: str | None = None
    """A rehearsal's: why notes to these people may have gone out under an edited interview."""

    @property
    def to_deliver(self) -> list[Planned]:
        return [p for p in self.planned if p.action == "deliver"]

    @property
    def timing(self) -> str | None:
        """The timing line instead of the 24-hour rule's (a follow-up has its own dates)."""
        return self.follow_up.timing if self.follow_up is not None else None

    @property
    def whole_note(self) -> str:
        """A follow-up as it will read (shown before the question and in a dry run)."""
        if self.follow_up is None:
            return ""
        from thanknote.followups.note import describe

        return describe(self.follow_up)

    def question(self) -> str | None:
        """What to ask before delivering; None for drafts (they are read in Gmail first)."""
        if self.purpose != "send":
            return None
        if self.follow_up is not None:
            return f"Send this follow-up via {self.via}?"
        return f"Send these {len(self.to_deliver)} note(s) via {self.via}?"

    def after(self, now: datetime) -> str:
        """What comes next, once the notes have gone."""
        if self.follow_up is not None:
            from thanknote.followups.note import next_steps

            return next_steps(self.follow_up, self.interview_file, now)
        return (
            f"follow-up date: {self.interview_file.interview.follow_up_on}; "
            "'thanknote followups --ics reminders.ics' adds it to your calendar"
        )


def load(path: Path) -> InterviewFile:
    """The load step: the interview file, read and validated."""
    return loader.load(path)


def read_log(db: Path | None, *, verified: bool = False) -> SendLog | None:
    """The send log at ``db`` (or the default path), read-only; None when there is none.

    ``verified``: run SQLite's integrity check first, as a run that may deliver must
    (a damaged index would make a sent note look unsent); BadInput names the damage.
    """
    path = send_log_path(db)
    if not path.exists():
        return None  # the send log's module (and its SQLite) load only for a log
    from thanknote.sendlog import SendLog

    log = SendLog.existing(path, read_only=True)
    if log is not None and verified:
        import sqlite3

        from thanknote import logfile

        try:
            logfile.check_integrity(log.db, log.path)
        except BaseException as error:
            log.close()
            if isinstance(error, sqlite3.Error):
                raise logfile.storage_error(log.path, error, waited=log.lock_timeout) from None
            raise
    return log


def plan(
    request: Request, now: datetime, *, strict: bool = True, loaded: InterviewFile | None = None
) -> Plan:
    """Load, render, check and plan. Strict: raises BadInput (2) or GuardRefusal (3).

    ``loaded``: the interview file of ``request.path``, already loaded.
    """
    interview_file = loaded or load(request.path)
    interview = interview_file.interview
    notes: list[Note] = []
    if request.follow_up is None:
        notes = render_notes(interview_file, template=request.template)
        if strict and request.purpose == "send" and notes and notes[0].kind == THANK_YOU:
            problem = rules.timing_problem(interview, now)
            if problem is not None:
                raise GuardRefusal(f"refused: {problem}; nothing was sent")
            # Lateness is said in the banner (hypothetically) and after the send (as done).
    path = send_log_path(request.db)
    log = read_log(request.db, verified=strict)
    try:
        follow_up = None
        via = request.via
        if request.follow_up is not None:
            follow_up = _render_follow_up(interview_file, request, log, now, strict=strict)
            notes, via = [follow_up.note], follow_up.via
        recipients = frozenset(n.to.casefold() for n in notes)
        only = _addresses(interview_file, request.only, "--only", recipients)
        resend = _addresses(interview_file, request.resend, "--resend", recipients)
        if follow_up is not None and (follow_up.number > 1 or follow_up.redo):
            # A second follow-up (or a redo) to someone who already has one: on purpose.
            resend = frozenset({follow_up.note.to.casefold()})
        checked = check(
            interview_file, notes, log=log, options=request.guards, now=now, strict=strict
        )
        latest = _latest(log, interview_file, notes)
        planned: tuple[Planned, ...] = ()
        if via is not None:
            planned = tuple(
                plan_notes(
                    checked, latest, via=via, purpose=request.purpose, resend=resend, only=only
                )
            )
        look_alike = None
        if log is not None and notes and notes[0].kind == THANK_YOU:
            look_alike = look_alike_problem(log, interview_file, only or recipients, resend)
            if strict and look_alike is not None:
                raise GuardRefusal(f"refused: {look_alike}. Nothing was sent")
        history = tuple(log.history(interview, notes[0].kind)) if log and notes else ()
    finally:
        if log is not None:
            log.close()
    return Plan(
        interview_file,
        checked,
        planned,
        via,
        request.purpose,
        path,
        log is not None,
        resend,
        follow_up,
        latest,
        history,
        look_alike,
    )


def _render_follow_up(
    interview_file: InterviewFile,
    request: Request,
    log: SendLog | None,
    now: datetime,
    *,
    strict: bool,
) -> FollowUpPlan:
    """The render step of a follow-up: which one is next, to whom, in which thread."""
    from thanknote.followups.note import FollowUpRequest, plan_follow_up, read_history

    options = request.follow_up
    assert options is not None
    follow_up = plan_follow_up(
        interview_file,
        read_history(interview_file.interview, log),
        FollowUpRequest(
            path=request.path,
            via=request.via,
            purpose=request.purpose,
            to=options.to,
            template=request.template,
            db=request.db,
            early=options.early,
            resend=options.resend,
        ),
        now,
    )
    if strict and follow_up.problems:
        raise GuardRefusal(f"refused: {follow_up.problems[0]}; nothing was sent")
    if strict and follow_up.via is None:
        raise BadInput(
            "no thank-you note of this interview is in the send log, so thanknote "
            "cannot tell which channel you use; pass --via smtp or --via gmail"
        )
    return follow_up


def _latest(
    log: SendLog | None, interview_file: InterviewFile, notes: list[Note]
) -> dict[str, Record]:
    if log is None or not notes:
        return {}
    interview_id = log.find_interview_id(interview_file.interview)
    if interview_id is None:
        return {}
    return {
        r.to.casefold(): r
        for r in log.records(interview_id=interview_id, latest_only=True, kind=notes[0].kind)
    }


def plan_notes(
    checked: Checked,
    latest: dict[str, Record],
    *,
    via: str,
    purpose: str,
    resend: frozenset[str],
    only: frozenset[str],
) -> list[Planned]:
    """What a run would do with each note, read from the log (the claim re-checks atomically)."""
    from thanknote.rules import Skip, decide
    from thanknote.sendlog import latest_of

    planned = []
    for prepared in checked.prepared:
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
            and record.status in (Status.DRAFTED, Status.FAILED)
            and getattr(decision, "gmail_id", None) != record.gmail_id
        ):
            notice = (
                f"Gmail draft {record.gmail_id} still holds an earlier note to "
                f"{record.to}; delete it so that it is not sent a second time"
            )
        planned.append(Planned(prepared, "skip" if reason else "deliver", reason, notice, state))
    return planned


def _addresses(
    interview_file: InterviewFile,
    values: frozenset[str],
    option: str,
    extra: frozenset[str] = frozenset(),
) -> frozenset[str]:
    known = {person.email.casefold() for person in interview_file.interviewers} | extra
    folded = frozenset(as_sent(value).casefold() for value in values)
    unknown = sorted(folded - known)
    if unknown:
        raise BadInput(
            f"{option} {', '.join(unknown)}: not an address in {interview_file.path} "
            f"(the notes go to: {', '.join(sorted(known))})"
        )
    return folded
