"""Where a key sits in an interview file, so that every error can name its line.

tomllib reports lines only for syntax errors; a user fixing "missing email in
the second interviewer" still wants a line to jump to. The file is scanned only
when something is wrong: a good file never pays for it.
"""

from __future__ import annotations

import re
from pathlib import Path

from thanknote.errors import BadInput


class KeyLines:
    """Where each key sits in the file, found with a light scan of the text."""

    # A plain class, not a dataclass: creating a dataclass costs about half a
    # millisecond at import, paid by every start, and nothing compares these.
    __slots__ = ("keys", "tables")

    def __init__(self) -> None:
        self.keys: dict[tuple[str, int, str], int] = {}
        self.tables: dict[tuple[str, int], int] = {}

    @classmethod
    def scan(cls, text: str) -> KeyLines:
        found = cls()
        table, index = "", 0
        counts: dict[str, int] = {}
        header = re.compile(r"\s*(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]\]?")
        key = re.compile(r"\s*([A-Za-z0-9_-]+)\s*=")
        for number, line in enumerate(text.splitlines(), start=1):
            if match := header.match(line):
                table = match.group(2)
                if match.group(1) == "[[":
                    index = counts.get(table, 0)
                    counts[table] = index + 1
                else:
                    index = 0
                found.tables.setdefault((table, index), number)
            elif match := key.match(line):
                found.keys.setdefault((table, index, match.group(1)), number)
        return found

    def line(self, table: str, index: int = 0, key: str | None = None) -> int | None:
        if key is not None and (table, index, key) in self.keys:
            return self.keys[(table, index, key)]
        if key is not None and not table and (key, 0) in self.tables:
            return self.tables[(key, 0)]  # a top-level table such as a misspelt [interviewer]
        return self.tables.get((table, index))


class Reader:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text

    def fail(
        self,
        where: str,
        message: str,
        *,
        table: str = "",
        index: int = 0,
        key: str | None = None,
        hint: str | None = None,
    ) -> BadInput:
        # Lines are looked up only when something is wrong: a good file never pays.
        line = KeyLines.scan(self.text).line(table, index, key)
        location = f"{self.path}:{line}" if line else str(self.path)
        return BadInput(f"{location}: {where}: {message}", hint=hint)


def label(table: str, index: int, key: str) -> str:
    if table == "interviewers":
        return f"[[interviewers]] #{index + 1} {key}"
    return f"{table}.{key}" if table else key
