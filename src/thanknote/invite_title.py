"""The company and the role, read from an invitation's title (SUMMARY) or its organiser.

Recruiting teams and scheduling tools title invitations in a few common shapes:

- ``Interview: Senior Engineer at Acme`` (also ``Onsite interview - ... @ Acme``)
- ``Acme | Onsite – Data Engineer``
- ``Ada Lovelace <> Acme: Backend Engineer``

What no shape gives is left for the user to fill in; a company guessed from the
organiser's domain is marked for checking, since a misspelt company name in a
note is exactly what the wrong-name check exists to catch.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

_DASH = r"\s*[-–—:]\s*"
_STAGE = (
    r"(?:(?:virtual|final|technical|tech|onsite|on-site|phone|video|panel|hiring "
    r"manager|first|second|third|\d+(?:st|nd|rd|th)?|round|screen(?:ing)?|loop|"
    r"interviews?|call|chat|conversation|session)\s*)+"
)
_SHAPES = [
    # Interview: Senior Engineer at Acme / Onsite interview - Senior Engineer @ Acme
    re.compile(
        rf"^(?:{_STAGE}(?:with\s+[^:–—-]+)?{_DASH})?(?P<role>.+?)\s+(?:at|@)\s+"
        r"(?P<company>[^()|:]+?)(?:\s*\(.*\))?$",
        re.IGNORECASE,
    ),
    # Acme | Onsite – Data Engineer
    re.compile(
        rf"^(?P<company>[^|]+?)\s*\|\s*(?:{_STAGE}(?:{_DASH}|\s*\|\s*))?(?P<role>.+)$",
        re.IGNORECASE,
    ),
    # Ada Lovelace <> Acme: Backend Engineer
    re.compile(r"^(?P<person>[^<>]+?)\s*<>\s*(?P<company>[^:]+?)\s*:\s*(?P<role>.+)$"),
]

_FREE_MAIL = {
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "yahoo.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "gmx.de",
    "web.de",
    "fastmail.com",
    "zoho.com",
    "yandex.com",
    "mail.com",
}
_SCHEDULERS = (
    "greenhouse.io",
    "lever.co",
    "goodtime.io",
    "calendly.com",
    "ashbyhq.com",
    "workday.com",
    "myworkday.com",
    "smartrecruiters.com",
    "icims.com",
    "calendar.google.com",
    "modernloop.io",
    "prelude.co",
)
_SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "ltd", "plc"}


@dataclass(frozen=True)
class CompanyRole:
    company: str | None
    role: str | None
    company_note: str | None
    """How the company was found, when it was guessed rather than read."""


def company_and_role(
    summaries: Sequence[str], organizer: str | None, colleagues: Sequence[str]
) -> CompanyRole:
    """Read company and role from the first title that gives them, else guess the company."""
    company = role = None
    for summary in summaries:
        found_company, found_role = read_title(summary)
        company = company or found_company
        role = role or found_role
        if company and role:
            break
    if company:
        return CompanyRole(company, role, None)
    guessed, from_where = _company_from_addresses(organizer, colleagues)
    note = (
        f"guessed from {from_where}: check the spelling (notes name the company)"
        if guessed
        else None
    )
    return CompanyRole(guessed, role, note)


def read_title(summary: str) -> tuple[str | None, str | None]:
    """The (company, role) an invitation title gives, each None where it gives none."""
    text = re.sub(r"\s+", " ", summary).strip()
    text = re.sub(
        r"^(?:updated invitation|invitation|invite|updated|fwd?|re)\s*:\s*",
        "",
        text,
        flags=re.IGNORECASE,
    )
    for shape in _SHAPES:
        if match := shape.match(text):
            company = _clean(match.group("company"))
            role = _clean_role(match.group("role"))
            if company and role:
                return company, role
    return None, None


def _clean(value: str) -> str | None:
    value = value.strip(" \t-–—:|,")
    return value or None


def _clean_role(value: str) -> str | None:
    """A role without the stage words around it: "Onsite – Data Engineer" → "Data Engineer"."""
    role = re.sub(rf"^{_STAGE}(?:{_DASH}|$)", "", value.strip(), flags=re.IGNORECASE)
    role = re.sub(rf"{_DASH}{_STAGE}$", "", role, flags=re.IGNORECASE)
    role = re.sub(r"\s+(?:interviews?|onsite|on-site|loop)$", "", role, flags=re.IGNORECASE)
    role = re.sub(
        r"\s*\((?:onsite|on-site|virtual|remote|round \d+)\)$", "", role, flags=re.IGNORECASE
    )
    return _clean(role)


def _company_from_addresses(
    organizer: str | None, colleagues: Sequence[str]
) -> tuple[str | None, str]:
    domain = organizer.rpartition("@")[2].casefold() if organizer else ""
    if domain and domain not in _FREE_MAIL and not domain.endswith(_SCHEDULERS):
        return company_from_domain(domain), f"the organiser's address ({organizer})"
    domains = Counter(address.rpartition("@")[2].casefold() for address in colleagues)
    for common, _count in domains.most_common():
        if common not in _FREE_MAIL and not common.endswith(_SCHEDULERS):
            return company_from_domain(common), f"the interviewers' addresses (@{common})"
    return None, ""


def company_from_domain(domain: str) -> str | None:
    """``careers.acme-robotics.co.uk`` → "Acme Robotics"."""
    labels = [label for label in domain.casefold().split(".") if label]
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        labels = labels[:-2]
    elif len(labels) >= 2:
        labels = labels[:-1]
    if not labels:
        return None
    name = labels[-1]
    return " ".join(word[:1].upper() + word[1:] for word in re.split(r"[-_]+", name) if word)
