"""What ``thanknote log`` prints: one block per interview, readable at 80 columns.

Rows stream from the send log one interview at a time, so a log of 100,000
records costs no more memory than one of a hundred, and plain text is written
straight to the output (no table library: its layout pass over every row was
what made a large log slow).

Nothing is ever cut to "…": the reader (name and address) is the last column
and wraps onto continuation lines when it does not fit, and why a note failed
or may have gone out is written under its row. Columns that would say the same
thing on every row of an interview (the kind, the channel) move into the
interview's heading. Bold headings only on a terminal.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable
from datetime import datetime
from json.encoder import encode_basestring as _encode
from pathlib import Path
from typing import TextIO

from thanknote.sendlog import FAILED, UNKNOWN, Attempt, LoggedInterview, Record
from thanknote.timing import ON_TIME_HOURS

THANK_YOU = "thank-you"

STATUS_WIDTH = 7    # drafted, unknown
VIA_WIDTH = 5       # smtp, gmail
WHEN_WIDTH = 12     # 25 Nov 17:00
AFTER_WIDTH = 11    # 132.5 h late
GAP = "  "
INDENT = "  "
NARROWEST = 40


def show(file: Path | None, db: Path | None, *, as_json: bool, out: TextIO) -> None:
    """``thanknote log [FILE] [--json]``: the log at ``db``, or only the interview of ``file``."""
    import shutil

    from thanknote.paths import send_log_path
    from thanknote.sendlog import SendLog

    path = send_log_path(db)
    empty = f"nothing drafted or sent yet (log: {path})\n"
    log = SendLog.existing(path, read_only=True)
    if log is None:
        out.write("[]\n" if as_json else empty)
        return
    with log:
        interview_id = None
        if file is not None:
            from thanknote import loader

            interview_id = log.interview_id(loader.load_interview(file), create=False)
        nothing = file is not None and interview_id is None
        if as_json:
            write_json(() if nothing else log.iter_records(interview_id=interview_id), out)
        elif not write_table(() if nothing else log.attempts_by_interview(
                interview_id=interview_id), out, styled=out.isatty(),
                width=shutil.get_terminal_size().columns):
            out.write(empty)


def write_json(records: Iterable[Record], out: TextIO) -> int:
    """The records as a JSON list, written as they come.

    The same bytes as ``json.dumps(records, indent=2, ensure_ascii=False)``, but
    each record is formatted by hand from the C string encoder: json's indenting
    encoder is pure Python and builds closures per call, which would both cost
    seconds over a large log and, with the collector off for a short command,
    keep every call's cycles alive.
    """
    count = 0
    with _Chunks(out) as chunks:
        for record in records:
            fields = ",\n    ".join(f"{_encode(key)}: {_json_value(value)}"
                                    for key, value in record.as_json().items())
            chunks.add(("[\n  {\n    " if count == 0 else ",\n  {\n    ") + fields + "\n  }")
            count += 1
        chunks.add("\n]\n" if count else "[]\n")
    return count


def _json_value(value: object) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _encode(value)
    if isinstance(value, float):
        return float.__repr__(value)
    if isinstance(value, int):
        return int.__repr__(value)
    return json.dumps(value, ensure_ascii=False)


def write_table(groups: Iterable[tuple[LoggedInterview, list[Attempt]]], out: TextIO, *,
                width: int = 80, styled: bool = False) -> int:
    """Every attempt, one block per interview; returns how many were written."""
    width = max(width, NARROWEST)
    count = 0
    with _Chunks(out) as chunks:
        for interview, attempts in groups:
            chunks.add("\n".join(_block(interview, attempts, width, styled)) + "\n\n")
            count += len(attempts)
    return count


class _Chunks:
    """Writes in pieces of about 64 kB: with PYTHONUNBUFFERED set, every write is a system
    call, and one per interview made a large log several times slower."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.pending: list[str] = []
        self.size = 0

    def add(self, text: str) -> None:
        self.pending.append(text)
        self.size += len(text)
        if self.size >= 65536:
            self.flush()

    def flush(self) -> None:
        self.out.write("".join(self.pending))
        self.pending, self.size = [], 0

    def __enter__(self) -> _Chunks:
        return self

    def __exit__(self, *_: object) -> None:
        self.flush()


def _block(interview: LoggedInterview, attempts: list[Attempt], width: int,
           styled: bool) -> list[str]:
    zone = interview.display_timezone
    start = interview.starts_at.astimezone(zone)
    end = interview.ends_at.astimezone(zone)
    channels = {attempt.via for attempt in attempts}
    title = _wrap(f"{interview.company} / {interview.role}", width)
    if styled:
        title = [f"\033[1m{line}\033[0m" for line in title]
    ended = (f"{end.hour:02d}:{end.minute:02d}" if end.date() == start.date()
             else f"{end:%a %d %b %H:%M}")
    about = (f"interview {_WEEKDAYS[start.weekday()]} {start.day:02d} {_MONTHS[start.month]} "
             f"{start.year} {start.hour:02d}:{start.minute:02d} {start.tzname()}, ended {ended}")
    if len(channels) == 1:
        about += f"; via {next(iter(channels))}"
    lines = [*title, *_wrap(about, width)]

    show_via = len(channels) > 1
    lead = _LEAD_WITH_VIA if show_via else _LEAD
    lines.append(f"{lead}to")
    room = width - len(lead)
    pad = " " * len(lead)
    newest: dict[tuple[str, str], int] = {}
    if any(attempt.status in (FAILED, UNKNOWN) for attempt in attempts):
        newest = {(attempt.kind, attempt.to.casefold()): attempt.id for attempt in attempts}
    parse = datetime.fromisoformat
    ends = interview.ends_at
    blank_after = " " * AFTER_WIDTH + GAP
    ordered = attempts
    if any(attempt.kind != THANK_YOU for attempt in attempts):
        # Thank-you notes first, then the follow-ups under their own line (a follow-up is
        # not judged by the 24 hours, so its "after end" stays empty).
        ordered = sorted(attempts, key=lambda attempt: attempt.kind != THANK_YOU)
    labelled = False
    for attempt in ordered:
        kind, status, sent_at = attempt.kind, attempt.status, attempt.sent_at
        if kind != THANK_YOU and not labelled:
            lines.append(f"{INDENT}follow-up notes:")
            labelled = True
        instant = parse(sent_at or attempt.created_at)
        when = instant.astimezone(zone)
        if sent_at is None or kind != THANK_YOU:
            after = blank_after
        else:
            # The same arithmetic as Record.hours_after_end and send's own line, so that
            # a figure on a rounding edge (20.25 h) reads the same everywhere.
            hours = (instant - ends).total_seconds() / 3600
            after = (f"{hours:.1f} h late" if hours > ON_TIME_HOURS
                     else f"{hours:.1f} h").ljust(AFTER_WIDTH) + GAP
        row = (_STATUS_CELLS.get(status) or INDENT + status.ljust(STATUS_WIDTH) + GAP) + (
            attempt.via.ljust(VIA_WIDTH) + GAP if show_via else "") + (
            f"{when.day:02d} {_MONTHS[when.month]} {when.hour:02d}:{when.minute:02d}{GAP}"
            ) + after
        name, to = attempt.name, attempt.to
        if len(name) + len(to) + 3 <= room:
            lines.append(f"{row}{name} <{to}>" if name else row + to)
        elif name:
            # The address on a line of its own, the name wrapped at spaces: nothing is
            # ever cut, and an address is never broken.
            first, *rest = _wrap(name, room)
            lines.append(row + first)
            lines += [pad + part for part in rest]
            lines.append(f"{pad}<{to}>")
        else:
            lines.append(row + to)
        if status in (FAILED, UNKNOWN):
            latest = newest[(kind, to.casefold())] == attempt.id
            lines += textwrap.wrap(_why(attempt, latest), width,
                                   initial_indent=INDENT * 2, subsequent_indent=INDENT * 3,
                                   break_long_words=False, break_on_hyphens=False)
    return lines


_LEAD = f"{INDENT}{'status':<{STATUS_WIDTH}}{GAP}{'when':<{WHEN_WIDTH}}{GAP}" \
    f"{'after end':<{AFTER_WIDTH}}{GAP}"
_LEAD_WITH_VIA = f"{INDENT}{'status':<{STATUS_WIDTH}}{GAP}{'via':<{VIA_WIDTH}}{GAP}" \
    f"{'when':<{WHEN_WIDTH}}{GAP}{'after end':<{AFTER_WIDTH}}{GAP}"
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_STATUS_CELLS = {status: INDENT + status.ljust(STATUS_WIDTH) + GAP
                 for status in ("sent", "drafted", "failed", "unknown")}
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
           "Dec")


def _wrap(text: str, width: int) -> list[str]:
    if len(text) <= width:
        return [text]
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)


def _why(attempt: Attempt, latest: bool) -> str:
    """Why a note failed or may have gone out, and (for its newest attempt) what to do."""
    if attempt.status == FAILED:
        detail = attempt.error or "the server refused it"
        return f"why: {detail.rstrip('.')}" + ("; the next run sends it again" if latest else "")
    detail = attempt.error or ("an earlier run stopped while sending it (or another run is "
                               "sending it now), so it may have gone out")
    advice = ""
    if latest and attempt.kind == THANK_YOU:
        advice = f"; check your Sent folder, then --resend {attempt.to} if it is not there"
    return f"why: {detail.rstrip('.')}{advice}"
