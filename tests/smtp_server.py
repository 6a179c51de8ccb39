"""A real SMTP server for thanknote's tests, with scriptable faults.

The server is aiosmtpd running on its own event-loop thread inside the test
process, listening on 127.0.0.1 on a port picked by the OS.  Nothing is
mocked: clients speak real SMTP (and real TLS) over loopback, which is what
lets tests observe retries, duplicate deliveries and lost replies the way a
real mail server would see them.

Use it from a ``conftest.py``::

    pytest_plugins = ["tests.smtp_server"]

and then request the ``smtp_starttls_server`` / ``smtp_ssl_server`` /
``smtp_plain_server`` fixtures, or build an :class:`SMTPTestServer` directly.
A benchmark can call :func:`start_server` and ``stop()`` the result.

PYTEST_DONT_REWRITE -- this module's asserts are internal invariants, not
test assertions.  Opting out of assertion rewriting also means pytest does
not warn "Module already imported so cannot be rewritten" when a test file
imports names from here before ``pytest_plugins`` registers it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email
import email.policy
import enum
import hmac
import ipaddress
import logging
import os
import ssl
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal, NoReturn, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

try:
    import pytest
except ModuleNotFoundError:  # the "bench" extra has aiosmtpd but not pytest
    _HAVE_PYTEST = False
else:
    _HAVE_PYTEST = True

__all__ = [
    "DEFAULT_PASSWORD",
    "DEFAULT_USERNAME",
    "HOST",
    "Gate",
    "Mode",
    "ReceivedMessage",
    "SMTPTestServer",
    "make_certificate",
    "start_server",
]

Mode = Literal["starttls", "ssl", "none"]

HOST = "127.0.0.1"
DEFAULT_USERNAME = "ada@example.com"
DEFAULT_PASSWORD = "s3cret-app-pass"  # noqa: S105 -- test fixture credential

# Name the server uses in its banner/EHLO.  Passing it explicitly also stops
# aiosmtpd from calling socket.getfqdn(), which can block on DNS.
_SERVER_NAME = "localhost"

# Canned replies for the codes tests are likely to script.  Anything else gets
# a generic enhanced status code built from the reply class.
_DEFAULT_REPLIES: dict[int, str] = {
    421: "421 4.3.2 service shutting down",
    450: "450 4.2.1 mailbox busy, try again later",
    451: "451 4.3.0 try again later",
    452: "452 4.3.1 insufficient system storage",
    550: "550 5.1.1 mailbox unavailable",
    552: "552 5.3.4 message too big",
    553: "553 5.1.3 mailbox name not allowed",
    554: "554 5.6.0 transaction failed",
}


class _DropLoginDataDeprecation(logging.Filter):
    """aiosmtpd itself sets the deprecated ``Session.login_data`` on every
    successful AUTH and logs a WARNING about it; that noise would show up in
    every failing test's captured log, so drop just that record."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Session.login_data is deprecated")


_login_data_filter = _DropLoginDataDeprecation()
logging.getLogger("mail.log").addFilter(_login_data_filter)  # no-op if already added


# ---------------------------------------------------------------------------
# Certificate
# ---------------------------------------------------------------------------


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for localhost/127.0.0.1 into *directory*.

    Returns ``(cert_path, key_path)`` (``cert.pem`` and ``key.pem``).  The
    certificate is its own issuer, so ``cert_path`` is also the CA file a
    client passes as ``cafile``; hostname checks pass for ``localhost``,
    ``127.0.0.1`` and ``::1``.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    # P-256 rather than RSA: generating it is ~instant, which matters for a
    # session fixture that every test run pays for.
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    public_key = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        # Backdated so a slightly skewed clock can't make it "not yet valid".
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        # The cert is both the trust anchor and the leaf.  CA:TRUE plus
        # keyCertSign make it acceptable as an anchor; SKI/AKI and a critical
        # basicConstraints keep OpenSSL's X509_STRICT mode (default in
        # Python >= 3.13's create_default_context) happy.
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False
        )
        .sign(key, hashes.SHA256())
    )

    cert_path = directory / "cert.pem"
    key_path = directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # 0600 like a real key; opened with O_CREAT so it is never briefly readable.
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key_pem)
    return cert_path, key_path


# ---------------------------------------------------------------------------
# Recorded data and the hold gate
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMessage:
    """One message whose DATA the server received in full."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    """Raw message as received (CRLF line endings, dot-stuffing removed)."""
    session_id: int
    """1-based number of the TCP connection it arrived on (accept order)."""
    tls: bool
    """True if the connection was encrypted (STARTTLS or implicit TLS)."""
    username: str | None
    """Login the session authenticated as, or None."""

    def parsed(self) -> EmailMessage:
        """The message parsed with the modern email policy."""
        msg = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


class Gate(threading.Event):
    """A ``threading.Event`` that the server's event loop can await.

    Returned by :meth:`SMTPTestServer.hold_after_data`.  Call ``release()``
    (or ``set()``) from the test to let the held reply go out.  The server
    awaits it with :meth:`wait_async`, so a held session never blocks the
    event loop (other connections keep being served) and never parks an
    executor thread that could hang interpreter shutdown.
    """

    def __init__(self) -> None:
        super().__init__()
        self._waiters_lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def set(self) -> None:
        with self._waiters_lock:
            super().set()
            waiters, self._waiters = self._waiters, []
        for loop, fut in waiters:
            # RuntimeError: loop already closed (server stopped), nobody to wake.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_resolve, fut)

    release = set

    async def wait_async(self) -> None:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        with self._waiters_lock:
            if self.is_set():
                return
            self._waiters.append((loop, fut))
        await fut


# ---------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------


class _Kind(enum.Enum):
    REJECT_RCPT = "reject_rcpt"
    DROP_BEFORE_DATA = "drop_before_data"
    REJECT_DATA = "reject_data"
    DROP_AFTER_DATA = "drop_after_data"
    HOLD_AFTER_DATA = "hold_after_data"

    @property
    def at_rcpt(self) -> bool:
        return self in (_Kind.REJECT_RCPT, _Kind.DROP_BEFORE_DATA)


@dataclass
class _Fault:
    kind: _Kind
    address: str  # casefolded
    remaining: int | None  # None = forever
    reply: str | None = None
    gate: Gate | None = None


def _reply_for(code: int, message: str | None) -> str:
    if not 400 <= code <= 599:
        raise ValueError(f"fault reply code must be 4xx or 5xx, got {code}")
    if message is not None:
        return f"{code} {message}"
    return _DEFAULT_REPLIES.get(code, f"{code} {code // 100}.0.0 scripted failure")


def _check_times(times: int | None) -> None:
    if times is not None and times < 1:
        raise ValueError("times must be >= 1, or None for 'every time'")


async def _drop_connection(server: SMTP) -> NoReturn:
    """Cut the connection from inside a handler hook without replying.

    aiosmtpd has no "hang up" return value: whatever a hook returns is pushed
    as the reply.  So we abort the transport ourselves (for TLS sessions
    ``server.transport`` is the TLS app transport; aborting it tears down the
    socket underneath, no close_notify) and then park.  The abort schedules
    ``SMTP.connection_lost()``, which cancels ``SMTP._handler_coroutine`` --
    the very task awaiting this hook -- so the reply line is never written.
    """
    transport = server.transport
    assert isinstance(transport, asyncio.Transport)
    transport.abort()
    await asyncio.get_running_loop().create_future()
    raise AssertionError("unreachable: connection_lost() cancels this task")


# ---------------------------------------------------------------------------
# aiosmtpd glue
# ---------------------------------------------------------------------------


class _RecordingSMTP(SMTP):
    """aiosmtpd's SMTP protocol plus a connection number and liveness tracking."""

    def __init__(
        self,
        handler: _Handler,
        *,
        session_id: int | None,
        auth_without_starttls: bool,
        **kwargs: Any,
    ) -> None:
        # auth_require_tls=True here and relaxed below, rather than passing
        # False: aiosmtpd emits a UserWarning for auth_required without
        # auth_require_tls, which would trip `-W error` test runs.
        super().__init__(handler, auth_require_tls=True, **kwargs)
        if auth_without_starttls:
            # aiosmtpd decides "is this TLS?" by whether *STARTTLS* happened
            # (self._tls_protocol), so on an implicit-TLS listener it would
            # refuse AUTH with 538 forever.  The whole socket is TLS there, so
            # the requirement is met; in "none" mode the test asked for
            # plaintext AUTH on purpose.
            self._auth_require_tls = False
        self.session_id = session_id  # None marks the controller's probe
        self._recorder = handler
        self.lost: asyncio.Future[None] = self.loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Called twice on a STARTTLS connection (plain, then TLS); a set
        # absorbs that.
        super().connection_made(transport)
        self._recorder.live.add(self)

    def connection_lost(self, error: Exception | None) -> None:
        # May be called twice (aiosmtpd calls it itself after a failed
        # STARTTLS handshake, then asyncio calls it again).
        self._recorder.live.discard(self)
        _resolve(self.lost)
        super().connection_lost(error)

    # A method, not a property: SMTP.__init__ runs inspect.getmembers(self),
    # which would evaluate a property before the instance is fully built.
    def is_tls(self) -> bool:
        return self.transport is not None and (
            self.transport.get_extra_info("ssl_object") is not None
        )


class _Handler:
    """aiosmtpd handler; state lives in the owning SMTPTestServer.

    Kept separate from SMTPTestServer on purpose: aiosmtpd scans the handler
    for any ``handle_*`` / ``auth_*`` attribute and would treat public test
    helpers with such names as hooks or AUTH mechanisms.
    """

    def __init__(self, owner: SMTPTestServer) -> None:
        self.owner = owner
        # Only touched on the loop thread.
        self.live: set[_RecordingSMTP] = set()

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> Any:
        fault = self.owner._take_fault(at_rcpt=True, addresses=[address])
        if fault is None:
            return MISSING  # aiosmtpd's default: add recipient, "250 OK"
        if fault.kind is _Kind.DROP_BEFORE_DATA:
            await _drop_connection(server)
        assert fault.reply is not None
        return fault.reply

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> Any:
        fault = self.owner._take_fault(at_rcpt=False, addresses=envelope.rcpt_tos)
        if fault is not None and fault.kind is _Kind.REJECT_DATA:
            # Rejected at end of DATA: the server did not take the message.
            assert fault.reply is not None
            return fault.reply

        assert isinstance(server, _RecordingSMTP) and server.session_id is not None
        auth = session.auth_data
        self.owner._record(
            ReceivedMessage(
                mail_from=envelope.mail_from or "",
                rcpt_tos=list(envelope.rcpt_tos),
                data=envelope.original_content or b"",
                session_id=server.session_id,
                tls=server.is_tls(),
                username=auth.login.decode() if isinstance(auth, LoginPassword) else None,
            )
        )
        if fault is not None and fault.kind is _Kind.DROP_AFTER_DATA:
            await _drop_connection(server)
        if fault is not None and fault.kind is _Kind.HOLD_AFTER_DATA:
            assert fault.gate is not None
            await fault.gate.wait_async()
        return MISSING  # "250 OK"


class _Controller(Controller):
    """aiosmtpd's threaded Controller, adapted for an OS-chosen port."""

    def __init__(self, handler: _Handler, ssl_context: ssl.SSLContext | None) -> None:
        super().__init__(handler, hostname=HOST, port=0, ssl_context=ssl_context)
        self._handler_obj = handler
        # False until start() returns; see factory().
        self.accepting_clients = False

    def factory(self) -> SMTP:
        # start() opens one throwaway connection (_trigger_server) to force
        # the lazy protocol factory to run, and waits for this factory call
        # before returning.  Nobody else knows the port yet, so a call made
        # before accepting_clients flips is exactly that probe.
        probe = not self.accepting_clients
        return self._handler_obj.owner._make_protocol(probe=probe, loop=self.loop)

    def _trigger_server(self) -> None:
        # Controller assumes a fixed port and would probe port 0.  The server
        # is already bound when this runs, so learn the real port first.
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]

    def start(self) -> None:
        super().start()
        self.accepting_clients = True


# ---------------------------------------------------------------------------
# Public server
# ---------------------------------------------------------------------------


class SMTPTestServer:
    """A real SMTP server on 127.0.0.1 with recording and scripted faults.

    Modes:

    * ``"starttls"``: STARTTLS offered and required before AUTH/MAIL; AUTH
      (PLAIN, LOGIN) required by default.
    * ``"ssl"``: implicit TLS from the first byte (port-465 style); AUTH
      required by default.
    * ``"none"``: plaintext; AUTH offered over plaintext, required only if
      ``auth_required=True``; not offered at all with ``offer_auth=False``.

    Faults are matched by recipient address (case-insensitively), apply in
    the order they were scripted, and are consumed ``times`` times
    (``None`` = forever).  All public methods are thread-safe.
    """

    host: str = HOST

    def __init__(
        self,
        mode: Mode = "starttls",
        cert: Path | None = None,
        key: Path | None = None,
        *,
        username: str = DEFAULT_USERNAME,
        password: str = DEFAULT_PASSWORD,
        auth_required: bool | None = None,
        offer_auth: bool = True,
    ) -> None:
        if mode not in ("starttls", "ssl", "none"):
            raise ValueError(f"unknown mode {mode!r}")
        if mode != "none" and (cert is None or key is None):
            raise ValueError(f"mode {mode!r} needs cert and key")
        self.mode: Mode = mode
        self.cert = Path(cert) if cert is not None else None
        self.key = Path(key) if key is not None else None
        self.username = username
        self.password = password
        self.auth_required = mode != "none" if auth_required is None else auth_required
        self.offer_auth = offer_auth
        """False: a "none" server that does not offer AUTH at all (a plain local relay)."""

        self._lock = threading.Lock()
        # Condition on the same lock so wait_for_message sees _record atomically.
        self._new_message = threading.Condition(self._lock)
        self._messages: list[ReceivedMessage] = []
        self._faults: list[_Fault] = []
        self._connections = 0
        self._logins = 0
        self._failed_logins = 0

        self._handler = _Handler(self)
        self._server_tls: ssl.SSLContext | None = None
        if mode != "none":
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(str(self.cert), str(self.key))
            self._server_tls = ctx
        self._controller: _Controller | None = None
        self._port: int | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> Self:
        if self._controller is not None:
            raise RuntimeError("server already started")
        controller = _Controller(
            self._handler,
            # Implicit TLS wraps the listening socket; STARTTLS instead hands
            # the context to each SMTP session (see _make_protocol).
            ssl_context=self._server_tls if self.mode == "ssl" else None,
        )
        controller.start()
        self._controller = controller
        self._port = controller.port
        return self

    def stop(self) -> None:
        """Stop serving; idempotent.  Open client connections are aborted."""
        controller, self._controller = self._controller, None
        if controller is None:
            return
        # Controller.stop() only cancels tasks, leaving live sockets for the
        # GC (ResourceWarning noise).  Close them first, on the loop thread.
        fut = asyncio.run_coroutine_threadsafe(self._abort_all(), controller.loop)
        fut.result(timeout=5)
        controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("server not started")
        return self._port

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def client_context(self) -> ssl.SSLContext:
        """A client SSL context that trusts this server's certificate."""
        if self.cert is None:
            raise RuntimeError("plaintext server has no certificate")
        return ssl.create_default_context(cafile=str(self.cert))

    # -- observations ------------------------------------------------------

    @property
    def messages(self) -> list[ReceivedMessage]:
        """Snapshot of every message whose DATA was received in full.

        Includes messages whose connection was then dropped or held (the
        server *has* them); excludes ones rejected by ``fail_data``.
        """
        with self._lock:
            return list(self._messages)

    @property
    def connections(self) -> int:
        """TCP connections accepted, excluding aiosmtpd's startup probe.

        Counted at accept time, so a connection whose TLS handshake failed
        still counts.
        """
        with self._lock:
            return self._connections

    @property
    def logins(self) -> int:
        with self._lock:
            return self._logins

    @property
    def failed_logins(self) -> int:
        with self._lock:
            return self._failed_logins

    def messages_to(self, address: str) -> list[ReceivedMessage]:
        want = address.casefold()
        return [m for m in self.messages if want in (r.casefold() for r in m.rcpt_tos)]

    def wait_for_message(self, address: str, timeout: float = 10, count: int = 1) -> bool:
        """Block until at least *count* messages for *address* were received.

        Returns False on timeout.  Event-driven (condition variable), so it
        returns as soon as the server records the message.
        """
        want = address.casefold()

        def arrived() -> bool:
            n = sum(1 for m in self._messages if want in (r.casefold() for r in m.rcpt_tos))
            return n >= count

        with self._new_message:
            return self._new_message.wait_for(arrived, timeout=timeout)

    # -- fault scripting ---------------------------------------------------

    def fail_rcpt(
        self, address: str, code: int = 451, times: int | None = 1, message: str | None = None
    ) -> None:
        """Answer ``RCPT TO:<address>`` with *code* for the next *times* tries.

        Default texts: 451 -> "451 4.3.0 try again later", 550 -> "550 5.1.1
        mailbox unavailable".  *message* overrides the text after the code.
        """
        _check_times(times)
        self._add_fault(_Fault(_Kind.REJECT_RCPT, address, times, _reply_for(code, message)))

    def fail_data(
        self, address: str, code: int = 451, times: int | None = 1, message: str | None = None
    ) -> None:
        """Answer the end of DATA with *code* when *address* is a recipient.

        The message is not recorded: the server refused it.
        """
        _check_times(times)
        self._add_fault(_Fault(_Kind.REJECT_DATA, address, times, _reply_for(code, message)))

    def drop_before_data(self, address: str, times: int | None = 1) -> None:
        """Hang up when ``RCPT TO:<address>`` arrives; nothing is recorded."""
        _check_times(times)
        self._add_fault(_Fault(_Kind.DROP_BEFORE_DATA, address, times))

    def drop_after_data(self, address: str, times: int | None = 1) -> None:
        """Receive and record the message, then hang up instead of replying 250.

        Simulates "connection lost after the data was sent but before the
        server's reply": the server has the mail, the client can't know.
        """
        _check_times(times)
        self._add_fault(_Fault(_Kind.DROP_AFTER_DATA, address, times))

    def hold_after_data(self, address: str, times: int | None = 1) -> Gate:
        """Record the message, then withhold the 250 until the gate is released.

        Pair with :meth:`wait_for_message` to act (e.g. SIGKILL the client)
        while the server has the message but the client has no reply yet.
        """
        _check_times(times)
        gate = Gate()
        self._add_fault(_Fault(_Kind.HOLD_AFTER_DATA, address, times, gate=gate))
        return gate

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # -- internals (loop thread) -------------------------------------------

    def _add_fault(self, fault: _Fault) -> None:
        fault.address = fault.address.casefold()
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, *, at_rcpt: bool, addresses: Iterable[str]) -> _Fault | None:
        wanted = {a.casefold() for a in addresses}
        with self._lock:
            for fault in self._faults:
                if fault.kind.at_rcpt == at_rcpt and fault.address in wanted:
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining == 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def _record(self, message: ReceivedMessage) -> None:
        with self._new_message:
            self._messages.append(message)
            self._new_message.notify_all()

    def _make_protocol(self, *, probe: bool, loop: asyncio.AbstractEventLoop) -> SMTP:
        session_id: int | None = None
        if not probe:
            with self._lock:
                self._connections += 1
                session_id = self._connections
        return _RecordingSMTP(
            self._handler,
            session_id=session_id,
            auth_without_starttls=self.mode != "starttls" and self.offer_auth,
            loop=loop,
            hostname=_SERVER_NAME,
            tls_context=self._server_tls if self.mode == "starttls" else None,
            require_starttls=self.mode == "starttls",
            auth_required=self.auth_required,
            # aiosmtpd's only built-in mechanisms are PLAIN and LOGIN, which
            # is exactly the set we want; the authenticator checks both.
            authenticator=self._authenticate,
            enable_SMTPUTF8=True,
        )

    def _authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and hmac.compare_digest(auth_data.login, self.username.encode())
            and hmac.compare_digest(auth_data.password, self.password.encode())
        )
        with self._lock:
            if ok:
                self._logins += 1
            else:
                self._failed_logins += 1
        # handled=False matters on failure: with aiosmtpd's default
        # handled=True it sends *no* reply at all and the client hangs.
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    async def _abort_all(self) -> None:
        protocols = list(self._handler.live)
        for proto in protocols:
            if isinstance(proto.transport, asyncio.Transport):
                proto.transport.abort()
        if protocols:
            await asyncio.wait([proto.lost for proto in protocols], timeout=2)


def start_server(mode: Mode, cert_dir: Path | str) -> SMTPTestServer:
    """Start a server for scripts (e.g. benchmarks); the caller must ``stop()`` it.

    Reuses ``cert.pem``/``key.pem`` in *cert_dir* if both exist, otherwise
    creates them.  Clients trust ``server.cert`` (or ``server.client_context()``).
    """
    cert_dir = Path(cert_dir)
    cert, key = cert_dir / "cert.pem", cert_dir / "key.pem"
    if not (cert.exists() and key.exists()):
        cert, key = make_certificate(cert_dir)
    return SMTPTestServer(mode, cert, key).start()


# ---------------------------------------------------------------------------
# pytest fixtures (load with `pytest_plugins = ["tests.smtp_server"]`)
# ---------------------------------------------------------------------------

if _HAVE_PYTEST:
    __all__ += ["smtp_certificate", "smtp_plain_server", "smtp_ssl_server", "smtp_starttls_server"]

    @pytest.fixture(scope="session")
    def smtp_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
        """(cert_path, key_path) of a self-signed localhost cert; cert_path is the CA file."""
        return make_certificate(tmp_path_factory.mktemp("smtp-cert"))

    @pytest.fixture
    def smtp_starttls_server(smtp_certificate: tuple[Path, Path]) -> Iterator[SMTPTestServer]:
        """Fresh STARTTLS server (TLS + AUTH required), stopped after the test."""
        cert, key = smtp_certificate
        with SMTPTestServer("starttls", cert, key) as server:
            yield server

    @pytest.fixture
    def smtp_ssl_server(smtp_certificate: tuple[Path, Path]) -> Iterator[SMTPTestServer]:
        """Fresh implicit-TLS server (AUTH required), stopped after the test."""
        cert, key = smtp_certificate
        with SMTPTestServer("ssl", cert, key) as server:
            yield server

    @pytest.fixture
    def smtp_plain_server() -> Iterator[SMTPTestServer]:
        """Fresh plaintext server, AUTH optional, stopped after the test."""
        with SMTPTestServer("none") as server:
            yield server
