"""The check step: build every message and run every guard on a batch of rendered notes.

:func:`check` renders nothing itself: it takes rendered notes, builds each message
(which verifies its headers), and runs the body checks (against the send log's
history too) and the name checks. A refusal is in the report; the caller decides
whether it stops the run (``send``) or is shown (``preview``).
:func:`look_alike_problem` asks the send log whether these notes may have gone
out already under an interview since edited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from thanknote.errors import GuardRefusal
from thanknote.guards import GuardReport, PooledNote, Refusal, run_checks
from thanknote.message import Prepared, build
from thanknote.model import Interview, InterviewFile
from thanknote.names import WRONG_NAME, OtherInterview
from thanknote.personal import PersonalReport
from thanknote.render import THANK_YOU, Note
from thanknote.similarity import DEFAULT_MAX_SIMILARITY

if TYPE_CHECKING:
    from thanknote.sendlog import SendLog


@dataclass(frozen=True)
class GuardOptions:
    max_similarity: float = DEFAULT_MAX_SIMILARITY
    allow_similar: bool = False
    allow_mention: frozenset[str] = frozenset()
    """Companies or roles of other interviews that a note may name on purpose."""


@dataclass(frozen=True)
class Checked:
    """A batch's messages, built, with what every check said of them."""

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


def check_bodies(
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


def check(
    interview_file: InterviewFile,
    notes: Sequence[Note],
    *,
    log: SendLog | None,
    options: GuardOptions,
    now: datetime,
    strict: bool = True,
) -> Checked:
    """Build and verify every message, then run the body and name checks.

    ``strict``: a refusal raises GuardRefusal (exit 3) instead of being reported.
    """
    from thanknote import names, personal

    candidate = interview_file.candidate
    prepared = tuple(
        build(note, sender_name=candidate.name, sender_address=candidate.email, date=now)
        for note in notes
    )
    report = check_bodies(notes, log, interview_file.interview, options)
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
    if strict and not report.ok:
        raise GuardRefusal(refusal_message(report))
    return Checked(
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


def look_alike_problem(
    log: SendLog, interview_file: InterviewFile, recipients: frozenset[str], resend: frozenset[str]
) -> str | None:
    """Why notes to these people may already have gone out under an edited interview.

    The log keys notes by company, role and start instant, so correcting any of
    them in the file would otherwise make every note look unsent. People who
    already have a row in this interview are past that question (a rerun, or a
    second round begun with --resend): the interview's own rules apply to them.
    """
    interview = interview_file.interview
    present = set()
    interview_id = log.find_interview_id(interview)
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
