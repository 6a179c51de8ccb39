"""The look-alike interview: when a logged interview may be this one, edited."""

from __future__ import annotations


def folded(text: str) -> str:
    """A company or role as compared: case, spacing and a final full stop ignored."""
    return " ".join(text.casefold().split()).rstrip(".")


def look_alike(key: tuple[str, str, str], other: tuple[str, str, str]) -> bool:
    """Whether the logged interview ``other`` may be the interview ``key``, edited.

    Both are (company, role, start instant in UTC, ISO 8601): the send log's identity.
    Correcting any of them in the file makes a new interview; another looks like this
    one when its company and role match (ignoring case and spacing) at any start, or when
    it started at the same instant under another company or role. An interview is not
    its own look-alike.
    """
    if other == key:
        return False
    company, role, starts_at = key
    other_company, other_role, other_starts_at = other
    return (folded(other_company), folded(other_role)) == (
        folded(company),
        folded(role),
    ) or other_starts_at == starts_at
