# ruff: noqa: S105, S106 -- fake credentials, by design
"""GmailSender on its own: what it does with each answer, driven against the fake Gmail API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from tests.gmail_helpers import GRACE, prepared_notes, write_token
from tests.gmail_server import FakeGmail, Fault
from tests.helpers import write_interview
from thanknote import retry
from thanknote.message import Prepared
from thanknote.retry import Backoff
from thanknote.senders.base import FatalSenderError, Outgoing
from thanknote.senders.gmail import GmailSender, check_endpoint


@dataclass(frozen=True)
class Resumed(Outgoing):
    """An Outgoing that says which log state its draft id came from."""

    resumed_status: str | None = None


@pytest.fixture
def grace(tmp_path: Path) -> Prepared:
    return prepared_notes(write_interview(tmp_path))[GRACE]


@pytest.fixture
def gmail(fake_gmail: FakeGmail) -> FakeGmail:
    write_token(fake_gmail)
    return fake_gmail


def sender(fake: FakeGmail, purpose: str = "send", **kwargs: Any) -> GmailSender:
    gmail_sender = GmailSender(purpose, endpoint=fake.url, **kwargs)
    gmail_sender.open()
    return gmail_sender


def existing_draft(fake: FakeGmail) -> str:
    import base64

    body = {"message": {"raw": base64.urlsafe_b64encode(b"To: x@example.com\r\n\r\nx").decode()}}
    return str(fake.build_service().users().drafts().create(userId="me", body=body).execute()["id"])


def test_the_draft_id_is_recorded_before_drafts_send(gmail: FakeGmail, grace: Prepared) -> None:
    seen = []
    outgoing = Outgoing(
        grace,
        record_gmail_id=lambda gmail_id: seen.append(
            (gmail_id, [r.endpoint for r in gmail.requests])
        ),
    )
    outcome = sender(gmail).deliver(outgoing)
    assert outcome.status == "sent"
    assert seen == [(outcome.gmail_id, ["drafts.create"])]


def test_retry_after_is_honoured(gmail: FakeGmail, grace: Prepared) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    gmail.script("drafts.create", Fault.status(429, "rateLimitExceeded", retry_after=7))
    gmail.script("drafts.send", Fault.status(403, "userRateLimitExceeded", retry_after=later))
    outcome = sender(gmail).deliver(Outgoing(grace))
    assert outcome.status == "sent" and outcome.attempts == 2
    (first, why), (second, _) = retry.waits
    assert first == 7.0 and why.startswith("rate limited by Gmail")
    assert 20 < second <= 30


def test_5xx_without_retry_after_uses_the_bounded_backoff(
    gmail: FakeGmail, grace: Prepared
) -> None:
    gmail.script("drafts.create", *[Fault.status(503)] * 3)
    outcome = sender(gmail, "draft", backoff=Backoff(attempts=3)).deliver(Outgoing(grace))
    assert outcome.status == "failed" and outcome.attempts == 3
    # The real delays (jittered, doubling), and no wait after the last attempt.
    assert len(retry.waits) == 2 and 0.5 <= retry.waits[0][0] <= 1 <= retry.waits[1][0] <= 2


def test_resumed_draft_made_by_thanknote_draft_and_gone_is_not_sent(
    gmail: FakeGmail, grace: Prepared
) -> None:
    recorded: list[str] = []
    outcome = sender(gmail).deliver(
        Resumed(grace, gmail_id="r-99", resumed_status="drafted", record_gmail_id=recorded.append)
    )
    assert outcome.status == "unknown"
    assert "--resend grace@analytical.example" in outcome.detail
    assert gmail.requests_for("drafts.send") == [] and recorded == []


def test_resumed_draft_made_by_thanknote_draft_is_sent_once(
    gmail: FakeGmail, grace: Prepared
) -> None:
    draft_id = existing_draft(gmail)
    recorded: list[str] = []
    outcome = sender(gmail).deliver(
        Resumed(grace, gmail_id=draft_id, resumed_status="drafted", record_gmail_id=recorded.append)
    )
    assert (outcome.status, outcome.gmail_id) == ("sent", draft_id)
    assert recorded == [draft_id]
    assert [s["draft_id"] for s in gmail.sent] == [draft_id]


@pytest.mark.parametrize("resumed_status", ["sending", "unknown", None])
def test_resumed_draft_of_an_interrupted_send_that_is_gone_was_sent(
    gmail: FakeGmail, grace: Prepared, resumed_status: str | None
) -> None:
    outcome = sender(gmail).deliver(Resumed(grace, gmail_id="r-99", resumed_status=resumed_status))
    assert (outcome.status, outcome.gmail_id) == ("sent", "r-99")
    assert gmail.requests_for("drafts.send") == []


@pytest.mark.parametrize("resumed_status, status", [("sending", "unknown"), ("drafted", "failed")])
def test_resumed_draft_that_cannot_be_checked(
    gmail: FakeGmail, grace: Prepared, resumed_status: str, status: str
) -> None:
    gmail.script("drafts.get", *[Fault.status(503)] * 4)
    outcome = sender(gmail).deliver(Resumed(grace, gmail_id="r-7", resumed_status=resumed_status))
    assert (outcome.status, outcome.gmail_id) == (status, "r-7")
    assert gmail.requests_for("drafts.send") == []


def test_draft_purpose_keeps_a_resumed_draft(gmail: FakeGmail, grace: Prepared) -> None:
    draft_id = existing_draft(gmail)
    outcome = sender(gmail, "draft").deliver(
        Resumed(grace, gmail_id=draft_id, resumed_status="sending")
    )
    assert (outcome.status, outcome.gmail_id) == ("drafted", draft_id)
    assert len(gmail.requests_for("drafts.create")) == 1 and gmail.sent == []


def test_auth_lost_while_checking_an_unclear_send_is_fatal_and_unknown(
    gmail: FakeGmail, grace: Prepared
) -> None:
    gmail_sender = sender(gmail)
    gmail.script("drafts.send", Fault.after_effect(503))
    gmail.script("drafts.get", Fault.status(401), Fault.status(401), Fault.status(401))
    with pytest.raises(FatalSenderError) as caught:
        gmail_sender.deliver(Outgoing(grace))
    assert caught.value.outcome.status == "unknown"
    assert caught.value.outcome.gmail_id == gmail.sent[0]["draft_id"]
    assert "thanknote auth" in str(caught.value)


def test_a_401_that_a_refresh_cures_is_invisible(gmail: FakeGmail, grace: Prepared) -> None:
    gmail.script("drafts.send", Fault.status(401))
    outcome = sender(gmail).deliver(Outgoing(grace))
    assert outcome.status == "sent" and len(gmail.sent) == 1
    assert len(gmail.requests_for("token")) == 1


def test_connection_refused_is_retried_then_stops_the_batch(grace: Prepared) -> None:
    with FakeGmail() as fake:
        write_token(fake)
        gmail_sender = sender(fake, backoff=Backoff(attempts=2))
    with pytest.raises(FatalSenderError) as stop:
        gmail_sender.deliver(Outgoing(grace))
    assert stop.value.outcome.status == "failed"
    assert "cannot be reached" in str(stop.value) and "cannot connect" in str(stop.value)
    assert len(retry.waits) == 1


def test_close_saves_a_token_refreshed_during_the_batch(gmail: FakeGmail, grace: Prepared) -> None:
    import json
    import os

    gmail_sender = sender(gmail)
    gmail.valid_tokens.discard("access-1")
    assert gmail_sender.deliver(Outgoing(grace)).status == "sent"
    gmail_sender.close()
    path = Path(os.environ["THANKNOTE_GMAIL_TOKEN"])
    assert json.loads(path.read_text())["token"] == "access-2"
    assert os.stat(path).st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "endpoint, ok",
    [
        ("https://gmail.googleapis.com", True),
        ("http://127.0.0.1:9", True),
        ("http://localhost:9/", True),
        ("http://[::1]:9", True),
        ("http://proxy.example", False),
        ("ftp://127.0.0.1", False),
        ("gmail", False),
    ],
)
def test_endpoint_override_must_be_https_off_this_machine(endpoint: str, ok: bool) -> None:
    from thanknote.errors import BadInput

    if ok:
        assert check_endpoint(endpoint) == endpoint
    else:
        with pytest.raises(BadInput):
            check_endpoint(endpoint)


def test_purpose_is_checked() -> None:
    with pytest.raises(ValueError):
        GmailSender("preview")
