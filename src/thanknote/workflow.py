"""What ``preview``, ``draft``, ``send`` and ``followup`` share: file → notes → checks → plan.

The CLI calls these and only adds what belongs to a terminal: confirmation,
progress, and printing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from thanknote import batch, loader, rules
from thanknote.addresses import as_sent
from thanknote.batch import GuardOptions, Planned, Preparation
from thanknote.errors import BadInput, GuardRefusal
from thanknote.model import InterviewFile
from thanknote.paths import send_log_path
from thanknote.render import THANK_YOU, Note, render_notes
from thanknote.sendlog import SendLog


@dataclass(frozen=True)
class Request:
    path: Path
    via: str
    purpose: str
    """``send`` or ``draft``."""
    template: Path | None = None
    db: Path | None = None
    only: frozenset[str] = frozenset()
    resend: frozenset[str] = frozenset()
    guards: GuardOptions = field(default_factory=GuardOptions)


@dataclass
class Ready:
    """A checked batch, ready for confirmation and delivery."""

    interview_file: InterviewFile
    preparation: Preparation
    planned: list[Planned]
    log: SendLog | None
    interview_id: int | None
    warnings: list[str]
    resend: frozenset[str] = frozenset()
    """Case-folded addresses to deliver again on purpose (the send log compares them so)."""
    log_path: Path | None = None
    timing: str | None = None
    """The timing line instead of the 24-hour rule's (a follow-up has its own dates)."""

    def open_log(self) -> SendLog:
        """The send log to record deliveries in, created now if there was none."""
        if self.log is None:
            assert self.log_path is not None
            self.log = SendLog(self.log_path)
        return self.log

    @property
    def to_deliver(self) -> list[Planned]:
        return [p for p in self.planned if p.action == "deliver"]


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


def look_alike_problem(
    log: SendLog,
    interview_file: InterviewFile,
    recipients: frozenset[str],
    resend: frozenset[str],
    interview_id: int | None,
) -> str | None:
    """Why notes to these people may already have gone out under an edited interview.

    The log keys notes by company, role and start instant, so correcting any of
    them in the file would otherwise make every note look unsent. People who
    already have a row in this interview are past that question (a rerun, or a
    second round begun with --resend): the interview's own rules apply to them.
    """
    interview = interview_file.interview
    present = set()
    if interview_id is not None:
        present = {
            r.to.casefold()
            for r in log.records(interview_id=interview_id, latest_only=True, kind=THANK_YOU)
        }
    earlier = [
        record
        for record in log.notes_of_look_alike_interviews(interview, THANK_YOU)
        if record.to.casefold() in recipients - resend - present
    ]
    if not earlier:
        return None
    first = earlier[0].interview
    when = first.starts_at.astimezone(first.display_timezone)
    people = ", ".join(sorted({record.to for record in earlier}))
    return (
        f"the send log already has thank-you notes to {people} for {first.company} / "
        f"{first.role} at {when:%a %d %b %Y %H:%M %Z}, an interview that looks like this "
        "one. If you corrected the file's company, role or start time, those notes went "
        "out already; if this is a new round of interviews, pass --resend EMAIL once for "
        "each person to write to again"
    )


def prepare_request(request: Request, now: datetime, *, notes: list[Note] | None = None) -> Ready:
    """Load, render, check and plan. Raises BadInput (2) or GuardRefusal (3); sends nothing."""
    interview_file = loader.load(request.path)
    if notes is None:
        notes = render_notes(interview_file, template=request.template)
    recipients = frozenset(n.to.casefold() for n in notes)
    only = _addresses(interview_file, request.only, "--only", recipients)
    resend = _addresses(interview_file, request.resend, "--resend", recipients)
    interview = interview_file.interview
    warnings: list[str] = []
    if request.purpose == "send" and notes and notes[0].kind == THANK_YOU:
        problem = rules.timing_problem(interview, now)
        if problem is not None:
            raise GuardRefusal(f"refused: {problem}; nothing was sent")
        # Lateness is said in the banner (hypothetically) and after the send (as done).
    # Only read here: the log (and the interview's row in it) is written when the
    # first note is claimed, so a run that is declined or refused leaves no trace.
    path = send_log_path(request.db)
    log = SendLog.existing(path)
    try:
        preparation = batch.prepare(interview_file, notes, log=log, options=request.guards, now=now)
        planned = batch.plan(
            preparation, log, via=request.via, purpose=request.purpose, resend=resend, only=only
        )
        interview_id = None
        if log is not None:
            interview_id = log.find_interview_id(interview)
            if notes and notes[0].kind == THANK_YOU:
                problem = look_alike_problem(
                    log, interview_file, only or recipients, resend, interview_id
                )
                if problem is not None:
                    raise GuardRefusal(f"refused: {problem}. Nothing was sent")
    except BaseException:
        if log is not None:
            log.close()
        raise
    return Ready(
        interview_file, preparation, planned, log, interview_id, warnings, resend, log_path=path
    )
