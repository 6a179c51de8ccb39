"""How a note's fields are worded into its sentences: the template filters.

A template says ``{{ conversation_point | phrase }}`` or ``{{ fit | sentence }}``;
these are those filters, and :func:`point_kind`, which tells a template whether a
conversation point is a phrase, sentences or a question.
"""

from __future__ import annotations

import re
from enum import StrEnum


def sentence(value: object) -> str:
    """End a fragment with a full stop unless it already ends a sentence."""
    text = str(value).strip()
    if text and text[-1] not in ".!?…\"'”’)":
        text += "."
    return text


class PointKind(StrEnum):
    """How a conversation point is written, which decides how a template may use it."""

    PHRASE = "phrase"
    """No closing . ! or ?: words that go inside the template's sentence."""
    SENTENCES = "sentences"
    """One or more sentences, written into the note as they are."""
    QUESTION = "question"
    """One question the reader asked, quoted as theirs."""


_CLOSERS = "\"'”’)]"
_SENTENCE_BREAK = re.compile(r"[.!?][\"'”’)]*\s+\S")
_REPORTED = re.compile(r"(?i)^(?:when\s+)?you\s+asked\b")


def point_kind(value: object) -> PointKind:
    """Phrase, sentences or question, from how the text ends (see :class:`PointKind`)."""
    text = str(value).strip().rstrip(_CLOSERS)
    if not text or text[-1] not in ".!?…":
        return PointKind.PHRASE
    if (
        text.endswith("?")
        and not _SENTENCE_BREAK.search(text)
        and not _REPORTED.match(str(value).strip())
    ):
        return PointKind.QUESTION
    return PointKind.SENTENCES


_LEADING_WORDS = frozenset(
    (
        "a",
        "an",
        "the",
        "your",
        "our",
        "my",
        "their",
        "his",
        "her",
        "its",
        "this",
        "that",
        "these",
        "those",
        "how",
        "why",
        "what",
        "when",
        "where",
        "whether",
        "which",
        "who",
        "some",
    )
)


def phrase(value: object) -> str:
    """A phrase ready to go inside a sentence: no trailing comma, a leading 'The' lowered."""
    text = str(value).strip().rstrip(",;:").rstrip()
    first, _, rest = text.partition(" ")
    if first.casefold() in _LEADING_WORDS and first[:1].isupper() and first[1:].islower():
        text = first.lower() + (" " + rest if rest else "")
    return text


def aside(value: object) -> str:
    """New information: sentences as written, a phrase inside a sentence of its own."""
    if point_kind(value) == PointKind.PHRASE:
        return f"I should also have mentioned {phrase(value)}."
    return str(value).strip()


def and_list(values: object) -> str:
    """'Grace', 'Grace and Alan', 'Grace, Alan and Priya'."""
    items = [str(value) for value in values]  # type: ignore[attr-defined]
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
