"""The ``thanknote log`` table (rich is imported only here)."""

from __future__ import annotations

from collections.abc import Sequence

from thanknote.sendlog import Record


def table(records: Sequence[Record]) -> None:
    from rich.console import Console
    from rich.table import Table

    view = Table(title="thanknote send log")
    for column in ("interview", "kind", "to", "status", "via", "sent", "after", "on time"):
        view.add_column(column)
    for record in records:
        interview = record.interview
        zone = interview.display_timezone
        sent = ""
        if record.sent_at is not None:
            sent = record.sent_at.astimezone(zone).strftime("%a %d %b %H:%M %Z")
        hours = record.hours_after_interview
        on_time = {True: "on time", False: "LATE", None: ""}[record.on_time]
        view.add_row(
            f"{interview.company} / {interview.role}\n"
            f"{interview.starts_at.astimezone(zone):%d %b %Y %H:%M %Z}",
            record.kind, f"{record.name} <{record.to}>", record.shown_status, record.via, sent,
            f"{hours:.1f} h" if hours is not None else "", on_time)
    Console().print(view)
