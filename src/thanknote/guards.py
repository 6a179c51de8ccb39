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

import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

DEFAULT_MAX_SIMILARITY = 0.5
WORDS_PER_STEP = 10
"""Each word of its own lowers a pair's similarity by 1/10."""

_MASK = "\x00"
_TOKEN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\w+")


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
        text = self.label or f"{self.name} <{self.to}>"
        return text if self.new else f"{text} (already in the send log)"


@dataclass(frozen=True)
class Refusal:
    check: str
    first: PooledNote
    second: PooledNote
    reason: str
    score: float | None = None


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


def run_checks(new: Sequence[PooledNote], history: Iterable[PooledNote] = (), *,
               max_similarity: float = DEFAULT_MAX_SIMILARITY,
               allow_similar: bool = False) -> GuardReport:
    """Run the three body checks over the new notes and the logged ones.

    A logged note to someone who also has a new note is left out: the new one
    is that person's note now (a resend), not a second person's copy.
    """
    fresh = {note.to.casefold() for note in new}
    pool = list(new) + [note for note in history if note.to.casefold() not in fresh]
    report = GuardReport()
    report.checks[IDENTICAL] = identical(pool)
    report.checks[NAME_SWAPPED] = name_swapped(pool)
    if allow_similar:
        report.skipped[SIMILAR] = "--allow-similar"
    else:
        # A pair already refused as a copy is not reported a second time as similar.
        copies = {frozenset((r.first.to, r.second.to)) for r in report.refusals}
        report.checks[SIMILAR] = [
            r for r in near_identical(pool, max_similarity)
            if frozenset((r.first.to, r.second.to)) not in copies]
    return report


def _pairs_in_groups(pool: Sequence[PooledNote], keys: Iterable[object], check: str,
                     reason: str) -> list[Refusal]:
    groups: dict[object, list[int]] = defaultdict(list)
    for index, key in enumerate(keys):
        groups[key].append(index)
    refusals = []
    for members in groups.values():
        # Pair each note with the first of its group: enough to name every culprit
        # without listing n^2/2 pairs for a thousand copies of one body.
        first = members[0]
        for other in members[1:]:
            if pool[first].new or pool[other].new:
                refusals.append(Refusal(check, pool[first], pool[other], reason))
    return refusals


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def normalise(body: str) -> str:
    return " ".join(body.casefold().split())


def identical(pool: Sequence[PooledNote]) -> list[Refusal]:
    return _pairs_in_groups(pool, (_digest(normalise(n.body)) for n in pool), IDENTICAL,
                            "the two bodies are the same (ignoring case and spacing)")


def _recipient_terms(pool: Sequence[PooledNote]) -> frozenset[str]:
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
    tokens: list[str] = []
    for token in _TOKEN.findall(body.casefold()):
        if token in terms:
            if tokens and tokens[-1] == _MASK:
                continue
            token = _MASK
        tokens.append(token)
    return tokens


def name_swapped(pool: Sequence[PooledNote]) -> list[Refusal]:
    terms = _recipient_terms(pool)
    keys = []
    exact = set()
    for note in pool:
        keys.append(_digest(" ".join(masked_tokens(note.body, terms))))
        exact.add(_digest(normalise(note.body)))
    refusals = _pairs_in_groups(
        pool, keys, NAME_SWAPPED,
        "the bodies differ only in the recipients' names, titles or addresses: "
        "a mass email with a mail-merge greeting")
    # A pair already refused as identical is reported once, as identical.
    return [r for r in refusals
            if _digest(normalise(r.first.body)) != _digest(normalise(r.second.body))]


def _word_set(body: str, terms: frozenset[str]) -> frozenset[tuple[str, int]]:
    """The body's multiset of words as a set of (word, occurrence) pairs; masks dropped."""
    seen: Counter[str] = Counter()
    items = []
    for token in masked_tokens(body, terms):
        if token == _MASK:
            continue
        seen[token] += 1
        items.append((token, seen[token]))
    return frozenset(items)


def similarity(distinct_words: int) -> float:
    return max(0.0, 1.0 - distinct_words / WORDS_PER_STEP)


def pair_similarity(first: str, second: str, names: Iterable[str] = ()) -> float:
    """The similarity of two bodies, for tests and for explaining a refusal."""
    terms = frozenset(t.casefold() for name in names for t in _TOKEN.findall(name))
    a, b = _word_set(first, terms), _word_set(second, terms)
    return similarity(min(len(a - b), len(b - a)))


def near_identical(pool: Sequence[PooledNote], max_similarity: float) -> list[Refusal]:
    """Refuse pairs more similar than ``max_similarity``, without comparing every pair.

    A pair is refused when ``distinct < limit`` words. Three steps keep this near
    linear for real batches:

    1. Words every note shares (the template, the shared paragraphs) cancel out of
       every difference, so each note is reduced to its *residual*: what not all
       notes share. Differences computed on residuals are exact.
    2. A note whose residual is smaller than the limit is too close to every other
       note, and is paired with each.
    3. For the rest, if ``|A - B| < limit`` then B holds all but fewer than
       ``limit`` of A's residual words, so B contains at least one of any ``limit``
       of them. Indexing each note by its ``limit`` rarest residual words finds every
       such B (a prefix filter, as in set-similarity joins).
    """
    if len(pool) < 2:
        return []
    limit = math.ceil(WORDS_PER_STEP * (1.0 - max_similarity) - 1e-9)
    if limit <= 0:
        return []
    terms = _recipient_terms(pool)
    sets = [_word_set(note.body, terms) for note in pool]
    common = frozenset.intersection(*sets)
    residuals = [s - common for s in sets]
    frequency: Counter[tuple[str, int]] = Counter()
    postings: dict[tuple[str, int], list[int]] = defaultdict(list)
    for index, residual in enumerate(residuals):
        frequency.update(residual)
        for item in residual:
            postings[item].append(index)

    def distinct(i: int, j: int) -> int:
        a, b = residuals[i], residuals[j]
        return min(len(a - b), len(b - a))

    found: dict[tuple[int, int], int] = {}

    def consider(i: int, j: int) -> None:
        pair = (min(i, j), max(i, j))
        if pair in found or not (pool[i].new or pool[j].new):
            return
        words = distinct(i, j)
        if words < limit:
            found[pair] = words

    for i, residual in enumerate(residuals):
        if len(residual) < limit:
            # Fewer words of its own than the limit: too close to every other note.
            for j in range(len(pool)):
                if j != i:
                    consider(i, j)
            continue
        prefix = sorted(residual, key=lambda item: (frequency[item], item))[:limit]
        candidates = {j for item in prefix for j in postings[item] if j != i}
        for j in candidates:
            consider(i, j)

    refusals = []
    for (i, j), words in sorted(found.items()):
        score = similarity(words)
        refusals.append(Refusal(
            SIMILAR, pool[i], pool[j],
            f"similarity {score:.2f} is above --max-similarity {max_similarity:.2f}: "
            f"one of the two has only {words} word{'s' if words != 1 else ''} the other lacks "
            f"(each note needs at least {limit} of its own; add something from that "
            "conversation, or pass --allow-similar)",
            score))
    return refusals
