"""How alike two notes are, and the search for the pairs too alike in a whole batch.

The similarity measure
----------------------
Advisers' rule is that each note carries something of its own: at least a
sentence that belongs to that conversation. So thanknote measures what a
note has that the other does not. Each body is reduced to its words
(case-folded, punctuation dropped, every recipient's name parts, title and
address masked out), kept as a multiset. For a pair (A, B):

    own(A, B) = |A - B|   (words of A, with multiplicity, that B lacks)
    distinct  = min(own(A, B), own(B, A))
    similarity = max(0, 1 - distinct / 10)

A pair whose similarity is above ``--max-similarity`` (default 0.5) is refused:
with the default, each note of a pair needs at least five words the other
lacks. A conversation point of a sentence gives eight or more; a copy with a
few words changed gives one to four. The measure counts words rather than
dividing by the length of the note, so a long shared "why I fit" paragraph
does not make two genuinely personal notes look alike.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import chain

DEFAULT_MAX_SIMILARITY = 0.5
WORDS_PER_STEP = 10
"""Each word of its own lowers a pair's similarity by 1/10."""


def similarity(distinct_words: int) -> float:
    return max(0.0, 1.0 - distinct_words / WORDS_PER_STEP)


def word_limit(max_similarity: float) -> int:
    """How many words of its own each note of a pair needs under ``max_similarity``."""
    return math.ceil(WORDS_PER_STEP * (1.0 - max_similarity) - 1e-9)


def close_pairs(
    word_counts: Sequence[Counter[str]],
    recipients: Sequence[str],
    new: Sequence[bool],
    limit: int,
) -> dict[tuple[int, int], int]:
    """Every pair (i, j), i < j, of which one note has fewer than ``limit`` words the other
    lacks, with that number; without comparing every pair.

    ``word_counts`` are the notes' masked words; two notes to the same ``recipients``
    entry are never paired, nor two notes that are not ``new``. Three steps keep this near
    linear for real batches:

    1. Words every note shares (the template, the shared paragraphs) cancel out of
       every difference, so each note is reduced to its *residual*: what not all
       notes share. Differences computed on residuals are exact.
    2. A note whose residual is smaller than the limit is too close to every other
       note, and is paired with each.
    3. For two notes with ``|A| <= |B|``, ``|A - B| <= |B - A|``: the smaller note
       decides. So each note looks only at notes at least as large (ranked by
       size), and if ``|A - B| < limit`` then B holds all but at most ``limit - 1``
       of A's residual words: of A's ``p`` rarest residual words B holds at least
       ``p - limit + 1`` (a prefix filter with a count filter, as in set-similarity
       joins). Each word's holders are one integer used as a bit set (bit r: the
       note ranked r), so "at least that many of these words" is a few dozen
       bitwise operations per note whatever the batch size; it leaves only the few
       notes that can be close, whose exact difference is then computed.
    """

    count = len(word_counts)
    if count < 2 or limit <= 0:
        return {}
    residuals = _residuals(word_counts)
    order = sorted(range(count), key=lambda index: len(residuals[index]))
    held = Counter(chain.from_iterable(residuals))  # how many notes hold each item
    rarest = {
        item: place for place, item in enumerate(sorted(held, key=lambda item: (held[item], item)))
    }
    prefixes = [
        sorted(residual, key=rarest.__getitem__)[: limit + 2] if len(residual) >= limit else []
        for residual in residuals
    ]
    # Bit r of holders[item] is set when the note ranked r holds the item; only the
    # items some note's prefix asks about are needed.
    wanted = frozenset(chain.from_iterable(prefixes))
    holders: dict[tuple[str, int], int] = {}
    for rank, index in enumerate(order):
        bit = 1 << rank
        for item in residuals[index] & wanted:
            holders[item] = holders.get(item, 0) | bit
    everyone = (1 << count) - 1

    found: dict[tuple[int, int], int] = {}
    for rank, i in enumerate(order):
        residual = residuals[i]
        larger = everyone ^ ((2 << rank) - 1)  # the notes ranked after this one
        if len(residual) < limit:
            # Fewer words of its own than the limit: too close to every larger note.
            close = larger
        else:
            prefix = prefixes[i]
            needed = len(prefix) - limit + 1
            close = at_least((holders[item] for item in prefix), needed) & larger
        while close:
            lowest = close & -close
            close ^= lowest
            j = order[lowest.bit_length() - 1]
            if recipients[j] == recipients[i] or not (new[i] or new[j]):
                continue
            words = len(residual - residuals[j])
            if words < limit:
                found[(i, j) if i < j else (j, i)] = words

    return found


def _residuals(counts: Sequence[Counter[str]]) -> list[frozenset[tuple[str, int]]]:
    """Each note's words less a part every note shares, as (word, occurrence) pairs.

    Any multiset contained in every note cancels out of every difference, so it
    need not be the largest one: the (word, count) pairs that every note has
    exactly (the template's words, the shared paragraphs) are found by
    intersecting the notes' ``items()`` views, which runs in C. What is left of
    a note, a word it has ``c`` times, becomes the items (word, 1) ... (word, c).
    """
    common = set(counts[0].items())
    for counted in counts[1:]:
        common.intersection_update(counted.items())
    return [
        frozenset(chain.from_iterable(map(_occurrences, counted.items() - common)))
        for counted in counts
    ]


@lru_cache(maxsize=65536)
def _occurrences(item: tuple[str, int]) -> tuple[tuple[str, int], ...]:
    """(word, 3) as (word, 1), (word, 2), (word, 3): a multiset's items as a set's."""
    word, times = item
    return tuple((word, n) for n in range(1, times + 1))


def at_least(masks: Iterable[int], needed: int) -> int:
    """The bits set in at least ``needed`` of ``masks``."""
    levels = [0] * needed  # levels[c]: the bits set in more than c of the masks so far
    for mask in masks:
        for c in range(needed - 1, 0, -1):
            levels[c] |= levels[c - 1] & mask
        levels[0] |= mask
    return levels[-1]
