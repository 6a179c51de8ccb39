"""Follow-ups: the agenda, calendar reminders, closing an interview, and the follow-up note.

The send log is filled either directly (claim/finish, as the batch does) or by
running ``send --via smtp`` against the real SMTP test server; the follow-up
note goes out through the same server, so the tests read what a mail server
received.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import thanknote_executable
from tests.helpers import write_interview
from tests.smtp_server import DEFAULT_PASSWORD, SMTPTestServer
from thanknote import followups, loader
from thanknote.cli import app
from thanknote.followups import note as note_module
from thanknote.message import build
from thanknote.model import InterviewFile
from thanknote.render import FOLLOW_UP, THANK_YOU, Note
from thanknote.sendlog import Claim, SendLog

runner = CliRunner()

RECRUITER = "recruiter@analytical.example"
GRACE = "grace@analytical.example"
ALAN = "alan@analytical.example"
# The helpers' interview: Wednesday 25 November 2026, 14:00-15:30 in New York.
INTERVIEW_DAY = "Wednesday, November 25"
AFTER_SENDING = "2026-11-25T17:00:00-05:00"
FOLLOW_UP_ON = "2026-12-07"
TWO_DAYS_LATE = "2026-12-09T10:00:00-05:00"
TOO_SOON = "2026-12-01T10:00:00-05:00"


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


def db_path() -> Path:
    return Path(os.environ["THANKNOTE_DB"])


def interview_file(
    directory: Path,
    name: str = "interview.toml",
    *,
    company: str = "Analytical Engines Ltd",
    follow_up_on: str = FOLLOW_UP_ON,
    follow_up_with: str | None = RECRUITER,
    **interview: Any,
) -> Path:
    fields = {
        "company": company,
        "follow_up_on": follow_up_on,
        "follow_up_with": follow_up_with,
        **interview,
    }
    return write_interview(directory, name, interview=fields)


def log_note(
    path: Path,
    to: str,
    *,
    status: str = "sent",
    kind: str = THANK_YOU,
    via: str = "smtp",
    when: str = AFTER_SENDING,
    gmail_id: str | None = None,
    message_number: int = 0,
) -> None:
    """Record one note the way the batch does: claim before delivery, finish after."""
    loaded = loader.load(path)
    person = loaded.interviewer(to)
    note = Note(
        kind=kind,
        to=to,
        name=person.name if person else "",
        title=None,
        subject="Thank you",
        body=f"A note to {to} about {loaded.interview.company}.\n",
        template="test",
    )
    moment = datetime.fromisoformat(when)
    with SendLog(db_path()) as log:
        interview_id = log.add_interview(loaded.interview, path)
        assert interview_id is not None
        claim = log.claim(
            interview_id,
            note,
            via=via,
            purpose="send",
            message_id=f"<{len(to)}.{kind}.{message_number}@example.com>",
            resend=True,
            now=moment,
        )
        assert isinstance(claim, Claim), claim
        if status != "sending":
            log.finish(claim.row_id, status, now=moment, gmail_id=gmail_id)


def follow_up_rows() -> list[dict[str, Any]]:
    result = invoke("log", "--json")
    assert result.exit_code == 0, result.output
    return [r for r in json.loads(result.stdout) if r["kind"] == FOLLOW_UP]


@pytest.fixture
def three_interviews(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """One due two days ago, one due in eleven days, one closed; the clock two days late."""
    due = interview_file(tmp_path, "due.toml", company="Analytical Engines Ltd")
    log_note(due, GRACE)
    log_note(due, ALAN, status="drafted", via="gmail", gmail_id="r-17")
    upcoming = interview_file(
        tmp_path,
        "upcoming.toml",
        company="Difference Engines plc",
        follow_up_on="2026-12-20",
        follow_up_with=None,
    )
    log_note(upcoming, GRACE)
    closed = interview_file(
        tmp_path, "closed.toml", company="Babbage and Sons", follow_up_on="2026-12-01"
    )
    log_note(closed, GRACE)
    with SendLog(db_path()) as log:
        found = log.find_interview(loader.load(closed).interview)
        assert found is not None
        log.mark_done(found.id, datetime.fromisoformat("2026-12-02T09:00:00-05:00"))
    monkeypatch.setenv("THANKNOTE_NOW", TWO_DAYS_LATE)
    return {"due": due, "upcoming": upcoming, "closed": closed}


# -- the agenda --------------------------------------------------------------------------------


def test_lists_only_due_interviews_with_their_notes(three_interviews: dict[str, Path]) -> None:
    result = invoke("followups")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "needs a follow-up today (1):" in out
    assert "Analytical Engines Ltd / Senior Backend Engineer" in out
    assert "state:      due: the follow-up date was Mon 07 Dec 2026 (2 days ago)" in out
    assert "follow up:  with recruiter@analytical.example" in out
    assert "thank-you to Grace Hopper <grace@analytical.example>: sent" in out
    assert "thank-you to Alan Turing <alan@analytical.example>: drafted" in out
    # The suggested command names the channel the sent thank-you notes used.
    assert f"thanknote followup {three_interviews['due'].resolve()} --via smtp" in out
    assert "Difference Engines" not in out and "Babbage" not in out
    assert "(1 waiting; --all lists them)" in out


def test_all_lists_upcoming_apart_and_never_closed_ones(three_interviews: dict[str, Path]) -> None:
    out = invoke("followups", "--all").stdout
    due_part, _, upcoming_part = out.partition("nothing to send today (1):")
    assert "Analytical Engines" in due_part and "Difference Engines" not in due_part
    assert "Difference Engines plc / Senior Backend Engineer" in upcoming_part
    assert "waiting: follow up on Sun 20 Dec 2026 (in 11 days)" in upcoming_part
    assert "with grace@analytical.example" in upcoming_part
    assert "--all lists them" not in out
    assert "Babbage" not in out


def test_json_has_iso_dates_days_and_notes(three_interviews: dict[str, Path]) -> None:
    result = invoke("followups", "--json", "--all")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    due, upcoming = data["interviews"]
    assert due["company"] == "Analytical Engines Ltd"
    assert due["role"] == "Senior Backend Engineer"
    assert due["interview_at"] == "2026-11-25T14:00:00-05:00"
    assert due["follow_up_on"] == "2026-12-07"
    assert (due["state"], due["next_on"]) == ("due", "2026-12-07")
    assert due["followed_up_on"] == [] and due["closed_on"] is None
    assert due["follow_up_with"] == RECRUITER
    assert due["via"] == "smtp"
    assert due["file"] == str(three_interviews["due"].resolve())
    assert due["next"] == f"thanknote followup {three_interviews['due'].resolve()} --via smtp"
    assert due["notes"] == [
        {
            "to": GRACE,
            "name": "Grace Hopper",
            "kind": "thank-you",
            "status": "sent",
            "via": "smtp",
            "sent_at": "2026-11-25T17:00:00-05:00",
            "logged_at": "2026-11-25T17:00:00-05:00",
        },
        {
            "to": ALAN,
            "name": "Alan Turing",
            "kind": "thank-you",
            "status": "drafted",
            "via": "gmail",
            "sent_at": None,
            "logged_at": "2026-11-25T17:00:00-05:00",
        },
    ]
    assert upcoming["company"] == "Difference Engines plc"
    assert (upcoming["state"], upcoming["next_on"]) == ("waiting", "2026-12-20")
    assert upcoming["next"] is None
    assert upcoming["follow_up_with"] == GRACE  # the default: the first interviewer
    assert data["not_listed"] == {}
    without_all = json.loads(invoke("followups", "--json").stdout)
    assert [item["company"] for item in without_all["interviews"]] == ["Analytical Engines Ltd"]
    assert without_all["not_listed"] == {"waiting": 1}


def test_due_and_upcoming_are_ordered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for company, on in [
        ("Later Ltd", "2026-12-30"),
        ("Overdue Ltd", "2026-12-03"),
        ("Sooner Ltd", "2026-12-12"),
        ("Today Ltd", "2026-12-09"),
    ]:
        log_note(
            interview_file(tmp_path, f"{company}.toml", company=company, follow_up_on=on), GRACE
        )
    monkeypatch.setenv("THANKNOTE_NOW", TWO_DAYS_LATE)
    data = json.loads(invoke("followups", "--json", "--all").stdout)
    assert [(d["company"], d["state"], d["next_on"]) for d in data["interviews"]] == [
        ("Overdue Ltd", "due", "2026-12-03"),
        ("Today Ltd", "due", "2026-12-09"),
        ("Sooner Ltd", "waiting", "2026-12-12"),
        ("Later Ltd", "waiting", "2026-12-30"),
    ]
    assert "(today)" in invoke("followups").stdout


def test_today_is_the_interview_timezone_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_interview(
        tmp_path,
        interview={
            "starts_at": "2026-11-25T10:00:00",
            "timezone": "America/Los_Angeles",
            "follow_up_on": "2026-12-07",
        },
    )
    log_note(path, GRACE, when="2026-11-25T12:00:00-08:00")
    # 23:00 on the 6th in Los Angeles, already the 7th in UTC: not due yet.
    monkeypatch.setenv("THANKNOTE_NOW", "2026-12-07T07:00:00+00:00")
    data = json.loads(invoke("followups", "--json", "--all").stdout)
    (item,) = data["interviews"]
    assert item["state"] == "waiting" and "(tomorrow)" in invoke("followups", "--all").stdout
    assert item["interview_at"] == "2026-11-25T10:00:00-08:00"
    monkeypatch.setenv("THANKNOTE_NOW", "2026-12-07T08:00:00+00:00")  # midnight there
    data = json.loads(invoke("followups", "--json").stdout)
    assert data["interviews"][0]["state"] == "due"


def test_a_failed_resend_does_not_hide_what_went_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = interview_file(tmp_path)
    log_note(path, GRACE)
    log_note(path, GRACE, status="failed", when="2026-11-26T09:00:00-05:00")
    monkeypatch.setenv("THANKNOTE_NOW", TWO_DAYS_LATE)
    (due,) = json.loads(invoke("followups", "--json").stdout)["interviews"]
    assert [(n["to"], n["status"], n["sent_at"]) for n in due["notes"]] == [
        (GRACE, "sent", "2026-11-25T17:00:00-05:00")
    ]


def test_no_log_says_so_and_creates_nothing() -> None:
    result = invoke("followups", "--all")
    assert result.exit_code == 0, result.output
    assert "no open interviews in the send log" in result.stdout
    assert json.loads(invoke("followups", "--json").stdout) == {"interviews": [], "not_listed": {}}
    assert not db_path().exists()


# -- calendar ----------------------------------------------------------------------------------


def read_calendar(path: Path) -> Any:
    import icalendar

    return icalendar.Calendar.from_ical(path.read_bytes())


def test_ics_has_one_all_day_event_per_open_interview(
    three_interviews: dict[str, Path], tmp_path: Path
) -> None:
    target = tmp_path / "reminders.ics"
    result = invoke("followups", "--ics", str(target))
    assert result.exit_code == 0, result.output
    # The interview closed a week ago gets a cancellation, in case a calendar has its reminder.
    assert f"wrote {target}: 2 reminder(s), 1 cancellation(s)" in result.stdout
    raw = target.read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    cal = read_calendar(target)
    assert str(cal["VERSION"]) == "2.0" and "thanknote" in str(cal["PRODID"])
    (cancelled,) = [e for e in cal.walk("VEVENT") if str(e.get("STATUS")) == "CANCELLED"]
    assert "Babbage and Sons" in str(cancelled["SUMMARY"])
    events = {
        str(e["SUMMARY"]): e for e in cal.walk("VEVENT") if str(e.get("STATUS")) != "CANCELLED"
    }
    # Due and not yet due alike (a calendar is for the future); the closed one is left out.
    assert set(events) == {
        "Follow up: Senior Backend Engineer at Analytical Engines Ltd",
        "Follow up: Senior Backend Engineer at Difference Engines plc",
    }
    due = events["Follow up: Senior Backend Engineer at Analytical Engines Ltd"]
    assert due.decoded("DTSTART") == date(2026, 12, 7)
    assert due.decoded("DTEND") == date(2026, 12, 8)
    assert b"DTSTART;VALUE=DATE:20261207" in raw
    assert due.decoded("DTSTAMP") == datetime(2026, 12, 9, 15, 0, tzinfo=UTC)
    description = str(due["DESCRIPTION"])
    assert RECRUITER in description
    assert f"thanknote followup {three_interviews['due'].resolve()} --via smtp" in description
    assert "thank-you to Grace Hopper <grace@analytical.example>: sent" in description
    assert str(three_interviews["due"].resolve()) in description
    (alarm,) = due.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == timedelta(hours=9)
    assert len({str(e["UID"]) for e in events.values()}) == 2


def test_ics_uids_are_stable_across_writes(
    three_interviews: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "a.ics", tmp_path / "b.ics"
    assert invoke("followups", "--ics", str(first)).exit_code == 0
    # A week later, after the file moved its follow-up date: same UIDs, new date.
    interview_file(
        tmp_path, "due.toml", company="Analytical Engines Ltd", follow_up_on="2026-12-18"
    )
    log_note(three_interviews["due"], GRACE)
    monkeypatch.setenv("THANKNOTE_NOW", "2026-12-16T10:00:00-05:00")
    assert invoke("followups", "--ics", str(second)).exit_code == 0

    def by_uid(path: Path) -> dict[str, Any]:
        return {str(e["UID"]): e for e in read_calendar(path).walk("VEVENT")}

    before, after = by_uid(first), by_uid(second)
    assert set(before) == set(after)
    uid = followups.calendar_uid(loader.load(three_interviews["due"]).interview)
    assert uid.endswith("@thanknote") and uid in before
    assert before[uid].decoded("DTSTART") == date(2026, 12, 7)
    assert after[uid].decoded("DTSTART") == date(2026, 12, 18)


def test_uid_is_the_interview_identity(tmp_path: Path) -> None:
    path = interview_file(tmp_path)
    log_note(path, GRACE)
    interview = loader.load(path).interview
    with SendLog(db_path()) as log:
        logged = log.find_interview(interview)
    assert logged is not None
    assert followups.calendar_uid(logged) == followups.calendar_uid(interview)
    moved = interview_file(tmp_path, "moved.toml", starts_at="2026-11-25T15:00:00-05:00")
    other_role = interview_file(tmp_path, "role.toml", role="Staff Engineer")
    uids = {followups.calendar_uid(loader.load(p).interview) for p in (path, moved, other_role)}
    assert len(uids) == 3
    # The same instant written in another offset is the same interview.
    same = interview_file(tmp_path, "utc.toml", starts_at="2026-11-25T19:00:00Z")
    assert followups.calendar_uid(loader.load(same).interview) == followups.calendar_uid(interview)


def test_ics_write_failure_is_bad_input(three_interviews: dict[str, Path], tmp_path: Path) -> None:
    result = invoke("followups", "--ics", str(tmp_path / "missing" / "r.ics"))
    assert result.exit_code == 2
    assert "cannot write" in result.stderr


# -- closing -----------------------------------------------------------------------------------


def test_done_closes_an_interview(three_interviews: dict[str, Path]) -> None:
    due = str(three_interviews["due"])
    result = invoke("followups", "--done", due)
    assert result.exit_code == 0, result.output
    assert "closed Analytical Engines Ltd / Senior Backend Engineer" in result.stdout
    assert "no follow-ups due today" in result.stdout
    listed = json.loads(invoke("followups", "--json", "--all").stdout)["interviews"]
    assert [item["company"] for item in listed] == ["Difference Engines plc"]
    again = invoke("followups", "--done", due)
    assert again.exit_code == 0
    assert "was already closed on Wed 09 Dec 2026" in again.stdout


def test_done_with_json_keeps_stdout_json(three_interviews: dict[str, Path]) -> None:
    result = invoke("followups", "--done", str(three_interviews["due"]), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"interviews": [], "not_listed": {"waiting": 1}}
    assert "closed" in result.stderr


def test_done_for_an_interview_not_in_the_log_is_bad_input(tmp_path: Path) -> None:
    path = interview_file(tmp_path)
    result = invoke("followups", "--done", str(path))  # no log at all
    assert result.exit_code == 2
    assert "is not in the send log" in result.stderr
    log_note(interview_file(tmp_path, "other.toml", company="Other Ltd"), GRACE)
    result = invoke("followups", "--done", str(path))  # a log without it
    assert result.exit_code == 2
    assert "Analytical Engines Ltd" in result.stderr and "not in the send log" in result.stderr


def test_done_with_a_broken_file_is_bad_input(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[candidate\n")
    result = invoke("followups", "--done", str(broken))
    assert result.exit_code == 2
    assert "broken.toml:1" in result.stderr


# -- rendering the follow-up note --------------------------------------------------------------


def loaded(tmp_path: Path, **kwargs: Any) -> InterviewFile:
    return loader.load(interview_file(tmp_path, **kwargs))


def test_note_to_a_recruiter_greets_neutrally(tmp_path: Path) -> None:
    note = followups.render_follow_up(loaded(tmp_path))
    assert note.kind == FOLLOW_UP and note.to == RECRUITER and note.name == ""
    assert note.subject == "Following up: Senior Backend Engineer at Analytical Engines Ltd"
    assert note.body.startswith("Hello,\n\n")
    assert "Dear" not in note.body
    assert (
        f"for the Senior Backend Engineer role at Analytical Engines Ltd on {INTERVIEW_DAY}."
        in note.body
    )
    assert "meet Grace Hopper and Alan Turing" in note.body
    assert "timeline" in note.body
    assert note.body.rstrip().endswith("Ada Lovelace")
    # An empty display name is a header value like any other: the To is the bare address.
    prepared = build(
        note,
        sender_name="Ada Lovelace",
        sender_address="ada@example.com",
        date=datetime(2026, 12, 9, tzinfo=UTC),
    )
    assert str(prepared.message["To"]) == RECRUITER


def test_note_to_an_interviewer_is_personal(tmp_path: Path) -> None:
    note = followups.render_follow_up(loaded(tmp_path), to="ALAN@analytical.example")
    assert note.to == ALAN and note.name == "Alan Turing"
    assert note.body.startswith("Dear Alan,\n\n")
    assert "I enjoyed our conversation about the flaky settlement tests" in note.body
    assert INTERVIEW_DAY in note.body
    default = followups.render_follow_up(loaded(tmp_path, follow_up_with=None))
    assert default.to == GRACE and default.body.startswith("Dear Grace,")


def test_custom_template_and_its_errors(tmp_path: Path) -> None:
    template = tmp_path / "mine.txt"
    template.write_text(
        "Subject: Checking in, {{ interview.company }}\n\n"
        "{{ interviewer.first_name if interviewer else 'Hi' }}: "
        "{{ follow_up_on }}\n"
    )
    note = followups.render_follow_up(loaded(tmp_path), template=template)
    assert note.subject == "Checking in, Analytical Engines Ltd"
    assert note.body == "Hi: Monday, December 7\n"
    template.write_text("Subject: x\n\n{{ nonsense }}\n")
    result = invoke(
        "followup", str(interview_file(tmp_path)), "--template", str(template), "--dry-run"
    )
    assert result.exit_code == 2
    assert "mine.txt:3" in result.stderr and "nonsense" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--to", "not-an-address"], "--to 'not-an-address' is not a valid email address"),
        (["--draft", "--via", "smtp"], "--draft creates a Gmail draft"),
        (["--via", "pigeon"], "'pigeon' is not one of 'smtp', 'gmail'"),
        (
            ["--via", "smtp", "--smtp-security", "none", "--smtp-host", "mail.example.com"],
            "allowed only for a server on this machine",
        ),
    ],
)
def test_bad_options_are_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.setenv("THANKNOTE_NOW", TWO_DAYS_LATE)
    result = invoke("followup", str(interview_file(tmp_path)), *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_followup_to_an_idn_address_uses_its_idna_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THANKNOTE_NOW", TWO_DAYS_LATE)
    result = invoke(
        "followup",
        str(interview_file(tmp_path)),
        "--via",
        "smtp",
        "--dry-run",
        "--to",
        "talent@bücher.example",
    )
    assert result.exit_code == 0, result.output
    assert "talent@xn--bcher-kva.example" in result.stdout
    refused = invoke(
        "followup",
        str(interview_file(tmp_path)),
        "--via",
        "smtp",
        "--dry-run",
        "--to",
        "jürgen@bücher.example",
    )
    assert refused.exit_code == 2
    assert "non-ASCII part before the @" in refused.stderr


# -- delivering it through the real SMTP server ------------------------------------------------


@pytest.fixture
def smtp(
    smtp_starttls_server: SMTPTestServer,
    smtp_certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> list[str]:
    """The SMTP options that reach the test server; its password in the environment."""
    monkeypatch.setenv("THANKNOTE_SMTP_PASSWORD", DEFAULT_PASSWORD)
    server = smtp_starttls_server
    return [
        "--via",
        "smtp",
        "--smtp-host",
        server.host,
        "--smtp-port",
        str(server.port),
        "--smtp-security",
        "starttls",
        "--smtp-cafile",
        str(smtp_certificate[0]),
    ]


@pytest.fixture
def sent_interview(
    tmp_path: Path,
    smtp: list[str],
    smtp_starttls_server: SMTPTestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """The thank-you notes sent for real, the evening of the interview."""
    path = interview_file(tmp_path)
    result = invoke("send", str(path), *smtp, "--yes")
    assert result.exit_code == 0, result.output
    assert "followups --ics" in result.stdout
    assert len(smtp_starttls_server.messages) == 2
    monkeypatch.setenv("THANKNOTE_NOW", TWO_DAYS_LATE)
    return path


def test_send_puts_the_interview_on_the_agenda(sent_interview: Path) -> None:
    (due,) = json.loads(invoke("followups", "--json").stdout)["interviews"]
    assert due["company"] == "Analytical Engines Ltd" and due["state"] == "due"
    assert sorted((n["to"], n["status"], n["kind"]) for n in due["notes"]) == [
        (ALAN, "sent", "thank-you"),
        (GRACE, "sent", "thank-you"),
    ]


def test_followup_is_delivered_by_smtp_and_logged(
    sent_interview: Path, smtp: list[str], smtp_starttls_server: SMTPTestServer
) -> None:
    result = invoke("followup", str(sent_interview), *smtp, "--yes")
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.stdout
    assert f"thanknote followups --done {sent_interview}" in result.stdout
    (received,) = smtp_starttls_server.messages_to(RECRUITER)
    assert received.rcpt_tos == [RECRUITER]
    assert received.mail_from == "ada@example.com" and received.tls
    message = received.parsed()
    assert message["Subject"] == "Following up: Senior Backend Engineer at Analytical Engines Ltd"
    assert message["To"] == RECRUITER and message["Message-ID"] and message["Date"]
    body = message.get_content()
    assert body.startswith("Hello,") and INTERVIEW_DAY in body
    (row,) = follow_up_rows()
    assert row["to"] == RECRUITER and row["status"] == "sent" and row["via"] == "smtp"
    assert row["message_id"] == message["Message-ID"]
    assert row["sent_at"] == "2026-12-09T10:00:00-05:00"
    assert row["on_time"] is None  # the 24-hour rule is the thank-you note's, not this one's
    # The recruiter got no thank-you note: a new thread.
    assert row["in_reply_to"] is None and "In-Reply-To" not in message
    # The agenda now waits for an answer, and says when a second one would be fair.
    agenda = invoke("followups", "--all").stdout
    assert (
        "followed-up on Wed 09 Dec 2026; a second follow-up is fair from Wed 16 Dec 2026 "
        "(in 7 days)"
    ) in agenda
    (item,) = json.loads(invoke("followups", "--json", "--all").stdout)["interviews"]
    assert (item["state"], item["next_on"]) == ("followed-up", "2026-12-16")
    assert ("follow-up", RECRUITER, "sent") in {
        (n["kind"], n["to"], n["status"]) for n in item["notes"]
    }


def test_followup_to_an_interviewer(
    sent_interview: Path, smtp: list[str], smtp_starttls_server: SMTPTestServer
) -> None:
    result = invoke("followup", str(sent_interview), *smtp, "--yes", "--to", GRACE)
    assert result.exit_code == 0, result.output
    thank_you, received = smtp_starttls_server.messages_to(GRACE)
    assert received.rcpt_tos == [GRACE]
    assert received.parsed()["To"] == f"Grace Hopper <{GRACE}>"
    body = received.parsed().get_content().replace("\r\n", "\n")
    # A reply to the thank-you note she has: the greeting and first line read as one.
    assert body.startswith(
        "Dear Grace,\n\nI am following up on my note below from Wednesday, November 25"
    )
    assert received.parsed()["Subject"] == f"Re: {thank_you.parsed()['Subject']}"


def test_refused_before_the_date_unless_early(
    sent_interview: Path,
    smtp: list[str],
    smtp_starttls_server: SMTPTestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("THANKNOTE_NOW", TOO_SOON)
    result = invoke("followup", str(sent_interview), *smtp, "--yes")
    assert result.exit_code == 3
    assert "the follow-up date is Mon 07 Dec 2026 (in 6 days)" in result.stderr
    assert "--early" in result.stderr
    assert smtp_starttls_server.messages_to(RECRUITER) == []
    assert follow_up_rows() == []
    result = invoke("followup", str(sent_interview), *smtp, "--yes", "--early")
    assert result.exit_code == 0, result.output
    assert len(smtp_starttls_server.messages_to(RECRUITER)) == 1
    assert [r["sent_at"][:10] for r in follow_up_rows()] == ["2026-12-01"]


def test_drafts_are_refused_before_the_date_too(tmp_path: Path) -> None:
    path = interview_file(tmp_path)  # the clock: the evening of the interview
    result = invoke("followup", str(path), "--draft", "--dry-run")
    assert result.exit_code == 3 and "the follow-up date is" in result.stderr
    result = invoke("followup", str(path), "--draft", "--dry-run", "--early")
    assert result.exit_code == 0, result.output
    assert "1 would draft" in result.stdout


def test_never_before_the_interview(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THANKNOTE_NOW", "2026-11-25T09:00:00-05:00")
    result = invoke("followup", str(interview_file(tmp_path)), "--early", "--dry-run")
    assert result.exit_code == 3
    assert "the interview has not taken place yet" in result.stderr


def test_second_followup_a_week_later_then_none(
    sent_interview: Path,
    smtp: list[str],
    smtp_starttls_server: SMTPTestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = invoke("followup", str(sent_interview), *smtp, "--yes")
    assert result.exit_code == 0, result.output
    assert (
        f"with no answer by Wed 16 Dec 2026, a second follow-up is fair: thanknote followup "
        f"{sent_interview} --via smtp"
    ) in result.stdout
    (first,) = smtp_starttls_server.messages_to(RECRUITER)
    # Six days later: too soon for the second one.
    monkeypatch.setenv("THANKNOTE_NOW", "2026-12-15T10:00:00-05:00")
    soon = invoke("followup", str(sent_interview), *smtp, "--yes")
    assert soon.exit_code == 3
    assert "a second follow-up is fair 7 days after the first, from Wed 16 Dec 2026" in soon.stderr
    monkeypatch.setenv("THANKNOTE_NOW", "2026-12-16T10:00:00-05:00")
    assert "second-due" in invoke("followups").stdout
    second = invoke("followup", str(sent_interview), *smtp, "--yes")
    assert second.exit_code == 0, second.output
    assert "that was the second and last follow-up" in second.stdout
    _, received = smtp_starttls_server.messages_to(RECRUITER)
    message = received.parsed()
    # The second answers the first, in its thread.
    assert message["In-Reply-To"] == first.parsed()["Message-ID"]
    assert message["References"] == first.parsed()["Message-ID"]
    assert message["Subject"] == f"Re: {first.parsed()['Subject']}"
    assert "once more" in message.get_content()
    assert "Wednesday, December 9" in message.get_content()
    # Then the interview is closed: the agenda says to file it away, the calendar cancels it.
    (item,) = json.loads(invoke("followups", "--json", "--all").stdout)["interviews"]
    assert (item["state"], item["next_on"]) == ("closed", None)
    assert item["followed_up_on"] == ["2026-12-09", "2026-12-16"]
    assert item["next"] == f"thanknote followups --done {sent_interview.resolve()}"
    assert [n["sent_at"][:10] for n in item["notes"] if n["kind"] == "follow-up"] == [
        "2026-12-09",
        "2026-12-16",
    ]  # each follow-up is its own note in the listing
    # A third is refused with the dates of the two, and --resend does not lift it.
    monkeypatch.setenv("THANKNOTE_NOW", "2026-12-30T10:00:00-05:00")
    for extra in ([], ["--resend"], ["--early"], ["--to", GRACE]):
        third = invoke("followup", str(sent_interview), *smtp, "--yes", *extra)
        assert third.exit_code == 3, (extra, third.output)
        assert (
            "two follow-ups went out already (Wed 09 Dec 2026 and Wed 16 Dec 2026)" in third.stderr
        )
    assert len(smtp_starttls_server.messages_to(RECRUITER)) == 2
    assert [r["status"] for r in follow_up_rows()] == ["sent", "sent"]


def test_a_second_followup_goes_to_whoever_got_the_first(
    sent_interview: Path,
    smtp: list[str],
    smtp_starttls_server: SMTPTestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = invoke("followup", str(sent_interview), *smtp, "--yes", "--to", GRACE)
    assert first.exit_code == 0, first.output
    _, first_follow_up = smtp_starttls_server.messages_to(GRACE)
    monkeypatch.setenv("THANKNOTE_NOW", "2026-12-16T10:00:00-05:00")
    second = invoke("followup", str(sent_interview), *smtp, "--yes")
    assert second.exit_code == 0, second.output
    assert smtp_starttls_server.messages_to(RECRUITER) == []
    _, _, received = smtp_starttls_server.messages_to(GRACE)
    message = received.parsed()
    assert message["In-Reply-To"] == first_follow_up.parsed()["Message-ID"]
    assert "Wednesday, December 9" in message.get_content()


@pytest.mark.parametrize(
    "status, via, expected",
    [
        ("drafted", "gmail", "was already drafted"),
        ("unknown", "smtp", "may already have gone out"),
        ("sending", "smtp", "may already have gone out"),
    ],
)
def test_earlier_followups_in_any_live_state_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: str, via: str, expected: str
) -> None:
    path = interview_file(tmp_path)
    log_note(path, GRACE)
    log_note(
        path,
        RECRUITER,
        kind=FOLLOW_UP,
        status=status,
        via=via,
        gmail_id="r-9",
        when="2026-12-08T10:00:00-05:00",
    )
    monkeypatch.setenv("THANKNOTE_NOW", TWO_DAYS_LATE)
    result = invoke("followup", str(path), "--via", "smtp", "--dry-run")
    assert result.exit_code == 3
    assert expected in result.stderr
    assert invoke("followup", str(path), "--via", "smtp", "--dry-run", "--resend").exit_code == 0


def test_a_failed_followup_does_not_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = interview_file(tmp_path)
    log_note(path, RECRUITER, kind=FOLLOW_UP, status="failed", when="2026-12-08T10:00:00-05:00")
    monkeypatch.setenv("THANKNOTE_NOW", TWO_DAYS_LATE)
    result = invoke("followup", str(path), "--via", "smtp", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "1 would send" in result.stdout


def test_an_interrupted_gmail_send_may_finish(tmp_path: Path) -> None:
    path = interview_file(tmp_path)
    log_note(
        path,
        RECRUITER,
        kind=FOLLOW_UP,
        status="unknown",
        via="gmail",
        gmail_id="r-9",
        when="2026-12-08T10:00:00-05:00",
    )
    with SendLog(db_path()) as log:
        interview_id = log.find_interview_id(loader.load(path).interview)
        records = log.records(interview_id=interview_id, kind=FOLLOW_UP)
    # Its draft decides whether it went out, so finishing it through Gmail cannot send twice.
    loaded_file = loader.load(path)
    history = note_module.History(None, tuple(records))
    now = datetime.fromisoformat(TWO_DAYS_LATE)

    def planned(via: str, purpose: str) -> note_module.FollowUpPlan:
        return note_module.plan_follow_up(
            loaded_file,
            history,
            note_module.FollowUpRequest(path=path, via=via, purpose=purpose),
            now,
        )

    assert planned("gmail", "send").resume and planned("gmail", "send").problems == ()
    assert planned("smtp", "send").problems and planned("gmail", "draft").problems


def test_dry_run_shows_the_note_and_touches_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THANKNOTE_NOW", TWO_DAYS_LATE)
    result = invoke("followup", str(interview_file(tmp_path)), "--via", "smtp", "--dry-run")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"To:      {RECRUITER}" in out
    assert "Subject: Following up: Senior Backend Engineer at Analytical Engines Ltd" in out
    assert INTERVIEW_DAY in out and "1 would send" in out
    assert not db_path().exists()


def test_sending_without_a_terminal_needs_yes(
    sent_interview: Path, smtp: list[str], smtp_starttls_server: SMTPTestServer
) -> None:
    result = invoke("followup", str(sent_interview), *smtp)
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    assert smtp_starttls_server.messages_to(RECRUITER) == []


def script(*args: str, now: str) -> subprocess.CompletedProcess[str]:
    """The installed ``thanknote`` with the clock pinned at ``now``."""
    return subprocess.run(
        [thanknote_executable(), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "THANKNOTE_NOW": now},
    )


def test_a_closed_interview_refuses_a_followup_until_reopened(
    sent_interview: Path, smtp: list[str], smtp_starttls_server: SMTPTestServer
) -> None:
    path = str(sent_interview)
    first = script("followup", path, *smtp, "--to", GRACE, "--yes", now="2026-12-08T10:00:00-05:00")
    assert first.returncode == 0, first.stderr
    assert len(smtp_starttls_server.messages_to(GRACE)) == 2
    done = script("followups", "--done", path, now="2026-12-09T10:00:00-05:00")
    assert done.returncode == 0, done.stderr
    rows = follow_up_rows()
    for args in (("--yes",), ("--yes", "--resend"), ("--dry-run",)):
        refused = script(
            "followup", path, *smtp, "--to", GRACE, *args, now="2026-12-16T10:00:00-05:00"
        )
        assert refused.returncode == 3, (args, refused.stdout, refused.stderr)
        assert (
            "refused: this interview was closed on Wed 09 Dec 2026 10:00 UTC-05:00 "
            "(followups --done: an answer came)"
        ) in refused.stderr
        assert f"reopen it first: thanknote followups --reopen {path}" in refused.stderr
        assert "sent" not in refused.stdout
    assert len(smtp_starttls_server.messages_to(GRACE)) == 2
    assert follow_up_rows() == rows
    reopened = script("followups", "--reopen", path, now="2026-12-16T10:00:00-05:00")
    assert reopened.returncode == 0, reopened.stderr
    assert (
        "reopened Analytical Engines Ltd / Senior Backend Engineer (closed on Wed 09 Dec "
        "2026 10:00 UTC-05:00)" in reopened.stdout
    )
    assert "second-due" in reopened.stdout
    second = script(
        "followup", path, *smtp, "--to", GRACE, "--yes", now="2026-12-16T10:05:00-05:00"
    )
    assert second.returncode == 0, second.stderr
    assert "1 sent" in second.stdout
    assert len(smtp_starttls_server.messages_to(GRACE)) == 3
    again = script("followups", "--reopen", path, now="2026-12-16T10:06:00-05:00")
    assert again.returncode == 0 and "was not closed; nothing to reopen" in again.stdout


def test_the_agenda_follows_the_file_as_followup_does(
    sent_interview: Path, smtp: list[str], tmp_path: Path
) -> None:
    path = str(sent_interview)
    text = sent_interview.read_text(encoding="utf-8")
    assert f"follow_up_on = {FOLLOW_UP_ON}" in text and RECRUITER in text
    sent_interview.write_text(
        text.replace(f"follow_up_on = {FOLLOW_UP_ON}", "follow_up_on = 2026-12-20").replace(
            RECRUITER, GRACE
        ),
        encoding="utf-8",
    )
    listing = script("followups", now=TWO_DAYS_LATE)
    assert listing.returncode == 0, listing.stderr
    assert "no follow-ups due today" in listing.stdout and "next:" not in listing.stdout
    (item,) = json.loads(script("followups", "--all", "--json", now=TWO_DAYS_LATE).stdout)[
        "interviews"
    ]
    assert (item["state"], item["next_on"], item["follow_up_with"]) == (
        "waiting",
        "2026-12-20",
        GRACE,
    )
    refused = script("followup", path, *smtp, "--yes", now=TWO_DAYS_LATE)
    assert refused.returncode == 3 and "the follow-up date is Sun 20 Dec 2026" in refused.stderr
    calendar = tmp_path / "reminders.ics"
    assert script("followups", "--ics", str(calendar), now=TWO_DAYS_LATE).returncode == 0
    assert "DTSTART;VALUE=DATE:20261220" in calendar.read_text(encoding="utf-8")
    on_the_day = script("followups", now="2026-12-20T09:00:00-05:00")
    assert f"next:       thanknote followup {sent_interview.resolve()} --via smtp" in (
        on_the_day.stdout
    )
    assert f"follow up:  with {GRACE}" in on_the_day.stdout


def test_done_and_reopen_at_once_is_bad_input(sent_interview: Path) -> None:
    result = invoke("followups", "--done", str(sent_interview), "--reopen", str(sent_interview))
    assert result.exit_code == 2 and "one at a time" in result.stderr


# -- delivering it through Gmail (the fake Gmail API on loopback) ------------------------------


@pytest.fixture
def gmail(fake_gmail: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A Gmail token for the fake server, and the API root pointing at it."""
    pytest.importorskip("thanknote.senders.gmail")
    token = tmp_path / "gmail-token.json"
    token.write_text(fake_gmail.credentials().to_json())
    token.chmod(0o600)
    monkeypatch.setenv("THANKNOTE_GMAIL_TOKEN", str(token))
    monkeypatch.setenv("THANKNOTE_GMAIL_ENDPOINT", fake_gmail.url)
    monkeypatch.setenv("THANKNOTE_NOW", TWO_DAYS_LATE)
    return fake_gmail


def test_followup_draft_on_gmail(gmail: Any, tmp_path: Path) -> None:
    path = interview_file(tmp_path)
    result = invoke("followup", str(path), "--draft")
    assert result.exit_code == 0, result.output
    assert "1 drafted" in result.stdout
    ((draft_id, raw),) = gmail.drafts.items()
    assert gmail.sent == []
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["To"] == RECRUITER
    assert message["Subject"] == "Following up: Senior Backend Engineer at Analytical Engines Ltd"
    assert INTERVIEW_DAY in message.get_content()
    (row,) = follow_up_rows()
    assert (row["status"], row["via"], row["gmail_id"]) == ("drafted", "gmail", draft_id)
    again = invoke("followup", str(path), "--draft")
    assert again.exit_code == 3 and "already drafted" in again.stderr
    assert len(gmail.drafts) == 1


def test_thank_yous_only_drafted_are_not_waiting_or_due(gmail: Any, tmp_path: Path) -> None:
    path = interview_file(tmp_path)
    drafted = script("draft", str(path), now=AFTER_SENDING)
    assert drafted.returncode == 0, drafted.stderr
    assert len(gmail.drafts) == 2 and gmail.sent == []
    listing = script("followups", now=TWO_DAYS_LATE)
    assert listing.returncode == 0, listing.stderr
    assert "no follow-ups due today" in listing.stdout
    assert "(1 drafted; --all lists them)" in listing.stdout
    assert json.loads(script("followups", "--json", now=TWO_DAYS_LATE).stdout) == {
        "interviews": [],
        "not_listed": {"drafted": 1},
    }
    every = script("followups", "--all", now=TWO_DAYS_LATE)
    assert (
        "state:      drafted: the thank-you notes are still Gmail drafts, none sent; send "
        "them from Gmail (the follow-up date is Mon 07 Dec 2026, 2 days ago)"
    ) in every.stdout
    assert "state:      due" not in every.stdout and "next:" not in every.stdout
    (item,) = json.loads(script("followups", "--all", "--json", now=TWO_DAYS_LATE).stdout)[
        "interviews"
    ]
    assert (item["state"], item["next_on"], item["next"]) == ("drafted", "2026-12-07", None)
    assert {note["status"] for note in item["notes"]} == {"drafted"}


def test_followup_sent_through_gmail(gmail: Any, tmp_path: Path) -> None:
    path = interview_file(tmp_path)
    result = invoke("followup", str(path), "--via", "gmail", "--yes", "--to", ALAN)
    assert result.exit_code == 0, result.output
    (sent,) = gmail.sent
    message = email.message_from_bytes(sent["raw"], policy=email.policy.default)
    assert message["To"] == f"Alan Turing <{ALAN}>"
    assert message.get_content().startswith("Dear Alan,")
    (row,) = follow_up_rows()
    assert (row["to"], row["status"], row["via"]) == (ALAN, "sent", "gmail")


# -- the installed entry point -----------------------------------------------------------------


@pytest.mark.slow
def test_installed_script_lists_and_writes_a_calendar(
    three_interviews: dict[str, Path], tmp_path: Path
) -> None:
    target = tmp_path / "from-script.ics"
    completed = subprocess.run(
        [thanknote_executable(), "followups", "--json", "--all", "--ics", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr
    data = json.loads(completed.stdout)
    assert [(d["company"], d["state"]) for d in data["interviews"]] == [
        ("Analytical Engines Ltd", "due"),
        ("Difference Engines plc", "waiting"),
    ]
    assert f"wrote {target}" in completed.stderr
    assert len(read_calendar(target).walk("VEVENT")) == 3  # two reminders, one cancellation
    refused = subprocess.run(
        [thanknote_executable(), "followup", str(three_interviews["upcoming"]), "--dry-run"],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
        cwd=tmp_path,
    )
    assert refused.returncode == 3, refused.stderr
    assert "Pass --early" in refused.stderr
