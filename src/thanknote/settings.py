"""Every ``THANKNOTE_*`` environment variable: its name, what it sets, and the one read.

No other module reads the environment for these (a test checks it): each asks
:func:`read` at the moment it needs the value, so a test that changes the
environment between two calls sees the change, and nothing is read at import.
What a value means (a path, a port, an ISO date-time) is checked by the module
that uses it, which names the variable in its error.

The SMTP options (``THANKNOTE_SMTP_HOST`` and the rest) are read by typer, as
the ``envvar`` of their command-line option, whose name they take from here.
"""

from __future__ import annotations

import os
from enum import StrEnum


class Variable(StrEnum):
    """An environment variable thanknote reads; each member equals its name."""

    DB = "THANKNOTE_DB"
    """The send log (SQLite); default sends.sqlite3 in the user data directory."""
    PROFILE = "THANKNOTE_PROFILE"
    """The candidate profile; default profile.toml in the user config directory."""
    NOW = "THANKNOTE_NOW"
    """Pins the clock (ISO 8601 with offset), for tests and rehearsals."""
    ALLOW_PINNED_CLOCK = "THANKNOTE_ALLOW_PINNED_CLOCK"
    """``1``: deliver unattended beyond this machine although NOW pins the clock."""
    LOCK_TIMEOUT = "THANKNOTE_LOCK_TIMEOUT"
    """Seconds a run waits for a send log another run holds (0 to 86400)."""
    NO_BACKOFF = "THANKNOTE_NO_BACKOFF"
    """``1``: record retry waits instead of sleeping them (tests)."""
    SMTP_PASSWORD = "THANKNOTE_SMTP_PASSWORD"  # noqa: S105 - a variable's name
    """The SMTP password (before the system keyring and the prompt)."""
    SMTP_HOST = "THANKNOTE_SMTP_HOST"
    """``--smtp-host``."""
    SMTP_PORT = "THANKNOTE_SMTP_PORT"
    """``--smtp-port``."""
    SMTP_SECURITY = "THANKNOTE_SMTP_SECURITY"
    """``--smtp-security``."""
    SMTP_USER = "THANKNOTE_SMTP_USER"
    """``--smtp-user``."""
    SMTP_CAFILE = "THANKNOTE_SMTP_CAFILE"
    """``--smtp-cafile``."""
    SMTP_AUTH = "THANKNOTE_SMTP_AUTH"
    """``--smtp-auth``."""
    GMAIL_TOKEN = "THANKNOTE_GMAIL_TOKEN"  # noqa: S105 - a variable's name
    """The Gmail token file; default gmail-token.json in the user config directory."""
    GMAIL_ENDPOINT = "THANKNOTE_GMAIL_ENDPOINT"
    """The Gmail API's root URL (https, or http on this machine: a test double)."""
    CLIENT_SECRETS = "THANKNOTE_CLIENT_SECRETS"  # noqa: S105 - a variable's name
    """The Google OAuth client secrets file (``--client-secrets``)."""
    OAUTH_PORT = "THANKNOTE_OAUTH_PORT"
    """The local port that receives Google's consent redirect (``--port``)."""
    MICROSOFT_TOKEN = "THANKNOTE_MICROSOFT_TOKEN"  # noqa: S105 - a variable's name
    """The Microsoft sign-in file; default microsoft-token.json in the user config directory."""
    MICROSOFT_CLIENT_ID = "THANKNOTE_MICROSOFT_CLIENT_ID"
    """The Microsoft Entra app's client id (``--client-id``)."""
    MICROSOFT_AUTHORITY = "THANKNOTE_MICROSOFT_AUTHORITY"
    """Replaces https://login.microsoftonline.com (a test double on this machine)."""


def read(variable: Variable) -> str | None:
    """The variable's value now; None when it is unset or empty."""
    return os.environ.get(variable) or None


def is_on(variable: Variable) -> bool:
    """The variable is set to ``1``."""
    return read(variable) == "1"
