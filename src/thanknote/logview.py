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

import contextlib
import functools
import textwrap
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from operator import itemgetter
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from thanknote.jsonlist import Chunks, write_json
from thanknote.rules import is_late
from thanknote.sendlog import (
    FOLLOW_UP_NOTE,
    GMAIL,
    STATUS_CODES,
    TIMED,
    Attempt,
    AttemptRow,
    ListedInterview,
)
from thanknote.values import Kind, Status

THANK_YOU, FOLLOW_UP = Kind.THANK_YOU, Kind.FOLLOW_UP

STATUS_WIDTH = 7  # drafted, unknown
VIA_WIDTH = 5  # smtp, gmail
WHEN_WIDTH = 12  # 25 Nov 17:00
AFTER_WIDTH = 11  # 132.5 h late
GAP = "  "
INDENT = "  "
NARROWEST = 40
ZERO = timedelta(0)


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

            interview_id = log.find_interview_id(loader.load_interview(file))
        nothing = file is not None and interview_id is None
        if as_json:
            write_json(() if nothing else log.iter_records(interview_id=interview_id), out)
            return
        # Closed here, while the log is open, also when the output pipe closes early.
        with contextlib.closing(log.attempts_by_interview(interview_id=interview_id)) as groups:
            if not write_table(
                () if nothing else groups,
                out,
                styled=out.isatty(),
                width=shutil.get_terminal_size().columns,
            ):
                out.write(empty)


def write_table(
    groups: Iterable[tuple[ListedInterview, list[AttemptRow]]],
    out: TextIO,
    *,
    width: int = 80,
    styled: bool = False,
) -> int:
    """Every attempt, one block per interview; returns how many were written."""
    width = max(width, NARROWEST)
    count = 0
    with Chunks(out) as chunks:
        for interview, attempts in groups:
            chunks.add(_block(interview, attempts, width, styled))
            count += len(attempts)
    return count


def _block(interview: ListedInterview, attempts: list[AttemptRow], width: int, styled: bool) -> str:
    """One interview's block, blank line included.

    The loop over its attempts runs once per row of the log, so it is written for
    speed: the columns come as plain tuples, the cells that repeat are looked up,
    and each row is one f-string.
    """
    zone = interview.display_timezone
    start = interview.starts_at.astimezone(zone)
    end = interview.ends_at.astimezone(zone)
    codes = set(map(_CODE, attempts))
    channels = {code & GMAIL for code in codes}
    title = f"{interview.company} / {interview.role}"
    lines = [title] if len(title) <= width else _wrap(title, width)
    if styled:
        lines = [f"\033[1m{line}\033[0m" for line in lines]
    ended = (
        f"{end.hour:02d}:{end.minute:02d}"
        if end.date() == start.date()
        else f"{end:%a %d %b %H:%M}"
    )
    about = (
        f"interview {_WEEKDAYS[start.weekday()]} {start.day:02d} {_MONTHS[start.month]} "
        f"{start.year} {start.hour:02d}:{start.minute:02d} {start.tzname()}, ended {ended}"
    )
    show_via = len(channels) > 1
    if not show_via:
        about += f"; via {'gmail' if channels == {GMAIL} else 'smtp'}"
    if len(about) <= width:
        lines.append(about)
    else:
        lines += _wrap(about, width)
    lead = _LEAD_WITH_VIA if show_via else _LEAD
    lines.append(_HEADER_WITH_VIA if show_via else _HEADER)
    room = width - len(lead)
    pad = _PAD_WITH_VIA if show_via else _PAD
    newest: dict[tuple[int, str], int] = {}
    if max(codes) >= _FAILED_CODE:
        newest = {
            (code & FOLLOW_UP_NOTE, to.casefold()): number
            for _, code, _at, _name, to, _error, number in attempts
        }
    # The first cells of a row: status (and channel), looked up rather than padded.
    cells = _CELLS_WITH_VIA if show_via else _CELLS
    parse = datetime.fromisoformat
    ends = interview.ends_at
    months = _MONTHS
    month_of = _MONTH_OF
    # In a UTC interview, "when" is the stored UTC text itself (as thanknote writes it:
    # 2026-11-25T22:00:00[.ffffff]+00:00): no conversion per row.
    utc = _utc.get(zone)
    if utc is None:
        utc = _utc[zone] = _is_utc(zone)
    blank_after = _BLANK_AFTER
    append = lines.append
    labelled = False
    late, after_width, gap, lengths = is_late, AFTER_WIDTH, GAP, _UTC_LENGTHS
    timed, follow_up, failed = TIMED, FOLLOW_UP_NOTE, _FAILED_CODE
    # Thank-you notes come first, then the follow-ups under their own line (a
    # follow-up is not judged by the 24 hours, so its "after end" stays empty).
    for _, code, at, name, to, error, number in attempts:
        if code & follow_up and not labelled:
            append(f"{INDENT}follow-up notes:")
            labelled = True
        instant = parse(at)
        if code & timed:
            # rules.hours_between inlined (once per row), the arithmetic of
            # Record.hours_after_end and send's own line, so that a figure on a rounding
            # edge (20.25 h) reads the same everywhere; lateness is the rules' own.
            hours = (instant - ends).total_seconds() / 3600
            after = (f"{hours:.1f} h late" if late(hours) else f"{hours:.1f} h").ljust(
                after_width
            ) + gap
        else:
            after = blank_after
        if utc and at[4:17:3] == "--T::" and at.endswith("+00:00") and len(at) in lengths:
            row = f"{cells[code >> 2]}{at[8:10]} {month_of[at[5:7]]} {at[11:16]}{gap}{after}"
        else:
            when = instant.astimezone(zone)
            row = (
                f"{cells[code >> 2]}{when.day:02d} {months[when.month]} "
                f"{when.hour:02d}:{when.minute:02d}{gap}{after}"
            )
        if len(name) + len(to) + 3 <= room:
            append(f"{row}{name} <{to}>" if name else row + to)
        elif not name:
            append(row + to)
        elif len(name) <= room:
            # The address on a line of its own: nothing is ever cut, and an address
            # is never broken.
            append(row + name)
            append(f"{pad}<{to}>")
        else:
            # The name wrapped at spaces (a word at a time when there is no room at all).
            first, *rest = _wrap(name, max(room, 1))
            append(row + first)
            lines += [pad + part for part in rest]
            append(f"{pad}<{to}>")
        if code >= failed:  # failed or unknown: why
            latest = newest[(code & FOLLOW_UP_NOTE, to.casefold())] == number
            lines += _wrap_why(
                _why(
                    Status.FAILED if code < _UNKNOWN_CODE else Status.UNKNOWN,
                    FOLLOW_UP if code & FOLLOW_UP_NOTE else THANK_YOU,
                    to,
                    error,
                    latest,
                ),
                width,
            )
    append("\n")
    return "\n".join(lines)


_LEAD = (
    f"{INDENT}{'status':<{STATUS_WIDTH}}{GAP}{'when':<{WHEN_WIDTH}}{GAP}"
    f"{'after end':<{AFTER_WIDTH}}{GAP}"
)
_LEAD_WITH_VIA = (
    f"{INDENT}{'status':<{STATUS_WIDTH}}{GAP}{'via':<{VIA_WIDTH}}{GAP}"
    f"{'when':<{WHEN_WIDTH}}{GAP}{'after end':<{AFTER_WIDTH}}{GAP}"
)
_HEADER, _HEADER_WITH_VIA = f"{_LEAD}to", f"{_LEAD_WITH_VIA}to"
_PAD, _PAD_WITH_VIA = " " * len(_LEAD), " " * len(_LEAD_WITH_VIA)
_BLANK_AFTER = " " * AFTER_WIDTH + GAP
_utc: dict[tzinfo, bool] = {}
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_STATUS_CELLS = {
    status: INDENT + status.ljust(STATUS_WIDTH) + GAP
    for status in ("sent", "drafted", "failed", "unknown")
}
_CODE = itemgetter(Attempt._fields.index("code"))
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_OF = {f"{number:02d}": name for number, name in enumerate(_MONTHS) if number}
_UTC_LENGTHS = (25, 32)  # 2026-11-25T22:00:00+00:00, with .ffffff
_UTC_NAMES = frozenset(
    {
        "UTC",
        "Etc/UTC",
        "Etc/GMT",
        "GMT",
        "Etc/UCT",
        "UCT",
        "Etc/Universal",
        "Universal",
        "Etc/Zulu",
        "Zulu",
    }
)


def _is_utc(zone: tzinfo) -> bool:
    """Whether ``zone`` is UTC all year: ``timezone.utc`` or an IANA name for it."""
    if isinstance(zone, ZoneInfo):
        return zone.key in _UTC_NAMES
    return zone is UTC or (isinstance(zone, timezone) and zone.utcoffset(None) == ZERO)


def _cells(*, via: bool) -> tuple[str, ...]:
    """A row's status cell (and channel cell), by ``Attempt.code >> 2``."""
    cells = [""] * 8
    for status, code in STATUS_CODES.items():
        for channel, bit in (("smtp", 0), ("gmail", GMAIL)):
            cells[(code + bit) >> 2] = _STATUS_CELLS[status] + (
                channel.ljust(VIA_WIDTH) + GAP if via else ""
            )
    return tuple(cells)


_CELLS, _CELLS_WITH_VIA = _cells(via=False), _cells(via=True)
_FAILED_CODE, _UNKNOWN_CODE = STATUS_CODES[Status.FAILED], STATUS_CODES[Status.UNKNOWN]


@functools.lru_cache(maxsize=256)
def _wrap_why(text: str, width: int) -> list[str]:
    """The why line wrapped under its row (many failures share one text: made once each)."""
    return textwrap.wrap(
        text,
        width,
        initial_indent=INDENT * 2,
        subsequent_indent=INDENT * 3,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _wrap(text: str, width: int) -> list[str]:
    if len(text) <= width:
        return [text]
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)


def _why(status: str, kind: str, to: str, error: str | None, latest: bool) -> str:
    """Why a note failed or may have gone out, and (for its newest attempt) what to do."""
    if status == Status.FAILED:
        detail = error or "the server refused it"
        return f"why: {detail.rstrip('.')}" + ("; the next run sends it again" if latest else "")
    detail = error or (
        "an earlier run stopped while sending it (or another run is sending it "
        "now), so it may have gone out"
    )
    advice = ""
    if latest and kind == THANK_YOU:
        advice = f"; check your Sent folder, then --resend {to} if it is not there"
    return f"why: {detail.rstrip('.')}{advice}"
