"""SMTP delivery: one connection and one login for the whole batch.

The envelope recipient is always the note's one ``To`` address, passed
explicitly: smtplib never derives recipients from headers here. The message
bytes are the exact bytes that were checked by :mod:`thanknote.message`.

Failures are sorted by when they happened. Anything before the message data
reached the server (a 4xx reply, a dropped connection at MAIL or RCPT) is
retried, reconnecting when needed. A 5xx fails that note only. A connection
lost *after* the data was handed over but before the server's reply, or any
reply to the data other than a well-formed 4xx/5xx (garbage, a stream of
continuation lines), leaves the note ``unknown``: it may have gone out, so it
is never retried.

Every wait is bounded: each command's whole reply must come within
``COMMAND_SECONDS`` (the greeting within ``GREETING_SECONDS``) and fit in
``MAX_REPLY_BYTES``. The batch stops, leaving the other notes untried, when the
server times out a second time or stops accepting connections. Ctrl-C closes
the connection at once (no polite QUIT) and says what state the note in hand
is in (:class:`thanknote.interrupt.Interrupted`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass
from pathlib import Path

from thanknote.errors import BadInput, DeliveryError
from thanknote.interrupt import Interrupted, interruptible
from thanknote.retry import Backoff
from thanknote.senders.base import FAILED, SENT, UNKNOWN, FatalSenderError, Outcome, Outgoing

SECURITY_MODES = ("ssl", "starttls", "none")
AUTH_MODES = ("password", "oauth")
OAUTH_HOSTS = frozenset({"smtp-mail.outlook.com", "smtp.office365.com"})
"""Microsoft's servers take no password (Outlook.com since 2024): OAuth and STARTTLS there."""
DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}
TIMEOUT_SECONDS = 60.0
"""Connecting, and sending the data: the socket's timeout."""
COMMAND_SECONDS = 60.0
"""The longest a whole reply to one command may take, however slowly it trickles in."""
GREETING_SECONDS = 30.0
QUIT_SECONDS = 5.0
MAX_REPLY_BYTES = 64 * 1024
"""A reply larger than this (e.g. endless ``250-`` lines) is not read further."""
TIMEOUTS_BEFORE_STOP = 2


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    user: str
    password: str
    sender: str
    cafile: Path | None = None
    auth: str = "password"
    """``password``, or ``oauth``: XOAUTH2, and ``password`` holds the access token."""

    def __repr__(self) -> str:  # the password never reaches a log line or a traceback
        return (
            f"SmtpSettings(host={self.host!r}, port={self.port}, security={self.security!r}, "
            f"user={self.user!r}, auth={self.auth!r}, password='***')"
        )

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def is_loopback(host: str) -> bool:
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def settings_from_options(
    *,
    host: str,
    port: int | None,
    security: str | None,
    user: str | None,
    cafile: Path | None,
    auth: str | None = None,
) -> SmtpSettings:
    """Settings from the command line, checked; password and sender are filled in later.

    Microsoft's hosts default to STARTTLS on 587 and OAuth; every other host to implicit
    TLS on 465 and a password.
    """
    microsoft = host.casefold() in OAUTH_HOSTS
    security = security or ("starttls" if microsoft else "ssl")
    settings = SmtpSettings(
        host=host,
        port=port or DEFAULT_PORTS.get(security, 0),
        security=security,
        user=user or "",
        password="",
        sender="",
        cafile=cafile,
        auth=auth or ("oauth" if microsoft else "password"),
    )
    check_settings(settings)
    return settings


def check_settings(settings: SmtpSettings) -> None:
    """Refuse what must never reach the network, before any connection is attempted."""
    if settings.security not in SECURITY_MODES:
        raise BadInput(
            f"--smtp-security must be one of {', '.join(SECURITY_MODES)}, not {settings.security!r}"
        )
    if settings.security == "none" and not is_loopback(settings.host):
        raise BadInput(
            f"--smtp-security none sends your password and notes unencrypted; it is "
            f"allowed only for a server on this machine (localhost, 127.0.0.1, ::1), "
            f"not {settings.host!r}"
        )
    if settings.auth not in AUTH_MODES:
        raise BadInput(f"--smtp-auth must be one of {', '.join(AUTH_MODES)}, not {settings.auth!r}")
    if settings.cafile is not None:
        from thanknote.certificates import check_cafile

        check_cafile(settings.cafile)


class LoginRefused(DeliveryError):
    """The server refused the credentials: no note of this batch can go out."""


class Unreachable(DeliveryError):
    """No session could be opened (refused, reset, TLS failure, an unwelcoming greeting)."""


class ServerTimeout(Unreachable):
    """The server did not answer in time while a session was being opened."""


class SmtpTimeout(smtplib.SMTPServerDisconnected):
    """The server did not answer a command in time (the connection is closed)."""


class ReplyTooLarge(smtplib.SMTPServerDisconnected):
    """The server's reply grew past MAX_REPLY_BYTES (the connection is closed)."""


class _TrackingSMTP(smtplib.SMTP):
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


class _TrackingSMTP_SSL(smtplib.SMTP_SSL, _TrackingSMTP):  # noqa: N801
    pass


class _Transient(Exception):
    def __init__(self, detail: str, reconnect: bool, timeout: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.reconnect = reconnect
        self.timeout = timeout


class SmtpSender:
    via = "smtp"
    purpose = "send"

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        backoff: Backoff | None = None,
        timeout: float = TIMEOUT_SECONDS,
        command_seconds: float = COMMAND_SECONDS,
        greeting_seconds: float = GREETING_SECONDS,
    ) -> None:
        check_settings(settings)
        self.settings = settings
        self.backoff = backoff or Backoff()
        self.timeout = timeout
        self.command_seconds = command_seconds
        self.greeting_seconds = greeting_seconds
        self.connection: _TrackingSMTP | None = None
        self.connections = 0
        self.timeouts = 0
        """Timeouts so far in this batch: the second one stops it."""

    # -- connection ------------------------------------------------------------------------

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.settings.cafile is not None:
            context.load_verify_locations(cafile=str(self.settings.cafile))
        return context

    def _scrub(self, text: str) -> str:
        password = self.settings.password
        return text.replace(password, "***") if password else text

    def _connect(self) -> _TrackingSMTP:
        connection = self._session()
        try:
            if self.settings.password or self.settings.security != "none":
                self._login(connection)
        except BaseException as error:
            connection.abort() if isinstance(error, KeyboardInterrupt) else _close(connection)
            raise
        self.connections += 1
        return connection

    def _session(self) -> _TrackingSMTP:
        """Connect and secure the session (implicit TLS or STARTTLS), verifying the certificate."""
        settings = self.settings
        connection: _TrackingSMTP | None = None
        greeted = False
        try:
            if settings.security == "ssl":
                connection = _TrackingSMTP_SSL(timeout=self.timeout, context=self._context())
            else:
                connection = _TrackingSMTP(timeout=self.timeout)
            connection.command_seconds = self.greeting_seconds
            connection._host = settings.host  # what SMTP(host) sets: the TLS server name
            code, reply = connection.connect(settings.host, settings.port)
            greeted = True
            connection.command_seconds = self.command_seconds
            if code != 220:
                raise smtplib.SMTPConnectError(code, reply)
            if settings.security == "starttls":
                connection.ehlo()
                connection.starttls(context=self._context())
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
                if settings.port == 465 and settings.security != "ssl":
                    hint = (
                        "port 465 expects implicit TLS, which waits for the client to "
                        "speak first: use --smtp-security ssl"
                    )
                raise ServerTimeout(
                    f"{settings.where} sent no greeting within {self.greeting_seconds:g} s",
                    hint=hint,
                ) from None
            if isinstance(error, (SmtpTimeout, TimeoutError)):
                raise ServerTimeout(f"{settings.where}: {error or 'timed out'}") from None
            if isinstance(error, (OSError, smtplib.SMTPException)):
                raise Unreachable(
                    f"cannot connect to {settings.where}: {self._scrub(str(error) or 'closed')}",
                    hint="check --smtp-host, --smtp-port and --smtp-security",
                ) from None
            raise

    def _login(self, connection: _TrackingSMTP) -> None:
        settings = self.settings
        try:
            if settings.auth == "oauth":
                _authenticate_xoauth2(connection, settings.user, settings.password)
            else:
                _authenticate(connection, settings.user, settings.password)
        except smtplib.SMTPAuthenticationError as error:
            raise LoginRefused(
                f"{settings.where} refused the login for {settings.user}: "
                f"{error.smtp_code} {self._scrub(_text(error.smtp_error))}",
                hint=_OAUTH_REFUSED if settings.auth == "oauth" else _login_hint(settings),
            ) from None
        except UnicodeEncodeError:
            # smtplib encodes AUTH credentials as ASCII; its error would quote the password.
            raise LoginRefused(
                f"cannot log in to {settings.where}: the user name or password contains "
                "characters other than ASCII, which SMTP AUTH (as Python sends it) cannot "
                "carry"
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError(
                f"{settings.where} does not offer AUTH on this connection",
                hint="use --smtp-security ssl or starttls",
            ) from None
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(
                f"login to {settings.where} failed: "
                f"{self._scrub(str(error) or 'connection closed')}"
            ) from None

    def open(self) -> None:
        try:
            self.connection = self._connect()
        except DeliveryError as error:
            # Before the first note: the user's first worry is whether anything went out.
            raise type(error)(f"{error.message}; nothing was sent", hint=error.hint) from None

    def close(self) -> None:
        if self.connection is not None:
            _close(self.connection)
            self.connection = None

    def _abort(self) -> None:
        if self.connection is not None:
            self.connection.abort()
            self.connection = None

    # -- delivery --------------------------------------------------------------------------

    def deliver(self, outgoing: Outgoing) -> Outcome:
        prepared = outgoing.prepared
        try:
            with interruptible():
                return self._deliver(prepared.recipient, prepared.as_bytes())
        except KeyboardInterrupt:
            handed_over = self.connection is not None and self.connection.handed_over
            self._abort()
            where = self.settings.where
            if handed_over:
                outcome = Outcome(
                    UNKNOWN,
                    f"interrupted (Ctrl-C) after the message was handed "
                    f"to {where}, before it confirmed; it may have been delivered",
                )
            else:
                outcome = Outcome(
                    FAILED,
                    f"interrupted (Ctrl-C) before the message reached {where}; nothing was sent",
                )
            raise Interrupted(outcome) from None

    def _deliver(self, recipient: str, raw: bytes) -> Outcome:
        last = ""
        unreachable = dropped = False
        for attempt in range(1, self.backoff.attempts + 1):
            try:
                if self.connection is None:
                    self.connection = self._connect()
                outcome = self._send_once(self.connection, recipient, raw, attempt)
                if outcome.status == UNKNOWN:
                    # The reply may still arrive; read as the answer to the next command it
                    # would desynchronise the session. Start the next note on a new one.
                    self._abort()
                return outcome
            except _Transient as transient:
                last, unreachable, dropped = transient.detail, False, transient.reconnect
                if transient.reconnect:
                    self._abort()
                if transient.timeout:
                    self._timed_out(Outcome(FAILED, transient.detail, attempts=attempt))
            except LoginRefused as error:
                raise FatalSenderError(error.message, Outcome(FAILED, error.message)) from None
            except DeliveryError as error:
                last, unreachable, dropped = error.message, isinstance(error, Unreachable), False
                self._abort()
                if isinstance(error, ServerTimeout):
                    self._timed_out(
                        Outcome(FAILED, error.message, attempts=attempt), hint=error.hint
                    )
            if attempt < self.backoff.attempts:
                self.backoff.sleep(attempt, why=f"retrying: {last}")
        outcome = Outcome(
            FAILED,
            f"gave up after {self.backoff.attempts} attempts: {last}",
            attempts=self.backoff.attempts,
        )
        if unreachable:
            # The server stopped accepting connections: every other note would wait as long.
            raise FatalSenderError(
                f"{self.settings.where} no longer accepts connections ({last})", outcome
            )
        if dropped:
            # A 421 or a dropped session on every attempt: the server is deferring everything,
            # not this one note (a lasting 4xx for one recipient fails that note only).
            raise FatalSenderError(
                f"{self.settings.where} keeps closing the connection ({last})", outcome
            )
        return outcome

    def _timed_out(self, outcome: Outcome, hint: str | None = None) -> None:
        """Count a timeout; the second of the batch stops it (``outcome``: the note in hand)."""
        self.timeouts += 1
        if self.timeouts >= TIMEOUTS_BEFORE_STOP:
            words = f"{self.settings.where} timed out {self.timeouts} times"
            raise FatalSenderError(f"{words}{f' ({hint})' if hint else ''}", outcome)

    def _send_once(
        self, connection: _TrackingSMTP, recipient: str, raw: bytes, attempt: int
    ) -> Outcome:
        connection.handed_over = False
        where = self.settings.where
        try:
            refused = connection.sendmail(self.settings.sender, [recipient], raw)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = error.recipients.get(recipient, (0, b""))
            return self._rejected(
                code, f"{where} refused recipient {recipient}: {code} {_text(reply)}", attempt
            )
        except smtplib.SMTPDataError as error:
            detail = f"{where} answered {error.smtp_code} {_text(error.smtp_error)}"
            if connection.handed_over and 200 <= error.smtp_code < 300:
                return Outcome(SENT, f"accepted by {where} ({error.smtp_code})", attempts=attempt)
            if connection.handed_over and not 400 <= error.smtp_code < 600:
                answer = _text(error.smtp_error)[:200] if error.smtp_code == -1 else detail
                return Outcome(
                    UNKNOWN,
                    f"{where} gave no valid answer to the message it was "
                    f"handed ({answer!r}); it may have been delivered, so it is not "
                    "retried",
                    attempts=attempt,
                )
            self._refuse_batch(error, where)
            return self._rejected(error.smtp_code, detail, attempt)
        except smtplib.SMTPSenderRefused as error:
            self._refuse_batch(error, where)
            return self._rejected(
                error.smtp_code,
                f"{where} answered {error.smtp_code} {_text(error.smtp_error)}",
                attempt,
            )
        except (smtplib.SMTPServerDisconnected, OSError) as error:  # OSError: timeouts too
            timeout = isinstance(error, (SmtpTimeout, TimeoutError))
            if connection.handed_over:
                outcome = Outcome(
                    UNKNOWN,
                    f"the connection to {where} was lost after the "
                    f"message was sent but before the server confirmed it "
                    f"({str(error) or 'closed'}); it may have been delivered, so "
                    "it is not retried",
                    attempts=attempt,
                )
                if timeout:
                    connection.abort()
                    self._timed_out(outcome)
                return outcome
            raise _Transient(
                f"connection to {where} lost: {str(error) or 'closed'}",
                reconnect=True,
                timeout=timeout,
            ) from None
        except smtplib.SMTPResponseException as error:
            # e.g. 421 at MAIL FROM: the server is closing the connection.
            if 400 <= error.smtp_code < 500:
                raise _Transient(
                    f"{where} answered {error.smtp_code} {_text(error.smtp_error)}", reconnect=True
                ) from None
            return Outcome(
                FAILED,
                f"{where} answered {error.smtp_code} {_text(error.smtp_error)}",
                attempts=attempt,
            )
        if refused:
            return Outcome(FAILED, f"{where} refused {', '.join(refused)}", attempts=attempt)
        return Outcome(SENT, f"accepted by {where}", attempts=attempt)

    def _refuse_batch(
        self, error: smtplib.SMTPSenderRefused | smtplib.SMTPDataError, where: str
    ) -> None:
        """A permanent refusal that every note of the batch would meet stops the batch.

        The sender address refused, a login that may not send as it, a message-size
        limit: trying each note would only print the same refusal once per note.
        """
        code, reply = error.smtp_code, _text(error.smtp_error)
        if code < 500:
            return
        sender, user = self.settings.sender, self.settings.user
        said = f"{where} answered {code} {reply}"
        if code == 552 or "5.3.4" in reply:
            problem = f"{said}: the server refuses messages of this size"
            hint = (
                "every note of this batch is about as large; ask your provider for its "
                "limit, or send through another server (--smtp-host)"
            )
        elif isinstance(error, smtplib.SMTPSenderRefused) or _send_as_denied(reply):
            problem = f"{said}: it will not take mail from {sender} for the login {user}"
            hint = (
                f"log in as the account that owns {sender} (--smtp-user), or set the "
                "interview file's [candidate] email to an address this login may send as"
            )
        else:
            return
        raise FatalSenderError(
            f"{problem}; no note of this batch can go out this way",
            Outcome(FAILED, said),
            hint=hint,
        )

    def _rejected(self, code: int, detail: str, attempt: int) -> Outcome:
        if 400 <= code < 500:
            # smtplib has already sent RSET, so the connection can carry the retry;
            # after a 421 it has closed the connection instead.
            raise _Transient(detail, reconnect=code == 421)
        return Outcome(FAILED, detail, attempts=attempt)


GMAIL_HOSTS = frozenset({"smtp.gmail.com", "smtp.googlemail.com"})


def _login_hint(settings: SmtpSettings) -> str:
    if settings.host.casefold().rstrip(".") in GMAIL_HOSTS:
        return (
            "for Gmail, use an app password (myaccount.google.com/apppasswords), not your "
            "account password"
        )
    return (
        f"check the login ({settings.user}; --smtp-user changes it) and the password; a "
        "provider with two-step verification may ask for an app-specific password"
    )


def _send_as_denied(reply: str) -> bool:
    """A login that may not send as the From address (Exchange's SendAsDenied, 5.7.60)."""
    folded = reply.casefold()
    return "sendasdenied" in folded or "5.7.60" in folded or "not allowed to send as" in folded


_MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5")


def _authenticate(connection: smtplib.SMTP, user: str, password: str) -> None:
    """Log in with one mechanism, once.

    smtplib's login() tries every mechanism the server offers in turn, so one
    wrong password counts as two or three failed logins, and providers such as
    Gmail lock an account after a few.
    """
    connection.ehlo_or_helo_if_needed()
    if not connection.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
    offered = connection.esmtp_features["auth"].upper().split()
    mechanism = next((m for m in _MECHANISMS if m in offered), None)
    if mechanism is None:
        raise smtplib.SMTPException(f"no supported login method among {' '.join(offered)}")
    connection.user, connection.password = user, password
    handler = getattr(connection, "auth_" + mechanism.lower().replace("-", "_"))
    connection.auth(mechanism, handler)


_OAUTH_REFUSED = (
    "the token is for another account, or SMTP AUTH is turned off for the "
    'mailbox (Microsoft 365: an administrator turns on "Authenticated SMTP" '
    "for it); --smtp-user must be the address you signed in with, or run "
    "`thanknote auth --provider microsoft` again"
)


def _authenticate_xoauth2(connection: smtplib.SMTP, user: str, token: str) -> None:
    """``AUTH XOAUTH2`` with an OAuth 2.0 access token, once.

    A refused token gets a 334 challenge with a JSON error first; the answer to it is an
    empty line, after which the server replies 535 (SMTPAuthenticationError).
    """
    connection.ehlo_or_helo_if_needed()
    if not connection.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
    offered = connection.esmtp_features["auth"].upper().split()
    if "XOAUTH2" not in offered:
        raise smtplib.SMTPException(f"no OAuth login (XOAUTH2) among {' '.join(offered)}")
    initial = f"user={user}\x01auth=Bearer {token}\x01\x01"

    def respond(challenge: bytes | None = None) -> str:
        return initial if challenge is None else ""

    connection.auth("XOAUTH2", respond)


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _close(connection: smtplib.SMTP) -> None:
    """QUIT politely, waiting QUIT_SECONDS at most for the answer (on our own sessions)."""
    if isinstance(connection, _TrackingSMTP):
        connection.command_seconds = min(connection.command_seconds, QUIT_SECONDS)
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        if isinstance(connection, _TrackingSMTP):
            connection.abort()
        else:
            connection.close()
