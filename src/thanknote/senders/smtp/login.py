"""The SMTP login: one mechanism, tried once, and what to tell the user when it is refused.

A password logs in with PLAIN, LOGIN or CRAM-MD5 (whichever the server offers
first); an OAuth access token with XOAUTH2. No message quotes the password.
"""

from __future__ import annotations

import smtplib

from thanknote.errors import DeliveryError
from thanknote.senders.smtp.connection import scrub, text
from thanknote.senders.smtp.connection_settings import SmtpSettings
from thanknote.values import SmtpAuth

GMAIL_HOSTS = frozenset({"smtp.gmail.com", "smtp.googlemail.com"})


class LoginRefused(DeliveryError):
    """The server refused the credentials: no note of this batch can go out."""


def log_in(connection: smtplib.SMTP, settings: SmtpSettings) -> None:
    """Log in on an open session; raise LoginRefused or DeliveryError (nothing was sent)."""
    try:
        if settings.auth == SmtpAuth.OAUTH:
            _authenticate_xoauth2(connection, settings.user, settings.password)
        else:
            _authenticate(connection, settings.user, settings.password)
    except smtplib.SMTPAuthenticationError as error:
        raise LoginRefused(
            f"{settings.where} refused the login for {settings.user}: "
            f"{error.smtp_code} {scrub(text(error.smtp_error), settings)}",
            hint=OAUTH_REFUSED if settings.auth == SmtpAuth.OAUTH else login_hint(settings),
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
            f"{scrub(str(error) or 'connection closed', settings)}"
        ) from None


def login_hint(settings: SmtpSettings) -> str:
    if settings.host.casefold().rstrip(".") in GMAIL_HOSTS:
        return (
            "for Gmail, use an app password (myaccount.google.com/apppasswords), not your "
            "account password"
        )
    return (
        f"check the login ({settings.user}; --smtp-user changes it) and the password; a "
        "provider with two-step verification may ask for an app-specific password"
    )


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


OAUTH_REFUSED = (
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
