"""The small closed sets of values thanknote passes around, as ``StrEnum``s.

Each member equals its string (``Status.SENT == "sent"``), so the send log's
stored values and the JSON output are the same bytes as before these existed,
and a row read back from SQLite compares equal to the member.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """A note's state, as the send log stores it and senders report it."""

    SENDING = "sending"
    """Claimed, the network call under way (or interrupted): shown as ``unknown``."""
    SENT = "sent"
    DRAFTED = "drafted"
    FAILED = "failed"
    """Certainly not delivered: the next run delivers it."""
    UNKNOWN = "unknown"
    """May have been delivered: never retried without ``--resend``."""


class Kind(StrEnum):
    """What a note is: the thank-you after the interview, or the follow-up after it."""

    THANK_YOU = "thank-you"
    FOLLOW_UP = "follow-up"


class Channel(StrEnum):
    """How a note leaves: the ``--via`` option, and the send log's ``via`` column."""

    SMTP = "smtp"
    GMAIL = "gmail"


class Purpose(StrEnum):
    """What delivering means: a message that goes out, or a Gmail draft to send by hand."""

    SEND = "send"
    DRAFT = "draft"


class Security(StrEnum):
    """How an SMTP connection is protected: the ``--smtp-security`` option."""

    SSL = "ssl"
    STARTTLS = "starttls"
    NONE = "none"
    """Plain text: refused except to a loopback host."""


class SmtpAuth(StrEnum):
    """How the SMTP login proves itself: the ``--smtp-auth`` option."""

    PASSWORD = "password"  # noqa: S105 -- the option's value, not a password
    OAUTH = "oauth"
