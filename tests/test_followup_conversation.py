"""The follow-up as a conversation: states by the clock, threaded replies, the channel.

Thank-you notes and follow-ups go through the real SMTP test server (and the
fake Gmail API on loopback), so the tests read the headers a mail client reads.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import sqlite3
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.conftest import thanknote_executable
from tests.smtp_server import SMTPTestServer
from tests.test_followups import (
    ALAN,
    GRACE,
    RECRUITER,
    db_path,
    follow_up_rows,
    interview_file,
    invoke,
    log_note,
)
from tests.test_smtp_processes import run_on_terminal
from thanknote import sendlog
from thanknote.cli import app
from thanknote.render import FOLLOW_UP
from thanknote.rules import (
    NEEDS_ACTION,
    SECOND_AFTER_DAYS,
    Standing,
    State,
    standing,
)
from thanknote.sendlog import SendLog, schema

DATA = Path(__file__).parent / "data"


def at(day: str, hour: str = "10:00") -> str:
    return f"{day}T{hour}:00-05:00"


def parsed(raw: bytes) -> Any:
    return email.message_from_bytes(raw, policy=email.policy.default)


def no_24_hour_alarm(text: str) -> None:
    for phrase in ("24 h", "the protocol asks for", "h late", "on_time: false", "LATE"):
        assert phrase not in text, (phrase, text)


# -- the states, as pure functions -------------------------------------------------------------

FOLLOW_UP_ON = date(2026, 12, 7)


@pytest.mark.parametrize(
    "today, followed_up_on, done, expected",
    [
        (date(2026, 12, 1), [], False, Standing(State.WAITING, FOLLOW_UP_ON)),
        (date(2026, 12, 6), [], False, Standing(State.WAITING, FOLLOW_UP_ON)),
        (date(2026, 12, 7), [], False, Standing(State.DUE, FOLLOW_UP_ON)),
        (date(2026, 12, 30), [], False, Standing(State.DUE, FOLLOW_UP_ON)),
        # Followed up early (--early): the second is still a week after the first.
        (
            date(2026, 12, 3),
            [date(2026, 12, 2)],
            False,
            Standing(State.FOLLOWED_UP, date(2026, 12, 9)),
        ),
        (
            date(2026, 12, 9),
            [date(2026, 12, 9)],
            False,
            Standing(State.FOLLOWED_UP, date(2026, 12, 16)),
        ),
        (
            date(2026, 12, 15),
            [date(2026, 12, 9)],
            False,
            Standing(State.FOLLOWED_UP, date(2026, 12, 16)),
        ),
        (
            date(2026, 12, 16),
            [date(2026, 12, 9)],
            False,
            Standing(State.SECOND_DUE, date(2026, 12, 16)),
        ),
        (
            date(2027, 1, 20),
            [date(2026, 12, 9)],
            False,
            Standing(State.SECOND_DUE, date(2026, 12, 16)),
        ),
        (
            date(2026, 12, 16),
            [date(2026, 12, 9), date(2026, 12, 16)],
            False,
            Standing(State.CLOSED, None),
        ),
        (date(2026, 12, 1), [], True, Standing(State.CLOSED, None)),
        (date(2026, 12, 20), [date(2026, 12, 9)], True, Standing(State.CLOSED, None)),
    ],
)
def test_standing_table(
    today: date, followed_up_on: list[date], done: bool, expected: Standing
) -> None:
    assert (
        standing(follow_up_on=FOLLOW_UP_ON, today=today, followed_up_on=followed_up_on, done=done)
        == expected
    )


@given(
    today=st.dates(date(2026, 1, 1), date(2028, 1, 1)),
    follow_up_on=st.dates(date(2026, 1, 1), date(2028, 1, 1)),
    followed_up_on=st.lists(st.dates(date(2026, 1, 1), date(2028, 1, 1)), max_size=3),
    done=st.booleans(),
)
def test_standing_properties(
    today: date, follow_up_on: date, followed_up_on: list[date], done: bool
) -> None:
    result = standing(
        follow_up_on=follow_up_on, today=today, followed_up_on=followed_up_on, done=done
    )
    assert (result.state is State.CLOSED) == (done or len(followed_up_on) >= 2)
    assert (result.next_on is None) == (result.state is State.CLOSED)
    if result.next_on is not None:
        # Something to do today exactly when its date has come.
        assert (result.state in NEEDS_ACTION) == (today >= result.next_on)
        expected = (
            followed_up_on[0] + timedelta(days=SECOND_AFTER_DAYS)
            if followed_up_on
            else follow_up_on
        )
        assert result.next_on == expected


# -- through the real SMTP server ----------------------------------------------------------------


@pytest.fixture
def smtp_options(
    smtp_starttls_server: SMTPTestServer,
    smtp_certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> list[str]:
    """The SMTP options that reach the test server, without --via."""
    from tests.smtp_server import DEFAULT_PASSWORD

    monkeypatch.setenv("THANKNOTE_SMTP_PASSWORD", DEFAULT_PASSWORD)
    server = smtp_starttls_server
    return [
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
def thanked(tmp_path: Path, smtp_options: list[str]) -> Path:
    """Thank-you notes sent by SMTP on the evening of the interview; Grace gets the follow-up."""
    path = interview_file(tmp_path, follow_up_with=GRACE)
    result = invoke("send", str(path), "--via", "smtp", *smtp_options, "--yes")
    assert result.exit_code == 0, result.output
    return path


def state_of(monkeypatch: pytest.MonkeyPatch, when: str) -> tuple[str, str | None]:
    monkeypatch.setenv("THANKNOTE_NOW", when)
    (item,) = json.loads(invoke("followups", "--json", "--all").stdout)["interviews"]
    return item["state"], item["next_on"]


def test_each_state_by_the_clock(
    thanked: Path, smtp_options: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert state_of(monkeypatch, at("2026-12-06", "23:59")) == ("waiting", "2026-12-07")
    assert state_of(monkeypatch, at("2026-12-07", "00:00")) == ("due", "2026-12-07")
    assert invoke("followup", str(thanked), *smtp_options, "--yes").exit_code == 0
    assert state_of(monkeypatch, at("2026-12-07", "18:00")) == ("followed-up", "2026-12-14")
    assert state_of(monkeypatch, at("2026-12-13", "23:59")) == ("followed-up", "2026-12-14")
    assert state_of(monkeypatch, at("2026-12-14", "00:00")) == ("second-due", "2026-12-14")
    second = invoke("followup", str(thanked), *smtp_options, "--yes")
    assert second.exit_code == 0, second.output
    assert state_of(monkeypatch, at("2026-12-14", "12:00")) == ("closed", None)
    assert invoke("followups", "--done", str(thanked)).exit_code == 0
    monkeypatch.setenv("THANKNOTE_NOW", at("2026-12-20"))
    assert json.loads(invoke("followups", "--json", "--all").stdout) == {
        "interviews": [],
        "not_listed": {},
    }


def test_the_default_listing_is_what_needs_action_today(
    thanked: Path, smtp_options: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THANKNOTE_NOW", at("2026-12-08"))
    assert "needs a follow-up today (1):" in invoke("followups").stdout
    assert invoke("followup", str(thanked), *smtp_options, "--yes").exit_code == 0
    listing = invoke("followups").stdout
    assert "no follow-ups due today" in listing and "(1 followed-up; --all lists them)" in listing
    monkeypatch.setenv("THANKNOTE_NOW", at("2026-12-15"))
    listing = invoke("followups").stdout
    assert "needs a follow-up today (1):" in listing
    assert "second-due: followed up on Tue 08 Dec 2026 and no answer since" in listing
    assert f"next:       thanknote followup {thanked.resolve()} --via smtp" in listing


def test_a_reply_to_the_thank_you_as_received(
    thanked: Path,
    smtp_options: list[str],
    smtp_starttls_server: SMTPTestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("THANKNOTE_NOW", at("2026-12-08"))
    result = invoke("followup", str(thanked), *smtp_options, "--yes")
    assert result.exit_code == 0, result.output
    thank_you, follow_up = (m.parsed() for m in smtp_starttls_server.messages_to(GRACE))
    assert follow_up["In-Reply-To"] == thank_you["Message-ID"]
    assert follow_up["References"] == thank_you["Message-ID"]
    assert follow_up["Subject"] == f"Re: {thank_you['Subject']}"
    assert follow_up["Message-ID"] != thank_you["Message-ID"]
    (row,) = follow_up_rows()
    assert row["in_reply_to"] == thank_you["Message-ID"]
    assert row["thread_id"] is None  # SMTP has no Gmail thread
    # The second answers the first and carries the whole chain.
    monkeypatch.setenv("THANKNOTE_NOW", at("2026-12-15"))
    assert invoke("followup", str(thanked), *smtp_options, "--yes").exit_code == 0
    _, first, second = (m.parsed() for m in smtp_starttls_server.messages_to(GRACE))
    assert second["In-Reply-To"] == first["Message-ID"]
    assert second["References"].split() == [thank_you["Message-ID"], first["Message-ID"]]
    assert second["Subject"] == f"Re: {thank_you['Subject']}"  # never "Re: Re: "
    # The thank-you notes themselves carry no reply headers.
    assert all("In-Reply-To" not in m.parsed() for m in smtp_starttls_server.messages_to(ALAN))


def test_the_channel_is_remembered(
    thanked: Path,
    smtp_options: list[str],
    smtp_starttls_server: SMTPTestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("THANKNOTE_NOW", at("2026-12-08"))
    # No --via and no Gmail token: the thank-you notes went by SMTP, so this one does too.
    result = invoke("followup", str(thanked), *smtp_options, "--yes")
    assert result.exit_code == 0, result.output
    assert "thanknote auth" not in result.output and "Gmail" not in result.output
    assert len(smtp_starttls_server.messages_to(GRACE)) == 2
    assert [row["via"] for row in follow_up_rows()] == ["smtp"]


def test_without_a_logged_thank_you_the_channel_must_be_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THANKNOTE_NOW", at("2026-12-08"))
    result = invoke("followup", str(interview_file(tmp_path)), "--dry-run")
    assert result.exit_code == 2
    assert "pass --via smtp or --via gmail" in result.stderr


def test_no_24_hour_alarm_in_any_follow_up_output(
    thanked: Path, smtp_options: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THANKNOTE_NOW", at("2026-12-20"))  # 25 days after the interview
    dry = invoke("followup", str(thanked), *smtp_options, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "timing: first follow-up; its date: Mon 07 Dec 2026 (13 days ago)" in dry.stdout
    no_24_hour_alarm(dry.output)
    sent = invoke("followup", str(thanked), *smtp_options, "--yes")
    assert sent.exit_code == 0, sent.output
    no_24_hour_alarm(sent.output)
    preview = invoke("preview", str(thanked), "--follow-up")
    no_24_hour_alarm(preview.output)
    listing = invoke("followups", "--all")
    no_24_hour_alarm(listing.output)
    (row,) = follow_up_rows()
    assert row["on_time"] is None
    table = CliRunner().invoke(app, ["log", str(thanked)], env={"COLUMNS": "200"})
    follow_up_line = [line for line in table.stdout.splitlines() if "follow-up" in line]
    assert follow_up_line, table.stdout
    assert all("LATE" not in line for line in follow_up_line)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_the_whole_note_before_the_question_on_a_terminal(
    thanked: Path,
    smtp_options: list[str],
    smtp_starttls_server: SMTPTestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("THANKNOTE_NOW", at("2026-12-20"))
    command = [thanknote_executable(), "followup", str(thanked), *smtp_options]
    status, transcript = run_on_terminal(command, [(b"[y/N]", b"y\n")], dict(os.environ))
    text = transcript.decode("utf-8", "replace").replace("\r\n", "\n")
    assert status == 0, text
    question = text.index("Send this follow-up via smtp? [y/N]")
    for part in (
        f"To:      Grace Hopper <{GRACE}>",
        "Subject: Re: Senior Backend Engineer interview: thank you, Grace",
        "Replies: to your thank-you note of Wed 25 Nov 2026",
        "Dear Grace,\n\nI am following up on my note below",
        "what the timeline looks like from here?",
        "Best regards,\nAda Lovelace",
    ):
        assert -1 < text.find(part) < question, part
    no_24_hour_alarm(text)
    assert len(smtp_starttls_server.messages_to(GRACE)) == 2


def test_a_third_follow_up_is_refused_even_with_resend(
    thanked: Path,
    smtp_options: list[str],
    smtp_starttls_server: SMTPTestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("THANKNOTE_NOW", at("2026-12-08"))
    assert invoke("followup", str(thanked), *smtp_options, "--yes").exit_code == 0
    monkeypatch.setenv("THANKNOTE_NOW", at("2026-12-15"))
    assert invoke("followup", str(thanked), *smtp_options, "--yes").exit_code == 0
    monkeypatch.setenv("THANKNOTE_NOW", at("2027-01-10"))
    for extra in ([], ["--resend"], ["--dry-run"], ["--draft"]):
        refused = invoke("followup", str(thanked), *smtp_options, "--yes", *extra)
        assert refused.exit_code == 3, (extra, refused.output)
        assert (
            "two follow-ups went out already (Tue 08 Dec 2026 and Tue 15 Dec 2026)"
            in refused.stderr
        )
    assert len(smtp_starttls_server.messages_to(GRACE)) == 3  # a thank-you and two follow-ups
    preview = invoke("preview", str(thanked), "--follow-up")
    assert "followup would refuse now: two follow-ups went out already" in preview.stdout


def test_a_resend_of_an_uncertain_follow_up_is_the_same_message(
    tmp_path: Path,
    smtp_options: list[str],
    smtp_starttls_server: SMTPTestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = interview_file(tmp_path, follow_up_with=GRACE)
    log_note(path, GRACE)
    log_note(path, GRACE, kind=FOLLOW_UP, status="unknown", when=at("2026-12-08"))
    monkeypatch.setenv("THANKNOTE_NOW", at("2026-12-09"))
    blocked = invoke("followup", str(path), *smtp_options, "--yes")
    assert blocked.exit_code == 3 and "may already have gone out" in blocked.stderr
    again = invoke("followup", str(path), *smtp_options, "--yes", "--resend")
    assert again.exit_code == 0, again.output
    (received,) = smtp_starttls_server.messages_to(GRACE)
    (earlier, resent) = follow_up_rows()
    assert received.parsed()["Message-ID"] == earlier["message_id"] == resent["message_id"]
    # Still the first follow-up: the second is fair a week after the send that is certain.
    assert state_of(monkeypatch, at("2026-12-10")) == ("followed-up", "2026-12-16")


# -- preview --follow-up ---------------------------------------------------------------------


def test_preview_follow_up_shows_the_reply_and_its_checks(
    thanked: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("THANKNOTE_NOW", at("2026-12-01"))  # before its date: a warning only
    result = invoke("preview", str(thanked), "--follow-up", "--out", str(tmp_path / "eml"))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"To:      Grace Hopper <{GRACE}>" in out
    assert "Subject: Re: Senior Backend Engineer interview: thank you, Grace" in out
    assert "Replies: to your thank-you note of Wed 25 Nov 2026" in out
    assert "timing:  first follow-up; its date: Mon 07 Dec 2026 (in 6 days), via smtp" in out
    assert "ok       header safety" in out and "ok       identical bodies" in out
    assert "followup would refuse now: the follow-up date is Mon 07 Dec 2026" in out
    (eml,) = (tmp_path / "eml").glob("*.eml")
    message = parsed(eml.read_bytes())
    assert message["In-Reply-To"] and message["References"] == message["In-Reply-To"]
    data = json.loads(invoke("preview", str(thanked), "--follow-up", "--json").stdout)
    assert data["follow_up"]["number"] == 1 and data["follow_up"]["via"] == "smtp"
    assert data["follow_up"]["in_reply_to"] == message["In-Reply-To"]
    assert data["notes"][0]["subject"].startswith("Re: ")


def test_preview_follow_up_needs_no_log_and_no_account(tmp_path: Path) -> None:
    result = invoke("preview", str(interview_file(tmp_path)), "--follow-up")
    assert result.exit_code == 0, result.output
    assert f"To:      {RECRUITER}" in result.stdout
    assert "Thread:  a new one" in result.stdout
    assert "followup will need --via smtp or --via gmail" in result.stdout
    assert not db_path().exists()


# -- Gmail: the thread id ----------------------------------------------------------------------


@pytest.fixture
def gmail(fake_gmail: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    token = tmp_path / "gmail-token.json"
    token.write_text(fake_gmail.credentials().to_json())
    token.chmod(0o600)
    monkeypatch.setenv("THANKNOTE_GMAIL_TOKEN", str(token))
    monkeypatch.setenv("THANKNOTE_GMAIL_ENDPOINT", fake_gmail.url)
    return fake_gmail


def test_gmail_follow_up_joins_the_thank_you_thread(
    gmail: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = interview_file(tmp_path, follow_up_with=GRACE)
    assert invoke("send", str(path), "--via", "gmail", "--yes").exit_code == 0
    thank_yous = {row["to"]: row for row in json.loads(invoke("log", "--json").stdout)}
    thread = thank_yous[GRACE]["thread_id"]
    assert thread and thread != thank_yous[ALAN]["thread_id"]  # recorded from drafts.send
    monkeypatch.setenv("THANKNOTE_NOW", at("2026-12-08"))
    result = invoke("followup", str(path), "--yes")  # no --via: Gmail, as the thank-yous
    assert result.exit_code == 0, result.output
    create = gmail.requests_for("drafts.create")[-1].json
    send = gmail.requests_for("drafts.send")[-1].json
    assert create["message"]["threadId"] == thread
    assert send["message"]["threadId"] == thread and send["id"]
    sent = gmail.sent[-1]
    assert sent["thread_id"] == thread
    message = parsed(sent["raw"])
    assert message["In-Reply-To"] == thank_yous[GRACE]["message_id"]
    assert message["Subject"] == f"Re: {thank_yous[GRACE]['subject']}"
    (row,) = follow_up_rows()
    assert (row["via"], row["thread_id"], row["in_reply_to"]) == (
        "gmail",
        thread,
        thank_yous[GRACE]["message_id"],
    )


def test_gmail_follow_up_draft_carries_the_thread(
    gmail: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = interview_file(tmp_path, follow_up_with=GRACE)
    assert invoke("send", str(path), "--via", "gmail", "--yes").exit_code == 0
    thread = {row["to"]: row for row in json.loads(invoke("log", "--json").stdout)}[GRACE][
        "thread_id"
    ]
    monkeypatch.setenv("THANKNOTE_NOW", at("2026-12-08"))
    result = invoke("followup", str(path), "--draft")
    assert result.exit_code == 0, result.output
    assert gmail.requests_for("drafts.create")[-1].json["message"]["threadId"] == thread
    (row,) = follow_up_rows()
    assert (row["status"], row["thread_id"]) == ("drafted", thread)
    (draft_raw,) = gmail.drafts.values()
    assert parsed(draft_raw)["Subject"].startswith("Re: Senior Backend Engineer interview")


def test_a_recruiter_outside_the_panel_gets_a_new_thread(
    gmail: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = interview_file(tmp_path)  # follow_up_with: the recruiter
    assert invoke("send", str(path), "--via", "gmail", "--yes").exit_code == 0
    monkeypatch.setenv("THANKNOTE_NOW", at("2026-12-08"))
    assert invoke("followup", str(path), "--yes").exit_code == 0
    create = gmail.requests_for("drafts.create")[-1].json
    assert "threadId" not in create["message"]
    assert gmail.requests_for("drafts.send")[-1].json == {"id": gmail.sent[-1]["draft_id"]}
    message = parsed(gmail.sent[-1]["raw"])
    assert "In-Reply-To" not in message
    assert message["Subject"] == "Following up: Senior Backend Engineer at Analytical Engines Ltd"
    (row,) = follow_up_rows()
    assert row["in_reply_to"] is None and row["thread_id"]  # Gmail's new thread, recorded


# -- text and JSON agree ------------------------------------------------------------------------


def test_text_and_json_list_the_same_interviews(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interview(company: str, follow_up_on: str, *follow_ups: str) -> Path:
        path = interview_file(
            tmp_path, f"{company}.toml", company=company, follow_up_on=follow_up_on
        )
        log_note(path, GRACE)
        for number, when in enumerate(follow_ups):
            log_note(path, RECRUITER, kind=FOLLOW_UP, when=at(when), message_number=number)
        return path

    interview("Waiting Ltd", "2026-12-20")
    interview("Due Ltd", "2026-12-07")
    interview("Followed Ltd", "2026-12-07", "2026-12-07")
    interview("Second Ltd", "2026-12-01", "2026-12-01")
    interview("Closed Ltd", "2026-12-01", "2026-12-01", "2026-12-08")
    done = interview("Done Ltd", "2026-12-01")
    assert invoke("followups", "--done", str(done)).exit_code == 0
    monkeypatch.setenv("THANKNOTE_NOW", at("2026-12-09"))
    for extra in ([], ["--all"]):
        text = invoke("followups", *extra).stdout
        in_text = re.findall(r"^  (\S+ Ltd) / .*\n    state:      ([a-z-]+)", text, re.M)
        data = json.loads(invoke("followups", "--json", *extra).stdout)
        assert in_text == [(item["company"], item["state"]) for item in data["interviews"]]
        left_out = re.search(r"^\((.*); --all lists them\)$", text, re.M)
        shown = ", ".join(f"{n} {state}" for state, n in data["not_listed"].items())
        assert (left_out.group(1) if left_out else "") == shown
    assert {company for company, _ in in_text} == {
        "Waiting Ltd",
        "Due Ltd",
        "Followed Ltd",
        "Second Ltd",
        "Closed Ltd",
    }
    assert dict(in_text) == {
        "Waiting Ltd": "waiting",
        "Due Ltd": "due",
        "Followed Ltd": "followed-up",
        "Second Ltd": "second-due",
        "Closed Ltd": "closed",
    }


# -- the send log of the current release upgrades in place -------------------------------------


def test_a_log_written_by_release_0_1_0_upgrades_in_place(
    tmp_path: Path,
    smtp_options: list[str],
    smtp_starttls_server: SMTPTestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Written by thanknote 0.1.0 (send --via smtp, then followup --via smtp on Dec 8),
    # dumped with sqlite3's iterdump.
    with sqlite3.connect(db_path()) as db:
        db.executescript((DATA / "sendlog-0.1.0.sql").read_text())
    with sqlite3.connect(db_path()) as db:
        before = db.execute("SELECT id, status, message_id FROM notes ORDER BY id").fetchall()
    assert [name for name, _ in sendlog.MIGRATIONS][:2] == ["001_initial", "002_claimed_by"]
    with SendLog(db_path()) as log:
        records = log.records()
    assert [(r.id, r.status, r.message_id) for r in records] == before
    assert all(r.thread_id is None and r.in_reply_to is None for r in records)
    with sqlite3.connect(db_path()) as db:
        names = [row[0] for row in db.execute("SELECT name FROM migrations ORDER BY name")]
    assert names[:3] == ["001_initial", "002_claimed_by", "003_threads"]
    # The follow-up 0.1.0 sent counts: a week later the second is due, as a reply to it.
    path = interview_file(tmp_path, follow_up_with=GRACE)
    monkeypatch.setenv("THANKNOTE_NOW", at("2026-12-15"))
    (item,) = json.loads(invoke("followups", "--json").stdout)["interviews"]
    assert (item["state"], item["followed_up_on"]) == ("second-due", ["2026-12-08"])
    result = invoke("followup", str(path), *smtp_options, "--yes")
    assert result.exit_code == 0, result.output
    (received,) = smtp_starttls_server.messages_to(GRACE)
    first_follow_up = [r for r in records if r.kind == FOLLOW_UP][0]
    thank_you = [r for r in records if r.kind != FOLLOW_UP and r.to == GRACE][0]
    assert received.parsed()["In-Reply-To"] == first_follow_up.message_id
    assert received.parsed()["Subject"] == f"Re: {first_follow_up.subject}"
    assert thank_you.message_id != first_follow_up.message_id


def test_a_log_with_a_later_migration_but_not_003_gets_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A log written by a build that had 004 but not yet 003 (the two landed apart).
    path = tmp_path / "sends.sqlite3"
    monkeypatch.setattr(
        schema, "MIGRATIONS", [m for m in schema.MIGRATIONS if m[0] != "003_threads"]
    )
    SendLog(path).close()
    monkeypatch.undo()
    with SendLog(path) as log:
        assert log.records() == []
    with sqlite3.connect(path) as db:
        names = {row[0] for row in db.execute("SELECT name FROM migrations")}
        columns = {row[1] for row in db.execute("PRAGMA table_info(notes)")}
    assert "003_threads" in names
    assert {"thread_id", "in_reply_to", "reference_ids"} <= columns
