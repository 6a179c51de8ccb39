"""One base exception for everything thanknote reports to a user.

Each adapter (TOML loader, Jinja2, smtplib, Google's client) translates its
library's errors into one of these, with the context a user needs (file and
line, host and port, the note concerned) and at most one hint. The CLI maps
``exit_code`` to the process exit status; no traceback reaches the user.
"""

from __future__ import annotations


class ThanknoteError(Exception):
    """Base class. ``exit_code`` follows the spec's table."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class BadInput(ThanknoteError):
    """Bad input or usage: nothing was rendered or sent (exit 2)."""

    exit_code = 2


class GuardRefusal(ThanknoteError):
    """A check refused one or more notes: nothing was sent (exit 3)."""

    exit_code = 3


class DeliveryError(ThanknoteError):
    """Delivery failed (exit 1); what happened to each note is in the send log."""

    exit_code = 1


class AuthRequired(BadInput):
    """The Gmail token is missing, revoked or cannot be refreshed."""
