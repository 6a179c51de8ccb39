"""``thanknote doctor``: would a send work now, and on the follow-up date? Nothing is sent.

Each check is a value (:class:`Check`): a name, ``ok`` / ``warning`` / ``problem``, what was
found, and for anything but ``ok`` the fix. The checks of one channel run in order and stop
at the first problem (no login check after a refused connection). The report's exit code
is 0 when nothing is a problem and 1 otherwise; bad input (an invalid interview file, an
unknown ``--via``) is raised as :class:`BadInput` before any check runs (exit 2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thanknote.errors import BadInput

if TYPE_CHECKING:
    from thanknote.model import Candidate
    from thanknote.senders.smtp.connection_settings import SmtpSettings

CHANNELS = ("smtp", "gmail")


class Status(StrEnum):
    OK = "ok"
    WARNING = "warning"
    PROBLEM = "problem"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "status": str(self.status),
            "detail": self.detail,
            "fix": self.fix,
        }


def ok(name: str, detail: str) -> Check:
    return Check(name, Status.OK, detail)


def warning(name: str, detail: str, fix: str | None) -> Check:
    return Check(name, Status.WARNING, detail, fix)


def problem(name: str, detail: str, fix: str | None) -> Check:
    return Check(name, Status.PROBLEM, detail, fix)


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]

    @property
    def problems(self) -> int:
        return sum(1 for check in self.checks if check.status is Status.PROBLEM)

    @property
    def warnings(self) -> int:
        return sum(1 for check in self.checks if check.status is Status.WARNING)

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0

    def as_text(self) -> str:
        lines = []
        for check in self.checks:
            lines.append(f"{check.status:<8} {check.name}: {check.detail}")
            if check.fix:
                lines.append(f"{'':<8} fix: {check.fix}")
        if self.problems:
            verdict = "a send would fail now"
        elif self.warnings:
            verdict = "a send would work now; read the warnings"
        else:
            verdict = "all well: a send would work now"
        lines.append(f"{self.problems} problem(s), {self.warnings} warning(s): {verdict}")
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": not self.problems,
            "problems": self.problems,
            "warnings": self.warnings,
            "checks": [check.as_json() for check in self.checks],
        }


@dataclass(frozen=True)
class Subject:
    """What the checks are about: the candidate (from the file, else the profile) and the
    file's follow-up date."""

    path: Path | None
    candidate: Candidate | None
    follow_up_on: dt.date | None
    source: str = ""
    """Where the candidate came from: the file's path, or the profile's."""


def subject(path: Path | None) -> Subject:
    """Read the interview file, or else the profile (BadInput, exit 2, when not valid)."""
    if path is None:
        from thanknote import profile

        candidate = profile.load_profile()
        where = f"the profile {profile.profile_path()}" if candidate is not None else ""
        return Subject(None, candidate, None, where)
    from thanknote import loader

    interview_file = loader.load(path)
    return Subject(path, interview_file.candidate, interview_file.interview.follow_up_on, str(path))


def address_check(about: Subject, login: str | None) -> Check:
    if about.candidate is None:
        who = f"the SMTP login {login}" if login else "the account only"
        return ok(
            "address",
            f"no interview file and no profile: checking {who}; pass FILE "
            "to check its From address and follow-up date too",
        )
    candidate = about.candidate
    later = "" if about.path is not None else "; pass FILE to check its follow-up date too"
    return ok("address", f"From: {candidate.name} <{candidate.email}> ({about.source}){later}")


def run(
    *,
    via: str | None,
    path: Path | None,
    smtp: SmtpSettings | None,
    ask_password: Callable[[str], str],
    now: dt.datetime,
) -> Report:
    """Every check for the channels asked for (``via``), or those that are set up."""
    from thanknote.doctor import gmail
    from thanknote.doctor import smtp as smtp_checks

    if via is not None and via not in CHANNELS:
        raise BadInput(f"--via must be smtp or gmail, not {via!r}")
    about = subject(path)
    login = None
    if smtp is not None:
        login = smtp.user or (about.candidate.email if about.candidate else None)
        if via == "smtp" and not login:
            raise BadInput(
                "doctor needs the SMTP login: pass the interview FILE (its "
                "candidate's address is the login), --smtp-user, or save a "
                "profile (thanknote profile set)"
            )
    checks = [address_check(about, login if via != "gmail" else None)]
    channels = [via] if via else [c for c in CHANNELS if c != "smtp" or smtp is not None]
    if via is None and not gmail.token_exists():
        channels = [c for c in channels if c != "gmail"]
    if not channels:
        checks.append(
            problem(
                "delivery",
                "nothing to deliver with: no Gmail token, and no SMTP server given",
                "run `thanknote auth` (Gmail), or give --via smtp with "
                "--smtp-host (or THANKNOTE_SMTP_HOST)",
            )
        )
    for channel in channels:
        if channel == "smtp" and smtp is not None and login:
            checks += smtp_checks.checks(smtp, login, about, ask_password=ask_password)
        elif channel == "smtp":
            checks.append(
                problem(
                    "smtp",
                    "no SMTP login: pass FILE or --smtp-user",
                    "thanknote doctor --via smtp --smtp-user YOU@EXAMPLE FILE",
                )
            )
        else:
            checks += gmail.checks(about, now)
    return Report(tuple(checks))
