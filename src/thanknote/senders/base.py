"""The one interface every delivery back end implements.

A sender opens once (one connection, one login for the whole batch), delivers
one prepared message at a time and reports what happened, and closes. The
batch logic in :mod:`thanknote.delivery` is written once above it: claiming each
note in the send log before the network call, recording the outcome after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from thanknote.message import Prepared


@dataclass(frozen=True)
class Outgoing:
    """A message to deliver, with what the send log already knows about it."""

    prepared: Prepared
    gmail_id: str | None = None
    """A Gmail draft that already holds this note (from ``draft`` or an interrupted send)."""
    resumed_status: str | None = None
    """The send-log state ``gmail_id`` came from (see :class:`thanknote.sendlog.Claim`)."""
    record_gmail_id: Callable[[str], None] = field(default=lambda _id: None)
    """Call as soon as a draft exists, before sending it: the log must know the draft's id."""
    stray_message_ids: tuple[str, ...] = ()
    """Message-IDs of earlier attempts that may have left an unsent Gmail draft (a run
    stopped before the log recorded its draft's id): delete such drafts first."""


@dataclass(frozen=True)
class Outcome:
    status: str
    """``sent``, ``drafted``, ``failed`` (certainly not delivered), ``unknown`` (may have been)."""
    detail: str = ""
    gmail_id: str | None = None
    attempts: int = 1
    thread_id: str | None = None
    """Gmail's thread id from drafts.create / drafts.send, when it answered one."""


class Sender(Protocol):
    """What the batch needs of a back end; every sender keeps these promises.

    - ``open`` is idempotent: opening an open sender does nothing, so two opens are
      one connection and one login (a caller may open early, to find a refused
      login before the user confirms, and the session opens again without harm).
    - ``deliver`` opens the sender if it is not open yet.
    - ``close`` is idempotent too, never raises, and is harmless on a sender never
      opened (a ``finally`` may always call it). After ``close``, ``open`` starts a
      new session.

    ``tests/test_sender_contract.py`` holds every sender to them against a real peer.
    """

    via: str
    """``smtp`` or ``gmail``: what the send log records."""
    purpose: str
    """``send`` or ``draft``."""

    def open(self) -> None:
        """Connect and log in, once; raise a ThanknoteError when impossible (nothing sent)."""

    def deliver(self, outgoing: Outgoing) -> Outcome:
        """Deliver one message, retrying what is safe to retry, and say what happened."""

    def close(self) -> None:
        """Release the connection; never raises; harmless when not open."""


class FatalSenderError(Exception):
    """Raised by ``deliver`` when no further note can go out (e.g. the login was revoked).

    The note in hand is recorded with ``outcome``; the batch stops.
    """

    def __init__(
        self, message: str, outcome: Outcome, *, needs_auth: bool = False, hint: str | None = None
    ) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.hint = hint
        """What the user should change before running again (the problem is the batch's)."""
        self.needs_auth = needs_auth
        """The login itself was refused: the user must sign in again (exit 2 if nothing went)."""
