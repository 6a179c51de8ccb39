"""The SMTP sender below the CLI: settings, TLS trust, and the failures the CLI cannot stage.

The server is still the real one (tests/smtp_server.py); what these tests add
is control over the moment between two notes: a login revoked mid-batch, a
reply that arrives too late, a server closing the session with 421.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.smtp_server import DEFAULT_PASSWORD, DEFAULT_USERNAME, SMTPTestServer
from thanknote import delivery, planning
from thanknote.errors import BadInput, DeliveryError
from thanknote.message import Prepared, build
from thanknote.model import Interview
from thanknote.render import THANK_YOU, Note
from thanknote.retry import Backoff
from thanknote.senders.base import FatalSenderError, Outgoing
from thanknote.senders.smtp import connection
from thanknote.senders.smtp.connection import tls_context
from thanknote.senders.smtp.connection_settings import (
    SmtpSettings,
    check_settings,
    is_loopback,
    settings_from_options,
)
from thanknote.senders.smtp.sender import SmtpSender
from thanknote.sendlog import SendLog
from thanknote.values import Security, SmtpAuth, Status

NOW = dt.datetime(2026, 11, 25, 22, 0, tzinfo=dt.UTC)
ROTATED = "rotated-elsewhere"  # noqa: S105 - the password changed on the server
WRONG = "nope-wrong-123"  # noqa: S105 - a test credential


def certificate_for(directory: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate (its own CA) for ``name`` only: not localhost, not 127.0.0.1."""
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert, key_path = directory / "cert.pem", directory / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key_path


def settings_for(server: SMTPTestServer, **changes: object) -> SmtpSettings:
    values: dict[str, object] = {
        "host": server.host,
        "port": server.port,
        "security": server.mode,
        "user": DEFAULT_USERNAME,
        "password": DEFAULT_PASSWORD,
        "sender": "ada@example.com",
        "cafile": server.cert,
        **changes,
    }
    return SmtpSettings(**values)  # type: ignore[arg-type]


def prepared(to: str, name: str) -> Prepared:
    note = Note(
        kind=THANK_YOU,
        to=to,
        name=name,
        title=None,
        subject="Thank you",
        body=f"Dear {name.split()[0]},\n\nthank you for talking about {to}.\n",
        template="test",
    )
    return build(note, sender_name="Ada Lovelace", sender_address="ada@example.com", date=NOW)


GRACE = prepared("grace@analytical.example", "Grace Hopper")
ALAN = prepared("alan@analytical.example", "Alan Turing")
EDSGER = prepared("edsger@analytical.example", "Edsger Dijkstra")


# -- settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("192.0.2.1", False),
        ("10.0.0.1", False),
        ("mail.example.com", False),
        ("localhost.example.com", False),
        ("127.0.0.1.nip.io", False),
        ("::ffff:192.0.2.1", False),
        ("", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_plaintext_to_a_remote_host_never_touches_the_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network used: {args}")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    settings = SmtpSettings(
        host="192.0.2.1",
        port=25,
        security=Security.NONE,
        user="ada@example.com",
        password=DEFAULT_PASSWORD,
        sender="ada@example.com",
    )
    with pytest.raises(BadInput, match="only for a server on this machine"):
        SmtpSender(settings)
    with pytest.raises(BadInput):
        check_settings(
            SmtpSettings(
                host="x",
                port=25,
                security="tls",  # type: ignore[arg-type]  # what a script might pass
                user="",
                password="",
                sender="",
            )
        )


def test_settings_never_show_the_password() -> None:
    settings = SmtpSettings(
        host="smtp.example.com",
        port=465,
        security=Security.SSL,
        user="ada",
        password=DEFAULT_PASSWORD,
        sender="ada@example.com",
    )
    assert DEFAULT_PASSWORD not in repr(settings)
    assert DEFAULT_PASSWORD not in str(settings)
    assert DEFAULT_PASSWORD not in f"{settings!r} {[settings]}"


def test_the_tls_context_verifies_and_adds_the_cafile_to_the_system_store(
    smtp_starttls_server: SMTPTestServer,
) -> None:
    import ssl

    plain = ssl.create_default_context()
    context = tls_context(settings_for(smtp_starttls_server))
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    # The extra CA is trusted in addition to (not instead of) the system's.
    assert context.cert_store_stats()["x509_ca"] == plain.cert_store_stats()["x509_ca"] + 1


# -- delivery ------------------------------------------------------------------------------------


def test_one_session_for_many_notes(smtp_ssl_server: SMTPTestServer) -> None:
    server = smtp_ssl_server
    sender = SmtpSender(settings_for(server))
    sender.open()
    try:
        outcomes = [sender.deliver(Outgoing(p)) for p in (GRACE, ALAN, EDSGER)]
    finally:
        sender.close()
    assert [o.status for o in outcomes] == [Status.SENT, Status.SENT, Status.SENT]
    assert all(o.gmail_id is None for o in outcomes)
    assert (server.connections, server.logins, sender.connections) == (1, 1, 1)
    # The bytes on the wire are exactly the bytes that were checked.
    assert [m.data for m in server.messages] == [p.as_bytes() for p in (GRACE, ALAN, EDSGER)]


def test_a_421_closes_the_session_and_the_note_goes_out_on_a_new_one(
    smtp_starttls_server: SMTPTestServer,
) -> None:
    server = smtp_starttls_server
    server.fail_rcpt(ALAN.recipient, code=421)
    sender = SmtpSender(settings_for(server), backoff=Backoff(attempts=2))
    sender.open()
    try:
        outcomes = [sender.deliver(Outgoing(p)) for p in (GRACE, ALAN)]
    finally:
        sender.close()
    assert [o.status for o in outcomes] == [Status.SENT, Status.SENT]
    assert outcomes[1].attempts == 2
    assert [m.session_id for m in server.messages] == [1, 2]


def test_a_late_reply_does_not_desynchronise_the_next_note(
    smtp_starttls_server: SMTPTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server takes Grace's note but answers only after the client gave up
    # waiting: her note is unknown. Had the session been kept, the late "250"
    # would be read as the answer to Alan's MAIL FROM and the dialogue would
    # be off by one.
    server = smtp_starttls_server
    gate = server.hold_after_data(GRACE.recipient)
    monkeypatch.setattr(connection, "TIMEOUT_SECONDS", 0.3)
    sender = SmtpSender(settings_for(server))
    sender.open()
    try:
        first = sender.deliver(Outgoing(GRACE))
        gate.release()
        second = sender.deliver(Outgoing(ALAN))
    finally:
        gate.release()
        sender.close()
    assert first.status == Status.UNKNOWN and "may have been delivered" in first.detail
    assert second.status == Status.SENT
    assert [m.rcpt_tos for m in server.messages] == [[GRACE.recipient], [ALAN.recipient]]
    assert [m.session_id for m in server.messages] == [1, 2]


def test_a_permanent_failure_is_not_retried(smtp_starttls_server: SMTPTestServer) -> None:
    server = smtp_starttls_server
    server.fail_data(GRACE.recipient, code=554, times=None, message="5.7.1 rejected as spam")
    sender = SmtpSender(settings_for(server))
    sender.open()
    try:
        outcome = sender.deliver(Outgoing(GRACE))
    finally:
        sender.close()
    assert outcome.status == Status.FAILED and outcome.attempts == 1
    assert "554 5.7.1 rejected as spam" in outcome.detail
    assert outcome.gmail_id is None


def test_login_refused_on_open_raises_without_the_password(
    smtp_starttls_server: SMTPTestServer,
) -> None:
    sender = SmtpSender(settings_for(smtp_starttls_server, password=WRONG))
    with pytest.raises(DeliveryError) as raised:
        sender.open()
    assert WRONG not in str(raised.value) + str(raised.value.hint)
    assert "refused the login" in str(raised.value)


def test_a_login_revoked_mid_batch_stops_the_batch(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    # Alan's note loses the connection before its data; by the time the sender
    # reconnects, the password no longer works. Alan's note is failed (never
    # handed over), the batch stops, and Edsger's note is not even claimed.
    server = smtp_starttls_server
    server.drop_before_data(ALAN.recipient)
    sender = SmtpSender(settings_for(server))
    planned = [planning.Planned(p, "deliver") for p in (GRACE, ALAN, EDSGER)]

    seen: list[str] = []

    def change_password(result: delivery.NoteResult) -> None:
        seen.append(result.status)
        server.password = ROTATED

    with SendLog(tmp_path / "log.sqlite3") as log:
        result = delivery.deliver(
            planned,
            sender,
            log,
            _interview(log),
            resend=frozenset(),
            now=lambda: NOW,
            on_result=change_password,
        )
        rows = log.db.execute("SELECT address, status FROM notes ORDER BY id").fetchall()
    assert seen == [
        Status.SENT,
        Status.FAILED,
        "not tried",
    ]  # Edsger's note is reported, not claimed
    assert result.stopped is not None and "refused the login" in result.stopped
    assert result.failed
    assert [tuple(r) for r in rows] == [
        (GRACE.recipient, Status.SENT),
        (ALAN.recipient, Status.FAILED),
    ]
    assert [m.rcpt_tos for m in server.messages] == [[GRACE.recipient]]
    # Grace's note did go out: the reason for stopping must not say otherwise.
    assert "nothing was sent" not in result.stopped


def test_fatal_sender_error_carries_the_outcome(smtp_starttls_server: SMTPTestServer) -> None:
    server = smtp_starttls_server
    sender = SmtpSender(settings_for(server))
    sender.open()
    server.password = ROTATED
    server.drop_before_data(GRACE.recipient)
    try:
        with pytest.raises(FatalSenderError) as raised:
            sender.deliver(Outgoing(GRACE))
    finally:
        sender.close()
    assert raised.value.outcome.status == Status.FAILED
    assert "refused the login" in raised.value.outcome.detail
    assert server.messages == []


def _interview(log: SendLog) -> Interview:
    from tests.helpers import write_interview
    from thanknote import loader

    return loader.load(write_interview(log.path.parent)).interview


def test_loopback_addresses_in_the_certificate(smtp_certificate: tuple[Path, Path]) -> None:
    # The tests dial 127.0.0.1 and localhost; both must verify against the test CA.
    cert, key = smtp_certificate
    loaded = x509.load_pem_x509_certificate(cert.read_bytes())
    names = loaded.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in names.get_values_for_type(x509.IPAddress)
    assert "localhost" in names.get_values_for_type(x509.DNSName)


def test_implicit_tls_connection_lost_after_data_is_unknown(
    smtp_ssl_server: SMTPTestServer,
) -> None:
    server = smtp_ssl_server
    server.drop_after_data(GRACE.recipient)
    sender = SmtpSender(settings_for(server))
    sender.open()
    try:
        outcomes = [sender.deliver(Outgoing(p)) for p in (GRACE, ALAN)]
    finally:
        sender.close()
    assert [o.status for o in outcomes] == [Status.UNKNOWN, Status.SENT]
    assert outcomes[0].attempts == 1
    assert [m.rcpt_tos for m in server.messages] == [[GRACE.recipient], [ALAN.recipient]]


@pytest.mark.parametrize(
    ("security", "auth"),
    [
        (Security.STARTTLS, SmtpAuth.OAUTH),
        ("starttls", "oauth"),
    ],
)
def test_settings_from_options_take_the_enums_and_their_strings(
    security: Security | str, auth: SmtpAuth | str
) -> None:
    settings = settings_from_options(
        host="smtp.example.com", port=None, security=security, user=None, cafile=None, auth=auth
    )
    assert settings.security is Security.STARTTLS and settings.auth is SmtpAuth.OAUTH
    assert settings.port == 587
    assert "security='starttls'" in repr(settings) and "auth='oauth'" in repr(settings)


@pytest.mark.parametrize(
    ("option", "changes"),
    [
        ("--smtp-security must be one of ssl, starttls, none, not 'tls'", {"security": "tls"}),
        ("--smtp-auth must be one of password, oauth, not 'ntlm'", {"auth": "ntlm"}),
    ],
)
def test_settings_from_options_refuse_a_bad_string(option: str, changes: dict[str, str]) -> None:
    values = {"security": None, "auth": None, **changes}
    with pytest.raises(BadInput) as refused:
        settings_from_options(
            host="smtp.example.com",
            port=None,
            user=None,
            cafile=None,
            security=values["security"],
            auth=values["auth"],
        )
    assert refused.value.message == option
