"""Gmail under faults: unparseable answers, a run killed before its draft was recorded,
Ctrl-C, long rate limits, repeated timeouts. Driven against the fake Gmail API."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import thanknote_executable
from tests.gmail_helpers import (
    ALAN,
    GRACE,
    invoke,
    latest_by_recipient,
    log_records,
    prepared_notes,
    write_token,
)
from tests.gmail_server import FakeGmail, Fault
from tests.helpers import write_interview
from thanknote import retry
from thanknote.message import Prepared
from thanknote.retry import Backoff
from thanknote.senders.base import FatalSenderError, Outgoing
from thanknote.senders.gmail import GmailSender
from thanknote.values import Status

BOUND = 60  # seconds; only bounds a hang
GARBAGE = b"<html>502 Bad Gateway from a proxy</html>"


@pytest.fixture
def gmail(fake_gmail: FakeGmail) -> FakeGmail:
    write_token(fake_gmail)
    return fake_gmail


@pytest.fixture
def interview(tmp_path: Path) -> Path:
    return write_interview(tmp_path)


@pytest.fixture
def grace(interview: Path) -> Prepared:
    return prepared_notes(interview)[GRACE]


def sender(fake: FakeGmail, purpose: str = "send", **kwargs: Any) -> GmailSender:
    gmail_sender = GmailSender(purpose, endpoint=fake.url, **kwargs)
    gmail_sender.open()
    return gmail_sender


# -- point 4: only an answer with the draft's id means "the draft exists" -------------------------


def test_an_unparseable_drafts_get_answer_is_not_read_as_the_draft(
    gmail: FakeGmail, grace: Prepared
) -> None:
    gmail.script("drafts.send", Fault.drop_after_effect())  # sent; the answer is lost
    gmail.script("drafts.get", *[Fault.answer(GARBAGE)] * 8)
    outcome = sender(gmail).deliver(Outgoing(grace))
    assert len(gmail.sent) == 1
    assert outcome.status == Status.UNKNOWN  # not "failed ... still in your drafts"
    assert "still in your drafts" not in outcome.detail
    assert len(gmail.requests_for("drafts.send")) == 1  # never sent again on a guess


def test_an_empty_object_from_drafts_get_is_not_the_draft(
    gmail: FakeGmail, grace: Prepared
) -> None:
    gmail.script("drafts.send", Fault.drop_after_effect())
    gmail.script("drafts.get", Fault.answer(b"{}"))  # then the real answer: 404, it was sent
    outcome = sender(gmail).deliver(Outgoing(grace))
    assert outcome.status == "sent" and len(gmail.sent) == 1
    assert len(gmail.requests_for("drafts.get")) == 2


# -- point 5: killed between drafts.create and recording the draft id -----------------------------


def send_process(fake: FakeGmail, interview: Path, *extra: str) -> subprocess.Popen[str]:
    env = dict(os.environ, THANKNOTE_GMAIL_ENDPOINT=fake.url)
    return subprocess.Popen(
        [thanknote_executable(), "send", str(interview), "--via", "gmail", "--yes", *extra],
        env=env,
        text=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for(condition: Any, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + BOUND
    while not condition():
        assert process.poll() is None, "thanknote ended first"
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.02)


@pytest.mark.slow
def test_killed_before_the_draft_id_was_recorded_is_sent_once_and_the_stray_deleted(
    gmail: FakeGmail, interview: Path
) -> None:
    gmail.script("drafts.create", Fault.stall_after_effect(BOUND))
    process = send_process(gmail, interview, "--only", GRACE)
    try:
        wait_for(lambda: gmail.drafts, process)  # the draft exists; its id is not logged
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=BOUND)
    (record,) = log_records()
    assert record["status"] == Status.UNKNOWN and record["gmail_id"] is None
    (stray,) = gmail.drafts
    result = invoke("send", str(interview), "--via", "gmail", "--yes", "--only", GRACE, fake=gmail)
    assert result.exit_code == 0, result.output
    assert f"note: {GRACE}; deleted 1 unsent draft" in result.stderr
    assert len(gmail.sent) == 1 and gmail.sent[0]["draft_id"] != stray
    assert gmail.drafts == {}  # no copy left one click from a second send
    assert [r.path.rsplit("/", 1)[1] for r in gmail.requests_for("drafts.delete")] == [stray]
    assert latest_by_recipient()[GRACE]["status"] == "sent"


def test_when_strays_cannot_be_looked_for_the_note_says_so(
    gmail: FakeGmail, grace: Prepared
) -> None:
    gmail.script("drafts.list", Fault.status(403, "insufficientPermissions"))
    outcome = sender(gmail).deliver(Outgoing(grace, stray_message_ids=(grace.message_id,)))
    assert outcome.status == "sent" and len(gmail.sent) == 1
    assert "could not look for it" in outcome.detail and "delete it" in outcome.detail


def test_a_failed_gmail_attempt_without_a_draft_id_is_cleaned_up_on_retry(
    gmail: FakeGmail, interview: Path
) -> None:
    # Every answer to drafts.create lost, though Gmail made each draft: the note fails.
    gmail.script("drafts.create", *[Fault.drop_after_effect()] * 4)
    first = invoke("send", str(interview), "--via", "gmail", "--yes", "--only", GRACE, fake=gmail)
    assert first.exit_code == 1 and len(gmail.drafts) == 4
    second = invoke("send", str(interview), "--via", "gmail", "--yes", "--only", GRACE, fake=gmail)
    assert second.exit_code == 0, second.output
    assert "deleted 4 unsent draft(s)" in second.stderr
    assert len(gmail.sent) == 1 and gmail.drafts == {}


# -- points 6 and 7: Ctrl-C -----------------------------------------------------------------------


@pytest.mark.slow
def test_ctrl_c_during_drafts_create_records_failed_and_the_rerun_sends_once(
    gmail: FakeGmail, interview: Path
) -> None:
    gmail.script("drafts.create", Fault.stall_after_effect(BOUND))
    process = send_process(gmail, interview)
    try:
        wait_for(lambda: gmail.drafts, process)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=BOUND)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert "stopping…" in err and "Traceback" not in err
    (record,) = log_records()  # the other note was never claimed
    assert record["status"] == Status.FAILED and "interrupted (Ctrl-C)" in str(record["error"])
    result = invoke("send", str(interview), "--via", "gmail", "--yes", fake=gmail)
    assert result.exit_code == 0, result.output
    assert sorted(s["raw"].split(b"To: ")[1][:5] for s in gmail.sent) == [b"Alan ", b"Grace"]
    assert gmail.drafts == {}


@pytest.mark.slow
def test_ctrl_c_during_drafts_send_leaves_it_unknown_and_the_rerun_checks(
    gmail: FakeGmail, interview: Path
) -> None:
    gmail.script("drafts.send", Fault.stall_after_effect(BOUND))
    process = send_process(gmail, interview, "--only", GRACE)
    try:
        wait_for(lambda: gmail.sent, process)
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=BOUND)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    (record,) = log_records()
    assert record["status"] == Status.UNKNOWN and record["gmail_id"] == gmail.sent[0]["draft_id"]
    result = invoke("send", str(interview), "--via", "gmail", "--yes", "--only", GRACE, fake=gmail)
    assert result.exit_code == 0, result.output
    assert len(gmail.sent) == 1  # the draft is gone: the interrupted run sent it
    assert latest_by_recipient()[GRACE]["status"] == "sent"


# -- point 8: bounded waits -----------------------------------------------------------------------


def test_a_short_rate_limit_is_announced_and_waited(gmail: FakeGmail, interview: Path) -> None:
    gmail.script("drafts.send", Fault.status(429, "rateLimitExceeded", retry_after=7))
    result = invoke("send", str(interview), "--via", "gmail", "--yes", "--only", GRACE, fake=gmail)
    assert result.exit_code == 0, result.output
    assert "waiting 7 s (rate limited by Gmail: drafts.send: HTTP 429" in result.stderr
    assert retry.waits[0][0] == 7


def test_a_rate_limit_past_the_cap_stops_the_batch(gmail: FakeGmail, interview: Path) -> None:
    gmail.script("drafts.create", Fault.status(429, "rateLimitExceeded", retry_after=3600))
    result = invoke("send", str(interview), "--via", "gmail", "--yes", fake=gmail)
    assert result.exit_code == 1
    assert "asked to wait 3600 s" in result.stderr and "waiting" not in result.stderr
    assert "[2/2] not tried:" in result.stdout
    assert [r["status"] for r in log_records()] == [Status.FAILED]
    assert gmail.sent == [] and retry.waits == []


def test_a_second_timeout_stops_the_batch(gmail: FakeGmail, grace: Prepared) -> None:
    gmail.script("drafts.create", Fault.stall(10), Fault.stall(10))
    gmail_sender = sender(gmail, timeout=0.3, backoff=Backoff(attempts=4))
    with pytest.raises(FatalSenderError) as stop:
        gmail_sender.deliver(Outgoing(grace))
    assert "timed out 2 times" in str(stop.value)
    assert stop.value.outcome.status == Status.FAILED  # no drafts.send was ever made
    assert gmail.sent == [] and len(gmail.requests_for("drafts.create")) == 2


def test_one_drafts_resource_per_batch(gmail: FakeGmail, interview: Path) -> None:
    notes = prepared_notes(interview)
    gmail_sender = sender(gmail)
    resource = gmail_sender.drafts
    for to in (GRACE, ALAN):
        assert gmail_sender.deliver(Outgoing(notes[to])).status == "sent"
    assert gmail_sender.drafts is resource


def test_an_answer_that_trickles_in_is_cut_at_the_call_deadline(
    gmail: FakeGmail, grace: Prepared
) -> None:
    gmail.script("drafts.create", Fault.trickle(20), Fault.trickle(20))
    gmail_sender = sender(gmail, timeout=5, call_seconds=0.5)
    with pytest.raises(FatalSenderError) as stop:
        gmail_sender.deliver(Outgoing(grace))
    assert "timed out 2 times" in str(stop.value) and "within 0.5 s" in str(stop.value)
    assert stop.value.outcome.status == Status.FAILED and gmail.sent == []
