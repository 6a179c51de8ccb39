"""What the commands share at the terminal: errors, the question, progress, a session's report.

The library decides; this module only says it. Exit codes come from the
errors (:mod:`thanknote.errors`) and from :attr:`thanknote.session.SessionResult.exit_code`.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn, ParamSpec, TypeVar

import typer

from thanknote.errors import BadInput, ThanknoteError

if TYPE_CHECKING:
    from thanknote.delivery import NoteResult
    from thanknote.planning import Plan
    from thanknote.session import Question, SessionResult

P = ParamSpec("P")
R = TypeVar("R")


def fail(error: ThanknoteError) -> NoReturn:
    typer.echo(f"thanknote: {error.message}", err=True)
    if error.hint:
        typer.echo(f"hint: {error.hint}", err=True)
    raise typer.Exit(error.exit_code)


def guarded(function: Callable[P, R]) -> Callable[P, R]:
    """Run a command body, turning ThanknoteError into a message and its exit code."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except ThanknoteError as error:
            fail(error)
        except KeyboardInterrupt:
            typer.echo("thanknote: interrupted; see 'thanknote log' for what went out", err=True)
            raise typer.Exit(130) from None

    return wrapper


def print_json(value: object) -> None:
    import json

    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def ask_password(user: str) -> str:
    """The SMTP password, asked on the terminal (hidden); never without one."""
    if not sys.stdin.isatty():
        raise BadInput(
            "no SMTP password: set THANKNOTE_SMTP_PASSWORD or store it with "
            "`thanknote login smtp` (standard input is not a terminal, so "
            "thanknote cannot ask)"
        )
    import getpass

    try:
        password = getpass.getpass(f"SMTP password for {user}: ")
    except (KeyboardInterrupt, EOFError):
        typer.echo("")
        raise BadInput("no SMTP password given; nothing was sent") from None
    if not password:
        raise BadInput("no SMTP password given")
    return password


def confirm(question: Question) -> bool:
    """Show everything the user is about to commit to, and ask."""
    if not sys.stdin.isatty():
        raise BadInput(
            "standard input is not a terminal, so thanknote cannot ask before "
            "sending; run it in a terminal or pass --yes"
        )
    for line in question.banner:
        typer.echo(line)
    if question.whole_note:
        typer.echo(f"\n{question.whole_note}\n")
    for label, subject, notice in question.notes:
        if not question.whole_note:
            typer.echo(f"  {label}: {subject}")
        if notice:
            typer.echo(f"    note: {notice}")
    try:
        return typer.confirm(question.text, default=False)
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("")
        return False


def print_checked(plan: Plan) -> None:
    """What the checks assumed and warn about, before anything else is said."""
    for notice in plan.checked.personal.notices:
        typer.echo(f"assumed: {notice}", err=True)
    for warning in plan.checked.warnings:
        typer.echo(f"warning: {warning}", err=True)


def print_plan(plan: Plan, banner: tuple[str, ...]) -> None:
    """A dry run's plan: the banner, then what would happen to each note."""
    verb = "would draft" if plan.purpose == "draft" else "would send"
    for line in banner:
        typer.echo(line)
    for item in plan.planned:
        note = item.prepared.note
        if item.action == "deliver":
            typer.echo(f"  {verb}: {note.label}: {note.subject}")
        else:
            typer.echo(f"  skip: {note.label}: {item.reason}")
    if plan.whole_note:
        typer.echo(f"\n{plan.whole_note}\n")


def print_result(result: SessionResult) -> None:
    """Everything a session's result says, after the progress lines."""
    if result.declined:
        typer.echo("nothing sent")
        return
    for notice in result.notices:
        typer.echo(f"note: {notice}", err=True)
    if result.late:
        typer.echo(f"warning: {result.timing}", err=True)
    elif result.timing:
        typer.echo(f"timing: {result.timing}")
    where = f"; log: {result.log_path}" if result.log_path is not None else ""
    typer.echo(f"{result.summary}{where}")
    batch = result.batch
    if batch.interrupted:
        typer.echo(
            "thanknote: interrupted (Ctrl-C); the log has each note's state, and a "
            "rerun delivers only what is left",
            err=True,
        )
        return
    if batch.stopped:
        typer.echo(f"thanknote: stopped: {batch.stopped}", err=True)
        if batch.stop_hint:
            # The batch's own problem, said once: no rerun helps until it is changed.
            typer.echo(
                f"hint: {batch.stop_hint}; then run the same command again (it "
                "delivers only what is left)",
                err=True,
            )
    for label, detail in result.unsettled:
        # A note that may never have arrived is not done: say what to check, and how.
        typer.echo(f"thanknote: {label}: {detail}", err=True)
    if batch.failed and not batch.stop_hint:
        typer.echo(
            "thanknote: not every note went out; the log has each one's state, and a "
            "rerun delivers only what is left",
            err=True,
        )
    if result.after:
        typer.echo(result.after)


class Progress:
    """One line per note; on a terminal, also a rich progress bar for the batch."""

    def __init__(self, total: int, *, live: bool) -> None:
        self.total = total
        self.done = 0
        self.bar = None
        if live and total > 1 and sys.stdout.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
            from rich.progress import Progress as Bar

            self.bar = Bar(
                TextColumn("delivering"), BarColumn(), MofNCompleteColumn(), transient=True
            )
            self.task = self.bar.add_task("notes", total=total)

    def __enter__(self) -> Callable[[NoteResult], None]:
        if self.bar is not None:
            self.bar.start()
        return self.report

    def __exit__(self, *_: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def _print(self, line: str) -> None:
        if self.bar is not None:
            self.bar.console.print(line, markup=False, highlight=False)
        else:
            typer.echo(line)

    def report(self, result: NoteResult) -> None:
        note = result.prepared.note
        if result.status == "skipped":
            self._print(f"skipped: {note.label}: {result.detail}")
            return
        self.done += 1
        detail = f" ({result.detail})" if result.detail and result.status != "sent" else ""
        self._print(f"[{self.done}/{self.total}] {result.status}: {note.label}{detail}")
        if self.bar is not None:
            self.bar.advance(self.task)
