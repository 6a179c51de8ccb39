"""The Sender contract (senders/base.py), held against every sender and its real peer.

Opening twice is one connection and one login, counted by the peer itself: the
aiosmtpd server counts TCP sessions and AUTH successes; the fake Gmail counts TCP
connections and token refreshes (the Gmail sender's login: its one network act
in ``open``, with a token that has expired; the API calls after it reuse the
connection). Closing twice, or without opening, never raises; after a
close, ``open`` starts a new session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from tests.gmail_helpers import write_token
from tests.gmail_server import FakeGmail
from tests.smtp_server import DEFAULT_PASSWORD, DEFAULT_USERNAME, SMTPTestServer
from tests.test_smtp_sender import GRACE
from thanknote.senders.base import Outgoing, Sender
from thanknote.senders.dry_run import WRITTEN, DryRunSender, EmlFileSender
from thanknote.senders.gmail.sender import GmailSender
from thanknote.senders.smtp.connection_settings import SmtpSettings
from thanknote.senders.smtp.sender import SmtpSender


@dataclass
class Peer:
    """A sender, and what the far end has seen of it: (connections, logins)."""

    make: Callable[[], Sender]
    seen: Callable[[], tuple[int, int]]
    delivered: Callable[[], int]
    status: str
    """What ``deliver`` reports for a note that went through."""


def _smtp(server: SMTPTestServer) -> Peer:
    settings = SmtpSettings(
        host=server.host,
        port=server.port,
        security=server.mode,  # type: ignore[arg-type]
        user=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        sender="ada@example.com",
        cafile=server.cert,
    )
    return Peer(
        make=lambda: SmtpSender(settings),
        seen=lambda: (server.connections, server.logins),
        delivered=lambda: len(server.messages),
        status="sent",
    )


def _gmail(fake: FakeGmail) -> Peer:
    write_token(fake, expires_in=timedelta(hours=-1))  # open must refresh: a login

    return Peer(
        make=lambda: GmailSender("draft", endpoint=fake.url),
        seen=lambda: (fake.connections, len(fake.requests_for("token"))),
        delivered=lambda: len(fake.drafts),
        status="drafted",
    )


def _eml(directory: Path) -> Peer:
    return Peer(
        make=lambda: EmlFileSender(directory),
        seen=lambda: (int(directory.is_dir()), 0),
        delivered=lambda: len(list(directory.glob("*.eml"))) if directory.is_dir() else 0,
        status=WRITTEN,
    )


def _dry_run() -> Peer:
    return Peer(
        make=lambda: DryRunSender("smtp"), seen=lambda: (0, 0), delivered=lambda: 0, status=""
    )


@pytest.fixture(params=["smtp-starttls", "smtp-ssl", "gmail", "eml-files", "dry-run"])
def peer(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Peer]:
    if request.param.startswith("smtp"):
        fixture = "smtp_starttls_server" if request.param == "smtp-starttls" else "smtp_ssl_server"
        yield _smtp(request.getfixturevalue(fixture))
    elif request.param == "gmail":
        yield _gmail(request.getfixturevalue("fake_gmail"))
    elif request.param == "eml-files":
        yield _eml(tmp_path / "out")
    else:
        yield _dry_run()


def _one(peer: Peer) -> tuple[int, int]:
    """What one open shows at the peer (the dry run has none; the .eml writer no login)."""
    sender = peer.make()
    if isinstance(sender, DryRunSender):
        return (0, 0)
    if isinstance(sender, EmlFileSender):
        return (1, 0)
    return (1, 1)


def test_opening_twice_is_one_connection_and_one_login(peer: Peer) -> None:
    sender = peer.make()
    assert peer.seen() == (0, 0)
    sender.open()
    sender.open()
    assert peer.seen() == _one(peer)
    outcome = sender.deliver(Outgoing(GRACE))
    if isinstance(sender, DryRunSender):
        assert outcome.status == "would send"
    else:
        assert outcome.status == peer.status
        assert peer.delivered() == 1
    assert peer.seen() == _one(peer)  # deliver used the open session
    sender.close()
    sender.close()
    assert peer.seen() == _one(peer)


def test_deliver_opens_a_sender_not_yet_open(peer: Peer) -> None:
    sender = peer.make()
    sender.deliver(Outgoing(GRACE))
    assert peer.seen() == _one(peer)
    sender.close()


def test_close_without_open_is_harmless(peer: Peer) -> None:
    sender = peer.make()
    sender.close()
    sender.close()
    assert peer.seen() == (0, 0)


def test_open_after_close_starts_a_new_session(
    smtp_starttls_server: SMTPTestServer,
) -> None:
    peer = _smtp(smtp_starttls_server)
    sender = peer.make()
    sender.open()
    sender.close()
    sender.open()
    sender.open()
    try:
        assert sender.deliver(Outgoing(GRACE)).status == "sent"
    finally:
        sender.close()
    assert peer.seen() == (2, 2)
    assert [m.session_id for m in smtp_starttls_server.messages] == [2]
