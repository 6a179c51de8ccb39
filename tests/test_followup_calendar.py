"""``followups --ics``: reminders a calendar can take back, read back with icalendar."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.test_followups import GRACE, RECRUITER, interview_file, invoke, log_note
from thanknote import followups, loader
from thanknote.render import FOLLOW_UP


def events(path: Path) -> dict[str, Any]:
    import icalendar

    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    assert str(calendar["PRODID"]) == "-//thanknote//follow-up reminders//EN"
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def status(event: Any) -> str:
    return str(event.get("STATUS"))


def at(day: str) -> str:
    return f"{day}T10:00:00-05:00"


@pytest.fixture
def two(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Two open interviews, thank-you notes sent; the clock on the first one's date."""
    first = interview_file(tmp_path, "first.toml", company="First Ltd")
    second = interview_file(
        tmp_path, "second.toml", company="Second Ltd", follow_up_on="2026-12-20"
    )
    log_note(first, GRACE)
    log_note(second, GRACE)
    monkeypatch.setenv("THANKNOTE_NOW", at("2026-12-07"))
    return {"first": first, "second": second}


def uid(path: Path) -> str:
    return followups.calendar_uid(loader.load(path).interview)


def test_an_event_per_open_interview_then_a_cancellation_when_closed(
    two: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "reminders.ics"
    result = invoke("followups", "--ics", str(target))
    assert result.exit_code == 0, result.output
    assert "2 reminder(s), 0 cancellation(s)" in result.stdout
    before = events(target)
    assert set(before) == {uid(two["first"]), uid(two["second"])}
    first = before[uid(two["first"])]
    assert first.decoded("DTSTART") == date(2026, 12, 7) and status(first) == "CONFIRMED"
    assert int(first["SEQUENCE"]) == 0
    assert len(first.walk("VALARM")) == 1

    # The first one's answer came: the same UID comes back cancelled, with a higher SEQUENCE.
    assert invoke("followups", "--done", str(two["first"])).exit_code == 0
    result = invoke("followups", "--ics", str(target))
    assert "1 reminder(s), 1 cancellation(s)" in result.stdout
    after = events(target)
    assert set(after) == set(before)  # stable UIDs
    cancelled = after[uid(two["first"])]
    assert status(cancelled) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) > int(first["SEQUENCE"])
    assert cancelled.decoded("DTSTART") == date(2026, 12, 7)  # the event it takes back
    assert cancelled.walk("VALARM") == []
    unchanged = after[uid(two["second"])]
    assert (status(unchanged), int(unchanged["SEQUENCE"])) == ("CONFIRMED", 0)

    # Written again later: the cancellation stays (a calendar may not have seen it yet),
    # and nothing changed, so no SEQUENCE moves.
    monkeypatch.setenv("THANKNOTE_NOW", at("2027-03-01"))
    assert invoke("followups", "--ics", str(target)).exit_code == 0
    again = events(target)
    assert status(again[uid(two["first"])]) == "CANCELLED"
    assert int(again[uid(two["first"])]["SEQUENCE"]) == int(cancelled["SEQUENCE"])
    # A file written elsewhere long after does not carry the old cancellation.
    elsewhere = tmp_path / "fresh.ics"
    assert invoke("followups", "--ics", str(elsewhere)).exit_code == 0
    assert set(events(elsewhere)) == {uid(two["second"])}


def test_a_follow_up_moves_the_event_to_the_second_date(
    two: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "reminders.ics"
    assert invoke("followups", "--ics", str(target)).exit_code == 0
    first_write = events(target)[uid(two["first"])]
    log_note(two["first"], RECRUITER, kind=FOLLOW_UP, when=at("2026-12-07"))
    assert invoke("followups", "--ics", str(target)).exit_code == 0
    moved = events(target)[uid(two["first"])]
    assert moved.decoded("DTSTART") == date(2026, 12, 14)
    assert int(moved["SEQUENCE"]) > int(first_write["SEQUENCE"])
    assert "a second follow-up is fair from Mon 14 Dec 2026" in str(moved["DESCRIPTION"])
    # The second follow-up closes it: the reminder is cancelled.
    log_note(two["first"], RECRUITER, kind=FOLLOW_UP, when=at("2026-12-14"), message_number=1)
    monkeypatch.setenv("THANKNOTE_NOW", at("2026-12-14"))
    assert invoke("followups", "--ics", str(target)).exit_code == 0
    closed = events(target)[uid(two["first"])]
    assert status(closed) == "CANCELLED" and int(closed["SEQUENCE"]) > int(moved["SEQUENCE"])


@pytest.mark.parametrize(
    "content",
    [
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Someone else//Work//EN\r\nEND:VCALENDAR\r\n",
        b"my notes for the week\n",
        b"",
    ],
)
def test_a_file_thanknote_did_not_write_is_not_replaced(
    two: dict[str, Path], tmp_path: Path, content: bytes
) -> None:
    target = tmp_path / "calendar.ics"
    target.write_bytes(content)
    refused = invoke("followups", "--ics", str(target))
    assert refused.exit_code == 3
    assert "was not written by thanknote" in refused.stderr and "--force" in refused.stderr
    assert target.read_bytes() == content
    forced = invoke("followups", "--ics", str(target), "--force")
    assert forced.exit_code == 0, forced.output
    assert len(events(target)) == 2
    # No temporary file is left beside it.
    assert sorted(p.name for p in tmp_path.glob("*.ics*")) == ["calendar.ics"]


def test_text_json_and_calendar_name_the_same_open_interviews(
    two: dict[str, Path], tmp_path: Path
) -> None:
    import json

    target = tmp_path / "reminders.ics"
    result = invoke("followups", "--all", "--json", "--ics", str(target))
    listed = json.loads(result.stdout)["interviews"]
    assert {item["uid"] for item in listed} == set(events(target))
    assert {item["company"] for item in listed} == {"First Ltd", "Second Ltd"}


def test_reminders_from_another_send_log_are_not_dropped_silently(
    two: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "reminders.ics"
    assert invoke("followups", "--ics", str(target)).exit_code == 0
    written = target.read_bytes()
    monkeypatch.setenv("THANKNOTE_DB", str(tmp_path / "another.sqlite3"))  # no such log
    refused = invoke("followups", "--ics", str(target))
    assert refused.exit_code == 3
    assert "has reminders for 2 interview(s) that are not in the send log" in refused.stderr
    assert "another.sqlite3" in refused.stderr
    assert target.read_bytes() == written
    assert invoke("followups", "--ics", str(target), "--force").exit_code == 0
    assert events(target) == {}
