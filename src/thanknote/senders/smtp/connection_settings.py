"""Where and how to connect: SmtpSettings, their defaults per host, and what is refused.

``--smtp-security`` and ``--smtp-auth`` are :class:`~thanknote.values.Security` and
:class:`~thanknote.values.SmtpAuth`; a string (from a script, or a test) is turned
into one, and one that names neither is :class:`BadInput` with the choices.
Nothing here touches the network: a setting that must never reach it (plain
text to another machine) is refused before any connection is attempted.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TypeVar

from thanknote.errors import BadInput
from thanknote.values import Security, SmtpAuth

OAUTH_HOSTS = frozenset({"smtp-mail.outlook.com", "smtp.office365.com"})
"""Microsoft's servers take no password (Outlook.com since 2024): OAuth and STARTTLS there."""
DEFAULT_PORTS = {Security.SSL: 465, Security.STARTTLS: 587, Security.NONE: 25}

_Choice = TypeVar("_Choice", Security, SmtpAuth)


def choice(kind: type[_Choice], value: object, option: str) -> _Choice:
    """``value`` as a member of ``kind``; anything else is BadInput naming the choices."""
    raw = value.value if isinstance(value, Enum) else value
    if isinstance(raw, str) and raw in kind.__members__.values():
        return kind(raw)
    choices = ", ".join(member.value for member in kind)
    raise BadInput(f"{option} must be one of {choices}, not {raw!r}")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: Security
    user: str
    password: str
    sender: str
    cafile: Path | None = None
    auth: SmtpAuth = SmtpAuth.PASSWORD
    """``password``, or ``oauth``: XOAUTH2, and ``password`` holds the access token."""

    def __post_init__(self) -> None:
        # A caller may pass the strings ("ssl"); the settings always hold the enums.
        object.__setattr__(self, "security", choice(Security, self.security, "--smtp-security"))
        object.__setattr__(self, "auth", choice(SmtpAuth, self.auth, "--smtp-auth"))

    def __repr__(self) -> str:  # the password never reaches a log line or a traceback
        return (
            f"SmtpSettings(host={self.host!r}, port={self.port}, "
            f"security={self.security.value!r}, user={self.user!r}, "
            f"auth={self.auth.value!r}, password='***')"
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
    security: Security | str | None,
    user: str | None,
    cafile: Path | None,
    auth: SmtpAuth | str | None = None,
) -> SmtpSettings:
    """Settings from the command line, checked; password and sender are filled in later.

    Microsoft's hosts default to STARTTLS on 587 and OAuth; every other host to implicit
    TLS on 465 and a password.
    """
    microsoft = host.casefold() in OAUTH_HOSTS
    chosen = (
        choice(Security, security, "--smtp-security")
        if security
        else (Security.STARTTLS if microsoft else Security.SSL)
    )
    settings = SmtpSettings(
        host=host,
        port=port or DEFAULT_PORTS[chosen],
        security=chosen,
        user=user or "",
        password="",
        sender="",
        cafile=cafile,
        auth=choice(SmtpAuth, auth, "--smtp-auth")
        if auth
        else (SmtpAuth.OAUTH if microsoft else SmtpAuth.PASSWORD),
    )
    check_settings(settings)
    return settings


def check_settings(settings: SmtpSettings) -> None:
    """Refuse what must never reach the network, before any connection is attempted."""
    if settings.security == Security.NONE and not is_loopback(settings.host):
        raise BadInput(
            f"--smtp-security none sends your password and notes unencrypted; it is "
            f"allowed only for a server on this machine (localhost, 127.0.0.1, ::1), "
            f"not {settings.host!r}"
        )
    if settings.cafile is not None:
        from thanknote.certificates import check_cafile

        check_cafile(settings.cafile)
