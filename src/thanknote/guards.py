"""The checks that keep a batch from being a mass email.

Each check is a small function over a pool of notes: the notes about to go out
and the notes the send log already holds for the same interview. Each check
reports refused pairs; a pair made only of logged notes is history, not news,
and is never reported.

Scale matters (a recruiter-sized batch of a thousand notes must not cost a
million comparisons), so the exact-match checks group notes by a hash of
their normalised text, and the similarity check compares only pairs that a
prefix filter cannot rule out.

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
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import chain

DEFAULT_MAX_SIMILARITY = 0.5
WORDS_PER_STEP = 10
"""Each word of its own lowers a pair's similarity by 1/10."""

_MASK = "\x00"
_TOKEN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\w+")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class PooledNote:
    """A note as the guards see it: its recipient, its body, and whether it is new."""

    to: str
    name: str
    title: str | None
    body: str
    new: bool = True
    label: str = ""

    def describe(self) -> str:
        text = self.label or (f"{self.name} <{self.to}>" if self.name else self.to)
        return text if self.new else f"{text} (already in the send log)"


@dataclass(frozen=True)
class Refusal:
    check: str
    first: PooledNote
    second: PooledNote | None
    """The other note of a refused pair; None for a check of one note (a wrong name)."""
    reason: str
    score: float | None = None

    def describe(self) -> str:
        if self.second is None:
            return self.first.describe()
        return f"{self.first.describe()} and {self.second.describe()}"


@dataclass
class GuardReport:
    """Every check that ran, and what each refused."""

    checks: dict[str, list[Refusal]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def refusals(self) -> list[Refusal]:
        return [refusal for found in self.checks.values() for refusal in found]

    @property
    def ok(self) -> bool:
        return not self.refusals


IDENTICAL = "identical bodies"
NAME_SWAPPED = "name-swapped bodies"
SIMILAR = "near-identical bodies"


def run_checks(
    new: Sequence[PooledNote],
    history: Iterable[PooledNote] = (),
    *,
    max_similarity: float = DEFAULT_MAX_SIMILARITY,
    allow_similar: bool = False,
) -> GuardReport:
    """Run the three body checks over the new notes and the logged ones.

    Two notes to the same person are never compared: a new note to someone who
    already has one is a rerun or a resend, not a second person's copy. The
    logged note stays in the pool all the same: it is what that person has, and
    a new note to anyone else must not copy it, whatever this run renders for them.
    """
    pool = _Pool(list(new) + list(history))
    report = GuardReport()
    report.checks[IDENTICAL] = identical(pool)
    report.checks[NAME_SWAPPED] = name_swapped(pool)
    if allow_similar:
        report.skipped[SIMILAR] = "--allow-similar"
    else:
        # A pair already refused as a copy is not reported a second time as similar.
        copies = {
            frozenset((r.first.to, r.second.to)) for r in report.refusals if r.second is not None
        }
        report.checks[SIMILAR] = [
            r
            for r in near_identical(pool, max_similarity)
            if frozenset((r.first.to, r.second.to if r.second else "")) not in copies
        ]
    return report


class _Pool:
    """The notes under check, each tokenised once and shared by the three checks."""

    def __init__(self, notes: Sequence[PooledNote] | _Pool) -> None:
        self.notes: list[PooledNote] = list(notes.notes if isinstance(notes, _Pool) else notes)

    def __len__(self) -> int:
        return len(self.notes)

    @cached_property
    def terms(self) -> frozenset[str]:
        return _recipient_terms(self.notes)

    @cached_property
    def normalised(self) -> list[str]:
        return [normalise(note.body) for note in self.notes]

    @cached_property
    def masked(self) -> list[list[str]]:
        # No token crosses a line, and a batch's notes share most of their lines:
        # each distinct line is tokenised once.
        terms = self.terms
        lines: dict[str, list[str]] = {}
        masked = []
        for note in self.notes:
            tokens: list[str] = []
            for line in note.body.split("\n"):
                found = lines.get(line)
                if found is None:
                    found = lines[line] = _masked(line, terms)
                tokens += found
            masked.append(tokens)
        return masked

    @cached_property
    def word_counts(self) -> list[Counter[str]]:
        counts = []
        for tokens in self.masked:
            counted = Counter(tokens)
            counted.pop(_MASK, None)  # a masked name is nobody's own word
            counts.append(counted)
        return counts


def _pool(notes: Sequence[PooledNote] | _Pool) -> _Pool:
    return notes if isinstance(notes, _Pool) else _Pool(notes)


def _pairs_in_groups(pool: _Pool, keys: Iterable[object], check: str, reason: str) -> list[Refusal]:
    groups: dict[object, list[int]] = defaultdict(list)
    for index, key in enumerate(keys):
        groups[key].append(index)
    notes = pool.notes
    recipients = [note.to.casefold() for note in notes]
    refusals = []
    for members in groups.values():
        # Pair each new note with the first note of its group to someone else: enough
        # to name every culprit without listing n^2/2 pairs for a thousand copies.
        reported = set()
        for member in members:
            if not notes[member].new:
                continue
            partner = next(
                (other for other in members if recipients[other] != recipients[member]), None
            )
            if partner is None:
                continue
            pair = (min(member, partner), max(member, partner))
            if pair not in reported:
                reported.add(pair)
                refusals.append(Refusal(check, notes[pair[0]], notes[pair[1]], reason))
    return refusals


def normalise(body: str) -> str:
    return " ".join(body.casefold().split())


def identical(notes: Sequence[PooledNote] | _Pool) -> list[Refusal]:
    pool = _pool(notes)
    return _pairs_in_groups(
        pool, pool.normalised, IDENTICAL, "the two bodies are the same (ignoring case and spacing)"
    )


def _recipient_terms(pool: Iterable[PooledNote]) -> frozenset[str]:
    """Every word of every recipient's name and title, and every address, case-folded.

    All notes are masked with the terms of *all* recipients: masking each note
    only with its own recipient's name would miss a template whose fixed text
    happens to contain another recipient's name.
    """
    terms: set[str] = set()
    for note in pool:
        terms.add(note.to.casefold())
        for part in (note.name, note.title or ""):
            terms.update(token.casefold() for token in _TOKEN.findall(part))
    return frozenset(terms)


def masked_tokens(body: str, terms: frozenset[str]) -> list[str]:
    """The body's words, case-folded, with recipient terms masked and mask runs collapsed."""
    return _collapse(_masked(body, terms)).split(" ") if body.strip() else []


def _masked(body: str, terms: frozenset[str]) -> list[str]:
    # Plain words are all most bodies hold; the address-aware pattern is slower.
    pattern = _TOKEN if "@" in body else _WORD
    return [_MASK if token in terms else token for token in pattern.findall(body.casefold())]


_MASK_RUN = re.compile(f"{_MASK}(?: {_MASK})+")


def _collapse(tokens: list[str]) -> str:
    """Tokens joined by spaces, with each run of masks (a full name) as one mask."""
    return _MASK_RUN.sub(_MASK, " ".join(tokens))


def name_swapped(notes: Sequence[PooledNote] | _Pool) -> list[Refusal]:
    pool = _pool(notes)
    refusals = _pairs_in_groups(
        pool,
        (_collapse(tokens) for tokens in pool.masked),
        NAME_SWAPPED,
        "the bodies differ only in the recipients' names, titles or addresses: "
        "a mass email with a mail-merge greeting (give each person their own "
        "conversation_point)",
    )
    # A pair already refused as identical is reported once, as identical.
    return [
        r
        for r in refusals
        if r.second is None or normalise(r.first.body) != normalise(r.second.body)
    ]


def _words_of(tokens: Iterable[str]) -> frozenset[tuple[str, int]]:
    """A multiset of words as a set of (word, occurrence) pairs; masks dropped."""
    counts = Counter(token for token in tokens if token != _MASK)
    return frozenset((word, n) for word, count in counts.items() for n in range(1, count + 1))


def similarity(distinct_words: int) -> float:
    return max(0.0, 1.0 - distinct_words / WORDS_PER_STEP)


def pair_similarity(first: str, second: str, names: Iterable[str] = ()) -> float:
    """The similarity of two bodies, each with the given names masked (the measure, alone)."""
    terms = frozenset(t.casefold() for name in names for t in _TOKEN.findall(name))
    a = _words_of(masked_tokens(first, terms))
    b = _words_of(masked_tokens(second, terms))
    return similarity(min(len(a - b), len(b - a)))


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


def _at_least(masks: Iterable[int], needed: int) -> int:
    """The bits set in at least ``needed`` of ``masks``."""
    levels = [0] * needed  # levels[c]: the bits set in more than c of the masks so far
    for mask in masks:
        for c in range(needed - 1, 0, -1):
            levels[c] |= levels[c - 1] & mask
        levels[0] |= mask
    return levels[-1]


def near_identical(notes: Sequence[PooledNote] | _Pool, max_similarity: float) -> list[Refusal]:
    """Refuse pairs more similar than ``max_similarity``, without comparing every pair.

    A pair is refused when ``distinct < limit`` words. Three steps keep this near
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
    pool = _pool(notes)
    count = len(pool)
    if count < 2:
        return []
    limit = math.ceil(WORDS_PER_STEP * (1.0 - max_similarity) - 1e-9)
    if limit <= 0:
        return []
    residuals = _residuals(pool.word_counts)
    order = sorted(range(count), key=lambda index: len(residuals[index]))
    # Bit r of holders[item] is set when the note ranked r holds the item.
    holders: dict[tuple[str, int], int] = {}
    for rank, index in enumerate(order):
        bit = 1 << rank
        for item in residuals[index]:
            holders[item] = holders.get(item, 0) | bit
    rarest = {
        item: place
        for place, item in enumerate(
            sorted(holders, key=lambda item: (holders[item].bit_count(), item))
        )
    }
    new = [note.new for note in pool.notes]
    recipients = [note.to.casefold() for note in pool.notes]
    everyone = (1 << count) - 1

    found: dict[tuple[int, int], int] = {}
    for rank, i in enumerate(order):
        residual = residuals[i]
        larger = everyone ^ ((2 << rank) - 1)  # the notes ranked after this one
        if len(residual) < limit:
            # Fewer words of its own than the limit: too close to every larger note.
            close = larger
        else:
            prefix = sorted(residual, key=rarest.__getitem__)[: limit + 2]
            needed = len(prefix) - limit + 1
            close = _at_least((holders[item] for item in prefix), needed) & larger
        while close:
            lowest = close & -close
            close ^= lowest
            j = order[lowest.bit_length() - 1]
            if recipients[j] == recipients[i] or not (new[i] or new[j]):
                continue
            words = len(residual - residuals[j])
            if words < limit:
                found[(i, j) if i < j else (j, i)] = words

    refusals = []
    for (i, j), words in sorted(found.items()):
        score = similarity(words)
        refusals.append(
            Refusal(
                SIMILAR,
                pool.notes[i],
                pool.notes[j],
                f"similarity {score:.2f} is above --max-similarity {max_similarity:.2f}: "
                f"one of the two has only {words} word{'s' if words != 1 else ''} the other lacks "
                f"(each note needs at least {limit} of its own; add something from that "
                "conversation, or pass --allow-similar)",
                score,
            )
        )
    return refusals
