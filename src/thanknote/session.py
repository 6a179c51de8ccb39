"""One delivery session: open the log and the sender, ask, deliver, record, close.

``draft``, ``send`` and ``followup`` end here, and so does a script that calls
:func:`thanknote.deliver`. The order is the protocol's, written once:

1. a pinned clock is refused before anything connects (when nobody is asked);
2. a Gmail token is checked (the sender opened) before the question, so a
   missing or revoked sign-in is found before the user says yes;
3. the question (``confirm``), unless there is none to ask;
4. only then the SMTP password (``password``), so it is never typed for nothing;
5. delivery, each note claimed in the send log before it goes and recorded after;
6. the sender and the log closed, whatever happened.

Nothing here prints: :class:`SessionResult` says everything there is to say,
and the caller's callbacks ask the questions and show progress.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from thanknote import banner, clock
from thanknote.delivery import BatchResult, NoteResult
from thanknote.delivery import deliver as deliver_batch
from thanknote.errors import BadInput
from thanknote.planning import Plan
from thanknote.rules import sent_timing
from thanknote.values import Channel, Kind, Purpose, Status

if TYPE_CHECKING:
    from thanknote.senders.base import Sender
    from thanknote.senders.smtp import SmtpSettings
    from thanknote.sendlog import SendLog

Reporter = Callable[[NoteResult], None]
"""Called with each note's result as soon as it is known (progress)."""

SUMMARY_ORDER = (
    Status.SENT,
    Status.DRAFTED,
    "skipped",
    Status.FAILED,
    Status.UNKNOWN,
    "not tried",
    "would send",
    "would draft",
)
"""The order of the counts in the summary line (``2 sent, 1 skipped``)."""

INTERRUPTED_EXIT = 130


@dataclass(frozen=True)
class Question:
    """What the user is asked to commit to, and everything to show before asking."""

    text: str
    """``Send these 3 note(s) via smtp?``"""
    banner: tuple[str, ...]
    notes: tuple[tuple[str, str, str], ...]
    """Each note to deliver: (label, subject, notice)."""
    whole_note: str = ""
    """A follow-up is shown whole; thank-you notes by their subject lines."""


@dataclass(frozen=True)
class Banner:
    """Where the notes go, and the lines that say so before anything connects."""

    channel: banner.Channel
    lines: tuple[str, ...]

    @property
    def notes(self) -> tuple[str, ...]:
        """The banner's ``note: ...`` lines (a pinned clock), said even without a question."""
        return tuple(line for line in self.lines if line.startswith("note: "))


def banner_for(plan: Plan, smtp: SmtpSettings | None) -> Banner:
    """The banner of ``plan`` delivered through ``smtp`` (SMTP) or Gmail."""
    candidate = plan.interview_file.candidate
    where = banner.channel(_via(plan), plan.purpose, smtp, candidate)
    kinds = {item.prepared.note.kind for item in plan.planned}
    lines = banner.lines(
        plan.interview_file.interview,
        candidate,
        where,
        clock.now(),
        timing=plan.purpose == Purpose.SEND and kinds == {Kind.THANK_YOU},
    )
    if plan.timing is not None:  # a follow-up: its own dates, not 24 hours
        lines.insert(3, f"timing: {plan.timing}")
    return Banner(where, tuple(lines))


@dataclass(frozen=True)
class SessionResult:
    """What a session did, with everything the command line prints about it."""

    batch: BatchResult = field(default_factory=BatchResult)
    dry_run: bool = False
    declined: bool = False
    """The user answered no: nothing was sent (exit 0)."""
    notices: tuple[str, ...] = ()
    """``note: ...`` lines for notes delivered (or, dry, that would be): e.g. a stale draft."""
    timing: str = ""
    """``sent 18.5 h after the interview ended: on time``; empty unless a thank-you was sent."""
    late: bool = False
    """``timing`` is a warning: the notes went out after the 24 hours."""
    log_path: Path | None = None
    """The send log this run used (shown after the summary); None for a dry run."""
    after: str = ""
    """What to do next (the follow-up date, a second follow-up), when the batch finished."""

    @property
    def counts(self) -> dict[str, int]:
        """Each outcome with its number of notes, in the summary's order; zeros left out."""
        counted = {str(status): self.batch.count(status) for status in SUMMARY_ORDER}
        return {status: n for status, n in counted.items() if n}

    @property
    def summary(self) -> str:
        """``2 sent, 1 skipped``, or ``nothing to do``."""
        return ", ".join(f"{n} {status}" for status, n in self.counts.items()) or "nothing to do"

    @property
    def unsettled(self) -> list[tuple[str, str]]:
        """(label, what to check) for each note nobody can say yet whether it went out."""
        return [(r.prepared.note.label, r.detail) for r in self.batch.unsettled]

    @property
    def exit_code(self) -> int:
        """0 declined or dry; 130 interrupted; else :attr:`BatchResult.exit_code`."""
        if self.declined:
            return 0
        if self.batch.interrupted:
            return INTERRUPTED_EXIT
        return 0 if self.dry_run else self.batch.exit_code


def _no_password(user: str) -> str:
    raise BadInput(
        f"no SMTP password for {user}: set THANKNOTE_SMTP_PASSWORD or store it with "
        "'thanknote login smtp'"
    )


def _via(plan: Plan) -> str:
    if plan.via is None:
        raise ValueError("a plan without a channel (a preview's) cannot be delivered")
    return plan.via


def _question(plan: Plan, shown: Banner) -> Question | None:
    text = plan.question()
    if text is None:
        return None
    notes = tuple(
        (item.prepared.note.label, item.prepared.note.subject, item.notice)
        for item in plan.to_deliver
    )
    return Question(text, shown.lines, notes, plan.whole_note)


@contextlib.contextmanager
def _silent(_total: int) -> Iterator[Reporter]:
    yield lambda _result: None


def deliver(
    plan: Plan,
    *,
    smtp: SmtpSettings | None = None,
    password: Callable[[str], str] = _no_password,
    confirm: Callable[[Question], bool] | None = None,
    attended: bool = False,
    dry_run: bool = False,
    notice: Callable[[str], None] = lambda _line: None,
    progress: Callable[[int], AbstractContextManager[Reporter]] = _silent,
    shown: Banner | None = None,
) -> SessionResult:
    """Deliver ``plan``: the one session ``draft``, ``send`` and ``followup`` share.

    ``confirm`` is asked (when ``plan`` has a question: not for drafts) after the
    Gmail token is checked and before the SMTP password; None delivers without
    asking (``--yes``). ``password(user)`` is asked only when the environment,
    the keyring and OAuth have none. ``attended``: a person sees the banner (standard
    input is a terminal); unattended, real mail under a pinned clock is refused.
    ``notice`` says the banner's notes when nobody is asked; ``progress(total)``
    gives the reporter called with each note's result. Raises BadInput (2) or
    AuthRequired (2) before anything is sent; never leaves the log or sender open.
    """
    from thanknote.senders import sender_for

    shown = shown or banner_for(plan, smtp)
    to_deliver = plan.to_deliver
    log: SendLog | None = None
    sender: Sender | None = None
    try:
        if dry_run:
            from thanknote.senders.dry_run import DryRunSender

            batch = _deliver(plan, DryRunSender(_via(plan), plan.purpose), None, progress)
            return _result(plan, batch, log_path=None, dry_run=True)
        question = _question(plan, shown) if confirm is not None else None
        if to_deliver:
            if question is None:
                # Nobody is asked: a pinned clock is refused before anything connects,
                # and said, since no question shows the banner.
                banner.refuse_pinned_clock(shown.channel, attended=attended)
                for line in shown.notes:
                    notice(line)
            if plan.via == Channel.GMAIL:
                # A missing or revoked Gmail token is found before the question, not after.
                sender = sender_for(
                    _via(plan),
                    plan.purpose,
                    smtp=None,
                    candidate=plan.interview_file.candidate,
                    password=password,
                )
                sender.open()
            if question is not None and confirm is not None and not confirm(question):
                return SessionResult(declined=True)
            if sender is None:
                # The SMTP password is asked only once the user has said yes.
                sender = sender_for(
                    _via(plan),
                    plan.purpose,
                    smtp=smtp,
                    candidate=plan.interview_file.candidate,
                    password=_login_secret(smtp, password),
                )
            from thanknote.sendlog import SendLog

            log = SendLog(plan.log_path)  # created with the first claim's interview row
        batch = _deliver(plan, sender, log, progress)
        logged = plan.log_path if (log is not None or plan.logged) else None
        return _result(plan, batch, log_path=logged, dry_run=False)
    finally:
        if sender is not None:
            sender.close()  # again after a delivery: closing is idempotent
        if log is not None:
            log.close()


def _deliver(
    plan: Plan,
    sender: Sender | None,
    log: SendLog | None,
    progress: Callable[[int], AbstractContextManager[Reporter]],
) -> BatchResult:
    with progress(len(plan.to_deliver)) as report:
        return deliver_batch(
            plan.planned,
            sender,
            log,
            plan.interview_file.interview,
            source=plan.interview_file.path,
            resend=plan.resend,
            now=clock.now,
            on_result=report,
        )


def _result(
    plan: Plan, batch: BatchResult, *, log_path: Path | None, dry_run: bool
) -> SessionResult:
    delivered = {id(r.prepared) for r in batch.results if r.status in (Status.SENT, Status.DRAFTED)}
    notices = tuple(
        item.notice
        for item in plan.to_deliver
        if item.notice and (dry_run or id(item.prepared) in delivered)
    )
    timing, late = "", False
    if batch.count(Status.SENT) and not dry_run:
        # Said of notes that actually went out, in the log's own measure.
        timing, late = sent_timing(
            plan.interview_file.interview,
            clock.now(),
            [r.prepared.note for r in batch.results if r.status == Status.SENT],
        )
    finished = not dry_run and plan.to_deliver and not batch.interrupted and not batch.exit_code
    return SessionResult(
        batch,
        dry_run=dry_run,
        notices=notices,
        timing=timing,
        late=late,
        log_path=log_path,
        after=plan.after(clock.now()) if finished else "",
    )


def _login_secret(settings: SmtpSettings | None, ask: Callable[[str], str]) -> Callable[[str], str]:
    """The SMTP login's secret for ``user``: an OAuth token, or the password (env, keyring,
    ``ask``)."""

    def secret(user: str) -> str:
        from thanknote.accounts.passwords import login_secret

        if settings is None:
            raise BadInput("no SMTP settings")
        return login_secret(settings, user, ask=ask)

    return secret
