"""Reading an interview file: the one boundary where untrusted input becomes values.

Every problem is a :class:`BadInput` that names the file, the line (TOML gives
one for syntax errors; for the rest thanknote finds the key's line itself) and
the field, so the user can go straight to it.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from thanknote import rules
from thanknote.addresses import address_problem, ascii_address, header_problem
from thanknote.errors import BadInput
from thanknote.model import Candidate, Interview, Interviewer, InterviewFile, Relation

DEFAULT_DURATION_MINUTES = 60

_CANDIDATE_KEYS = {"name", "email", "signature"}
_INTERVIEW_KEYS = {
    "company",
    "role",
    "starts_at",
    "timezone",
    "duration_minutes",
    "follow_up_on",
    "follow_up_with",
    "fit",
    "new_information",
}
_INTERVIEWER_KEYS = {
    "name",
    "email",
    "title",
    "conversation_point",
    "fit",
    "new_information",
    "template",
    "relation",
}
_TOP_KEYS = {"candidate", "interview", "interviewers"}


@dataclass
class _KeyLines:
    """Where each key sits in the file, found with a light scan of the text.

    tomllib reports lines only for syntax errors; a user fixing "missing email
    in the second interviewer" still wants a line to jump to.
    """

    keys: dict[tuple[str, int, str], int] = field(default_factory=dict)
    tables: dict[tuple[str, int], int] = field(default_factory=dict)

    @classmethod
    def scan(cls, text: str) -> _KeyLines:
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


class _Reader:
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
        line = _KeyLines.scan(self.text).line(table, index, key)
        location = f"{self.path}:{line}" if line else str(self.path)
        return BadInput(f"{location}: {where}: {message}", hint=hint)


def _label(table: str, index: int, key: str) -> str:
    if table == "interviewers":
        return f"[[interviewers]] #{index + 1} {key}"
    return f"{table}.{key}" if table else key


def load(path: Path) -> InterviewFile:
    """Read and check an interview file; raise :class:`BadInput` on any problem."""
    return _parser(path).parse()


def load_interview(path: Path) -> Interview:
    """Only the file's ``[interview]`` (its identity: company, role, start; and its dates),
    checked as :func:`load` checks it, for commands that find it in the send log
    (``log FILE``, ``followups --done``): no ``[candidate]`` or profile is needed."""
    return _parser(path).parse_interview()


def _parser(path: Path) -> _Parser:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file", hint="thanknote init writes an example") from None
    except OSError as error:
        raise BadInput(f"{path}: cannot read: {error.strerror}") from None
    try:
        # utf-8-sig: an editor that saves a byte-order mark has not written bad TOML.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadInput(f"{path}: not UTF-8 text (byte {error.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # tomllib's message ends with "(at line L, column C)"; lead with the line.
        message = str(error)
        match = re.search(r"\(at line (\d+), column (\d+)\)$", message)
        if match:
            detail = message[: match.start()].strip()
            raise BadInput(
                f"{path}:{match.group(1)}: TOML syntax error: {detail} (column {match.group(2)})"
            ) from None
        raise BadInput(f"{path}: TOML syntax error: {message}") from None
    return _Parser(_Reader(path, text), data)


class _Parser:
    def __init__(self, reader: _Reader, data: dict[str, Any]) -> None:
        self.reader = reader
        self.data = data

    # -- field helpers ---------------------------------------------------------------------

    def _unknown_keys(
        self, table: str, index: int, values: dict[str, Any], allowed: set[str]
    ) -> None:
        for key in values:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                known = (f"did you mean {close[0]!r}? " if close else "") + (
                    "known keys: " + ", ".join(sorted(allowed))
                )
                where = (
                    f"[[interviewers]] #{index + 1}"
                    if table == "interviewers"
                    else (f"[{table}]" if table else "top level")
                )
                raise self.reader.fail(
                    where, f"unknown key {key!r} ({known})", table=table, index=index, key=key
                )

    def _text(
        self,
        table: str,
        index: int,
        values: dict[str, Any],
        key: str,
        *,
        required: bool,
        header: bool = False,
        prose: bool = True,
    ) -> str | None:
        label = _label(table, index, key)
        if key not in values:
            if required:
                raise self.reader.fail(label, "missing (required)", table=table, index=index)
            return None
        value = values[key]
        if not isinstance(value, str):
            raise self.reader.fail(
                label, f"must be a string, not {_kind(value)}", table=table, index=index, key=key
            )
        value = value.strip()
        if not value:
            raise self.reader.fail(label, "must not be empty", table=table, index=index, key=key)
        if (problem := text_problem(value, prose=prose)) is not None:
            raise self.reader.fail(label, problem, table=table, index=index, key=key)
        if header and (problem := header_problem(value)) is not None:
            raise self.reader.fail(
                label,
                f"{value!r} {problem}; it cannot go into an email header",
                table=table,
                index=index,
                key=key,
            )
        return value

    def _address(
        self, table: str, index: int, values: dict[str, Any], key: str, *, required: bool
    ) -> str | None:
        value = self._text(table, index, values, key, required=required, prose=False)
        if value is not None and (problem := address_problem(value)) is not None:
            raise self.reader.fail(
                _label(table, index, key), f"{value!r} {problem}", table=table, index=index, key=key
            )
        # An internationalised domain goes out, is logged and is compared in its IDNA form.
        return None if value is None else ascii_address(value)

    def _table(self, key: str) -> dict[str, Any]:
        if key not in self.data:
            raise self.reader.fail(f"[{key}]", "missing table (required)")
        value = self.data[key]
        if not isinstance(value, dict):
            raise self.reader.fail(key, f"must be a table [{key}], not {_kind(value)}", key=key)
        return value

    # -- sections --------------------------------------------------------------------------

    def parse(self) -> InterviewFile:
        self._unknown_keys("", 0, self.data, _TOP_KEYS)
        candidate = self._candidate()
        interviewers = self._interviewers()
        interview = self._interview(interviewers)
        for number, person in enumerate(interviewers):
            if person.fit is None and interview.fit is None:
                raise self.reader.fail(
                    f"[[interviewers]] #{number + 1} fit",
                    "missing: give [interview].fit (shared by every interviewer) or this "
                    "interviewer's own fit",
                    table="interviewers",
                    index=number,
                )
        return InterviewFile(self.reader.path, candidate, interview, interviewers)

    def parse_interview(self) -> Interview:
        self._unknown_keys("", 0, self.data, _TOP_KEYS)
        return self._interview(self._interviewers())

    def _candidate(self) -> Candidate:
        if "candidate" not in self.data:
            from thanknote.profile import candidate_for

            return candidate_for(self.reader.path)  # a file's own [candidate] wins
        table = self._table("candidate")
        self._unknown_keys("candidate", 0, table, _CANDIDATE_KEYS)
        name = self._text("candidate", 0, table, "name", required=True, header=True)
        email = self._address("candidate", 0, table, "email", required=True)
        signature = self._text("candidate", 0, table, "signature", required=False)
        assert name is not None and email is not None
        return Candidate(name=name, email=email, signature=signature or name)

    def _interviewers(self) -> tuple[Interviewer, ...]:
        entries = self.data.get("interviewers")
        if entries is None or entries == []:
            raise self.reader.fail(
                "[[interviewers]]",
                "no interviewers: add one [[interviewers]] table per "
                "person you met (name, email, conversation_point)",
            )
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise self.reader.fail(
                "interviewers", "must be [[interviewers]] tables", key="interviewers"
            )
        people: list[Interviewer] = []
        seen: dict[str, int] = {}
        for index, entry in enumerate(entries):
            self._unknown_keys("interviewers", index, entry, _INTERVIEWER_KEYS)
            name = self._text("interviewers", index, entry, "name", required=True, header=True)
            email = self._address("interviewers", index, entry, "email", required=True)
            assert name is not None and email is not None
            folded = email.casefold()
            if folded in seen:
                raise self.reader.fail(
                    f"[[interviewers]] #{index + 1} email",
                    f"{email!r} is also interviewer #{seen[folded] + 1}'s address: one note "
                    "per person, so each interviewer needs their own address",
                    table="interviewers",
                    index=index,
                    key="email",
                )
            seen[folded] = index
            template = self._text("interviewers", index, entry, "template", required=False)
            template_path = None
            if template is not None:
                template_path = (self.reader.path.parent / template).resolve()
                if not template_path.is_file():
                    raise self.reader.fail(
                        f"[[interviewers]] #{index + 1} template",
                        f"template file {template!r} not found (looked at {template_path}; "
                        "paths are relative to the interview file)",
                        table="interviewers",
                        index=index,
                        key="template",
                    )
            title = self._text("interviewers", index, entry, "title", required=False)
            relation, assumed = self._relation(index, entry, title)
            people.append(
                Interviewer(
                    name=name,
                    email=email,
                    title=title,
                    relation=relation,
                    relation_assumed=assumed,
                    conversation_point=self._text(
                        "interviewers", index, entry, "conversation_point", required=True
                    )
                    or "",
                    fit=self._text("interviewers", index, entry, "fit", required=False),
                    new_information=self._text(
                        "interviewers", index, entry, "new_information", required=False
                    ),
                    template=template_path,
                )
            )
        return tuple(people)

    def _relation(
        self, index: int, entry: dict[str, Any], title: str | None
    ) -> tuple[Relation, bool]:
        """The interviewer's relation: as written, else suggested by the title, else interviewer."""
        value = self._text("interviewers", index, entry, "relation", required=False)
        if value is None:
            suggested = relation_from_title(title)
            return (suggested, True) if suggested is not None else (Relation.INTERVIEWER, False)
        try:
            return Relation(value.casefold()), False
        except ValueError:
            raise self.reader.fail(
                f"[[interviewers]] #{index + 1} relation",
                f"{value!r} is not one of {', '.join(relation.value for relation in Relation)}",
                table="interviewers",
                index=index,
                key="relation",
            ) from None

    def _interview(self, interviewers: tuple[Interviewer, ...]) -> Interview:
        table = self._table("interview")
        self._unknown_keys("interview", 0, table, _INTERVIEW_KEYS)
        company = self._text("interview", 0, table, "company", required=True, header=True)
        role = self._text("interview", 0, table, "role", required=True, header=True)
        assert company is not None and role is not None
        zone_name = self._text("interview", 0, table, "timezone", required=False)
        zone = None
        if zone_name is not None:
            try:
                zone = ZoneInfo(zone_name)
            except (ZoneInfoNotFoundError, ValueError):
                raise self.reader.fail(
                    "interview.timezone",
                    f"unknown timezone {zone_name!r} (use an IANA name "
                    "such as 'America/New_York' or 'Europe/London')",
                    table="interview",
                    key="timezone",
                ) from None
        starts_at = self._starts_at(table, zone)
        duration = table.get("duration_minutes", DEFAULT_DURATION_MINUTES)
        if isinstance(duration, bool) or not isinstance(duration, int) or not 1 <= duration <= 1440:
            raise self.reader.fail(
                "interview.duration_minutes",
                f"must be a whole number of minutes from 1 to 1440, not {duration!r}",
                table="interview",
                key="duration_minutes",
            )
        display = zone if zone is not None else starts_at.tzinfo
        assert display is not None
        local_day = starts_at.astimezone(display).date()
        follow_up_on = table.get("follow_up_on")
        if follow_up_on is None:
            follow_up_on = rules.first_follow_up_on(local_day)
        elif isinstance(follow_up_on, datetime) or not isinstance(follow_up_on, date):
            raise self.reader.fail(
                "interview.follow_up_on",
                f"must be a date such as 2026-12-07, not {_kind(follow_up_on)}",
                table="interview",
                key="follow_up_on",
            )
        elif follow_up_on < local_day:
            raise self.reader.fail(
                "interview.follow_up_on",
                f"{follow_up_on} is before the interview ({local_day})",
                table="interview",
                key="follow_up_on",
            )
        follow_up_with = self._address("interview", 0, table, "follow_up_with", required=False)
        return Interview(
            company=company,
            role=role,
            starts_at=starts_at,
            display_timezone=display,
            timezone_name=zone_name,
            duration_minutes=duration,
            follow_up_on=follow_up_on,
            follow_up_with=follow_up_with or interviewers[0].email,
            fit=self._text("interview", 0, table, "fit", required=False),
            new_information=self._text("interview", 0, table, "new_information", required=False),
        )

    def _starts_at(self, table: dict[str, Any], zone: ZoneInfo | None) -> datetime:
        if "starts_at" not in table:
            raise self.reader.fail("interview.starts_at", "missing (required)", table="interview")
        value = table["starts_at"]

        def fail(message: str) -> BadInput:
            return self.reader.fail(
                "interview.starts_at", message, table="interview", key="starts_at"
            )

        if isinstance(value, datetime):
            if value.tzinfo is not None:
                return value
            if zone is None:
                raise fail(
                    f"{value.isoformat()} has no UTC offset and no timezone is given: "
                    "write it with an offset (2026-11-25T14:00:00-05:00) or add "
                    'timezone = "America/New_York"'
                )
            placed = value.replace(tzinfo=zone)
            # A wall-clock time skipped by a daylight-saving jump does not exist.
            if placed.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value:
                raise fail(
                    f"{value.isoformat()} does not exist in {zone.key} "
                    "(the clocks skip it for daylight saving time)"
                )
            return placed
        if isinstance(value, date | time):
            raise fail(
                f"must be a date and time with an offset, not just a "
                f"{'date' if isinstance(value, date) else 'time'} ({value.isoformat()})"
            )
        raise fail(f"must be a date-time such as 2026-11-25T14:00:00-05:00, not {_kind(value)}")


_TITLE_RELATIONS = (
    (re.compile(r"coordinator|scheduler", re.IGNORECASE), Relation.COORDINATOR),
    (
        re.compile(r"recruit|talent|sourc(?:er|ing)|people partner", re.IGNORECASE),
        Relation.RECRUITER,
    ),
    (re.compile(r"hiring manager", re.IGNORECASE), Relation.HIRING_MANAGER),
)


def text_problem(value: str, *, prose: bool = True) -> str | None:
    """Why ``value`` (stripped, not empty) cannot go into a note as written, or None: a NUL
    character, or (in ``prose``, not an address) a placeholder.

    The one check for every text a note carries: the file's and the profile's.
    """
    if "\x00" in value:  # it would go out raw in a 7bit body, or end a C string early
        return (
            "contains a NUL character (U+0000, often \\u0000 in TOML), which an email "
            "cannot carry; remove it"
        )
    # An address has its own rules: "{x}@example.com" is a real one.
    if prose and (found := placeholder(value)) is not None:
        return (
            f"{found!r} looks like a placeholder, not the text for this note; write what "
            "you mean to send"
        )
    return None


def relation_from_title(title: str | None) -> Relation | None:
    """The relation a title suggests ("Technical Recruiter": recruiter), if any."""
    for pattern, relation in _TITLE_RELATIONS:
        if title and pattern.search(title):
            return relation
    return None


# What a template or an example leaves behind for the writer to fill in. Each
# alternative is something no finished note says: angle, square or curly
# brackets around words (an address or a link in angle brackets is real text),
# the editor's markers in capitals, a run of x's, filler Latin, an instruction.
_PLACEHOLDER = re.compile(
    r"^[.…\s]+$"
    r"|<(?![^<>]*(?:@|://))[^<>\n]*>"
    r"|\[[^\[\]\n]*\]"
    r"|\{[^{}\n]*\}"
    r"|\b(?:TODO|TBD|TK|FIXME)\b"
    r"|(?i:\bx{2,}\b)"
    r"|(?i:\blorem\s+ipsum\b)"
    r"|(?im:(?:^|(?<=[.!?:;(] ))insert\b[^.!?\n]{0,60}?\bhere\b)"
    r"|(?i:\byour\s+name\b)"
)


def placeholder(value: str) -> str | None:
    """The part of ``value`` that is a placeholder ('...', 'TODO', '<fill in>'), if any.

    A note is read by a hiring manager: '...' copied from an example must not
    go out as the candidate's "why I fit", nor "[describe the project]" as
    their conversation.
    """
    # Most text has none of the markers: a few substring tests (in C) spare the
    # full pattern, which a thousand-note batch would otherwise run on every body.
    lowered = value.lower()
    if (
        value.strip(".… \t\r\n")
        and not any(c in value for c in "<[{")
        and not any(marker in lowered for marker in _MARKERS)
        and not ("your" in lowered and "name" in lowered)
    ):
        return None
    match = _PLACEHOLDER.search(value)
    return match.group(0).strip() or value if match else None


_MARKERS = ("todo", "tbd", "tk", "fixme", "xx", "lorem", "insert")


def _kind(value: object) -> str:
    names = {
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "true/false",
        list: "a list",
        dict: "a table",
        datetime: "a date-time",
        date: "a date",
        time: "a time",
    }
    return names.get(type(value), type(value).__name__)
