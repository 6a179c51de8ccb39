"""The send log on its own: migrations, claims, and what ``log --json`` reads from it."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers import write_interview
from thanknote import loader, sendlog
from thanknote.claimant import started
from thanknote.errors import BadInput
from thanknote.model import Interview
from thanknote.render import THANK_YOU, Note
from thanknote.rules import Skip
from thanknote.sendlog import Claim, SendLog, schema
from thanknote.values import Channel, Kind, Purpose, Status

END = datetime(2026, 11, 25, 20, 30, tzinfo=UTC)  # 15:30 -05:00, the default interview's end


def note(to: str = "grace@analytical.example", name: str = "Grace Hopper") -> Note:
    return Note(
        kind=THANK_YOU,
        to=to,
        name=name,
        title=None,
        subject="Thank you",
        body=f"Dear {name}, thank you.",
        template="test",
    )


@pytest.fixture
def interview(tmp_path: Path) -> Interview:
    return loader.load(write_interview(tmp_path)).interview


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def applied(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as db:
        return [tuple(row) for row in db.execute("SELECT name, applied_at FROM migrations")]


# -- migrations ----------------------------------------------------------------------------------


def test_a_fresh_log_is_migrated_and_reopening_applies_nothing(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "sends.sqlite3"
    SendLog(path).close()
    assert {"migrations", "interviews", "notes"} <= tables(path)
    first = applied(path)
    assert [name for name, _ in first] == [
        "001_initial",
        "002_claimed_by",
        "003_threads",
        "004_claimant_started",
    ]
    datetime.fromisoformat(first[0][1])  # when it was applied, as ISO 8601

    SendLog(path).close()
    assert applied(path) == first


def test_a_new_migration_is_applied_once_on_the_next_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "sends.sqlite3"
    SendLog(path).close()
    calls = []

    def add_column(db: sqlite3.Connection) -> None:
        calls.append(1)
        db.execute("ALTER TABLE notes ADD COLUMN reply_to TEXT")

    monkeypatch.setattr(schema, "MIGRATIONS", [*sendlog.MIGRATIONS, ("003_reply_to", add_column)])
    SendLog(path).close()
    SendLog(path).close()
    assert calls == [1]
    assert [name for name, _ in applied(path)] == [
        "001_initial",
        "002_claimed_by",
        "003_threads",
        "004_claimant_started",
        "003_reply_to",
    ]


def test_a_failing_migration_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # All migrations of one open run in one transaction: a failure half-way
    # must not leave a half-built schema that a later open takes as migrated.
    path = tmp_path / "sends.sqlite3"

    def half_way(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half (id INTEGER)")
        raise RuntimeError("migration bug")

    monkeypatch.setattr(schema, "MIGRATIONS", [*sendlog.MIGRATIONS, ("003_half", half_way)])
    with pytest.raises(RuntimeError, match="migration bug"):
        SendLog(path)
    assert tables(path) == set()

    monkeypatch.undo()
    SendLog(path).close()
    assert [name for name, _ in applied(path)] == [
        "001_initial",
        "002_claimed_by",
        "003_threads",
        "004_claimant_started",
    ]
    assert "half" not in tables(path)


def test_a_log_from_the_first_release_is_upgraded_in_place(
    tmp_path: Path, interview: Interview, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "sends.sqlite3"
    monkeypatch.setattr(schema, "MIGRATIONS", sendlog.MIGRATIONS[:1])
    with SendLog(path) as old:
        interview_id = old.add_interview(interview)
        assert interview_id is not None
        old.db.execute(
            "INSERT INTO notes (interview_id, kind, recipient, address, name, subject, body, "
            "status, via, message_id, created_at, updated_at, sent_at) VALUES "
            "(?, 'thank-you', 'grace@analytical.example', 'grace@analytical.example', 'Grace', "
            "'s', 'b', 'sent', 'smtp', '<m@x>', '2026-11-25T22:00:00+00:00', "
            "'2026-11-25T22:00:00+00:00', '2026-11-25T22:00:00+00:00')",
            (interview_id,),
        )
    monkeypatch.undo()
    with SendLog(path) as upgraded:
        (record,) = upgraded.records()
    assert record.status == "sent" and record.claimed_by is None
    assert (record.thread_id, record.in_reply_to) == (None, None)
    assert [name for name, _ in applied(path)] == [
        "001_initial",
        "002_claimed_by",
        "003_threads",
        "004_claimant_started",
    ]


def test_a_file_that_is_not_a_send_log_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database, just some text that is long enough to matter\n" * 20)
    with pytest.raises(BadInput, match="is damaged or not a send log: file is not a database"):
        SendLog(path)


def test_a_log_from_a_newer_thanknote_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    SendLog(path).close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO migrations VALUES ('999_from_the_future', '2030-01-01')")
    with pytest.raises(BadInput, match="written by a newer thanknote .*999_from_the_future"):
        SendLog(path)


def test_sqlite_errors_name_the_log(tmp_path: Path, interview: Interview) -> None:
    from thanknote.errors import DeliveryError

    path = tmp_path / "log.sqlite3"
    with SendLog(path) as log:
        log.db.execute("DROP TABLE notes")
        with pytest.raises(DeliveryError, match=f"the send log {path}: no such table"):
            log.records()


def test_existing_never_creates_a_log(tmp_path: Path) -> None:
    path = tmp_path / "sends.sqlite3"
    assert SendLog.existing(path) is None
    assert not path.exists()


def test_the_log_uses_a_write_ahead_log(tmp_path: Path) -> None:
    with SendLog(tmp_path / "sends.sqlite3") as log:
        assert log.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert log.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


# -- claims ----------------------------------------------------------------------------------------


def test_a_claim_is_written_before_delivery_and_reads_unknown(
    tmp_path: Path, interview: Interview
) -> None:
    with SendLog(tmp_path / "sends.sqlite3") as log:
        interview_id = log.add_interview(interview)
        assert interview_id is not None
        claim = log.claim(
            interview_id,
            note(),
            via="smtp",
            purpose="send",
            message_id="<1@x>",
            resend=False,
            now=END,
        )
        assert isinstance(claim, Claim)
        (record,) = log.records()
        assert record.status == "sending" and record.shown_status == "unknown"
        assert record.as_json()["status"] == "unknown"
        assert record.sent_at is None and record.on_time is None

        # Another run (another connection) cannot claim it while it is in flight.
        with SendLog(log.path) as other:
            again = other.claim(
                interview_id,
                note(),
                via="smtp",
                purpose="send",
                message_id="<2@x>",
                resend=False,
                now=END,
            )
        assert isinstance(again, Skip) and again.status == "unknown"
        assert "--resend grace@analytical.example" in again.reason


def test_claim_rules(tmp_path: Path, interview: Interview) -> None:
    with SendLog(tmp_path / "sends.sqlite3") as log:
        interview_id = log.add_interview(interview)
        assert interview_id is not None

        def claim(resend: bool = False, address: str = "grace@analytical.example") -> Claim | Skip:
            return log.claim(
                interview_id,
                note(address),
                via="smtp",
                purpose="send",
                message_id="<m@x>",
                resend=resend,
                now=END,
            )

        first = claim()
        assert isinstance(first, Claim)
        log.finish(first.row_id, "failed", now=END, error="550 mailbox unavailable")
        retry = claim()  # a failed note may be tried again
        assert isinstance(retry, Claim)
        log.finish(retry.row_id, "sent", now=END + timedelta(minutes=5))
        skipped = claim()
        assert isinstance(skipped, Skip) and skipped.status == "sent"
        # Addresses are compared case-insensitively.
        assert isinstance(claim(address="GRACE@analytical.example"), Skip)
        assert isinstance(claim(resend=True), Claim)
        assert [r.status for r in log.records()] == ["failed", "sent", "sending"]
        assert [r.status for r in log.records(latest_only=True)] == ["sending"]


def test_json_record_fields(tmp_path: Path, interview: Interview) -> None:
    late = END + timedelta(hours=49)
    with SendLog(tmp_path / "sends.sqlite3") as log:
        interview_id = log.add_interview(interview)
        assert interview_id is not None
        for address, when in (
            ("grace@analytical.example", END + timedelta(hours=24)),
            ("alan@analytical.example", late),
        ):
            claim = log.claim(
                interview_id,
                note(address),
                via="smtp",
                purpose="send",
                message_id=f"<{address}>",
                resend=False,
                now=when,
            )
            assert isinstance(claim, Claim)
            log.finish(claim.row_id, "sent", now=when)
        on_time, late_one = (r.as_json() for r in log.records())
    assert {
        "to",
        "status",
        "via",
        "interview_at",
        "sent_at",
        "hours_after_interview",
        "on_time",
        "message_id",
        "gmail_id",
        "kind",
    } <= set(on_time)
    assert on_time["interview_at"] == "2026-11-25T14:00:00-05:00"
    assert on_time["sent_at"] == "2026-11-26T15:30:00-05:00"
    assert on_time["hours_after_interview"] == 25.5 and on_time["on_time"] is True
    assert late_one["sent_at"] == "2026-11-27T16:30:00-05:00"
    assert late_one["hours_after_interview"] == 50.5 and late_one["on_time"] is False
    assert late_one["message_id"] == "<alan@analytical.example>"
    assert late_one["gmail_id"] is None and late_one["kind"] == "thank-you"
    assert late_one["via"] == "smtp" and late_one["status"] == "sent"


def test_a_gmail_send_another_live_run_is_making_is_not_taken_over(
    tmp_path: Path, interview: Interview
) -> None:
    """A row in 'sending' with a draft is resumed only once its claimant has gone."""
    import socket
    import subprocess
    import sys

    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    now = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)
    try:
        with SendLog(tmp_path / "log.sqlite3") as log:
            interview_id = log.add_interview(interview)
            assert interview_id is not None
            claim = log.claim(
                interview_id,
                note(),
                via="gmail",
                purpose="send",
                message_id="<m@x>",
                resend=False,
                now=now,
            )
            assert isinstance(claim, Claim)
            log.set_gmail_id(claim.row_id, "r-1")
            log.db.execute(
                "UPDATE notes SET claimed_by = ?, claimant_started = ? WHERE id = ?",
                (f"{socket.gethostname()}:{other.pid}", started(other.pid), claim.row_id),
            )
            busy = log.claim(
                interview_id,
                note(),
                via="gmail",
                purpose="send",
                message_id="<m2@x>",
                resend=False,
                now=now,
            )
            assert isinstance(busy, Skip)
            assert busy.reason == f"being sent by process {other.pid}; run again when it finishes"
            assert busy.status == "unknown"
            other.kill()
            other.wait()
            resumed = log.claim(
                interview_id,
                note(),
                via="gmail",
                purpose="send",
                message_id="<m3@x>",
                resend=False,
                now=now,
            )
            assert isinstance(resumed, Claim) and resumed.gmail_id == "r-1"
    finally:
        other.kill()
        other.wait()


def test_a_claim_whose_process_id_now_belongs_to_another_process_is_resumed(
    tmp_path: Path, interview: Interview
) -> None:
    """After a reboot the claimant's id may be a long-lived program's: its start time differs."""
    import socket
    import subprocess
    import sys

    if started(1) is None:
        pytest.skip("this system does not say when a process started (no /proc)")
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    now = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)
    try:
        with SendLog(tmp_path / "log.sqlite3") as log:
            interview_id = log.add_interview(interview)
            assert interview_id is not None
            claim = log.claim(
                interview_id,
                note(),
                via="gmail",
                purpose="send",
                message_id="<m@x>",
                resend=False,
                now=now,
            )
            assert isinstance(claim, Claim)
            log.set_gmail_id(claim.row_id, "r-1")
            # The claim names a running process id, but one that started at another time.
            log.db.execute(
                "UPDATE notes SET claimed_by = ?, claimant_started = ? WHERE id = ?",
                (f"{socket.gethostname()}:{other.pid}", f"{started(1)}0", claim.row_id),
            )
            resumed = log.claim(
                interview_id,
                note(),
                via="gmail",
                purpose="send",
                message_id="<m2@x>",
                resend=False,
                now=now,
            )
            assert isinstance(resumed, Claim) and resumed.gmail_id == "r-1"
            assert resumed.resumed_status == "sending"
    finally:
        other.kill()
        other.wait()


# -- stored values -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "via", "purpose", "status"),
    [
        pytest.param(Kind.THANK_YOU, Channel.GMAIL, Purpose.SEND, Status.SENT, id="members"),
        pytest.param("thank-you", "gmail", "send", "sent", id="plain strings"),
    ],
)
def test_stored_values_are_the_same_text_whether_given_members_or_strings(
    tmp_path: Path, interview: Interview, kind: str, via: str, purpose: str, status: str
) -> None:
    path = tmp_path / "sends.sqlite3"
    with SendLog(path) as log:
        interview_id = log.add_interview(interview)
        claim = log.claim(
            interview_id,
            replace(note(), kind=kind),
            via=via,
            purpose=purpose,
            message_id="<1@x>",
            resend=False,
            now=END,
        )
        assert isinstance(claim, Claim)
        log.finish(claim.row_id, status, now=END + timedelta(hours=2), gmail_id="m1")
        (record,) = log.records()
        # What the log hands back carries the members, which equal the stored text.
        assert (record.kind, record.via, record.status) == (
            Kind.THANK_YOU,
            Channel.GMAIL,
            Status.SENT,
        )
        assert record.kind is Kind.THANK_YOU and record.status is Status.SENT
        assert record.shown_status is Status.SENT
    with sqlite3.connect(path) as db:
        raw = db.execute(
            "SELECT kind, typeof(kind), status, typeof(status), via, typeof(via), recipient, "
            "created_at, sent_at FROM notes"
        ).fetchone()
    assert raw == (
        "thank-you",
        "text",
        "sent",
        "text",
        "gmail",
        "text",
        "grace@analytical.example",
        "2026-11-25T20:30:00+00:00",
        "2026-11-25T22:30:00+00:00",
    )
    # log --json's keys and values, in their order, as before the members existed.
    assert json.dumps(record.as_json()) == (
        '{"to": "grace@analytical.example", "name": "Grace Hopper", "status": "sent", '
        '"via": "gmail", "kind": "thank-you", "company": "Analytical Engines Ltd", '
        '"role": "Senior Backend Engineer", "subject": "Thank you", '
        '"interview_at": "2026-11-25T14:00:00-05:00", '
        '"sent_at": "2026-11-25T17:30:00-05:00", "hours_after_interview": 3.5, '
        '"hours_after_end": 2.0, "on_time": true, "message_id": "<1@x>", "gmail_id": "m1", '
        '"thread_id": null, "in_reply_to": null, "error": null}'
    )
