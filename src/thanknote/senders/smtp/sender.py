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

import smtplib

from thanknote.errors import DeliveryError
from thanknote.interrupt import Interrupted, interruptible
from thanknote.retry import Backoff
from thanknote.senders.base import FatalSenderError, Outcome, Outgoing
from thanknote.senders.smtp.connection import (
    COMMAND_SECONDS,
    GREETING_SECONDS,
    TIMEOUT_SECONDS,
    ServerTimeout,
    SmtpTimeout,
    TrackingSMTP,
    Unreachable,
    close_politely,
    open_session,
    text,
)
from thanknote.senders.smtp.connection_settings import SmtpSettings, check_settings
from thanknote.senders.smtp.login import LoginRefused, log_in
from thanknote.values import Security, Status

TIMEOUTS_BEFORE_STOP = 2


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
        self.connection: TrackingSMTP | None = None
        self.connections = 0
        self.timeouts = 0
        """Timeouts so far in this batch: the second one stops it."""

    def _connect(self) -> TrackingSMTP:
        connection = open_session(
            self.settings,
            timeout=self.timeout,
            command_seconds=self.command_seconds,
            greeting_seconds=self.greeting_seconds,
        )
        try:
            if self.settings.password or self.settings.security != Security.NONE:
                log_in(connection, self.settings)
        except BaseException as error:
            if isinstance(error, KeyboardInterrupt):
                connection.abort()
            else:
                close_politely(connection)
            raise
        self.connections += 1
        return connection

    def open(self) -> None:
        """Connect and log in, once: opening an open sender keeps its session."""
        if self.connection is not None:
            return
        try:
            self.connection = self._connect()
        except DeliveryError as error:
            # Before the first note: the user's first worry is whether anything went out.
            raise type(error)(f"{error.message}; nothing was sent", hint=error.hint) from None

    def close(self) -> None:
        """QUIT politely (a few seconds at most); never raises, and is harmless when closed."""
        if self.connection is not None:
            connection, self.connection = self.connection, None
            close_politely(connection)

    def _abort(self) -> None:
        if self.connection is not None:
            self.connection.abort()
            self.connection = None

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
                    Status.UNKNOWN,
                    f"interrupted (Ctrl-C) after the message was handed "
                    f"to {where}, before it confirmed; it may have been delivered",
                )
            else:
                outcome = Outcome(
                    Status.FAILED,
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
                if outcome.status == Status.UNKNOWN:
                    # The reply may still arrive; read as the answer to the next command it
                    # would desynchronise the session. Start the next note on a new one.
                    self._abort()
                return outcome
            except _Transient as transient:
                last, unreachable, dropped = transient.detail, False, transient.reconnect
                if transient.reconnect:
                    self._abort()
                if transient.timeout:
                    self._timed_out(Outcome(Status.FAILED, transient.detail, attempts=attempt))
            except LoginRefused as error:
                raise FatalSenderError(
                    error.message, Outcome(Status.FAILED, error.message)
                ) from None
            except DeliveryError as error:
                last, unreachable, dropped = error.message, isinstance(error, Unreachable), False
                self._abort()
                if isinstance(error, ServerTimeout):
                    self._timed_out(
                        Outcome(Status.FAILED, error.message, attempts=attempt), hint=error.hint
                    )
            if attempt < self.backoff.attempts:
                self.backoff.sleep(attempt, why=f"retrying: {last}")
        outcome = Outcome(
            Status.FAILED,
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
        self, connection: TrackingSMTP, recipient: str, raw: bytes, attempt: int
    ) -> Outcome:
        connection.handed_over = False
        where = self.settings.where
        try:
            refused = connection.sendmail(self.settings.sender, [recipient], raw)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = error.recipients.get(recipient, (0, b""))
            return self._rejected(
                code, f"{where} refused recipient {recipient}: {code} {text(reply)}", attempt
            )
        except smtplib.SMTPDataError as error:
            detail = f"{where} answered {error.smtp_code} {text(error.smtp_error)}"
            if connection.handed_over and 200 <= error.smtp_code < 300:
                return Outcome(
                    Status.SENT, f"accepted by {where} ({error.smtp_code})", attempts=attempt
                )
            if connection.handed_over and not 400 <= error.smtp_code < 600:
                answer = text(error.smtp_error)[:200] if error.smtp_code == -1 else detail
                return Outcome(
                    Status.UNKNOWN,
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
                f"{where} answered {error.smtp_code} {text(error.smtp_error)}",
                attempt,
            )
        except (smtplib.SMTPServerDisconnected, OSError) as error:  # OSError: timeouts too
            timeout = isinstance(error, (SmtpTimeout, TimeoutError))
            if connection.handed_over:
                outcome = Outcome(
                    Status.UNKNOWN,
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
                    f"{where} answered {error.smtp_code} {text(error.smtp_error)}", reconnect=True
                ) from None
            return Outcome(
                Status.FAILED,
                f"{where} answered {error.smtp_code} {text(error.smtp_error)}",
                attempts=attempt,
            )
        if refused:
            return Outcome(Status.FAILED, f"{where} refused {', '.join(refused)}", attempts=attempt)
        return Outcome(Status.SENT, f"accepted by {where}", attempts=attempt)

    def _refuse_batch(
        self, error: smtplib.SMTPSenderRefused | smtplib.SMTPDataError, where: str
    ) -> None:
        """A permanent refusal that every note of the batch would meet stops the batch.

        The sender address refused, a login that may not send as it, a message-size
        limit: trying each note would only print the same refusal once per note.
        """
        code, reply = error.smtp_code, text(error.smtp_error)
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
        elif isinstance(error, smtplib.SMTPSenderRefused) or send_as_denied(reply):
            problem = f"{said}: it will not take mail from {sender} for the login {user}"
            hint = (
                f"log in as the account that owns {sender} (--smtp-user), or set the "
                "interview file's [candidate] email to an address this login may send as"
            )
        else:
            return
        raise FatalSenderError(
            f"{problem}; no note of this batch can go out this way",
            Outcome(Status.FAILED, said),
            hint=hint,
        )

    def _rejected(self, code: int, detail: str, attempt: int) -> Outcome:
        if 400 <= code < 500:
            # smtplib has already sent RSET, so the connection can carry the retry;
            # after a 421 it has closed the connection instead.
            raise _Transient(detail, reconnect=code == 421)
        return Outcome(Status.FAILED, detail, attempts=attempt)


def send_as_denied(reply: str) -> bool:
    """A login that may not send as the From address (Exchange's SendAsDenied, 5.7.60)."""
    folded = reply.casefold()
    return "sendasdenied" in folded or "5.7.60" in folded or "not allowed to send as" in folded
