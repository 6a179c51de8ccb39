"""Self-test of tests/smtp_server.py, driven by the stdlib smtplib client.

These pin down the behaviour thanknote's own tests rely on: real TLS with a
certificate the client can verify, AUTH enforcement, connection accounting,
and each scripted fault as a client actually experiences it.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.smtp_server import (
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    SMTPTestServer,
    start_server,
)

# Load the fixtures the way conftest.py should (harmless if it already does).
pytest_plugins = ["tests.smtp_server"]

TIMEOUT = 5  # seconds; only bounds a hang, never waited out on success
SENDER = "ada@example.com"


def _message(to: str, subject: str = "Thank you") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = SENDER
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(f"Dear {to},\nthank you!\n")
    return msg


@contextmanager
def starttls_client(server: SMTPTestServer, *, login: bool = True) -> Iterator[smtplib.SMTP]:
    client = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT)
    try:
        client.starttls(context=server.client_context())
        if login:
            client.login(DEFAULT_USERNAME, DEFAULT_PASSWORD)
        yield client
    finally:
        client.close()


# -- certificate -------------------------------------------------------------


def test_certificate_is_its_own_ca_for_localhost_and_loopback_ip(
    smtp_ssl_server: SMTPTestServer, smtp_certificate: tuple[Path, Path]
) -> None:
    cert, key = smtp_certificate
    assert cert.name == "cert.pem" and key.name == "key.pem"
    assert key.stat().st_mode & 0o077 == 0
    ctx = ssl.create_default_context(cafile=str(cert))
    # Python >= 3.13 turns this on by default; prove the cert survives it.
    ctx.verify_flags |= ssl.VERIFY_X509_STRICT
    for name in ("localhost", "127.0.0.1"):
        with (
            socket.create_connection(smtp_ssl_server.address, timeout=TIMEOUT) as raw,
            ctx.wrap_socket(raw, server_hostname=name) as tls,
        ):
            assert tls.recv(1024).startswith(b"220 ")
    # The probe aiosmtpd makes at startup is not counted; these two are.
    assert smtp_ssl_server.connections == 2


# -- STARTTLS mode -------------------------------------------------------------


def test_starttls_auth_and_two_messages_over_one_connection(
    smtp_starttls_server: SMTPTestServer,
) -> None:
    server = smtp_starttls_server
    assert server.connections == 0  # startup probe excluded
    with starttls_client(server) as client:
        client.send_message(_message("bob@example.org"))
        client.send_message(_message("carol@example.org"))
        client.quit()

    assert server.connections == 1
    assert server.logins == 1 and server.failed_logins == 0
    first, second = server.messages
    assert first.mail_from == SENDER and first.rcpt_tos == ["bob@example.org"]
    assert second.rcpt_tos == ["carol@example.org"]
    assert first.session_id == second.session_id == 1
    assert first.tls and first.username == DEFAULT_USERNAME
    assert first.data.endswith(b"thank you!\r\n")
    assert first.parsed()["Subject"] == "Thank you"
    assert [m.rcpt_tos for m in server.messages_to("BOB@example.org")] == [["bob@example.org"]]


def test_auth_and_mail_before_starttls_are_refused(smtp_starttls_server: SMTPTestServer) -> None:
    server = smtp_starttls_server
    with smtplib.SMTP(server.host, server.port, timeout=TIMEOUT) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        assert not client.has_extn("auth")  # not even advertised in clear
        with pytest.raises(smtplib.SMTPNotSupportedError):
            client.login(DEFAULT_USERNAME, DEFAULT_PASSWORD)
        # Forcing the command anyway: the server itself refuses it.
        code, _ = client.docmd("AUTH", "PLAIN AGFkYUBleGFtcGxlLmNvbQBzM2NyZXQtYXBwLXBhc3M=")
        assert code == 530
        code, _ = client.docmd("MAIL", f"FROM:<{SENDER}>")
        assert code == 530
    assert server.logins == 0 and server.messages == []


def test_mail_without_auth_after_starttls_is_refused(
    smtp_starttls_server: SMTPTestServer,
) -> None:
    with starttls_client(smtp_starttls_server, login=False) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as exc:
            client.send_message(_message("bob@example.org"))
        assert exc.value.smtp_code == 530


def test_wrong_password_is_rejected(smtp_starttls_server: SMTPTestServer) -> None:
    server = smtp_starttls_server
    with starttls_client(server, login=False) as client:
        with pytest.raises(smtplib.SMTPAuthenticationError) as exc:
            client.login(DEFAULT_USERNAME, "wrong")
        assert exc.value.smtp_code == 535
    # smtplib.login() tries every advertised mechanism (PLAIN, then LOGIN).
    assert server.failed_logins == 2 and server.logins == 0


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_each_auth_mechanism_works(smtp_starttls_server: SMTPTestServer, mechanism: str) -> None:
    server = smtp_starttls_server
    with starttls_client(server, login=False) as client:
        client.ehlo()  # STARTTLS reset the session; login() would do this itself
        client.user, client.password = DEFAULT_USERNAME, DEFAULT_PASSWORD
        authobject = {"PLAIN": client.auth_plain, "LOGIN": client.auth_login}[mechanism]
        code, _ = client.auth(mechanism, authobject)
        assert code == 235
    assert server.logins == 1


def test_untrusted_certificate_fails_verification(smtp_starttls_server: SMTPTestServer) -> None:
    server = smtp_starttls_server
    with (
        smtplib.SMTP(server.host, server.port, timeout=TIMEOUT) as client,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        # Default trust store only: the self-signed cert must not verify.
        client.starttls(context=ssl.create_default_context())
    assert server.logins == 0


# -- implicit TLS mode ------------------------------------------------------------


def test_implicit_tls_delivers(
    smtp_ssl_server: SMTPTestServer, smtp_certificate: tuple[Path, Path]
) -> None:
    server = smtp_ssl_server
    cert, _ = smtp_certificate
    ctx = ssl.create_default_context(cafile=str(cert))
    with smtplib.SMTP_SSL(server.host, server.port, context=ctx, timeout=TIMEOUT) as client:
        client.ehlo()
        assert not client.has_extn("starttls")
        client.login(DEFAULT_USERNAME, DEFAULT_PASSWORD)
        client.send_message(_message("bob@example.org"))
    assert server.connections == 1 and server.logins == 1
    (msg,) = server.messages
    assert msg.tls and msg.rcpt_tos == ["bob@example.org"]


def test_implicit_tls_requires_auth(smtp_ssl_server: SMTPTestServer) -> None:
    server = smtp_ssl_server
    ctx = server.client_context()
    with smtplib.SMTP_SSL(server.host, server.port, context=ctx, timeout=TIMEOUT) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as exc:
            client.send_message(_message("bob@example.org"))
        assert exc.value.smtp_code == 530


def test_implicit_tls_untrusted_certificate(smtp_ssl_server: SMTPTestServer) -> None:
    server = smtp_ssl_server
    with pytest.raises(ssl.SSLCertVerificationError):
        smtplib.SMTP_SSL(
            server.host, server.port, context=ssl.create_default_context(), timeout=TIMEOUT
        )
    assert server.connections == 1  # the TCP connection was accepted, TLS failed


# -- plaintext mode -----------------------------------------------------------------


def test_plain_mode_auth_optional() -> None:
    with SMTPTestServer("none") as server:
        with smtplib.SMTP(server.host, server.port, timeout=TIMEOUT) as client:
            client.send_message(_message("bob@example.org"))
            client.login(DEFAULT_USERNAME, DEFAULT_PASSWORD)  # offered in clear on purpose
            client.send_message(_message("carol@example.org"))
        anonymous, authed = server.messages
        assert not anonymous.tls and anonymous.username is None
        assert authed.username == DEFAULT_USERNAME


def test_plain_mode_auth_required() -> None:
    with SMTPTestServer("none", auth_required=True) as server:
        with smtplib.SMTP(server.host, server.port, timeout=TIMEOUT) as client:
            with pytest.raises(smtplib.SMTPSenderRefused):
                client.send_message(_message("bob@example.org"))
            client.login(DEFAULT_USERNAME, DEFAULT_PASSWORD)
            client.send_message(_message("bob@example.org"))
        assert len(server.messages) == 1


# -- scripted faults ------------------------------------------------------------------


def test_rcpt_451_once_then_accepted(smtp_starttls_server: SMTPTestServer) -> None:
    server = smtp_starttls_server
    server.fail_rcpt("bob@example.org", code=451, times=1)
    with starttls_client(server) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as exc:
            client.send_message(_message("bob@example.org"))
        assert exc.value.recipients == {"bob@example.org": (451, b"4.3.0 try again later")}
        client.send_message(_message("bob@example.org"))  # retry on the same connection
    assert len(server.messages) == 1 and server.connections == 1


def test_rcpt_550_always(smtp_starttls_server: SMTPTestServer) -> None:
    server = smtp_starttls_server
    server.fail_rcpt("nobody@example.org", code=550, times=None)
    with starttls_client(server) as client:
        for _ in range(3):
            with pytest.raises(smtplib.SMTPRecipientsRefused) as exc:
                client.send_message(_message("nobody@example.org"))
            code, text = exc.value.recipients["nobody@example.org"]
            assert (code, text) == (550, b"5.1.1 mailbox unavailable")
        # Other recipients are unaffected.
        client.send_message(_message("bob@example.org"))
    assert [m.rcpt_tos for m in server.messages] == [["bob@example.org"]]


def test_data_fault_rejects_without_recording(smtp_starttls_server: SMTPTestServer) -> None:
    server = smtp_starttls_server
    server.fail_data("bob@example.org", code=554, times=1, message="5.7.1 spam, go away")
    with starttls_client(server) as client:
        with pytest.raises(smtplib.SMTPDataError) as exc:
            client.send_message(_message("bob@example.org"))
        assert (exc.value.smtp_code, exc.value.smtp_error) == (554, b"5.7.1 spam, go away")
        assert server.messages == []
        client.send_message(_message("bob@example.org"))
    assert len(server.messages) == 1


def test_drop_after_data_keeps_the_message(smtp_starttls_server: SMTPTestServer) -> None:
    server = smtp_starttls_server
    server.drop_after_data("bob@example.org")
    with starttls_client(server) as client, pytest.raises(smtplib.SMTPServerDisconnected):
        client.send_message(_message("bob@example.org"))
    # The server has it even though the client never saw "250".
    (msg,) = server.messages
    assert msg.rcpt_tos == ["bob@example.org"] and msg.session_id == 1

    # Fault consumed: a reconnecting client gets through (and is counted).
    with starttls_client(server) as client:
        client.send_message(_message("bob@example.org"))
    assert [m.session_id for m in server.messages] == [1, 2]
    assert server.connections == 2


def test_drop_after_data_implicit_tls(smtp_ssl_server: SMTPTestServer) -> None:
    server = smtp_ssl_server
    server.drop_after_data("bob@example.org")
    ctx = server.client_context()
    with smtplib.SMTP_SSL(server.host, server.port, context=ctx, timeout=TIMEOUT) as client:
        client.login(DEFAULT_USERNAME, DEFAULT_PASSWORD)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.send_message(_message("bob@example.org"))
    assert len(server.messages) == 1


def test_drop_before_data_records_nothing(smtp_starttls_server: SMTPTestServer) -> None:
    server = smtp_starttls_server
    server.drop_before_data("bob@example.org")
    with starttls_client(server) as client, pytest.raises(smtplib.SMTPServerDisconnected):
        client.send_message(_message("bob@example.org"))
    assert server.messages == []
    assert server.connections == 1


def test_hold_after_data_withholds_reply_until_released(
    smtp_starttls_server: SMTPTestServer,
) -> None:
    server = smtp_starttls_server
    gate = server.hold_after_data("bob@example.org")
    outcome: list[object] = []

    def send() -> None:
        with starttls_client(server) as client:
            outcome.append(client.send_message(_message("bob@example.org")))

    sender = threading.Thread(target=send)
    sender.start()
    try:
        assert server.wait_for_message("bob@example.org", timeout=TIMEOUT)
        # Recorded server-side, yet the client is still waiting for its reply.
        assert len(server.messages) == 1
        assert outcome == [] and sender.is_alive()
    finally:
        gate.release()
        sender.join(TIMEOUT)
    assert outcome == [{}]  # send_message returned: no refused recipients


def test_stop_while_holding_disconnects_client(smtp_starttls_server: SMTPTestServer) -> None:
    # A test that kills the client mid-hold may never release the gate;
    # teardown must still finish promptly and not leave the loop blocked.
    server = smtp_starttls_server
    server.hold_after_data("bob@example.org")
    errors: list[BaseException] = []

    def send() -> None:
        try:
            with starttls_client(server) as client:
                client.send_message(_message("bob@example.org"))
        except smtplib.SMTPServerDisconnected as exc:
            errors.append(exc)

    sender = threading.Thread(target=send)
    sender.start()
    assert server.wait_for_message("bob@example.org", timeout=TIMEOUT)
    server.stop()
    sender.join(TIMEOUT)
    assert not sender.is_alive()
    assert len(errors) == 1 and len(server.messages) == 1


def test_wait_for_message_times_out(smtp_starttls_server: SMTPTestServer) -> None:
    assert not smtp_starttls_server.wait_for_message("nobody@example.org", timeout=0.01)


def test_fault_arguments_are_validated(smtp_starttls_server: SMTPTestServer) -> None:
    with pytest.raises(ValueError):
        smtp_starttls_server.fail_rcpt("bob@example.org", code=250)
    with pytest.raises(ValueError):
        smtp_starttls_server.drop_after_data("bob@example.org", times=0)


# -- script helper --------------------------------------------------------------------


def test_start_server_helper(tmp_path: Path) -> None:
    server = start_server("starttls", tmp_path)
    try:
        assert (tmp_path / "cert.pem").exists()
        with starttls_client(server) as client:
            client.send_message(_message("bob@example.org"))
        assert len(server.messages) == 1
    finally:
        server.stop()
    server.stop()  # idempotent
