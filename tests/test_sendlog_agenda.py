"""The agenda read from the send log: the streamed listing says what the built one says."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from thanknote.followups.agenda import agenda, write_json, write_text
from thanknote.model import Interview
from thanknote.render import Note
from thanknote.sendlog import Claim, SendLog
from thanknote.values import Channel, Kind, Purpose, Status

NOW = datetime(2026, 12, 20, 9, 0, tzinfo=UTC)


def interview(number: int, starts: datetime, follow_up_on: date, zone: str = "UTC") -> Interview:
    return Interview(
        company=f"Company {number} Analytical Engines",
        role="Backend Engineer",
        starts_at=starts.astimezone(ZoneInfo(zone)),
        display_timezone=ZoneInfo(zone),
        timezone_name=zone,
        duration_minutes=60,
        follow_up_on=follow_up_on,
        follow_up_with=f"recruiter{number}@example.com",
        fit=None,
        new_information=None,
    )


def deliver(
    log: SendLog,
    interview_id: int,
    to: str,
    status: Status,
    when: datetime,
    *,
    kind: Kind = Kind.THANK_YOU,
    via: Channel = Channel.SMTP,
    message_id: str | None = None,
) -> None:
    note = Note(kind, to, "Ada Example" if kind is Kind.THANK_YOU else "", None, "Hi", "B", "t")
    claim = log.claim(
        interview_id,
        note,
        via=via,
        purpose=Purpose.SEND,
        message_id=message_id or f"<{to}.{when.timestamp()}@example.com>",
        resend=True,
        now=when,
    )
    assert isinstance(claim, Claim)
    if status is not Status.SENDING:
        log.finish(claim.row_id, status, now=when)


@pytest.fixture
def log(tmp_path: Path) -> SendLog:
    """Interviews in every state, two of them at the same start, in two timezones."""
    path = tmp_path / "sends.sqlite3"
    start = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    with SendLog(path) as log:
        ids = [
            log.add_interview(interview(n, start + timedelta(days=n % 4), date(2026, 12, 1 + n)))
            for n in range(8)
        ]
        ids.append(log.add_interview(interview(8, start, date(2026, 12, 2), "America/New_York")))
        ids.append(log.add_interview(interview(9, start, date(2026, 12, 30))))  # waiting
        for number, interview_id in enumerate(ids):
            sent = start + timedelta(hours=3 + number)
            deliver(log, interview_id, f"ada{number}@example.com", Status.SENT, sent)
            deliver(log, interview_id, f"bob{number}@example.com", Status.FAILED, sent)
        deliver(log, ids[1], "ada1@example.com", Status.FAILED, start + timedelta(days=2))
        deliver(log, ids[2], "eve2@example.com", Status.SENDING, start + timedelta(hours=5))
        for number in (3, 4):  # followed up (3: twice, closed)
            for second in range(number - 2):
                deliver(
                    log,
                    ids[number],
                    "recruiter@example.com",
                    Status.SENT if second else Status.UNKNOWN,
                    datetime(2026, 12, 5 + 8 * second, 10, tzinfo=UTC),
                    kind=Kind.FOLLOW_UP,
                    message_id=f"<follow-up.{number}.{second}@example.com>",
                )
        log.mark_done(ids[5], datetime(2026, 12, 10, tzinfo=UTC))
        # Only drafted: a Gmail draft, never sent.
        drafted = log.add_interview(interview(10, start, date(2026, 12, 3)))
        deliver(log, drafted, "ada10@example.com", Status.DRAFTED, start, via=Channel.GMAIL)
    return SendLog(path, read_only=True)


@pytest.mark.parametrize("show_all", [False, True], ids=["today", "--all"])
def test_the_streamed_listing_is_the_built_one(log: SendLog, show_all: bool) -> None:
    with log:
        built = agenda(log, NOW, log_path=log.path)
        out = io.StringIO()
        write_text(log, NOW, out, log_path=log.path, show_all=show_all)
    assert out.getvalue() == built.as_text(show_all=show_all) + "\n"
    assert "needs a follow-up today" in out.getvalue()
    if show_all:
        assert "nothing to send today" in out.getvalue()
    else:
        assert "--all lists them" in out.getvalue()


def test_with_nothing_open_it_says_so_unless_told_not_to(tmp_path: Path) -> None:
    path = tmp_path / "sends.sqlite3"
    with SendLog(path) as log:
        done = log.add_interview(interview(1, NOW - timedelta(days=20), date(2026, 12, 1)))
        log.mark_done(done, NOW)
    with SendLog(path, read_only=True) as log:
        said, quiet = io.StringIO(), io.StringIO()
        write_text(log, NOW, said, log_path=path, show_all=False)
        write_text(log, NOW, quiet, log_path=path, show_all=False, unless_none_open=True)
    assert said.getvalue().startswith("no open interviews in the send log")
    assert quiet.getvalue() == ""


@pytest.mark.parametrize("show_all", [False, True], ids=["today", "--all"])
def test_the_streamed_json_is_the_built_one(log: SendLog, show_all: bool) -> None:
    with log:
        built = agenda(log, NOW, log_path=log.path).as_json(show_all=show_all)
        out = io.StringIO()
        write_json(log, NOW, out, show_all=show_all)
    assert out.getvalue() == json.dumps(built, indent=2, ensure_ascii=False) + "\n"
    assert json.loads(out.getvalue())["interviews"]


def test_the_json_of_a_log_with_nothing_listed(tmp_path: Path) -> None:
    path = tmp_path / "sends.sqlite3"
    SendLog(path).close()
    with SendLog(path, read_only=True) as log:
        out = io.StringIO()
        write_json(log, NOW, out, show_all=False)
    assert out.getvalue() == '{\n  "interviews": [],\n  "not_listed": {}\n}\n'
    out = io.StringIO()
    write_json(None, NOW, out, show_all=True)
    assert json.loads(out.getvalue()) == {"interviews": [], "not_listed": {}}


def test_a_block_reads_as_the_listing_prints_it(log: SendLog) -> None:
    """Times in the interview's zone (stored UTC shown as stored, New York converted), an
    interrupted note as unknown, a follow-up to an address without a name."""
    out = io.StringIO()
    write_text(log, NOW, out, log_path=Path("sends.sqlite3"), show_all=True)
    blocks = out.getvalue().split("\n\n")
    assert (
        "  Company 8 Analytical Engines / Backend Engineer\n"
        "    state:      due: the follow-up date was Wed 02 Dec 2026 (18 days ago)\n"
        "    interview:  Fri 20 Nov 2026 09:00 EST\n"
        "    follow up:  with recruiter8@example.com\n"
        "    notes:      thank-you to Ada Example <ada8@example.com>: sent Fri 20 Nov 2026 "
        "20:00 EST via smtp"
    ) in blocks
    assert (
        "  Company 2 Analytical Engines / Backend Engineer\n"
        "    state:      due: the follow-up date was Thu 03 Dec 2026 (17 days ago)\n"
        "    interview:  Sun 22 Nov 2026 14:00 UTC\n"
        "    follow up:  with recruiter2@example.com\n"
        "    notes:      thank-you to Ada Example <ada2@example.com>: sent Fri 20 Nov 2026 "
        "19:00 UTC via smtp\n"
        "                thank-you to Ada Example <eve2@example.com>: unknown Fri 20 Nov 2026 "
        "19:00 UTC via smtp"
    ) in blocks
    assert (
        "  Company 4 Analytical Engines / Backend Engineer\n"
        "    state:      closed: follow-ups went out on Sat 05 Dec 2026 and Sun 13 Dec 2026; "
        "the protocol stops here\n"
        "    interview:  Fri 20 Nov 2026 14:00 UTC\n"
        "    follow up:  with recruiter4@example.com\n"
        "    notes:      thank-you to Ada Example <ada4@example.com>: sent Fri 20 Nov 2026 "
        "21:00 UTC via smtp\n"
        "                follow-up to recruiter@example.com: unknown Sat 05 Dec 2026 10:00 UTC "
        "via smtp\n"
        "                follow-up to recruiter@example.com: sent Sun 13 Dec 2026 10:00 UTC "
        "via smtp"
    ) in blocks
