"""The checks that keep a batch from being a mass email.

Each check is a small function over a pool of notes: the notes about to go out
and the notes the send log already holds for the same interview. Each check
reports refused pairs; a pair made only of logged notes is history, not news,
and is never reported.

Scale matters (a recruiter-sized batch of a thousand notes must not cost a
million comparisons), so the exact-match checks group notes by a hash of
their normalised text, and the similarity check compares only pairs that a
prefix filter cannot rule out.

The similarity check's measure and its search for close pairs are
:mod:`thanknote.similarity`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from thanknote.similarity import (
    DEFAULT_MAX_SIMILARITY,
    close_pairs,
    similarity,
    word_limit,
)

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


class GuardReport:
    """Every check that ran, and what each refused."""

    # A plain class, not a dataclass: creating a dataclass costs about half a
    # millisecond at import, paid by every start, and nothing compares these.
    __slots__ = ("checks", "skipped")

    def __init__(self) -> None:
        self.checks: dict[str, list[Refusal]] = {}
        self.skipped: dict[str, str] = {}

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


def pair_similarity(first: str, second: str, names: Iterable[str] = ()) -> float:
    """The similarity of two bodies, each with the given names masked (the measure, alone)."""
    terms = frozenset(t.casefold() for name in names for t in _TOKEN.findall(name))
    a = _words_of(masked_tokens(first, terms))
    b = _words_of(masked_tokens(second, terms))
    return similarity(min(len(a - b), len(b - a)))


def near_identical(notes: Sequence[PooledNote] | _Pool, max_similarity: float) -> list[Refusal]:
    """Refuse pairs more similar than ``max_similarity`` (see :func:`similarity.close_pairs`)."""
    pool = _pool(notes)
    if len(pool) < 2:
        return []
    limit = word_limit(max_similarity)
    found = close_pairs(
        pool.word_counts,
        [note.to.casefold() for note in pool.notes],
        [note.new for note in pool.notes],
        limit,
    )
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
