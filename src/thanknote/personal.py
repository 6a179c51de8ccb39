"""How much of each note is its own reader's: the personal share, and the warnings it gives.

An interviewer who compares two notes (they forward them, or paste them into the
applicant system) sees a template when most sentences are the same. So each
note is cut into sentences, and a sentence is its reader's own when it appears
in no other note of the interview and is not the template's own text:

- every reader's name, title and address is masked first, so "Dear Grace" and
  "Dear Alan" are the same sentence;
- two sentences are the same when they are equal, or differ by at most
  ``FEW_WORDS`` words either way while sharing at least ``COMMON_WORDS``
  (a copied sentence with a word changed is still a copy);
- the template's own text is found by writing the same template, for the same
  relation and the same kinds of field, to a *stand-in* reader whose fields are
  one meaningless word each: whatever that note has in common with a real note
  is the template's, not the reader's. A reader's own template file is theirs,
  so it has no stand-in.

``personal_share`` is the share of the note's words that are in its own
sentences, from 0 to 1. It is a measure for warnings, not a refusal: the
body guards in :mod:`thanknote.guards` refuse copies.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import combinations
from pathlib import Path

from thanknote.model import Interviewer, InterviewFile
from thanknote.phrasing import PointKind, point_kind
from thanknote.render import THANK_YOU, Note, colleague_names, note_variables
from thanknote.sentences import (
    COMMON_WORDS,
    FEW_WORDS,
    TOKEN,
    Sentence,
    lacking,
    near_keys,
    sentences,
)
from thanknote.template import load_template

LOW_SHARE = 0.35
"""A note with less of its own than this gets a warning."""
MOST_SHARED = 0.5
"""Two notes sharing more than this part of one's sentences get a warning."""
MAX_WORDS = 250
MIN_WORDS = 60
_STAND_IN = "Zzreader Zzstandin"
_NEUTRAL = {
    PointKind.PHRASE: "zzpoint",
    PointKind.SENTENCES: "Zzpoint.",
    PointKind.QUESTION: "Zzpoint?",
}
_NEUTRAL_WORDS = frozenset({"zzpoint", "zzfit", "zznews"})


@dataclass(frozen=True)
class Measure:
    """One note's figures, as ``preview`` shows them."""

    to: str
    name: str
    relation: str
    words: int
    personal_share: float


class PersonalReport:
    """Every thank-you note's figures, and the warnings and notices they give."""

    # A plain class, not a dataclass: creating a dataclass costs about half a
    # millisecond at import, paid by every start, and nothing compares these.
    __slots__ = ("measures", "warnings", "notices", "_by_address", "_indexed")

    def __init__(self) -> None:
        self.measures: list[Measure] = []
        self.warnings: list[str] = []
        self.notices: list[str] = []
        """What thanknote assumed (a relation read from a title)."""
        self._by_address: dict[str, Measure] = {}
        self._indexed = 0

    def of(self, address: str) -> Measure | None:
        """The first measure of the note to ``address`` (asked once per note: a dictionary)."""
        for measure in self.measures[self._indexed :]:  # those appended since the last call
            self._by_address.setdefault(measure.to.casefold(), measure)
        self._indexed = len(self.measures)
        return self._by_address.get(address.casefold())


def _stand_in(interview_file: InterviewFile, person: Interviewer, note: Note) -> str | None:
    """The body the note's template writes for a reader with nothing of their own."""
    if person.template is not None and Path(note.template) == person.template:
        return None  # the reader's own template file is written for them alone
    variables = note_variables(interview_file, person)
    kind = variables["point_kind"]
    stand_in = replace(
        person,
        name=_STAND_IN,
        email="stand-in@invalid.example",
        title="Zztitle" if person.title else None,
        conversation_point=_NEUTRAL[kind],
        fit="Zzfit." if person.fit else None,
        new_information="Zznews." if person.new_information else None,
        template=None,
    )
    overrides = {
        "interviewer": stand_in,
        "conversation_point": stand_in.conversation_point,
        "fit": "Zzfit." if variables["fit"] else "",
        "new_information": "Zznews." if variables["new_information"] else "",
    }
    _subject, body = load_template(Path(note.template)).render(
        note_variables(interview_file, person, **overrides)
    )
    return body


def _terms(interview_file: InterviewFile) -> frozenset[str]:
    terms = {"zzreader", "zzstandin", "zztitle", "stand-in@invalid.example"}
    for person in interview_file.interviewers:
        terms.add(person.email.casefold())
        for part in (person.name, person.title or ""):
            terms.update(word.casefold() for word in TOKEN.findall(part))
    return frozenset(terms)


def measure(interview_file: InterviewFile, notes: Sequence[Note]) -> PersonalReport:
    """The personal share and word count of every thank-you note, and the warnings they give."""
    report = PersonalReport()
    for member in interview_file.interviewers:
        if member.relation_assumed:
            report.notices.append(
                f"{member.name} is taken as a {member.relation.value} (from the title "
                f'{member.title!r}); write relation = "..." in their entry to say otherwise'
            )
    notes = [note for note in notes if note.kind == THANK_YOU]
    if not notes:
        return report
    terms = _terms(interview_file)
    people = [interview_file.interviewer(note.to) for note in notes]
    lines: dict[str, list[Sentence]] = {}
    split = [sentences(note.body, terms, lines) for note in notes]
    bones: set[tuple[str, ...]] = set()
    written: set[object] = set()
    for note, person in zip(notes, people, strict=True):
        if person is None:
            continue
        # Readers alike in everything a template can branch on get the same stand-in.
        colleagues = len(colleague_names(interview_file, person))
        alike = (
            note.template,
            person.template,
            person.relation,
            point_kind(person.conversation_point),
            bool(person.title),
            bool(person.fit),
            bool(person.new_information),
            min(colleagues, 5),
        )
        if alike in written:
            continue
        written.add(alike)
        body = _stand_in(interview_file, person, note)
        if body is not None:
            bones.update(s.key for s in sentences(body, terms, lines))

    # Every distinct sentence, the notes that hold it, and the distinct sentences near it.
    owners: dict[tuple[str, ...], int] = {}
    for index, found in enumerate(split):
        for sentence in found:
            owners[sentence.key] = owners.get(sentence.key, 0) | (1 << index)
    keys = list(owners) + [key for key in bones if key not in owners]
    near = near_keys(keys)
    held = {key: owners.get(key, 0) for key in keys}
    template_text = {
        key for key in keys if key in bones or any(other in bones for other in near[key])
    }
    # A template sentence with a field inside ("... and for our conversation about X.")
    # lends the note only the field's words.
    slots = [Counter(key) for key in bones if _NEUTRAL_WORDS & set(key)]
    reach = {key: held[key] | _or(held[other] for other in near[key]) for key in owners}

    for index, (note, person, found) in enumerate(zip(notes, people, split, strict=True)):
        me = 1 << index
        words = sum(s.words for s in found)
        own = sum(
            _own_words(s, slots)
            for s in found
            if s.key not in template_text and reach[s.key] & ~me == 0
        )
        share = own / words if words else 0.0
        relation = person.relation.value if person is not None else ""
        report.measures.append(Measure(note.to, note.name, relation, words, round(share, 2)))
        who = note.name or note.to
        problems = []
        if share < LOW_SHARE:
            problems.append(f"is {share:.0%} its own (below {LOW_SHARE:.0%})")
        content = [reach[s.key] & ~me for s in found if s.key not in template_text]
        partner = _most_shared(content)
        if partner is not None:
            other, count = partner
            problems.append(
                f"shares {count} of its {len(content)} sentences of substance with "
                f"{notes[other].name or notes[other].to}'s"
            )
        if problems:
            report.warnings.append(
                f"{who}'s note {' and '.join(problems)}: {_fields_to_add(interview_file, person)}"
            )
        if words > MAX_WORDS:
            report.warnings.append(
                f"{who}'s note has {words} words; a thank-you note reads "
                f"best under {MAX_WORDS}: shorten the fit or new_information"
            )
        elif words < MIN_WORDS:
            report.warnings.append(
                f"{who}'s note has only {words} words (fewer than "
                f"{MIN_WORDS}): say more in their conversation_point"
            )
    return report


def _own_words(sentence: Sentence, slots: list[Counter[str]]) -> int:
    """The sentence's words less those of the template sentence it fills in, if any."""
    if not slots:
        return sentence.words
    counted = Counter(sentence.key)
    common = 0
    for slot in slots:
        # The template's sentence is inside this one: all its words but the field's.
        if (missing := lacking(slot, counted)) <= FEW_WORDS + 1:
            common = max(common, slot.total() - missing)
    return sentence.words - common if common >= COMMON_WORDS else sentence.words


def _or(masks: object) -> int:
    total = 0
    for mask in masks:  # type: ignore[attr-defined]
        total |= mask
    return total


def _most_shared(content: list[int]) -> tuple[int, int] | None:
    """The other note that holds more than half of these sentences, and how many it holds.

    Each sentence is a bit mask of the other notes that hold it; a note in at
    least ``needed`` masks is in the AND of some ``needed`` of them.
    """
    if not content:
        return None
    needed = int(len(content) * MOST_SHARED) + 1
    if len(content) > 12:  # beyond any real note: count plainly
        counts: Counter[int] = Counter(bit for mask in content for bit in _bits(mask))
        bit, count = max(counts.items(), key=lambda item: item[1], default=(0, 0))
        return (bit, count) if count >= needed else None
    candidates = 0
    for chosen in combinations(content, needed):
        both = chosen[0]
        for mask in chosen[1:]:
            both &= mask
        candidates |= both
    if not candidates:
        return None
    first = (candidates & -candidates).bit_length() - 1
    return first, sum(1 for mask in content if mask >> first & 1)


def _bits(mask: int) -> list[int]:
    return [bit for bit in range(mask.bit_length()) if mask >> bit & 1]


def _fields_to_add(interview_file: InterviewFile, person: Interviewer | None) -> str:
    """What would make this reader's note theirs, in the file's own field names."""
    if person is None:
        return "give this note something of its own"
    interview = interview_file.interview
    missing = [
        name
        for name, own, shared in (
            ("fit", person.fit, interview.fit),
            ("new_information", person.new_information, interview.new_information),
        )
        if not own and (shared or person.arranges)
    ]
    first = person.first_name
    advice = []
    if missing:
        advice.append(f"give {first} their own {' or '.join(f'`{m}`' for m in missing)}")
    if point_kind(person.conversation_point) != PointKind.SENTENCES:
        advice.append(
            f"write {first}'s `conversation_point` as a sentence or two of what you talked about"
        )
    return ", or ".join(advice) or f"say more in {first}'s `conversation_point`"
