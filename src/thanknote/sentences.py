"""A note cut into sentences as the personal share compares them, and sentences near each other.

A sentence is kept as its sorted, case-folded words with every reader's name,
title and address masked (so "Dear Grace" and "Dear Alan" are one sentence),
and its word count as a reader counts words. Two sentences are *near* when they
differ by at most ``FEW_WORDS`` words either way while sharing at least
``COMMON_WORDS``: a copied sentence with a word changed is still a copy.
"""

from __future__ import annotations

import re
from collections import Counter

from thanknote.similarity import at_least

FEW_WORDS = 2
COMMON_WORDS = 4

WORD = re.compile(r"\w+(?:['’-]\w+)*")
"""A word as a reader counts it: "haven't" and "open-source" are one each."""
TOKEN = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+")


class Sentence:
    """One sentence: its masked words, sorted (what notes compare), and its word count."""

    # A plain class, not a dataclass: creating a dataclass costs about half a
    # millisecond at import, paid by every start, and nothing compares these.
    __slots__ = ("key", "words")

    def __init__(self, key: tuple[str, ...], words: int) -> None:
        self.key = key
        self.words = words


def sentences(
    body: str, terms: frozenset[str], lines: dict[str, list[Sentence]] | None = None
) -> list[Sentence]:
    """The body's sentences (each line cut at sentence ends), masked, with their word counts.

    ``lines`` keeps each line's sentences for the next note that holds the same line
    (the notes of a batch share most of theirs); it must be used with one ``terms``.
    """
    found = []
    for line in body.splitlines():
        cached = lines.get(line) if lines is not None else None
        if cached is None:
            cached = _line_sentences(line, terms)
            if lines is not None:
                lines[line] = cached
        found += cached
    return found


def _line_sentences(line: str, terms: frozenset[str]) -> list[Sentence]:
    found = []
    for text in _SENTENCE_END.split(line.strip()):
        words = len(WORD.findall(text))
        if words:
            tokens = [t for t in TOKEN.findall(text.casefold()) if t not in terms]
            found.append(Sentence(tuple(sorted(tokens)), words))
    return found


def lacking(first: Counter[str], second: Counter[str]) -> int:
    """How many of ``first``'s words (with repeats) ``second`` lacks: |first - second|."""
    return sum(count - second[word] for word, count in first.items() if count > second[word])


def _near(first: Counter[str], second: Counter[str]) -> bool:
    missing = lacking(first, second)
    return (
        missing <= FEW_WORDS
        and first.total() - missing >= COMMON_WORDS
        and lacking(second, first) <= FEW_WORDS
    )


def near_keys(keys: list[tuple[str, ...]]) -> dict[tuple[str, ...], list[tuple[str, ...]]]:
    """For each distinct sentence, the other distinct sentences within a few words of it.

    Two sentences near each other share all but ``FEW_WORDS`` of each one's
    words, so the other holds at least one of any ``FEW_WORDS + 1`` of its
    words: each sentence looks only at sentences holding one of its rarest.
    The sentences holding a word are one integer used as a bit set (bit i:
    sentence i), so that look-up is a few bitwise operations per sentence.
    """
    distinct = [frozenset(key) for key in keys]
    holders: dict[str, int] = {}
    for index, words in enumerate(distinct):
        bit = 1 << index
        for word in words:
            holders[word] = holders.get(word, 0) | bit
    held = {word: mask.bit_count() for word, mask in holders.items()}
    everyone = (1 << len(keys)) - 1
    near: dict[tuple[str, ...], list[tuple[str, ...]]] = {key: [] for key in keys}
    for index, key in enumerate(keys):
        if len(key) < COMMON_WORDS:
            continue
        words = distinct[index]
        # Of any m distinct words of this sentence, a near one holds at least m - FEW_WORDS.
        rarest = sorted(words, key=held.__getitem__)[: FEW_WORDS + 3]
        needed = max(1, len(rarest) - FEW_WORDS)
        close = at_least((holders[word] for word in rarest), needed)
        close &= everyone ^ ((2 << index) - 1)  # each pair once, from its first sentence
        while close:
            lowest = close & -close
            close ^= lowest
            other = lowest.bit_length() - 1
            if (
                abs(len(keys[other]) - len(key)) > FEW_WORDS
                or len(words - distinct[other]) > FEW_WORDS
                or len(distinct[other] - words) > FEW_WORDS
            ):
                continue  # the sets differ by more, so the sentences do
            if _near(Counter(key), Counter(keys[other])):
                near[key].append(keys[other])
                near[keys[other]].append(key)
    return near
