# ruff: noqa: S105, S106 -- fake credentials, by design
"""`thanknote draft` and `thanknote send --via gmail` against a local fake of the Gmail API.

The real google-api-python-client, google-auth and httplib2 talk HTTP to
tests/gmail_server.py through THANKNOTE_GMAIL_ENDPOINT; the real CLI runs through
Typer's CliRunner (and, for the crash test, as a subprocess that is killed).
"""

from __future__ import annotations

import base64
import os
import signal
import sqlite3
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import thanknote_executable
from tests.gmail_helpers import (
    ALAN,
    GRACE,
    SECRETS,
    endpoints,
    invoke,
    latest_by_recipient,
    log_records,
    parse,
    recipients,
    token_path,
    write_token,
)
from tests.gmail_server import FakeGmail, Fault
from tests.helpers import write_interview
from tests.smtp_server import SMTPTestServer

# Set once the batch passes on which log state a resumed draft id came from (see the
# report of issue #4); until then a draft that is gone is taken as sent, whatever its origin.


@pytest.fixture
def gmail(fake_gmail: FakeGmail) -> FakeGmail:
    """The fake, with a valid token for it on disk."""
    write_token(fake_gmail)
    return fake_gmail


@pytest.fixture
def interview(tmp_path: Path) -> Path:
    return write_interview(tmp_path)


def draft_ids_by_recipient(fake: FakeGmail) -> dict[str, str]:
    return {recipients(raw)[0]: draft_id for draft_id, raw in fake.drafts.items()}


def sent_to(fake: FakeGmail) -> list[str]:
    return [recipients(item["raw"])[0] for item in fake.sent]


# -- draft --------------------------------------------------------------------------------


def test_draft_creates_one_draft_per_interviewer(gmail: FakeGmail, interview: Path) -> None:
    result = invoke("draft", str(interview), fake=gmail)
    assert result.exit_code == 0, result.output
    assert "2 drafted" in result.stdout

    creates = gmail.requests_for("drafts.create")
    assert len(creates) == 2
    assert {r.headers["authorization"] for r in creates} == {"Bearer access-1"}
    assert gmail.sent == []
    by_recipient = draft_ids_by_recipient(gmail)
    assert set(by_recipient) == {GRACE, ALAN}
    for request in creates:
        raw = base64.urlsafe_b64decode(request.json["message"]["raw"])
        message = parse(raw)
        assert recipients(raw) == [message["to"].addresses[0].addr_spec]
        assert str(message["from"]) == "Ada Lovelace <ada@example.com>"
        first = message["to"].addresses[0].display_name.split()[0]
        assert message["subject"] == f"Senior Backend Engineer interview: thank you, {first}"
        assert message["message-id"] and message["date"]

    records = latest_by_recipient()
    for to, draft_id in by_recipient.items():
        assert records[to]["status"] == "drafted"
        assert records[to]["via"] == "gmail"
        assert records[to]["gmail_id"] == draft_id
        assert records[to]["sent_at"] is None


def test_each_draft_carries_its_own_note(gmail: FakeGmail, interview: Path) -> None:
    assert invoke("draft", str(interview), fake=gmail).exit_code == 0
    bodies = {recipients(raw)[0]: parse(raw).get_content() for raw in gmail.drafts.values()}
    assert "billing onto an event log" in bodies[GRACE]
    assert "flaky settlement tests" in bodies[ALAN]
    assert "billing onto an event log" not in bodies[ALAN]


def test_draft_rerun_creates_no_second_draft(gmail: FakeGmail, interview: Path) -> None:
    assert invoke("draft", str(interview), fake=gmail).exit_code == 0
    again = invoke("draft", str(interview), fake=gmail)
    assert again.exit_code == 0, again.output
    assert "already drafted" in again.stdout
    assert len(gmail.requests_for("drafts.create")) == 2
    assert len(gmail.drafts) == 2


def test_draft_dry_run_touches_nothing(gmail: FakeGmail, interview: Path) -> None:
    result = invoke("draft", str(interview), "--dry-run", fake=gmail)
    assert result.exit_code == 0, result.output
    assert gmail.requests == []


# -- send through a draft -------------------------------------------------------------------


def test_send_creates_a_draft_then_sends_it(gmail: FakeGmail, interview: Path) -> None:
    result = invoke("send", str(interview), "--via", "gmail", "--yes", fake=gmail)
    assert result.exit_code == 0, result.output
    assert "2 sent" in result.stdout
    assert endpoints(gmail) == ["drafts.create", "drafts.send"] * 2
    creates, sends = gmail.requests_for("drafts.create"), gmail.requests_for("drafts.send")
    assert [s["draft_id"] for s in gmail.sent] == [r.json["id"] for r in sends]
    assert sorted(sent_to(gmail)) == sorted([GRACE, ALAN])
    for item, create in zip(gmail.sent, creates, strict=True):
        assert item["raw"] == base64.urlsafe_b64decode(create.json["message"]["raw"])
    assert gmail.drafts == {}

    records = latest_by_recipient()
    for item in gmail.sent:
        record = records[recipients(item["raw"])[0]]
        assert record["status"] == "sent"
        assert record["gmail_id"] == item["draft_id"]
        assert record["on_time"] is True
        assert record["sent_at"] == "2026-11-25T17:00:00-05:00"


def test_send_after_draft_sends_the_existing_drafts(gmail: FakeGmail, interview: Path) -> None:
    assert invoke("draft", str(interview), fake=gmail).exit_code == 0
    drafted = draft_ids_by_recipient(gmail)
    result = invoke("send", str(interview), "--via", "gmail", "--yes", fake=gmail)
    assert result.exit_code == 0, result.output
    assert len(gmail.requests_for("drafts.create")) == 2  # only the draft run's
    assert {s["draft_id"] for s in gmail.sent} == set(drafted.values())
    assert len(gmail.sent) == 2
    records = latest_by_recipient()
    assert {to: r["gmail_id"] for to, r in records.items()} == drafted
    assert {r["status"] for r in records.values()} == {"sent"}
    # And a third run has nothing left to do.
    again = invoke("send", str(interview), "--via", "gmail", "--yes", fake=gmail)
    assert again.exit_code == 0 and "already sent" in again.stdout
    assert len(gmail.sent) == 2


def test_send_after_draft_logs_exactly_what_the_draft_holds(
    gmail: FakeGmail, interview: Path
) -> None:
    assert invoke("draft", str(interview), fake=gmail).exit_code == 0
    drafted_ids = {to: r["message_id"] for to, r in latest_by_recipient().items()}
    assert invoke("send", str(interview), "--via", "gmail", "--yes", fake=gmail).exit_code == 0
    for item in gmail.sent:
        to = recipients(item["raw"])[0]
        assert parse(item["raw"])["message-id"] == drafted_ids[to]
        assert latest_by_recipient()[to]["message_id"] == drafted_ids[to]


def test_a_draft_made_from_an_older_file_is_not_sent(gmail: FakeGmail, interview: Path) -> None:
    """Draft, then change the file: the stale draft is not sent behind the user's back."""
    assert invoke("draft", str(interview), fake=gmail).exit_code == 0
    old_draft = draft_ids_by_recipient(gmail)[GRACE]
    interview.write_text(
        interview.read_text().replace(
            "replay a month of invoices", "replay a quarter of invoices on a staging copy"
        )
    )
    redraft = invoke("draft", str(interview), fake=gmail)
    assert "the file has changed since: --resend grace@analytical.example" in redraft.stdout
    result = invoke("send", str(interview), "--via", "gmail", "--yes", fake=gmail)
    assert "was made from an earlier version of the file" in result.stdout
    assert sent_to(gmail) == [ALAN]
    assert latest_by_recipient()[GRACE]["status"] == "drafted"
    fresh = invoke("send", str(interview), "--via", "gmail", "--yes", "--resend", GRACE, fake=gmail)
    assert fresh.exit_code == 0, fresh.output
    assert f"Gmail draft {old_draft} still holds an earlier note to {GRACE}" in fresh.stderr
    (grace_sent,) = [s for s in gmail.sent if recipients(s["raw"]) == [GRACE]]
    assert "a quarter of invoices" in parse(grace_sent["raw"]).get_content()
    assert grace_sent["draft_id"] != old_draft


def test_sending_by_smtp_after_drafting_says_to_delete_the_draft(
    gmail: FakeGmail, interview: Path, smtp_starttls_server: SMTPTestServer
) -> None:
    assert invoke("draft", str(interview), fake=gmail).exit_code == 0
    server = smtp_starttls_server
    assert server.cert is not None
    result = invoke(
        "send",
        str(interview),
        "--via",
        "smtp",
        "--yes",
        "--smtp-host",
        server.host,
        "--smtp-port",
        str(server.port),
        "--smtp-security",
        "starttls",
        "--smtp-cafile",
        str(server.cert),
        env={"THANKNOTE_SMTP_PASSWORD": "s3cret-app-pass"},
    )
    assert result.exit_code == 0, result.output
    drafts = draft_ids_by_recipient(gmail)
    assert f"Gmail draft {drafts[GRACE]} still holds an earlier note to {GRACE}" in result.stderr
    assert len(server.messages) == 2


def test_a_draft_gone_from_gmail_is_not_sent_again(gmail: FakeGmail, interview: Path) -> None:
    """The user sent (or deleted) a `thanknote draft` draft in Gmail: no second copy."""
    assert invoke("draft", str(interview), fake=gmail).exit_code == 0
    grace_draft = draft_ids_by_recipient(gmail)[GRACE]
    del gmail.drafts[grace_draft]
    result = invoke("send", str(interview), "--via", "gmail", "--yes", fake=gmail)
    assert sent_to(gmail) == [ALAN]
    assert grace_draft not in [r.json["id"] for r in gmail.requests_for("drafts.send")]
    assert len(gmail.requests_for("drafts.create")) == 2
    grace = latest_by_recipient()[GRACE]
    # The log says the draft came from `thanknote draft`: its fate is the user's doing.
    assert result.exit_code == 1
    assert (grace["status"], grace["gmail_id"]) == ("unknown", None)
    assert "--resend grace@analytical.example" in result.stdout
    rerun = invoke("send", str(interview), "--via", "gmail", "--yes", fake=gmail)
    assert "unknown" in rerun.stdout and sent_to(gmail) == [ALAN]


# -- rate limits and server errors ------------------------------------------------------------


def test_429_with_retry_after_is_retried(gmail: FakeGmail, interview: Path) -> None:
    gmail.script("drafts.create", Fault.status(429, "rateLimitExceeded", retry_after=7))
    gmail.script("drafts.send", Fault.status(429, "rateLimitExceeded", retry_after=3))
    result = invoke("send", str(interview), "--via", "gmail", "--yes", fake=gmail)
    assert result.exit_code == 0, result.output
    assert len(gmail.requests_for("drafts.create")) == 3
    assert len(gmail.requests_for("drafts.send")) == 3
    assert len(gmail.sent) == 2 and len(gmail.drafts) == 0
    assert gmail.requests_for("drafts.get") == []  # a 429 is a clear "not done"


def test_403_user_rate_limit_is_retried(gmail: FakeGmail, interview: Path) -> None:
    gmail.script("drafts.create", Fault.status(403, "userRateLimitExceeded"))
    result = invoke("draft", str(interview), fake=gmail)
    assert result.exit_code == 0, result.output
    assert len(gmail.drafts) == 2


def test_5xx_on_drafts_create_is_retried(gmail: FakeGmail, interview: Path) -> None:
    gmail.script("drafts.create", Fault.status(503), Fault.status(500))
    result = invoke("send", str(interview), "--via", "gmail", "--yes", fake=gmail)
    assert result.exit_code == 0, result.output
    assert len(gmail.sent) == 2 and gmail.drafts == {}


def test_a_lost_create_answer_may_leave_a_stray_draft_but_one_send(
    gmail: FakeGmail, interview: Path
) -> None:
    gmail.script("drafts.create", Fault.after_effect(503))
    result = invoke("send", str(interview), "--via", "gmail", "--yes", "--only", GRACE, fake=gmail)
    assert result.exit_code == 0, result.output
    assert sent_to(gmail) == [GRACE]
    assert len(gmail.drafts) == 1  # the first attempt's draft: unsent, and the user is told
    assert latest_by_recipient()[GRACE]["status"] == "sent"


def test_single_dropped_create_is_retried_by_thanknote_not_httplib2(
    gmail: FakeGmail, interview: Path
) -> None:
    gmail.script("drafts.create", Fault.drop_after_effect())
    result = invoke("draft", str(interview), "--only", GRACE, fake=gmail)
    assert result.exit_code == 0, result.output
    assert len(gmail.requests_for("drafts.create")) == 2
    # The answer was lost after Gmail stored the draft: the note says so.
    assert "second, unsent copy" in result.stdout
    assert latest_by_recipient()[GRACE]["status"] == "drafted"


# -- the outcome of drafts.send is unclear: drafts.get decides ----------------------------------


@pytest.mark.parametrize(
    "faults",
    [
        [Fault.after_effect(503)],
        [Fault.after_effect(500)],
        [Fault.drop_after_effect()],
        [Fault.drop_after_effect(), Fault.drop_after_effect()],
        [Fault.after_effect(404)],
    ],
    ids=[
        "503-after-sending",
        "500-after-sending",
        "answer-lost",
        "answer-lost-twice",
        "404-after-sending",
    ],
)
def test_send_whose_answer_is_lost_is_resolved_without_a_second_send(
    gmail: FakeGmail, interview: Path, faults: list[Fault]
) -> None:
    gmail.script("drafts.send", *faults)
    result = invoke("send", str(interview), "--via", "gmail", "--yes", "--only", GRACE, fake=gmail)
    assert result.exit_code == 0, result.output
    assert len(gmail.sent) == 1
    assert len(gmail.requests_for("drafts.send")) == 1  # never re-sent, by anyone
    assert len(gmail.requests_for("drafts.get")) == 1
    record = latest_by_recipient()[GRACE]
    assert record["status"] == "sent"
    assert record["gmail_id"] == gmail.sent[0]["draft_id"]


@pytest.mark.parametrize(
    "faults",
    [
        [Fault.status(503)],
        [Fault.status(500), Fault.status(502)],
        [Fault.drop()],
        [Fault.drop(), Fault.drop()],
        [Fault.status(404)],
    ],
    ids=["503", "500-then-502", "dropped", "dropped-twice", "404-but-draft-exists"],
)
def test_send_that_failed_before_sending_is_retried_and_sent_once(
    gmail: FakeGmail, interview: Path, faults: list[Fault]
) -> None:
    gmail.script("drafts.send", *faults)
    result = invoke("send", str(interview), "--via", "gmail", "--yes", "--only", GRACE, fake=gmail)
    assert result.exit_code == 0, result.output
    assert len(gmail.sent) == 1
    assert len(gmail.requests_for("drafts.send")) == len(faults) + 1
    assert len(gmail.requests_for("drafts.get")) == len(faults)
    assert latest_by_recipient()[GRACE]["status"] == "sent"


def test_send_that_times_out_is_resolved_by_drafts_get(
    fake_gmail: FakeGmail, interview: Path
) -> None:
    from thanknote import delivery, planning
    from thanknote.senders.gmail import GmailSender
    from thanknote.sendlog import SendLog

    write_token(fake_gmail)
    fake_gmail.script("drafts.send", Fault.stall(5))
    plan = planning.plan(
        planning.Request(path=interview, via="gmail", purpose="send", only=frozenset({GRACE})),
        _now(),
    )
    sender = GmailSender("send", endpoint=fake_gmail.url, timeout=0.3)
    with SendLog(plan.log_path) as log:
        result = delivery.deliver(
            plan.planned,
            sender,
            log,
            plan.interview_file.interview,
            resend=frozenset(),
            now=_now,
        )
    assert [r.status for r in result.results] == ["sent"]
    assert len(fake_gmail.requests_for("drafts.send")) == 2
    assert len(fake_gmail.sent) == 1


def _now() -> datetime:
    from thanknote import clock

    return clock.now()


def test_unclear_send_and_unanswered_get_leave_unknown_then_rerun_finishes(
    gmail: FakeGmail, interview: Path
) -> None:
    gmail.script("drafts.send", Fault.after_effect(503))
    gmail.script("drafts.get", *[Fault.status(503)] * 4)
    result = invoke("send", str(interview), "--via", "gmail", "--yes", "--only", GRACE, fake=gmail)
    assert result.exit_code == 1
    record = latest_by_recipient()[GRACE]
    assert record["status"] == "unknown"
    assert record["gmail_id"] == gmail.sent[0]["draft_id"]
    rerun = invoke("send", str(interview), "--via", "gmail", "--yes", "--only", GRACE, fake=gmail)
    assert rerun.exit_code == 0, rerun.output
    assert len(gmail.sent) == 1  # the rerun found the draft gone: it had been sent
    assert latest_by_recipient()[GRACE]["status"] == "sent"


# -- per-note failures ------------------------------------------------------------------------


def test_400_fails_one_note_and_the_others_go(gmail: FakeGmail, interview: Path) -> None:
    gmail.script("drafts.create", Fault.status(400, "invalidArgument", message="Invalid To header"))
    result = invoke("send", str(interview), "--via", "gmail", "--yes", fake=gmail)
    assert result.exit_code == 1
    assert "Invalid To header" in result.stdout
    assert len(gmail.sent) == 1
    statuses = sorted(r["status"] for r in latest_by_recipient().values())
    assert statuses == ["failed", "sent"]
    failed = next(r for r in latest_by_recipient().values() if r["status"] == "failed")
    assert "400" in failed["error"] and "invalidArgument" in failed["error"]
    # The rerun delivers only what is left.
    rerun = invoke("send", str(interview), "--via", "gmail", "--yes", fake=gmail)
    assert rerun.exit_code == 0, rerun.output
    assert sorted(sent_to(gmail)) == sorted([GRACE, ALAN])


def test_400_on_drafts_send_keeps_the_draft_and_fails_the_note(
    gmail: FakeGmail, interview: Path
) -> None:
    gmail.script("drafts.send", Fault.status(400, "failedPrecondition"))
    result = invoke("send", str(interview), "--via", "gmail", "--yes", "--only", GRACE, fake=gmail)
    assert result.exit_code == 1
    record = latest_by_recipient()[GRACE]
    (draft_id,) = gmail.drafts
    assert (record["status"], record["gmail_id"]) == ("failed", draft_id)
    assert "still in your Gmail drafts" in record["error"]
    assert gmail.sent == []
    rerun = invoke("send", str(interview), "--via", "gmail", "--yes", "--only", GRACE, fake=gmail)
    assert rerun.exit_code == 0, rerun.output
    assert len(gmail.sent) == 1
    # The rerun sends the draft the failed run left, rather than a new copy of it.
    assert [s["draft_id"] for s in gmail.sent] == [draft_id]
    assert len(gmail.requests_for("drafts.create")) == 1 and gmail.drafts == {}


def test_403_insufficient_permissions_is_reported_in_words(
    gmail: FakeGmail, interview: Path
) -> None:
    gmail.script("drafts.create", Fault.status(403, "insufficientPermissions"))
    result = invoke("draft", str(interview), fake=gmail)
    assert result.exit_code == 1
    assert "insufficientPermissions" in result.stdout
    assert "thanknote auth" in result.stdout
    assert len(gmail.drafts) == 1


def test_persistent_5xx_gives_up_after_bounded_attempts(gmail: FakeGmail, interview: Path) -> None:
    gmail.script("drafts.create", *[Fault.status(503)] * 4)
    result = invoke("send", str(interview), "--via", "gmail", "--yes", "--only", GRACE, fake=gmail)
    assert result.exit_code == 1
    assert len(gmail.requests_for("drafts.create")) == 4
    record = latest_by_recipient()[GRACE]
    assert record["status"] == "failed" and "4 attempts" in record["error"]


# -- the token --------------------------------------------------------------------------------


def test_expired_token_without_usable_refresh_exits_2_with_the_auth_hint(
    fake_gmail: FakeGmail, interview: Path
) -> None:
    write_token(fake_gmail, expires_in=-timedelta(hours=1))
    fake_gmail.valid_refresh_tokens.clear()
    result = invoke("send", str(interview), "--via", "gmail", "--yes", fake=fake_gmail)
    assert result.exit_code == 2, result.output
    assert "thanknote auth" in result.stderr
    assert "7 days" in result.stderr and "Testing" in result.stderr
    assert "Traceback" not in result.output
    for secret in SECRETS:
        assert secret not in result.output
    assert fake_gmail.requests_for("drafts.create") == []
    assert log_records() == []  # nothing was claimed


def test_missing_token_exits_2_before_anything_is_logged(
    fake_gmail: FakeGmail, interview: Path
) -> None:
    result = invoke("draft", str(interview), fake=fake_gmail)
    assert result.exit_code == 2
    assert "no Gmail token" in result.stderr and "thanknote auth" in result.stderr
    assert fake_gmail.requests == [] and log_records() == []


def test_expired_token_is_refreshed_and_saved_0600(fake_gmail: FakeGmail, interview: Path) -> None:
    path = write_token(fake_gmail, expires_in=-timedelta(hours=1))
    fake_gmail.valid_tokens.discard("access-1")
    result = invoke("draft", str(interview), fake=fake_gmail)
    assert result.exit_code == 0, result.output
    assert endpoints(fake_gmail)[0] == "token"
    assert {r.headers["authorization"] for r in fake_gmail.requests_for("drafts.create")} == {
        "Bearer access-2"
    }
    import json

    saved = json.loads(path.read_text())
    assert saved["token"] == "access-2" and saved["refresh_token"] == "refresh-1"
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_token_refreshed_mid_batch_is_saved(fake_gmail: FakeGmail, interview: Path) -> None:
    """Gmail rejects a token the file thinks valid: the client refreshes, thanknote saves it."""
    path = write_token(fake_gmail)
    fake_gmail.valid_tokens.discard("access-1")
    result = invoke("draft", str(interview), fake=fake_gmail)
    assert result.exit_code == 0, result.output
    import json

    assert json.loads(path.read_text())["token"] == "access-2"
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_token_revoked_mid_batch_stops_the_batch(fake_gmail: FakeGmail, interview: Path) -> None:
    write_token(fake_gmail)  # looks valid; Google has revoked it
    fake_gmail.valid_tokens.clear()
    fake_gmail.valid_refresh_tokens.clear()
    result = invoke("send", str(interview), "--via", "gmail", "--yes", fake=fake_gmail)
    assert result.exit_code == 2  # nothing went out: sign in again, as for a missing token
    assert "stopped" in result.stderr and "thanknote auth" in result.stderr
    for secret in SECRETS:
        assert secret not in result.output
    records = log_records()
    assert [r["status"] for r in records] == ["failed"]  # the second note was never claimed
    assert fake_gmail.drafts == {} and fake_gmail.sent == []


def test_plain_http_endpoint_off_this_machine_is_refused(gmail: FakeGmail, interview: Path) -> None:
    result = invoke(
        "draft", str(interview), env={"THANKNOTE_GMAIL_ENDPOINT": "http://gmail.example.com"}
    )
    assert result.exit_code == 2
    assert "unencrypted" in result.stderr


# -- crash and resume ---------------------------------------------------------------------------


def _crash_during_drafts_send(fake: FakeGmail, interview: Path) -> str:
    """Run `thanknote send` as a process and kill it while drafts.send waits for Gmail."""
    fake.script("drafts.send", Fault.stall(30))
    env = dict(os.environ, THANKNOTE_GMAIL_ENDPOINT=fake.url)
    process = subprocess.Popen(
        [
            thanknote_executable(),
            "send",
            str(interview),
            "--via",
            "gmail",
            "--yes",
            "--only",
            GRACE,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not fake.requests_for("drafts.send"):
            assert process.poll() is None, "thanknote ended before drafts.send"
            assert time.monotonic() < deadline, "drafts.send never came"
            time.sleep(0.02)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    (record,) = log_records()
    assert record["status"] == "unknown"  # left 'sending' by the crash
    assert record["gmail_id"] in fake.drafts
    return str(record["gmail_id"])


def test_crash_during_send_then_rerun_sends_the_draft_once(
    gmail: FakeGmail, interview: Path
) -> None:
    draft_id = _crash_during_drafts_send(gmail, interview)
    assert gmail.sent == []
    result = invoke("send", str(interview), "--via", "gmail", "--yes", "--only", GRACE, fake=gmail)
    assert result.exit_code == 0, result.output
    assert [s["draft_id"] for s in gmail.sent] == [draft_id]
    assert len(gmail.requests_for("drafts.create")) == 1
    record = latest_by_recipient()[GRACE]
    assert (record["status"], record["gmail_id"]) == ("sent", draft_id)


def test_crash_during_send_then_rerun_finds_it_sent(gmail: FakeGmail, interview: Path) -> None:
    draft_id = _crash_during_drafts_send(gmail, interview)
    gmail.drafts.pop(draft_id)  # Gmail had sent it before the process died
    result = invoke("send", str(interview), "--via", "gmail", "--yes", "--only", GRACE, fake=gmail)
    assert result.exit_code == 0, result.output
    assert gmail.sent == []  # nothing sent again
    assert gmail.requests_for("drafts.send")[-1].fault is not None  # only the crashed one
    assert len(gmail.requests_for("drafts.send")) == 1
    record = latest_by_recipient()[GRACE]
    assert (record["status"], record["gmail_id"]) == ("sent", draft_id)


def test_interrupted_send_row_resumes_from_the_log(gmail: FakeGmail, interview: Path) -> None:
    """The same, with the interrupted row written through the send log's own API."""
    from thanknote import clock, loader
    from thanknote.render import render_notes
    from thanknote.sendlog import SendLog

    existing = (
        gmail.build_service()
        .users()
        .drafts()
        .create(userId="me", body={"message": {"raw": base64.urlsafe_b64encode(b"x").decode()}})
        .execute()
    )
    gone_id = "r-404"
    interview_file = loader.load(interview)
    notes = {n.to: n for n in render_notes(interview_file)}
    with SendLog(Path(os.environ["THANKNOTE_DB"])) as log:
        interview_id = log.add_interview(interview_file.interview, interview)
        assert interview_id is not None
        for to, draft_id in ((GRACE, existing["id"]), (ALAN, gone_id)):
            claim = log.claim(
                interview_id,
                notes[to],
                via="gmail",
                purpose="send",
                message_id=f"<{to}>",
                resend=False,
                now=clock.now(),
            )
            log.set_gmail_id(claim.row_id, draft_id)  # type: ignore[union-attr]
    result = invoke("send", str(interview), "--via", "gmail", "--yes", fake=gmail)
    assert result.exit_code == 0, result.output
    assert [s["draft_id"] for s in gmail.sent] == [existing["id"]]
    assert gmail.requests_for("drafts.create") == [gmail.requests[0]]
    records = latest_by_recipient()
    assert (records[GRACE]["status"], records[GRACE]["gmail_id"]) == ("sent", existing["id"])
    assert (records[ALAN]["status"], records[ALAN]["gmail_id"]) == ("sent", gone_id)


def test_token_path_is_the_isolated_one() -> None:
    assert token_path().parent == Path.cwd()


def test_a_crashed_send_whose_process_id_was_reused_is_resumed(
    gmail: FakeGmail, interview: Path
) -> None:
    """After a reboot, the crashed run's process id may belong to a long-lived program.

    The claim records when its process started, so that program does not pass for
    the claimant: the rerun resumes the draft instead of waiting on it for good.
    """
    import socket
    import sys

    from thanknote.claimant import started

    draft_id = _crash_during_drafts_send(gmail, interview)
    squatter = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        if started(squatter.pid) is None:
            pytest.skip("this system does not say when a process started")
        with sqlite3.connect(os.environ["THANKNOTE_DB"]) as db:
            # The crashed claim now names a live process id, started at another time.
            (claimed_at,) = db.execute("SELECT claimant_started FROM notes").fetchone()
            assert claimed_at is not None and claimed_at != started(squatter.pid)
            db.execute(
                "UPDATE notes SET claimed_by = ?", (f"{socket.gethostname()}:{squatter.pid}",)
            )
        db.close()
        result = invoke(
            "send", str(interview), "--via", "gmail", "--yes", "--only", GRACE, fake=gmail
        )
    finally:
        squatter.kill()
        squatter.wait()
    assert result.exit_code == 0, result.output
    assert [s["draft_id"] for s in gmail.sent] == [draft_id]
    assert latest_by_recipient()[GRACE]["status"] == "sent"
