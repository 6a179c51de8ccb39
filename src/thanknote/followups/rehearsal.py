"""``preview FILE --follow-up``: the next follow-up rendered and checked; sends nothing.

What ``followup`` would refuse now (its date, the limit of two) is a warning
here: a preview is for reading the note, any day. It needs no account.
"""

from __future__ import annotations

from pathlib import Path

from thanknote import batch, clock, loader, rules
from thanknote.batch import GuardOptions
from thanknote.followups.note import FollowUpRequest, Plan, describe, plan, read_history
from thanknote.paths import send_log_path
from thanknote.preview import PreviewResult
from thanknote.render import FOLLOW_UP
from thanknote.senders.dry_run import EmlFileSender
from thanknote.sendlog import SendLog


class FollowUpPreview(PreviewResult):
    """The preview of one follow-up: also what it replies to, and its date."""

    def __init__(self, *args: object, plan: Plan, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.plan = plan

    def as_text(self) -> str:
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


def preview_follow_up(
    path: Path,
    *,
    template: Path | None,
    db: Path | None,
    options: GuardOptions,
    out: Path | None = None,
) -> FollowUpPreview:
    interview_file = loader.load(path)
    now = clock.now()
    history = read_history(interview_file.interview, db)
    planned = plan(
        interview_file,
        history,
        FollowUpRequest(path=path, via=None, purpose="send", template=template, db=db),
        now,
    )
    log = SendLog.existing(send_log_path(db), read_only=True)
    try:
        preparation = batch.prepare(
            interview_file,
            [planned.note],
            log=log,
            options=options,
            now=now,
            raise_on_refusal=False,
        )
        earlier = log.history(interview_file.interview, FOLLOW_UP) if log else []
    finally:
        if log is not None:
            log.close()
    result = FollowUpPreview(preparation, len(earlier), plan=planned)
    if (ambiguous := rules.ambiguous_start(interview_file.interview)) is not None:
        result.warnings.append(ambiguous)
    result.warnings += [f"followup would refuse now: {problem}" for problem in planned.problems]
    if planned.via is None:
        result.warnings.append(
            "no thank-you note of this interview is in the send log: "
            "followup will need --via smtp or --via gmail"
        )
    if out is not None and result.report.ok:
        sender = EmlFileSender(out)
        batch.deliver(
            [batch.Planned(p, "deliver") for p in preparation.prepared],
            sender,
            None,
            None,
            resend=frozenset(),
            now=clock.now,
        )
        result.written = sender.written
    return result
