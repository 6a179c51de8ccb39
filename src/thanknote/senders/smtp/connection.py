"""One SMTP session: connecting, securing it (implicit TLS or STARTTLS), reading replies.

Every wait is bounded: each command's whole reply must come within
``COMMAND_SECONDS`` (the greeting within ``GREETING_SECONDS``) and fit in
``MAX_REPLY_BYTES``. :class:`TrackingSMTP` also knows whether the message data
has been handed to the server, which decides whether a lost answer leaves a
note ``failed`` or ``unknown``.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
import time

from thanknote.errors import DeliveryError
from thanknote.senders.smtp.connection_settings import SmtpSettings
from thanknote.values import Security

TIMEOUT_SECONDS = 60.0
"""Connecting, and sending the data: the socket's timeout."""
COMMAND_SECONDS = 60.0
"""The longest a whole reply to one command may take, however slowly it trickles in."""
GREETING_SECONDS = 30.0
QUIT_SECONDS = 5.0
MAX_REPLY_BYTES = 64 * 1024
"""A reply larger than this (e.g. endless ``250-`` lines) is not read further."""


class Unreachable(DeliveryError):
    """No session could be opened (refused, reset, TLS failure, an unwelcoming greeting)."""


class ServerTimeout(Unreachable):
    """The server did not answer in time while a session was being opened."""


class SmtpTimeout(smtplib.SMTPServerDisconnected):
    """The server did not answer a command in time (the connection is closed)."""


class ReplyTooLarge(smtplib.SMTPServerDisconnected):
    """The server's reply grew past MAX_REPLY_BYTES (the connection is closed)."""


class TrackingSMTP(smtplib.SMTP):
    """Knows whether the message data has been handed to the server (see ``send``).

    Reads every reply itself, with a deadline for the whole reply and a size cap.
    """

    handed_over = False
    command_seconds = COMMAND_SECONDS
    _host = ""
    _buffer = b""
    _reading: object = None

    def send(self, s: bytes | str) -> None:  # type: ignore[override]
        # smtplib's data() sends the message as one bytes object ending in CRLF.CRLF.
        # From the moment it starts going out, a Ctrl-C or a lost reply means the
        # message may have been accepted; only a failed send proves it was not all sent.
        final = isinstance(s, bytes) and s.endswith(b"\r\n.\r\n")
        if final:
            self.handed_over = True
        try:
            super().send(s)
        except (OSError, smtplib.SMTPServerDisconnected):
            if final:
                self.handed_over = False
            raise

    def getreply(self) -> tuple[int, bytes]:
        """smtplib's getreply, bounded in time (the whole reply) and in size."""
        if self.sock is None:
            raise smtplib.SMTPServerDisconnected("please run connect() first")
        if self._reading is not self.sock:  # a new connection, or after STARTTLS
            self._reading, self._buffer = self.sock, b""
        deadline = time.monotonic() + self.command_seconds
        lines: list[bytes] = []
        size = 0
        while True:
            line = self._readline(deadline, size)
            size += len(line)
            lines.append(line[4:].strip(b" \t\r\n"))
            if not line[:3].isdigit():
                return -1, b"\n".join(lines)  # not a reply: the caller decides what it means
            if line[3:4] != b"-":
                return int(line[:3]), b"\n".join(lines)

    def _readline(self, deadline: float, size: int) -> bytes:
        while b"\n" not in self._buffer:
            if size + len(self._buffer) > MAX_REPLY_BYTES:
                self.close()
                raise ReplyTooLarge(
                    f"the server's reply grew past {MAX_REPLY_BYTES // 1024} KiB without ending"
                )
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise TimeoutError
                assert self.sock is not None
                self.sock.settimeout(remaining)
                chunk = self.sock.recv(8192)
            except TimeoutError:
                self.close()
                raise SmtpTimeout(f"no answer within {self.command_seconds:g} s") from None
            except OSError as error:
                self.close()
                raise smtplib.SMTPServerDisconnected(
                    f"Connection unexpectedly closed: {error}"
                ) from None
            if not chunk:
                self.close()
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        if self.sock is not None:
            self.sock.settimeout(self.timeout)
        return line + b"\n"

    def abort(self) -> None:
        """Close the socket now, without QUIT (used after Ctrl-C or a lost answer)."""
        with contextlib.suppress(OSError):
            if self.sock is not None:
                self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.close()


class TrackingSMTP_SSL(smtplib.SMTP_SSL, TrackingSMTP):  # noqa: N801
    pass


def tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    """The system's trusted certificates, and ``--smtp-cafile`` besides."""
    context = ssl.create_default_context()
    if settings.cafile is not None:
        context.load_verify_locations(cafile=str(settings.cafile))
    return context


def scrub(text: str, settings: SmtpSettings) -> str:
    """``text`` without the password (or OAuth token) of ``settings``."""
    password = settings.password
    return text.replace(password, "***") if password else text


def open_session(
    settings: SmtpSettings,
    *,
    timeout: float = TIMEOUT_SECONDS,
    command_seconds: float = COMMAND_SECONDS,
    greeting_seconds: float = GREETING_SECONDS,
) -> TrackingSMTP:
    """Connect and secure the session (implicit TLS or STARTTLS), verifying the certificate."""
    connection: TrackingSMTP | None = None
    greeted = False
    try:
        if settings.security == Security.SSL:
            connection = TrackingSMTP_SSL(timeout=timeout, context=tls_context(settings))
        else:
            connection = TrackingSMTP(timeout=timeout)
        connection.command_seconds = greeting_seconds
        connection._host = settings.host  # what SMTP(host) sets: the TLS server name
        code, reply = connection.connect(settings.host, settings.port)
        greeted = True
        connection.command_seconds = command_seconds
        if code != 220:
            raise smtplib.SMTPConnectError(code, reply)
        if settings.security == Security.STARTTLS:
            connection.ehlo()
            connection.starttls(context=tls_context(settings))
        connection.ehlo()
        return connection
    except BaseException as error:
        if connection is not None:
            connection.abort()  # no QUIT: the session is unusable (e.g. a failed handshake)
        if isinstance(error, ssl.SSLCertVerificationError):
            raise DeliveryError(
                f"the certificate of {settings.where} is not trusted: {error.verify_message}",
                hint="check the host name; a server with a private CA needs --smtp-cafile",
            ) from None
        if isinstance(error, smtplib.SMTPNotSupportedError):
            raise DeliveryError(
                f"{settings.where} does not offer STARTTLS",
                hint="try --smtp-security ssl (port 465)",
            ) from None
        if isinstance(error, SmtpTimeout) and not greeted:
            hint = "check --smtp-host, --smtp-port and --smtp-security"
            if settings.port == 465 and settings.security != Security.SSL:
                hint = (
                    "port 465 expects implicit TLS, which waits for the client to "
                    "speak first: use --smtp-security ssl"
                )
            raise ServerTimeout(
                f"{settings.where} sent no greeting within {greeting_seconds:g} s",
                hint=hint,
            ) from None
        if isinstance(error, (SmtpTimeout, TimeoutError)):
            raise ServerTimeout(f"{settings.where}: {error or 'timed out'}") from None
        if isinstance(error, (OSError, smtplib.SMTPException)):
            raise Unreachable(
                f"cannot connect to {settings.where}: {scrub(str(error) or 'closed', settings)}",
                hint="check --smtp-host, --smtp-port and --smtp-security",
            ) from None
        raise


def text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def close_politely(connection: smtplib.SMTP) -> None:
    """QUIT politely, waiting QUIT_SECONDS at most for the answer (on our own sessions)."""
    if isinstance(connection, TrackingSMTP):
        connection.command_seconds = min(connection.command_seconds, QUIT_SECONDS)
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        if isinstance(connection, TrackingSMTP):
            connection.abort()
        else:
            connection.close()
