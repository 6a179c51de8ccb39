"""The lines above a plan, a dry run or a confirmation: what, from whom, where, and when.

``send``, ``draft`` and ``followup`` show the same banner before a dry run's
plan and before the question, so a user sees the server, port, security and
login *before* anything connects, and a pinned clock before it could put a
made-up time on real mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from thanknote.errors import BadInput
from thanknote.rules import has_ended, hours_between, timing_phrase
from thanknote.settings import Variable, is_on, read

if TYPE_CHECKING:
    from thanknote.model import Candidate, Interview
    from thanknote.senders.smtp import SmtpSettings

PINNED_CLOCK = Variable.NOW
ALLOW_PINNED_CLOCK = Variable.ALLOW_PINNED_CLOCK


@dataclass(frozen=True)
class Channel:
    """Where notes go: what the banner says, and whether it leaves this machine."""

    words: str
    loopback: bool


def smtp_logs_in(settings: SmtpSettings) -> bool:
    """A relay on this machine (``--smtp-security none``) may take mail without a login."""
    return settings.security != "none" or bool(read(Variable.SMTP_PASSWORD))


def channel(via: str, purpose: str, settings: SmtpSettings | None, candidate: Candidate) -> Channel:
    from thanknote.senders.smtp import is_loopback

    if via == "smtp" and settings is not None:
        security = {"none": "none (no encryption)"}.get(settings.security, settings.security)
        oauth = " with OAuth" if settings.auth == "oauth" else ""
        login = (
            f"login {settings.user or candidate.email}{oauth}"
            if smtp_logs_in(settings)
            else "no login"
        )
        return Channel(
            f"via smtp: host {settings.host}, port {settings.port}, security {security}, {login}",
            is_loopback(settings.host),
        )
    from thanknote.senders.gmail import ENDPOINT_VARIABLE, check_endpoint

    endpoint = read(ENDPOINT_VARIABLE)
    if endpoint:
        check_endpoint(endpoint)
    host = urlsplit(endpoint).hostname if endpoint else None
    what = "as Gmail drafts" if purpose == "draft" else "via gmail"
    where = f" at {endpoint}" if endpoint else ""
    return Channel(f"{what} through the Gmail API{where}", bool(host) and is_loopback(host or ""))


def pinned_clock(now: datetime) -> str | None:
    """The warning to show while THANKNOTE_NOW pins the clock, or None."""
    if not read(PINNED_CLOCK):
        return None
    # One line of 80 columns: a script's first line of stderr says it.
    return f"{PINNED_CLOCK} pins the clock: Date: and the log say {now:%Y-%m-%d %H:%M} UTC"


def refuse_pinned_clock(where: Channel, *, attended: bool) -> None:
    """Refuse real mail with a made-up time when nobody is there to see the warning.

    ``attended``: standard input is a terminal, so a person sees the banner (and,
    without ``--yes``, answers the question). Unattended (``--yes`` in a script,
    or ``draft``), a delivery that leaves this machine needs
    THANKNOTE_ALLOW_PINNED_CLOCK=1.
    """
    if attended or where.loopback or not read(PINNED_CLOCK):
        return
    if is_on(ALLOW_PINNED_CLOCK):
        return
    raise BadInput(
        f"{PINNED_CLOCK} is set (a pinned clock, for tests and rehearsals), so this "
        "delivery would go out with a made-up Date: and log time; nothing was sent",
        hint=f"unset {PINNED_CLOCK}, or set {ALLOW_PINNED_CLOCK}=1 to deliver with "
        "the pinned clock anyway",
    )


def timing_line(interview: Interview, now: datetime) -> str | None:
    """Before a send: when it would be, measured from the interview's end."""
    if not has_ended(interview.ends_at, now):
        return None
    return "timing: " + timing_phrase(hours_between(interview.ends_at, now), hypothetical=True)


def lines(
    interview: Interview, candidate: Candidate, where: Channel, now: datetime, *, timing: bool
) -> list[str]:
    """The banner: interview, sender, channel, timing (thank-you sends) and a pinned clock."""
    shown = [
        f"{interview.company} / {interview.role} / {interview.local_start:%a %d %b %Y %H:%M %Z}",
        f"from {candidate.name} <{candidate.email}>",
        where.words,
    ]
    if timing and (line := timing_line(interview, now)) is not None:
        shown.append(line)
    if (pinned := pinned_clock(now)) is not None:
        shown.append(f"note: {pinned}")
    return shown
