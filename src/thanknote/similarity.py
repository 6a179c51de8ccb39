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
from itertools import chain, compress
from operator import itemgetter, ne

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
    holders: dict[str, int] = {}
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


def _residuals(counts: Sequence[Counter[str]]) -> list[frozenset[str]]:
    """Each note's words less a part every note shares, each occurrence as one string.

    Any multiset contained in every note cancels out of every difference, so it
    need not be the largest one: the words every note has the same number of
    times (the template's words, the shared paragraphs) are dropped. They are
    found without a Python step per word and note: the words every note has
    come from intersecting key views, and each note's counts of them are read
    at once (``itemgetter``) and compared with the first note's, all in C.

    What is left of a note, a word it has ``c`` times, becomes the strings
    ``word``, ``word\\x002`` ... ``word\\x00c`` (no word holds a NUL): a set of
    strings, whose hashes Python keeps, so the sets cost little to build and compare.
    """
    everywhere = set(counts[0])
    for counted in counts[1:]:
        everywhere.intersection_update(counted.keys())
    words = tuple(everywhere)
    unequal: set[str] = set()
    if words:
        read = itemgetter(*words) if len(words) > 1 else lambda counted: (counted[words[0]],)
        first = read(counts[0])
        for counted in counts[1:]:
            times = read(counted)
            if times != first:
                unequal.update(compress(words, map(ne, times, first)))
    shared = everywhere - unequal
    residuals = []
    for counted in counts:
        own = counted.keys() - shared
        for word, times in counted.most_common():
            if times == 1:
                break
            if word in own:
                own.update(_repeats(word, times))
        residuals.append(frozenset(own))
    return residuals


@lru_cache(maxsize=65536)
def _repeats(word: str, times: int) -> tuple[str, ...]:
    """The second to the ``times``-th occurrence of ``word``, each a string of its own."""
    return tuple(f"{word}\x00{n}" for n in range(2, times + 1))


def at_least(masks: Iterable[int], needed: int) -> int:
    """The bits set in at least ``needed`` of ``masks``."""
    levels = [0] * needed  # levels[c]: the bits set in more than c of the masks so far
    for mask in masks:
        for c in range(needed - 1, 0, -1):
            levels[c] |= levels[c - 1] & mask
        levels[0] |= mask
    return levels[-1]
