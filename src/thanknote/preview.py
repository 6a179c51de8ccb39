"""``thanknote preview``: every note rendered and checked, nothing sent, no account needed.

The notes go through the same building, checks and batch path as a real send;
``--out`` hands them to a sender that writes ``.eml`` files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from thanknote import batch, clock, loader, rules
from thanknote.addresses import unicode_form
from thanknote.batch import GuardOptions, Preparation
from thanknote.guards import GuardReport
from thanknote.paths import send_log_path
from thanknote.personal import Measure
from thanknote.render import Note, render_notes
from thanknote.rules import Skip, decide
from thanknote.senders.dry_run import EmlFileSender
from thanknote.sendlog import FAILED, UNKNOWN, Record, SendLog, latest_of


@dataclass
class PreviewResult:
    preparation: Preparation
    history_count: int
    warnings: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    send_plan: list[tuple[str, str, str]] = field(default_factory=list)
    """What ``send`` would do with each note now: (``send``/``skip``/``refuse``, to, why)."""
    logged: int = 0
    """Notes of this interview already in the send log, to these readers or others."""

    @property
    def report(self) -> GuardReport:
        return self.preparation.report

    def as_json(self) -> dict[str, object]:
        personal = self.preparation.personal
        return {
            "notes": [
                {
                    "to": p.note.to,
                    "name": p.note.name,
                    "subject": p.note.subject,
                    "body": p.note.body,
                    **_figures(personal.of(p.note.to)),
                }
                for p in self.preparation.prepared
            ],
            "checks": [
                {
                    "check": check,
                    "ok": not refusals,
                    "problems": [f"{r.describe()}: {r.reason}" for r in refusals],
                }
                for check, refusals in self.report.checks.items()
            ],
            "warnings": self.warnings,
            "plan": [
                {"to": to, "action": action, "reason": reason or None}
                for action, to, reason in self.send_plan
            ],
            "assumed": self.preparation.personal.notices,
        }

    def as_text(self) -> str:
        file = self.preparation.interview_file
        interview = file.interview
        prepared = self.preparation.prepared
        lines = [
            f"{interview.company} / {interview.role}",
            f"interview {interview.local_start:%a %d %b %Y %H:%M %Z}, "
            f"{interview.duration_minutes} min; follow up on {interview.follow_up_on} "
            f"with {interview.follow_up_with}",
            f"{len(prepared)} note{'s' if len(prepared) != 1 else ''} from "
            f"{file.candidate.name} <{file.candidate.email}>",
            *_idna_notes(file.candidate.email, "         "),
        ]
        for number, item in enumerate(prepared, start=1):
            note = item.note
            lines += [
                "",
                f"--- note {number} of {len(prepared)} " + "-" * 40,
                f"To:      {note.label}",
                *_idna_notes(note.to, "         "),
                f"Subject: {note.subject}",
            ]
            if (measure := self.preparation.personal.of(note.to)) is not None:
                lines.append(
                    f"({measure.relation}; {measure.words} words, personal share "
                    f"{measure.personal_share:.2f})"
                )
            lines += ["", note.body.rstrip()]
        lines += [
            "",
            "--- checks " + "-" * 50,
            f"ok       header safety: {len(prepared)} message(s), one recipient each",
        ]
        for check, refusals in self.report.checks.items():
            if refusals:
                for refusal in refusals:
                    lines.append(f"REFUSED  {check}: {refusal.describe()}: {refusal.reason}")
            else:
                lines.append(f"ok       {check}")
        for check, why in self.report.skipped.items():
            lines.append(f"skipped  {check} ({why})")
        if not self.logged:
            lines.append("ok       send log: no earlier notes for this interview")
        else:
            lines.append(
                f"ok       send log: {self.logged} earlier note(s) of this interview; "
                f"compared with the {self.history_count} to other readers"
            )
        labels = {p.note.to.casefold(): p.note.label for p in prepared}
        for action, to, reason in self.send_plan:
            label = labels.get(to.casefold(), to)
            lines.append(f"plan     {action + ':':<7} {label}" + (f": {reason}" if reason else ""))
        for notice in self.preparation.personal.notices:
            lines.append(f"assumed  {notice}")
        for warning in self.warnings:
            lines.append(f"warning  {warning}")
        for path in self.written:
            lines.append(f"wrote    {path}")
        return "\n".join(lines)


def _figures(measure: Measure | None) -> dict[str, object]:
    if measure is None:
        return {}
    return {
        "relation": measure.relation,
        "words": measure.words,
        "personal_share": measure.personal_share,
    }


def _idna_notes(address: str, indent: str) -> list[str]:
    """The line saying an internationalised domain goes out in its ASCII form, if it does."""
    written = unicode_form(address)
    if written is None:
        return []
    return [f"{indent}(the IDNA form of {written}: mail servers route domains in ASCII)"]


def preview(
    path: Path,
    *,
    template: Path | None,
    db: Path | None,
    options: GuardOptions,
    out: Path | None = None,
) -> PreviewResult:
    interview_file = loader.load(path)
    notes = render_notes(interview_file, template=template)
    now = clock.now()
    log = SendLog.existing(send_log_path(db), read_only=True)
    look_alike = None
    fresh = frozenset(n.to.casefold() for n in notes)
    try:
        preparation = batch.prepare(
            interview_file, notes, log=log, options=options, now=now, raise_on_refusal=False
        )
        history = log.history(interview_file.interview, notes[0].kind) if log else []
        latest: dict[str, Record] = {}
        if log is not None:
            from thanknote.workflow import look_alike_problem

            interview_id = log.find_interview_id(interview_file.interview)
            look_alike = look_alike_problem(log, interview_file, fresh, frozenset(), interview_id)
            if interview_id is not None:
                latest = {
                    r.to.casefold(): r
                    for r in log.records(
                        interview_id=interview_id, latest_only=True, kind=notes[0].kind
                    )
                }
    finally:
        if log is not None:
            log.close()
    result = PreviewResult(
        preparation,
        sum(1 for r in history if r.to.casefold() not in fresh),
        warnings=list(preparation.warnings),
        logged=len(latest),
    )
    if look_alike is not None:
        result.warnings.append(f"send would refuse: {look_alike}")
    interview = interview_file.interview
    if (ambiguous := rules.ambiguous_start(interview)) is not None:
        result.warnings.append(ambiguous)
    problem = rules.timing_problem(interview, now)
    if problem is not None:
        result.warnings.append(f"send would refuse now: {problem}")
    elif (late := rules.late_warning(interview, now)) is not None:
        result.warnings.append(late)
    whole_batch = (
        "the checks above refuse these notes"
        if not preparation.report.ok
        else "the interview has not ended yet"
        if problem is not None
        else "the send log has notes to the same people for a look-alike interview "
        "(see the warning)"
        if look_alike is not None
        else ""
    )
    result.send_plan = [
        _planned(item.note, latest.get(item.note.to.casefold()), whole_batch)
        for item in preparation.prepared
    ]
    if out is not None and result.report.ok:
        sender = EmlFileSender(out)
        planned = [batch.Planned(p, "deliver") for p in preparation.prepared]
        batch.deliver(planned, sender, None, None, resend=frozenset(), now=clock.now)
        result.written = sender.written
    return result


def _planned(note: Note, record: Record | None, whole_batch: str) -> tuple[str, str, str]:
    """What ``thanknote send`` would do with this note now, by the rule the send itself uses."""
    if whole_batch:
        return "refuse", note.to, whole_batch
    if record is None:
        return "send", note.to, ""
    decision = decide(latest_of(record), note, via=record.via, purpose="send", resend=False)
    if isinstance(decision, Skip):
        if decision.status == UNKNOWN:
            return "refuse", note.to, decision.reason
        return "skip", note.to, decision.reason
    if decision.gmail_id:
        return "send", note.to, f"through its Gmail draft {decision.gmail_id}"
    return "send", note.to, "its earlier attempt failed" if (record.status == FAILED) else ""
