"""``thanknote preview``: every note rendered and checked, nothing sent, no account needed.

The notes go through the same pipeline as a real send (:func:`thanknote.planning.plan`,
as a rehearsal: what ``send`` would refuse is a warning); this module says what it
found, as text or JSON. ``--out`` hands the notes to a sender that writes ``.eml`` files.
``--follow-up`` previews the next follow-up: also what it replies to, and its date.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from thanknote import clock, planning, rules
from thanknote.addresses import unicode_form
from thanknote.checks import Checked, GuardOptions
from thanknote.guards import GuardReport
from thanknote.personal import Measure
from thanknote.render import Note

if TYPE_CHECKING:
    from thanknote.followups.note import FollowUpPlan
    from thanknote.sendlog import Record


class PreviewResult:
    """What a preview found: the checked notes, the warnings, and what ``send`` would do.

    A plain class, not a dataclass: nothing compares it, and creating a dataclass
    costs ``preview`` about a millisecond at start-up.
    """

    def __init__(
        self,
        preparation: Checked,
        history_count: int,
        warnings: list[str] | None = None,
        *,
        send_plan: list[tuple[str, str, str]] | None = None,
        logged: int = 0,
    ) -> None:
        self.preparation = preparation
        self.history_count = history_count
        """Notes of this kind to other readers in the send log, the checks compared with."""
        self.warnings = warnings or []
        self.written: list[Path] = []
        self.send_plan = send_plan or []
        """What ``send`` would do with each note now: (``send``/``skip``/``refuse``, to, why)."""
        self.logged = logged
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


class FollowUpPreview(PreviewResult):
    """The preview of one follow-up: also what it replies to, and its date."""

    def __init__(self, *args: object, plan: FollowUpPlan, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.plan = plan

    def as_text(self) -> str:
        from thanknote.followups.note import describe

        plan = self.plan
        subject = f"Subject: {plan.note.subject}\n"
        thread_line = describe(plan).splitlines()[2]
        via = f", via {plan.via}" if plan.via else ""
        text = super().as_text().replace(subject, f"{subject}{thread_line}\n", 1)
        return text.replace("\n--- checks ", f"\n\ntiming:  {plan.timing}{via}\n--- checks ", 1)

    def as_json(self) -> dict[str, object]:
        plan = self.plan
        return {
            **super().as_json(),
            "follow_up": {
                "number": plan.number,
                "via": plan.via,
                "in_reply_to": plan.thread.in_reply_to,
                "references": list(plan.thread.references),
                "thread_id": plan.thread.thread_id,
            },
        }


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
    follow_up: bool = False,
) -> PreviewResult:
    """Plan ``path`` as a rehearsal (nothing refused, nothing sent) and say what it found."""
    options_of_follow_up = None
    if follow_up:  # the follow-up machinery loads only for a follow-up
        from thanknote.followups.note import FollowUpOptions

        options_of_follow_up = FollowUpOptions()
    request = planning.Request(
        path=path, template=template, db=db, guards=options, follow_up=options_of_follow_up
    )
    now = clock.now()
    plan = planning.plan(request, now, strict=False)
    warnings, refused = rehearsal(plan, now)
    result: PreviewResult
    if plan.follow_up is not None:
        result = FollowUpPreview(plan.checked, len(plan.history), warnings, plan=plan.follow_up)
    else:
        fresh = {p.note.to.casefold() for p in plan.checked.prepared}
        result = PreviewResult(
            plan.checked,
            sum(1 for r in plan.history if r.to.casefold() not in fresh),
            warnings=warnings,
            send_plan=would_send(plan, refused),
            logged=len(plan.latest),
        )
    if out is not None and result.report.ok:
        result.written = write_eml(plan.checked, out)
    return result


def rehearsal(result: planning.Plan, now: datetime) -> tuple[list[str], str]:
    """A preview's warnings: every refusal ``send`` or ``followup`` would make now, and
    why to look twice; and why ``send`` would refuse the whole batch (empty: it would not)."""
    look_alike = result.look_alike
    interview = result.interview_file.interview
    follow_up = result.follow_up
    warnings = [] if follow_up is not None else list(result.checked.warnings)
    if look_alike is not None:
        warnings.append(f"send would refuse: {look_alike}")
    if (ambiguous := rules.ambiguous_start(interview)) is not None:
        warnings.append(ambiguous)
    problem = None
    if follow_up is not None:
        warnings += [f"followup would refuse now: {p}" for p in follow_up.problems]
        if follow_up.via is None:
            warnings.append(
                "no thank-you note of this interview is in the send log: "
                "followup will need --via smtp or --via gmail"
            )
    elif (problem := rules.timing_problem(interview, now)) is not None:
        warnings.append(f"send would refuse now: {problem}")
    elif (late := rules.late_warning(interview, now)) is not None:
        warnings.append(late)
    refused = (
        "the checks above refuse these notes"
        if not result.checked.report.ok
        else "the interview has not ended yet"
        if problem is not None
        else "the send log has notes to the same people for a look-alike interview "
        "(see the warning)"
        if look_alike is not None
        else ""
    )
    return warnings, refused


def would_send(plan: planning.Plan, refused: str) -> list[tuple[str, str, str]]:
    """What ``thanknote send`` would do with each note now: (``send``/``skip``/``refuse``,
    to, why), by the rule the send itself uses."""
    return [
        _would(item.note, plan.latest.get(item.note.to.casefold()), refused)
        for item in plan.checked.prepared
    ]


def _would(note: Note, record: Record | None, refused: str) -> tuple[str, str, str]:
    if refused:
        return "refuse", note.to, refused
    if record is None:
        return "send", note.to, ""
    from thanknote.rules import Skip, decide
    from thanknote.sendlog import latest_of
    from thanknote.values import Status

    decision = decide(latest_of(record), note, via=record.via, purpose="send", resend=False)
    if isinstance(decision, Skip):
        if decision.status == Status.UNKNOWN:
            return "refuse", note.to, decision.reason
        return "skip", note.to, decision.reason
    if decision.gmail_id:
        return "send", note.to, f"through its Gmail draft {decision.gmail_id}"
    return "send", note.to, "its earlier attempt failed" if (record.status == Status.FAILED) else ""


def write_eml(checked: Checked, out: Path) -> list[Path]:
    """Each message as an ``.eml`` file in ``out``, through the batch path of a real send."""
    from thanknote.delivery import deliver
    from thanknote.senders.dry_run import EmlFileSender

    sender = EmlFileSender(out)
    planned = [planning.Planned(p, "deliver") for p in checked.prepared]
    deliver(planned, sender, None, None, resend=frozenset(), now=clock.now)
    return sender.written
