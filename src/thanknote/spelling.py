"""The spelling check: a capitalised word a short edit away from a name in the file.

"Grcae" for Grace, "Analitycal Engines" for the company: a word within one edit
(names of up to five letters) or two edits of a name of the interview file (a
reader, the candidate, the company), and not that name. :mod:`thanknote.names`
refuses such a word in the greeting and warns of it anywhere else.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from thanknote.model import InterviewFile

_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_CAPITALISED = re.compile(r"(?<![\w'’-])[^\W\d_a-z][\w'’-]*")
# Capitalised words a note says for their own sake, a short edit from many names.
COMMON = frozenset(
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


def close(word: str, name: str) -> bool:
    """``word`` is a near miss of ``name``: one edit for short names, two for longer."""
    if word == name or len(name) < 3:
        return False
    return edits(word, name, 2) <= (1 if len(name) <= 5 else 2)


class Vocabulary:
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
            if folded in self.known or folded in COMMON:
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
                    if close(folded, name):
                        return self.words[name]
        return None


def _deletions(word: str, depth: int = 2) -> set[str]:
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def misspellings(
    text: str, interview_file: InterviewFile, vocabulary: Vocabulary
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


class _Line:
    """One line of text as the spelling check reads it.

    ``tokens``: its words (``_WORD``), as written; ``exact``: the positions of the
    words that are a word of the company as written; ``misspelt``: (as written, as
    the file spells it) of each capitalised near miss of a name.
    """

    # A plain class, not a dataclass: creating a dataclass costs about half a
    # millisecond at import, paid by every start, and nothing compares these.
    __slots__ = ("tokens", "exact", "misspelt")

    def __init__(
        self,
        tokens: tuple[str, ...],
        exact: tuple[int, ...],
        misspelt: tuple[tuple[str, str], ...],
    ) -> None:
        self.tokens = tokens
        self.exact = exact
        self.misspelt = misspelt
