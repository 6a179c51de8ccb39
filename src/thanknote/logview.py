"""The ``thanknote log`` table (rich is imported only here).

One heading per interview and one row per note, narrow enough for an
80-column terminal: addresses are never cut, since they are what a user
checks first.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from thanknote.sendlog import Record


def table(records: Sequence[Record]) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for _, group in groupby(records, key=lambda record: record.interview.id):
        rows = list(group)
        interview = rows[0].interview
        zone = interview.display_timezone
        console.print(f"[bold]{interview.company} / {interview.role}[/bold]", highlight=False)
        console.print(f"interview {interview.starts_at.astimezone(zone):%a %d %b %Y %H:%M %Z}",
                      highlight=False)
        kinds = len({record.kind for record in rows}) > 1
        view = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        view.add_column("to", no_wrap=True)
        if kinds:
            view.add_column("kind", no_wrap=True)
        for column in ("status", "sent", "after", "on time"):
            view.add_column(column, no_wrap=True)
        for record in rows:
            sent = ""
            if record.sent_at is not None:
                sent = record.sent_at.astimezone(zone).strftime("%d %b %H:%M")
            hours = record.hours_after_interview
            on_time = {True: "yes", False: "LATE", None: ""}[record.on_time]
            cells = [record.to, *([record.kind] if kinds else []),
                     f"{record.shown_status} ({record.via})", sent,
                     f"{hours:.1f} h" if hours is not None else "", on_time]
            view.add_row(*cells)
        console.print(view)
        console.print()
