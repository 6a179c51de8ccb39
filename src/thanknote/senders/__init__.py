"""Delivery back ends. Each implements :class:`thanknote.senders.base.Sender`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from thanknote.errors import BadInput

if TYPE_CHECKING:
    from thanknote.model import Candidate
    from thanknote.senders.base import Sender
    from thanknote.senders.smtp.connection_settings import SmtpSettings


def sender_for(
    via: str,
    purpose: str,
    *,
    smtp: SmtpSettings | None,
    candidate: Candidate,
    password: Callable[[str], str],
) -> Sender:
    """The real sender for ``via``; the SMTP password is asked only now, after every check.

    ``smtp`` are the settings checked before anything else ran (with an empty
    password and sender); the user defaults to the candidate's address. The
    Gmail and SMTP modules load only here, for the sender asked for.
    """
    if via == "smtp":
        from thanknote.senders.smtp.sender import SmtpSender

        if smtp is None:
            raise BadInput("no SMTP settings")
        user = smtp.user or candidate.email
        from thanknote.accounts.passwords import skips_login

        secret = "" if skips_login(smtp.security) else password(user)
        return SmtpSender(replace(smtp, user=user, sender=candidate.email, password=secret))
    from thanknote.senders.gmail.sender import GmailSender

    return GmailSender.from_environment(purpose=purpose)
