"""The wrong-name guard: a note that greets someone else, misspells a name, or names another job.

What hurts a candidate most, after a note visibly copied from a colleague's, is
a wrong or misspelt name, or the company of another application. Three checks:

- **Greeting.** The first body line's "Dear X," / "Hi X," / "Hello X," / "X,"
  must name the reader: their first name, full name, or last or full name after
  a title (Dr, Ms, ...), compared without case or accents ("Zoe" greets Zoë). A
  greeting naming nobody ("Hello,", "Hi there,") is not a wrong name.
- **Spelling.** A capitalised word within one edit (names of up to five letters)
  or two edits of a name in the file (a reader, the candidate, the company) and
  not that name: refused in the greeting, a warning anywhere else (the check
  itself is :mod:`thanknote.spelling`).
- **Another interview.** A note that names the company or the role of another
  interview in the send log (a note copied from another application) is
  refused, unless that mention is passed with ``--allow-mention``.

A colleague named right ("as Alan mentioned") is always allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from thanknote.model import Interviewer, InterviewFile
from thanknote.spelling import COMMON, Vocabulary, close, fold, misspellings

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


@dataclass(frozen=True)
class Problem:
    to: str
    reason: str


class NameReport:
    """What the name checks found: refusals, and warnings that stop nothing."""

    # A plain class, not a dataclass: creating a dataclass costs about half a
    # millisecond at import, paid by every start, and nothing compares these.
    __slots__ = ("refusals", "warnings")

    def __init__(self) -> None:
        self.refusals: list[Problem] = []
        self.warnings: list[str] = []


@dataclass(frozen=True)
class OtherInterview:
    """An interview in the send log other than this one, as the check needs it."""

    company: str
    role: str
    when: str


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
            or any(fold(w) in COMMON for w in words)
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
        if any(close(word, part) for word in words):
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
    vocabulary = Vocabulary(interview_file)
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
        for written, spelt in misspellings(f"{subject}\n{rest}", interview_file, vocabulary):
            if (written, spelt) not in seen:
                seen.add((written, spelt))
                who = person.name if person is not None else to
                report.warnings.append(
                    f"the note to {who} has {written!r}: did you mean {spelt!r}?"
                )
    return report
