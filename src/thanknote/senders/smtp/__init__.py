"""SMTP delivery: one connection and one login for the whole batch.

``sender``               SmtpSender: open, deliver one note, close; what each failure means
``connection``           one session: connect, TLS, replies bounded in time and size
``login``                the login (one mechanism, once) and what to say when it is refused
``connection_settings``  SmtpSettings, the defaults per host, what is refused before connecting

:class:`SmtpSender` (and smtplib with it) loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from thanknote.senders.smtp.connection_settings import (
    OAUTH_HOSTS,
    SmtpSettings,
    check_settings,
    is_loopback,
    settings_from_options,
)

if TYPE_CHECKING:
    from thanknote.senders.smtp.sender import SmtpSender

__all__ = [
    "OAUTH_HOSTS",
    "SmtpSender",
    "SmtpSettings",
    "check_settings",
    "is_loopback",
    "settings_from_options",
]


def __getattr__(name: str) -> object:
    if name == "SmtpSender":
        from thanknote.senders.smtp.sender import SmtpSender

        return SmtpSender
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
