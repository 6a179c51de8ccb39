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
import ssl
from dataclasses import dataclass
from pathlib import Path

from thanknote.errors import BadInput, DeliveryError
from thanknote.retry import Backoff
from thanknote.senders.base import FAILED, SENT, UNKNOWN, FatalSenderError, Outcome, Outgoing

SECURITY_MODES = ("ssl", "starttls", "none")
AUTH_MODES = ("password", "oauth")
OAUTH_HOSTS = frozenset({"smtp-mail.outlook.com", "smtp.office365.com"})
"""Microsoft's servers take no password (Outlook.com since 2024): OAuth and STARTTLS there."""
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
    auth: str = "password"
    """``password``, or ``oauth``: XOAUTH2, and ``password`` holds the access token."""

    def __repr__(self) -> str:  # the password never reaches a log line or a traceback
        return (f"SmtpSettings(host={self.host!r}, port={self.port}, security={self.security!r}, "
                f"user={self.user!r}, auth={self.auth!r}, password='***')")

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


def settings_from_options(*, host: str, port: int | None, security: str | None,
                          user: str | None, cafile: Path | None,
                          auth: str | None = None) -> SmtpSettings:
    """Settings from the command line, checked; password and sender are filled in later.

    Microsoft's hosts default to STARTTLS on 587 and OAuth; every other host to implicit
    TLS on 465 and a password.
    """
    microsoft = host.casefold() in OAUTH_HOSTS
    security = security or ("starttls" if microsoft else "ssl")
    settings = SmtpSettings(host=host, port=port or DEFAULT_PORTS.get(security, 0),
                            security=security, user=user or "", password="", sender="",
                            cafile=cafile, auth=auth or ("oauth" if microsoft else "password"))
    check_settings(settings)
    return settings


def check_settings(settings: SmtpSettings) -> None:
    """Refuse what must never reach the network, before any connection is attempted."""
    if settings.security not in SECURITY_MODES:
        raise BadInput(f"--smtp-security must be one of {', '.join(SECURITY_MODES)}, "
                       f"not {settings.security!r}")
    if settings.security == "none" and not is_loopback(settings.host):
        raise BadInput(f"--smtp-security none sends your password and notes unencrypted; it is "
                       f"allowed only for a server on this machine (localhost, 127.0.0.1, ::1), "
                       f"not {settings.host!r}")
    if settings.auth not in AUTH_MODES:
        raise BadInput(f"--smtp-auth must be one of {', '.join(AUTH_MODES)}, "
                       f"not {settings.auth!r}")
    if settings.cafile is not None:
        from thanknote.certificates import check_cafile

        check_cafile(settings.cafile)


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
        connection = self._session()
        try:
            if self.settings.password or self.settings.security != "none":
                self._login(connection)
        except BaseException:
            _close(connection)
            raise
        self.connections += 1
        return connection

    def _session(self) -> _TrackingSMTP:
        """Connect and secure the session (implicit TLS or STARTTLS), verifying the certificate."""
        settings = self.settings
        connection: _TrackingSMTP | None = None
        try:
            if settings.security == "ssl":
                connection = _TrackingSMTP_SSL(settings.host, settings.port,
                                               timeout=TIMEOUT_SECONDS, context=self._context())
            else:
                connection = _TrackingSMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
                if settings.security == "starttls":
                    connection.ehlo()
                    connection.starttls(context=self._context())
            connection.ehlo()
            return connection
        except BaseException as error:
            if connection is not None:
                connection.close()  # no QUIT: the session is unusable (e.g. a failed handshake)
            if isinstance(error, ssl.SSLCertVerificationError):
                raise DeliveryError(
                    f"the certificate of {settings.where} is not trusted: {error.verify_message}",
                    hint="check the host name; a server with a private CA needs "
                    "--smtp-cafile") from None
            if isinstance(error, smtplib.SMTPNotSupportedError):
                raise DeliveryError(f"{settings.where} does not offer STARTTLS",
                                    hint="try --smtp-security ssl (port 465)") from None
            if isinstance(error, (OSError, smtplib.SMTPException)):
                raise DeliveryError(
                    f"cannot connect to {settings.where}: {self._scrub(str(error) or 'closed')}",
                    hint="check --smtp-host, --smtp-port and --smtp-security") from None
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
                hint=_OAUTH_REFUSED if settings.auth == "oauth" else _login_hint(settings)
            ) from None
        except UnicodeEncodeError:
            # smtplib encodes AUTH credentials as ASCII; its error would quote the password.
            raise LoginRefused(
                f"cannot log in to {settings.where}: the user name or password contains "
                "characters other than ASCII, which SMTP AUTH (as Python sends it) cannot "
                "carry") from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError(f"{settings.where} does not offer AUTH on this connection",
                                hint="use --smtp-security ssl or starttls") from None
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"login to {settings.where} failed: "
                                f"{self._scrub(str(error) or 'connection closed')}") from None

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

    # -- delivery --------------------------------------------------------------------------

    def deliver(self, outgoing: Outgoing) -> Outcome:
        prepared = outgoing.prepared
        raw = prepared.as_bytes()
        last = ""
        for attempt in range(1, self.backoff.attempts + 1):
            try:
                if self.connection is None:
                    self.connection = self._connect()
                outcome = self._send_once(self.connection, prepared.recipient, raw, attempt)
                if outcome.status == UNKNOWN:
                    # The reply may still arrive; read as the answer to the next command it
                    # would desynchronise the session. Start the next note on a new one.
                    self.close()
                return outcome
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
            self._refuse_batch(error, where)
            return self._rejected(error.smtp_code, f"{where} answered {error.smtp_code} "
                                  f"{_text(error.smtp_error)}", attempt)
        except (smtplib.SMTPServerDisconnected, OSError) as error:  # OSError: timeouts too
            if connection.handed_over:
                return Outcome(UNKNOWN, f"the connection to {where} was lost after the message "
                               f"was sent but before the server confirmed it "
                               f"({str(error) or 'closed'}); it may have been delivered, so it "
                               "is not retried", attempts=attempt)
            raise _Transient(f"connection to {where} lost: {str(error) or 'closed'}",
                             reconnect=True) from None
        except smtplib.SMTPResponseException as error:
            # e.g. 421 at MAIL FROM: the server is closing the connection.
            if 400 <= error.smtp_code < 500:
                raise _Transient(f"{where} answered {error.smtp_code} "
                                 f"{_text(error.smtp_error)}", reconnect=True) from None
            return Outcome(FAILED, f"{where} answered {error.smtp_code} "
                           f"{_text(error.smtp_error)}", attempts=attempt)
        if refused:
            return Outcome(FAILED, f"{where} refused {', '.join(refused)}", attempts=attempt)
        return Outcome(SENT, f"accepted by {where}", attempts=attempt)

    def _refuse_batch(self, error: smtplib.SMTPSenderRefused | smtplib.SMTPDataError,
                      where: str) -> None:
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
            hint = ("every note of this batch is about as large; ask your provider for its "
                    "limit, or send through another server (--smtp-host)")
        elif isinstance(error, smtplib.SMTPSenderRefused) or _send_as_denied(reply):
            problem = f"{said}: it will not take mail from {sender} for the login {user}"
            hint = (f"log in as the account that owns {sender} (--smtp-user), or set the "
                    "interview file's [candidate] email to an address this login may send as")
        else:
            return
        raise FatalSenderError(f"{problem}; no note of this batch can go out this way",
                               Outcome(FAILED, said), hint=hint)

    def _rejected(self, code: int, detail: str, attempt: int) -> Outcome:
        if 400 <= code < 500:
            # smtplib has already sent RSET, so the connection can carry the retry;
            # after a 421 it has closed the connection instead.
            raise _Transient(detail, reconnect=code == 421)
        return Outcome(FAILED, detail, attempts=attempt)


GMAIL_HOSTS = frozenset({"smtp.gmail.com", "smtp.googlemail.com"})


def _login_hint(settings: SmtpSettings) -> str:
    if settings.host.casefold().rstrip(".") in GMAIL_HOSTS:
        return ("for Gmail, use an app password (myaccount.google.com/apppasswords), not your "
                "account password")
    return (f"check the login ({settings.user}; --smtp-user changes it) and the password; a "
            "provider with two-step verification may ask for an app-specific password")


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


_OAUTH_REFUSED = ("the token is for another account, or SMTP AUTH is turned off for the "
                  "mailbox (Microsoft 365: an administrator turns on \"Authenticated SMTP\" "
                  "for it); --smtp-user must be the address you signed in with, or run "
                  "`thanknote auth --provider microsoft` again")


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
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()
