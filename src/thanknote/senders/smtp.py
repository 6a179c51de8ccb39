"""SMTP delivery: one connection and one login for the whole batch.

The envelope recipient is always the note's one ``To`` address, passed
explicitly: smtplib never derives recipients from headers here. The message
bytes are the exact bytes that were checked by :mod:`thanknote.message`.

Failures are sorted by when they happened. Anything before the message data
reached the server (a 4xx reply, a dropped connection at MAIL or RCPT) is
retried, reconnecting when needed. A 5xx fails that note only. A connection
lost *after* the data was handed over but before the server's reply leaves
the note ``unknown``: it may have gone out, so it is never retried.
"""

from __future__ import annotations

import ipaddress
import smtplib
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

from thanknote.errors import BadInput, DeliveryError
from thanknote.retry import Backoff
from thanknote.senders.base import FAILED, SENT, UNKNOWN, FatalSenderError, Outcome, Outgoing

SECURITY_MODES = ("ssl", "starttls", "none")
DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}
TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    user: str
    password: str
    sender: str
    cafile: Path | None = None

    def __repr__(self) -> str:  # the password never reaches a log line or a traceback
        return (f"SmtpSettings(host={self.host!r}, port={self.port}, security={self.security!r}, "
                f"user={self.user!r}, password='***')")

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


def check_settings(settings: SmtpSettings) -> None:
    """Refuse what must never reach the network, before any connection is attempted."""
    if settings.security not in SECURITY_MODES:
        raise BadInput(f"--smtp-security must be one of {', '.join(SECURITY_MODES)}, "
                       f"not {settings.security!r}")
    if settings.security == "none" and not is_loopback(settings.host):
        raise BadInput(f"--smtp-security none sends your password and notes unencrypted; it is "
                       f"allowed only for a server on this machine (localhost, 127.0.0.1, ::1), "
                       f"not {settings.host!r}")
    if settings.cafile is not None and not settings.cafile.is_file():
        raise BadInput(f"--smtp-cafile {settings.cafile}: no such file")


class LoginRefused(DeliveryError):
    """The server refused the credentials: no note of this batch can go out."""


class _TrackingSMTP(smtplib.SMTP):
    """Knows whether the message data has been handed to the server (see ``send``)."""

    handed_over = False

    def send(self, s: bytes | str) -> None:  # type: ignore[override]
        super().send(s)
        # smtplib's data() sends the message as one bytes object ending in CRLF.CRLF;
        # once it is on the wire, a lost reply means the message may have been accepted.
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.handed_over = True


class _TrackingSMTP_SSL(smtplib.SMTP_SSL, _TrackingSMTP):  # noqa: N801
    pass


class _Transient(Exception):
    def __init__(self, detail: str, reconnect: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.reconnect = reconnect


class SmtpSender:
    via = "smtp"
    purpose = "send"

    def __init__(self, settings: SmtpSettings, *, backoff: Backoff | None = None) -> None:
        check_settings(settings)
        self.settings = settings
        self.backoff = backoff or Backoff()
        self.connection: _TrackingSMTP | None = None
        self.connections = 0

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
        settings = self.settings
        try:
            connection: _TrackingSMTP
            if settings.security == "ssl":
                connection = _TrackingSMTP_SSL(settings.host, settings.port,
                                               timeout=TIMEOUT_SECONDS, context=self._context())
            else:
                connection = _TrackingSMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
                if settings.security == "starttls":
                    connection.ehlo()
                    connection.starttls(context=self._context())
            connection.ehlo()
        except ssl.SSLCertVerificationError as error:
            raise DeliveryError(
                f"the certificate of {settings.where} is not trusted: {error.verify_message}",
                hint="check the host name; a server with a private CA needs --smtp-cafile") from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError(f"{settings.where} does not offer STARTTLS",
                                hint="try --smtp-security ssl (port 465)") from None
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"cannot connect to {settings.where}: {self._scrub(str(error))}",
                                hint="check --smtp-host, --smtp-port and --smtp-security") from None
        if settings.password or settings.security != "none":
            try:
                connection.login(settings.user, settings.password)
            except smtplib.SMTPAuthenticationError as error:
                _close(connection)
                raise LoginRefused(
                    f"{settings.where} refused the login for {settings.user}: "
                    f"{error.smtp_code} {self._scrub(_text(error.smtp_error))}; nothing was sent",
                    hint="for Gmail, use an app password (myaccount.google.com/apppasswords), "
                    "not your account password") from None
            except smtplib.SMTPNotSupportedError:
                _close(connection)
                raise DeliveryError(f"{settings.where} does not offer AUTH on this connection",
                                    hint="use --smtp-security ssl or starttls") from None
            except (OSError, smtplib.SMTPException) as error:
                _close(connection)
                raise DeliveryError(f"login to {settings.where} failed: "
                                    f"{self._scrub(str(error))}") from None
        self.connections += 1
        return connection

    def open(self) -> None:
        self.connection = self._connect()

    def close(self) -> None:
        if self.connection is not None:
            _close(self.connection)
            self.connection = None

    # -- delivery --------------------------------------------------------------------------

    def deliver(self, outgoing: Outgoing) -> Outcome:
        prepared = outgoing.prepared
        raw = prepared.as_bytes()
        last = ""
        for attempt in range(1, self.backoff.attempts + 1):
            try:
                if self.connection is None:
                    self.connection = self._connect()
                return self._send_once(self.connection, prepared.recipient, raw, attempt)
            except _Transient as transient:
                last = transient.detail
                if transient.reconnect:
                    self.close()
            except LoginRefused as error:
                raise FatalSenderError(error.message, Outcome(FAILED, error.message)) from None
            except DeliveryError as error:
                last = error.message
                self.close()
            if attempt < self.backoff.attempts:
                self.backoff.sleep(attempt)
        return Outcome(FAILED, f"gave up after {self.backoff.attempts} attempts: {last}",
                       attempts=self.backoff.attempts)

    def _send_once(self, connection: _TrackingSMTP, recipient: str, raw: bytes,
                   attempt: int) -> Outcome:
        connection.handed_over = False
        where = self.settings.where
        try:
            refused = connection.sendmail(self.settings.sender, [recipient], raw)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = error.recipients.get(recipient, (0, b""))
            return self._rejected(code, f"{where} refused recipient {recipient}: {code} "
                                  f"{_text(reply)}", attempt)
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            return self._rejected(error.smtp_code, f"{where} answered {error.smtp_code} "
                                  f"{_text(error.smtp_error)}", attempt)
        except (smtplib.SMTPServerDisconnected, OSError, socket.timeout) as error:
            if connection.handed_over:
                return Outcome(UNKNOWN, f"the connection to {where} was lost after the message "
                               f"was sent but before the server confirmed it ({error or 'closed'}); "
                               "it may have been delivered, so it is not retried", attempt)
            raise _Transient(f"connection to {where} lost: {error or 'closed'}",
                             reconnect=True) from None
        except smtplib.SMTPResponseException as error:
            # e.g. 421 at MAIL FROM: the server is closing the connection.
            if 400 <= error.smtp_code < 500:
                raise _Transient(f"{where} answered {error.smtp_code} "
                                 f"{_text(error.smtp_error)}", reconnect=True) from None
            return Outcome(FAILED, f"{where} answered {error.smtp_code} "
                           f"{_text(error.smtp_error)}", attempt)
        if refused:
            return Outcome(FAILED, f"{where} refused {', '.join(refused)}", attempt)
        return Outcome(SENT, f"accepted by {where}", attempts=attempt)

    def _rejected(self, code: int, detail: str, attempt: int) -> Outcome:
        if 400 <= code < 500:
            # smtplib has already sent RSET, so the connection can carry the retry.
            raise _Transient(detail, reconnect=False)
        return Outcome(FAILED, detail, attempt)


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _close(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()
