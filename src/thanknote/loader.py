"""Reading an interview file: the one boundary where untrusted input becomes values.

Every problem is a :class:`BadInput` that names the file, the line (TOML gives
one for syntax errors; for the rest thanknote finds the key's line itself) and
the field, so the user can go straight to it.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any

from thanknote import schedule
from thanknote.addresses import address_problem, ascii_address, header_problem
from thanknote.errors import BadInput
from thanknote.locations import Reader
from thanknote.locations import label as key_label
from thanknote.model import (
    Candidate,
    Interview,
    Interviewer,
    InterviewFile,
    Relation,
    relation_from_title,
)
from thanknote.placeholders import text_problem
from thanknote.schedule import DEFAULT_DURATION_MINUTES, describe

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
    return _Parser(Reader(path, text), data)


class _Parser:
    def __init__(self, reader: Reader, data: dict[str, Any]) -> None:
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
        label = key_label(table, index, key)
        if key not in values:
            if required:
                raise self.reader.fail(label, "missing (required)", table=table, index=index)
            return None
        value = values[key]
        if not isinstance(value, str):
            raise self.reader.fail(
                label, f"must be a string, not {describe(value)}", table=table, index=index, key=key
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
                key_label(table, index, key),
                f"{value!r} {problem}",
                table=table,
                index=index,
                key=key,
            )
        # An internationalised domain goes out, is logged and is compared in its IDNA form.
        return None if value is None else ascii_address(value)

    def _table(self, key: str) -> dict[str, Any]:
        if key not in self.data:
            raise self.reader.fail(f"[{key}]", "missing table (required)")
        value = self.data[key]
        if not isinstance(value, dict):
            raise self.reader.fail(key, f"must be a table [{key}], not {describe(value)}", key=key)
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
        try:
            zone = None if zone_name is None else schedule.timezone_named(zone_name)
            if "starts_at" not in table:
                raise self.reader.fail(
                    "interview.starts_at", "missing (required)", table="interview"
                )
            starts_at = schedule.start_of(table["starts_at"], zone)
            duration = schedule.duration_of(table.get("duration_minutes", DEFAULT_DURATION_MINUTES))
            display = zone if zone is not None else starts_at.tzinfo
            assert display is not None
            local_day = starts_at.astimezone(display).date()
            follow_up_on = schedule.follow_up_day(table.get("follow_up_on"), local_day)
        except schedule.TimeProblem as problem:
            raise self.reader.fail(
                f"interview.{problem.key}", problem.message, table="interview", key=problem.key
            ) from None
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
