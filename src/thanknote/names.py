"""The wrong-name guard: a note that greets someone else, misspells a name, or names another job.

What hurts a candidate most, after a note visibly copied from a colleague's, is
a wrong or misspelt name, or the company of another application. Three checks:

- **Greeting.** The first body line's "Dear X," / "Hi X," / "Hello X," / "X,"
  must name the reader: their first name, full name, or last or full name after
  a title (Dr, Ms, ...), compared without case or accents ("Zoe" greets Zoë). A
  greeting naming nobody ("Hello,", "Hi there,") is not a wrong name.
- **Spelling.** A capitalised word within one edit (names of up to five letters)
  or two edits of a name in the file (a reader, the candidate, the company) and
  not that name: refused in the greeting, a warning anywhere else.
- **Another interview.** A note that names the company or the role of another
  interview in the send log (a note copied from another application) is
  refused, unless that mention is passed with ``--allow-mention``.

A colleague named right ("as Alan mentioned") is always allowed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from thanknote.model import Interviewer, InterviewFile

WRONG_NAME = "wrong name"

_GREETING = re.compile(
    r"^(?:(?P<word>dear|hi|hello|hey|good\s+(?:morning|afternoon|evening))(?:\s+|(?=[,:;!]|$)))?"
    r"(?P<name>.*?)\s*(?P<end>[,:;!]*)\s*$",
    re.IGNORECASE,
)
_HONORIFICS = frozenset(
    ("dr", "mr", "mrs", "ms", "mx", "miss", "prof", "professor", "sir", "madam")
)
_NOBODY = frozenset(
    {
        "",
        "there",
        "all",
        "team",
        "everyone",
        "hiring manager",
        "hiring team",
        "sir or madam",
        "friends",
        "folks",
    }
)
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_CAPITALISED = re.compile(r"(?<![\w'’-])[^\W\d_a-z][\w'’-]*")
# Capitalised words a note says for their own sake, a short edit from many names.
_COMMON = frozenset(
    re.findall(
        r"\w+",
        """
    a about after again all also am an and any are as at be been before best but by can
    could dear did do does for from had has have he hello her here hey hi his how i if in
    is it its just kind let like many may me mine more most much my no not now of off on
    once one only or our out over please regards same she since so some such than thank
    thanks that the their them then there these they this those though to too until up us
    very was we well were what when where which while who why will with would yes yet you
    your yours sincerely cheers warm warmly looking forward hope great good
    monday tuesday wednesday thursday friday saturday sunday january february march april
    june july august september october november december
""",
    )
)


@dataclass(frozen=True)
class Problem:
    to: str
    reason: str


@dataclass
class NameReport:
    refusals: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OtherInterview:
    """An interview in the send log other than this one, as the check needs it."""

    company: str
    role: str
    when: str


_ASCII_PUNCTUATION = str.maketrans(
    {c: " " for c in map(chr, range(128)) if not c.isalnum() and c not in "'-"}
)


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Case-folded, accents and punctuation dropped ("Dr. Zoë" is "dr zoe"), spaces collapsed."""
    if text.isascii():
        return " ".join(text.lower().translate(_ASCII_PUNCTUATION).split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(
        c if c.isalnum() or c in "'’-" else " " for c in decomposed if not unicodedata.combining(c)
    )
    return " ".join(plain.split())


def edits(first: str, second: str, limit: int = 2) -> int:
    """Optimal-string-alignment distance (a swap of two letters is one edit), capped at limit+1."""
    if abs(len(first) - len(second)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, start=1):
        current = [i] + [0] * len(second)
        for j, b in enumerate(second, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b))
            if i > 1 and j > 1 and a == second[j - 2] and first[i - 2] == b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _close(word: str, name: str) -> bool:
    """``word`` is a near miss of ``name``: one edit for short names, two for longer."""
    if word == name or len(name) < 3:
        return False
    return edits(word, name, 2) <= (1 if len(name) <= 5 else 2)


def greeting_name(body: str) -> str | None:
    """The name the first body line greets, or None when the note does not open with one."""
    first = next((line.strip() for line in body.splitlines() if line.strip()), "")
    match = _GREETING.match(first)
    if match is None:
        return None
    name = match.group("name").strip()
    if match.group("word") is None:
        # "Grace," opens a note; "Thanks again," or a sentence on the first line does not.
        words = name.split()
        if (
            not match.group("end").startswith(",")
            or not 1 <= len(words) <= 3
            or not all(w[:1].isupper() for w in words)
            or any(fold(w) in _COMMON for w in words)
        ):
            return None
    return name


def _own_greetings(person: Interviewer) -> frozenset[str]:
    return _greetings_of(person.name)


@lru_cache(maxsize=4096)
def _greetings_of(name: str) -> frozenset[str]:
    """How a greeting may name the person called ``name`` (folded): asked once per note."""
    full, last = fold(name), fold(name.split()[-1])
    allowed = {fold(name.split()[0]), full}
    for honorific in _HONORIFICS:
        allowed.update((f"{honorific} {last}", f"{honorific} {full}"))
    return frozenset(allowed)


def _greeting_problem(interview_file: InterviewFile, person: Interviewer, name: str) -> str | None:
    folded = fold(name)
    if folded in _own_greetings(person) or folded in _NOBODY:
        return None
    for other in interview_file.interviewers:
        if other.email != person.email and folded in _own_greetings(other):
            return (
                f"the greeting names {other.name}, but the note goes to {person.name}: "
                "a note (or template) written for someone else"
            )
    if folded in _own_greetings_of_name(interview_file.candidate.name):
        return f"the greeting names the candidate ({name!r}), not {person.name}"
    words = folded.split()
    for part in fold(person.name).split():
        if any(_close(word, part) for word in words):
            return (
                f"the greeting {name!r} looks like a misspelling of {person.name}; "
                "write the name exactly as the file spells it"
            )
    return (
        f"the greeting names {name!r}, but the note goes to {person.name}: greet them "
        f"by their first or full name ({person.first_name!r})"
    )


def _own_greetings_of_name(name: str) -> set[str]:
    parts = fold(name).split()
    return {parts[0], " ".join(parts)} if parts else set()


class _Vocabulary:
    """Every single-word name in the file, folded, with how the file spells it, indexed so
    that the names within two edits of a word are found without trying every name.

    Two words within two edits share a string made by deleting at most two letters
    from each (the symmetric-delete index), so a word looks up only its own deletions.
    """

    def __init__(self, interview_file: InterviewFile) -> None:
        names = [person.name for person in interview_file.interviewers]
        names.append(interview_file.candidate.name)
        self.words: dict[str, str] = {}
        for name in names:
            for part in name.split():
                self.words.setdefault(fold(part), part)
        company = interview_file.interview.company
        if len(company.split()) == 1:
            self.words.setdefault(fold(company), company)
        self.known = set(self.words) | {
            fold(word) for word in _WORD.findall(f"{company} {interview_file.interview.role}")
        }
        self.company_words = {
            form for word in _WORD.findall(company) for form in (fold(word), word.lower())
        }
        self._seen: dict[str, str | None] = {}
        self._lines: dict[str, _Line] = {}
        self.index: dict[str, list[str]] = {}
        for word in self.words:
            if len(word) >= 3:
                for variant in _deletions(word):
                    self.index.setdefault(variant, []).append(word)

    def near_miss(self, folded: str) -> str | None:
        """How the file spells the name ``folded`` is a near miss of, if any."""
        if folded not in self._seen:
            self._seen[folded] = self._near_miss(folded)
        return self._seen[folded]

    def line(self, text: str) -> _Line:
        """``text`` (one line, no newline) read once, however many notes hold it."""
        found = self._lines.get(text)
        if found is None:
            found = self._lines[text] = self._read(text)
        return found

    def _read(self, text: str) -> _Line:
        tokens = tuple(_WORD.findall(text))
        words = self.company_words
        misspelt = []
        for token in _CAPITALISED.findall(text):
            if not token[:1].isupper():
                continue
            folded = fold(token)
            if folded in self.known or folded in _COMMON:
                continue
            if (spelt := self.near_miss(folded)) is not None:
                misspelt.append((token, spelt))
        exact = tuple(index for index, token in enumerate(tokens) if token.lower() in words)
        return _Line(tokens, exact, tuple(misspelt))

    def _near_miss(self, folded: str) -> str | None:
        seen = set()
        for variant in _deletions(folded):
            for name in self.index.get(variant, ()):
                if name not in seen:
                    seen.add(name)
                    if _close(folded, name):
                        return self.words[name]
        return None


def _deletions(word: str, depth: int = 2) -> set[str]:
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def _misspellings(
    text: str, interview_file: InterviewFile, vocabulary: _Vocabulary
) -> list[tuple[str, str]]:
    """(as written, as the file spells it) for each near miss of a file name in ``text``.

    Read line by line: no word crosses a line, and the notes of a batch share most
    of their lines, so each distinct line is read once per batch (see ``_Line``).
    """
    found: list[tuple[str, str]] = []
    tokens: list[str] = []
    exact: list[int] = []
    for text_line in text.split("\n"):
        line = vocabulary.line(text_line)
        found.extend(line.misspelt)
        exact.extend(len(tokens) + index for index in line.exact)
        tokens.extend(line.tokens)
    company = interview_file.interview.company
    size = len(company.split())
    if size > 1 and exact:
        wanted = fold(company)
        shape = [word[:1].isupper() for word in company.split()]
        # Two edits leave one of three words as it is (of two words, most often), so a
        # window worth measuring holds a word of the company as written.
        starts = sorted(
            {
                start
                for index in exact
                for start in range(max(0, index - size + 1), index + 1)
                if start + size <= len(tokens)
            }
        )
        for start in starts:
            # A misspelt name keeps its capitals.
            if [token[:1].isupper() for token in tokens[start : start + size]] != shape:
                continue
            window = " ".join(tokens[start : start + size])
            folded = fold(window)
            if folded != wanted and edits(folded, wanted, 2) <= 2:
                found.append((window, company))
    return found


@dataclass(frozen=True)
class _Line:
    """One line of text as the spelling check reads it."""

    tokens: tuple[str, ...]
    """Its words (``_WORD``), as written."""
    exact: tuple[int, ...]
    """The positions of the words that are a word of the company as written."""
    misspelt: tuple[tuple[str, str], ...]
    """(as written, as the file spells it) of each capitalised near miss of a name."""


def _mentions(
    text: str,
    interview_file: InterviewFile,
    others: Sequence[OtherInterview],
    allowed: frozenset[str],
) -> list[str]:
    """Why the text names another interview's company or role (this one's masked first)."""
    if not others:
        return []
    interview = interview_file.interview
    own = [_words(interview.company), _words(interview.role)]
    folded = f" {_words(text)} "
    for phrase in own:
        if phrase:
            folded = folded.replace(f" {phrase} ", " \x00 ")
    problems: list[str] = []
    for other in others:
        for what, value in (("company", other.company), ("role", other.role)):
            phrase = _words(value)
            if not phrase or phrase in own or phrase in allowed:
                continue
            if f" {phrase} " in folded:
                problems.append(
                    f"it names {value!r}, the {what} of another interview in the send log "
                    f"({other.company} / {other.role}, {other.when}): is it copied from "
                    f"another application? If the mention is deliberate, pass "
                    f"--allow-mention {value!r}"
                )
    return problems


def _words(text: str) -> str:
    """Folded words only, one space apart: how two spellings of a phrase are compared."""
    return " ".join(re.findall(r"[^\W_]+", fold(text)))


def check(
    interview_file: InterviewFile,
    notes: Sequence[tuple[str, str, str]],
    others: Sequence[OtherInterview] = (),
    allow_mention: Iterable[str] = (),
) -> NameReport:
    """Check each (to, subject, body): refusals for wrong names, warnings for misspellings."""
    report = NameReport()
    allowed = frozenset(_words(value) for value in allow_mention)
    vocabulary = _Vocabulary(interview_file)
    for to, subject, body in notes:
        person = interview_file.interviewer(to)
        greeted = greeting_name(body)
        if person is not None and greeted is not None:
            problem = _greeting_problem(interview_file, person, greeted)
            if problem is not None:
                report.refusals.append(Problem(to, problem))
        for problem in _mentions(f"{subject}\n{body}", interview_file, others, allowed):
            report.refusals.append(Problem(to, problem))
        rest = body
        if greeted is not None:
            lines = body.splitlines()
            opening = next(i for i, line in enumerate(lines) if line.strip())
            rest = "\n".join(lines[opening + 1 :])
        seen = set()
        for written, spelt in _misspellings(f"{subject}\n{rest}", interview_file, vocabulary):
            if (written, spelt) not in seen:
                seen.add((written, spelt))
                who = person.name if person is not None else to
                report.warnings.append(
                    f"the note to {who} has {written!r}: did you mean {spelt!r}?"
                )
    return report
