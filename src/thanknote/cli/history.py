"""What went out and what comes next: ``log`` and ``followups``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from thanknote.cli.options import DbOption
from thanknote.cli.output import guarded
from thanknote.errors import BadInput


@guarded
def show_log(
    file: Annotated[
        Path | None, typer.Argument(help="Only this interview.", show_default=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the records as JSON.")] = False,
    db: DbOption = None,
) -> None:
    """What was drafted or sent, when, and how long after the interview ended."""
    from thanknote import logview

    try:
        logview.show(file, db, as_json=as_json, out=sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (head, a pager) stopped early: not an error of thanknote's.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@guarded
def followups(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    show_all: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every interview not closed by --done, not only those that need a "
            "follow-up today.",
        ),
    ] = False,
    ics: Annotated[
        Path | None,
        typer.Option(
            "--ics",
            help="Write an iCalendar file: a reminder per open interview on its next "
            "action date, a cancellation per interview closed since (re-importing it updates "
            "them).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="With --ics: replace the file even though thanknote did not write it."
        ),
    ] = False,
    done: Annotated[
        Path | None,
        typer.Option(
            "--done",
            help="Close the interview of this file (an answer came): it is no longer listed.",
            show_default=False,
        ),
    ] = None,
    reopen: Annotated[
        Path | None,
        typer.Option(
            "--reopen",
            help="Undo --done for the interview of this file: it is listed again and "
            "'followup' may write to it.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Interviews that need a follow-up today (--all: every open one), each with its state."""
    from thanknote import clock
    from thanknote import followups as following

    now = clock.now()
    if done is not None and reopen is not None:
        raise BadInput("--done and --reopen go one at a time")
    if done is not None:
        closed = following.close(done, db, now)
        typer.echo(closed.as_text(), err=as_json)
    if reopen is not None:
        typer.echo(following.reopen(reopen, db).as_text(), err=as_json)
    if ics is not None:
        agenda = following.load_agenda(db, now)
        written = following.write_calendar(
            ics, agenda.items, now, force=force, log_path=agenda.log_path
        )
        typer.echo(
            f"wrote {ics}: {written.reminders} reminder(s), {written.cancellations} "
            "cancellation(s); importing it again updates them in place",
            err=as_json,
        )
    following.print_agenda(
        db,
        now,
        sys.stdout,
        show_all=show_all,
        as_json=as_json,
        unless_none_open=done is not None or reopen is not None,
    )
