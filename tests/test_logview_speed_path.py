"""``thanknote log``'s fast listing against the straightforward one, on awkward data.

``logview.write_table`` reads plain tuples (``SendLog.attempts_by_interview``) and
takes shortcuts (cells looked up, a UTC time read from its stored text, why-lines
wrapped once per text). The reference below formats the same log the plain way, from
``SendLog.records()`` (every column, ``Record.hours_after_end``, a datetime per row),
as ``log`` did before the fast path; the two must agree byte for byte.
"""

from __future__ import annotations

import io
import sqlite3
import textwrap
from datetime import UTC, datetime, timedelta, timezone
from itertools import groupby
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from thanknote import logview
from thanknote.model import Interview
from thanknote.render import FOLLOW_UP, THANK_YOU, Note
from thanknote.rules import ON_TIME_HOURS
from thanknote.sendlog import Record, SendLog

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def reference(records: list[Record], width: int) -> str:
    """The listing formatted the straightforward way (the code ``log`` had before)."""
    width = max(width, logview.NARROWEST)
    blocks = []
    for _, group in groupby(records, key=lambda record: record.interview.id):
        blocks.append("\n".join(_reference_block(list(group), width)) + "\n\n")
    return "".join(blocks)


def _reference_block(records: list[Record], width: int) -> list[str]:
    interview = records[0].interview
    zone = interview.display_timezone
    start = interview.starts_at.astimezone(zone)
    end = interview.ends_at.astimezone(zone)
    channels = {record.via for record in records}
    lines = _wrap(f"{interview.company} / {interview.role}", width)
    ended = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%a %d %b %H:%M}"
    about = f"interview {start:%a %d %b %Y %H:%M} {start.tzname()}, ended {ended}"
    if len(channels) == 1:
        about += f"; via {next(iter(channels))}"
    lines += _wrap(about, width)
    via_column = len(channels) > 1
    lead = "  status   " + ("via    " if via_column else "") + "when          after end    "
    lines.append(f"{lead}to")
    room = width - len(lead)
    newest = {(record.kind, record.to.casefold()): record.id for record in records}
    ordered = sorted(records, key=lambda record: record.kind != THANK_YOU)
    labelled = False
    for record in ordered:
        status = record.shown_status
        if record.kind != THANK_YOU and not labelled:
            lines.append("  follow-up notes:")
            labelled = True
        when = (record.sent_at or record.created_at).astimezone(zone)
        hours = record.hours_after_end
        if hours is None or record.kind != THANK_YOU:
            after = ""
        else:
            after = f"{hours:.1f} h" + (" late" if hours > ON_TIME_HOURS else "")
        row = (
            f"  {status:<7}  "
            + (f"{record.via:<5}  " if via_column else "")
            + f"{when:%d %b %H:%M}  {after:<11}  "
        )
        if len(record.name) + len(record.to) + 3 <= room:
            lines.append(f"{row}{record.name} <{record.to}>" if record.name else row + record.to)
        elif record.name:
            first, *rest = _wrap(record.name, max(room, 1))
            lines += [
                row + first,
                *(" " * len(lead) + part for part in rest),
                f"{' ' * len(lead)}<{record.to}>",
            ]
        else:
            lines.append(row + record.to)
        if status in ("failed", "unknown"):
            latest = newest[(record.kind, record.to.casefold())] == record.id
            lines += textwrap.wrap(
                _why(record, status, latest),
                width,
                initial_indent="    ",
                subsequent_indent="      ",
                break_long_words=False,
                break_on_hyphens=False,
            )
    return lines


def _wrap(text: str, width: int) -> list[str]:
    return (
        textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)
        if len(text) > width
        else [text]
    )


def _why(record: Record, status: str, latest: bool) -> str:
    if status == "failed":
        return f"why: {(record.error or 'the server refused it').rstrip('.')}" + (
            "; the next run sends it again" if latest else ""
        )
    detail = record.error or (
        "an earlier run stopped while sending it (or another run is "
        "sending it now), so it may have gone out"
    )
    advice = (
        f"; check your Sent folder, then --resend {record.to} if it is not there"
        if latest and record.kind == THANK_YOU
        else ""
    )
    return f"why: {detail.rstrip('.')}{advice}"


def _interview(
    log: SendLog,
    number: int,
    starts: datetime,
    zone: timezone | ZoneInfo,
    name: str | None,
    minutes: int = 60,
) -> int:
    interview = Interview(
        company=f"Société Générale d'Essai {number}",
        role="Ingénieure logicielle senior",
        starts_at=starts,
        display_timezone=zone,
        timezone_name=name,
        duration_minutes=minutes,
        follow_up_on=(starts + timedelta(days=10)).date(),
        follow_up_with=f"recruiter{number}@example.com",
        fit=None,
        new_information=None,
    )
    interview_id = log.add_interview(interview)
    assert interview_id is not None
    return interview_id


def _send(
    log: SendLog,
    interview_id: int,
    to: str,
    name: str,
    when: datetime,
    status: str,
    *,
    kind: str = THANK_YOU,
    via: str = "smtp",
    error: str | None = None,
) -> None:
    note = Note(
        kind=kind,
        to=to,
        name=name,
        title=None,
        subject="Thank you",
        body="Thank you.",
        template="test",
    )
    claim = log.claim(
        interview_id,
        note,
        via=via,
        purpose="send",
        resend=True,
        message_id=f"<{to}.{when.timestamp()}@test.example>",
        now=when,
    )
    assert not hasattr(claim, "reason"), claim
    if status != "sending":
        log.finish(claim.row_id, status, now=when, error=error)


@pytest.fixture
def awkward_log(tmp_path: Path) -> Path:
    """Rounding edges, every status, follow-ups, non-ASCII and long names and addresses,
    UTC, IANA and fixed-offset zones, an interview past midnight, a hand-edited time."""
    path = tmp_path / "sends.sqlite3"
    log = SendLog(path)
    try:
        # UTC: 20.25 h (exact in binary: rounds to even), 20.35 h (not exact), 24 h on the
        # dot (on time), a microsecond past 24 h (late), before the end (-0.0 h).
        start = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
        end = start + timedelta(hours=1)
        first = _interview(log, 1, start, ZoneInfo("UTC"), "UTC")
        for seat, after in enumerate(
            [
                timedelta(hours=20.25),
                timedelta(hours=20.35),
                timedelta(hours=24),
                timedelta(hours=24, microseconds=1),
                timedelta(minutes=-2),
                timedelta(hours=0.05),
                timedelta(hours=0.15, microseconds=-1),
            ]
        ):
            _send(
                log,
                first,
                f"reader{seat}@example.com",
                f"Reader {seat}",
                end + after,
                "sent",
                via="gmail" if seat == 3 else "smtp",
            )
        # Every status, one reader tried twice, a follow-up that failed then went out.
        _send(
            log,
            first,
            "Zoe@Example.com",
            "Zoë Müller-Lüdenscheidt",
            end + timedelta(hours=2),
            "failed",
            error="smtp.example.com answered 550 5.1.1 mailbox unavailable.",
        )
        _send(
            log,
            first,
            "zoe@example.com",
            "Zoë Müller-Lüdenscheidt",
            end + timedelta(hours=3),
            "failed",
        )
        _send(
            log,
            first,
            "taro@example.jp",
            "山田 太郎",
            end + timedelta(hours=4),
            "unknown",
            error="the connection was lost after DATA",
        )
        _send(log, first, "ada@example.com", "", end + timedelta(hours=5), "drafted", via="gmail")
        _send(
            log,
            first,
            "recruiter1@example.com",
            "",
            end + timedelta(days=10),
            "failed",
            kind=FOLLOW_UP,
            error="421 try again later",
        )
        _send(
            log,
            first,
            "recruiter1@example.com",
            "",
            end + timedelta(days=10, hours=1),
            "sent",
            kind=FOLLOW_UP,
        )
        _send(log, first, "left@example.com", "Left Sending", end + timedelta(hours=6), "sending")

        # New York across the DST change, one channel; a long name and a long address.
        start = datetime(2026, 10, 31, 21, 0, tzinfo=UTC)
        second = _interview(log, 2, start, NEW_YORK, "America/New_York", minutes=45)
        long_name = "Maria-Antonietta de los Ángeles Fernández-Villaverde y Castellanos"
        long_to = (
            "maria-antonietta.de-los-angeles.fernandez-villaverde@"
            "recruiting.subsidiary.international.example.com"
        )
        _send(log, second, long_to, long_name, start + timedelta(days=1, hours=7), "sent")
        _send(
            log,
            second,
            "grace@example.com",
            "Grace Hopper",
            start + timedelta(hours=48, minutes=46),
            "sent",
        )

        # Berlin, ending past midnight; a fixed offset without an IANA name; the same
        # start instant twice (ordered by id).
        late = datetime(2026, 3, 28, 22, 30, tzinfo=UTC)
        third = _interview(log, 3, late, BERLIN, "Europe/Berlin", minutes=120)
        _send(
            log,
            third,
            "night@example.de",
            "Nacht Eule",
            late + timedelta(hours=26),
            "sent",
            via="gmail",
        )
        india = timezone(timedelta(hours=5, minutes=30))
        fourth = _interview(log, 4, late, india, None)
        fifth = _interview(log, 5, late, UTC, None)
        for interview_id in (fourth, fifth):
            _send(
                log,
                interview_id,
                "same@example.in",
                "Same Start",
                late + timedelta(hours=23, minutes=59, seconds=59),
                "sent",
            )
    finally:
        log.close()
    # A time written by hand with another offset (not thanknote's own UTC text).
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE notes SET sent_at = '2026-11-26T10:15:00-05:00' "
            "WHERE address = 'reader6@example.com'"
        )
    return path


@pytest.mark.parametrize("width", [40, 52, 64, 80, 100, 160])
def test_the_fast_listing_matches_the_straightforward_one(awkward_log: Path, width: int) -> None:
    with SendLog(awkward_log, read_only=True) as log:
        expected = reference(log.records(), width)
        out = io.StringIO()
        count = logview.write_table(log.attempts_by_interview(), out, width=width)
    assert count == 19  # every attempt of the fixture
    assert out.getvalue() == expected
    text = out.getvalue()
    # The awkward values are there, so the comparison covered them.
    for figure in ("20.2 h", "20.4 h", "24.0 h ", "24.0 h late", "-0.0 h", " 0.1 h"):
        assert figure in text
    assert "山田" in text and "太郎" in text and "follow-up notes:" in text and "why:" in text


def test_one_interview_lists_alone(awkward_log: Path) -> None:
    with SendLog(awkward_log, read_only=True) as log:
        [*_, (second, _)] = [
            (records[0].interview.id, records)
            for _, group in groupby(log.records(), key=lambda record: record.interview.id)
            for records in [list(group)]
        ]
        expected = reference(log.records(interview_id=second), 80)
        out = io.StringIO()
        logview.write_table(log.attempts_by_interview(interview_id=second), out)
    assert out.getvalue() == expected
    assert out.getvalue().count("interview ") == 1
