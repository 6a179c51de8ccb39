"""Writing interview files: from calendar invitations, or the example, never over a file.

The text is built whole before the file is opened (exclusively), so a bad
invitation leaves nothing behind. What the invitation cannot tell (the
conversation points, your fit, often the role) is written as a ``<…>``
placeholder that the loader refuses: the file cannot be sent until it is filled.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from thanknote.atomic_file import write_atomic
from thanknote.errors import BadInput
from thanknote.model import Candidate


def toml_string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return (
        '"'
        + "".join(
            ch if (ch >= " " and ch != "\x7f") or ch == "\t" else f"\\u{ord(ch):04x}"
            for ch in escaped
        )
        + '"'
    )


def write_new(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, refusing to replace anything already there."""
    try:
        write_atomic(path, text, exclusive=True)
    except FileExistsError:
        raise BadInput(f"{path} already exists; thanknote init never overwrites a file") from None
    except OSError as error:
        raise BadInput(f"cannot write {path}: {error.strerror}") from None


def refuse_existing(path: Path) -> None:
    """Fail before any work when ``path`` exists (``write_new`` checks again, atomically)."""
    if path.exists():
        raise BadInput(f"{path} already exists; thanknote init never overwrites a file")


def without_candidate(text: str, profile: Path) -> str:
    """An interview file's text with its ``[candidate]`` table replaced by a comment."""
    out: list[str] = []
    skipping = in_string = False
    for line in text.splitlines(keepends=True):
        header = not in_string and re.match(r"\s*\[", line) is not None
        if header and re.match(r"\s*\[candidate\]\s*(#.*)?$", line):
            skipping = True
            out.append(
                f"# [candidate] comes from your profile ({profile});\n"
                "# see it with 'thanknote profile show'. A [candidate] table here would "
                "win over it.\n\n"
            )
            continue
        if header:
            skipping = False
        # A multi-line string's lines are not table headers, whatever they start with.
        in_string ^= (line.count('"""') + line.count("'''")) % 2 == 1
        if not skipping:
            out.append(line)
    return "".join(out)


@dataclass(frozen=True)
class Draft:
    """What ``init --from`` read, and the interview file text it makes of it."""

    text: str
    interviewers: int
    left_out: tuple[str, ...]
    placeholders: int


def from_invites(
    paths: Sequence[Path],
    *,
    target: Path,
    me: str | None,
    profile: Candidate | None,
    profile_file: Path,
    now: datetime,
) -> Draft:
    """Read the invitations and build the interview file's text (nothing is written)."""
    from thanknote import invite, invitees
    from thanknote.invite_title import company_and_role

    events = invite.read_events(paths)
    invite.check_timing(events, now)
    people = invitees.sort_people(events, me=me, profile_email=profile.email if profile else None)
    organizer = next((e.organizer.email for e in events if e.organizer is not None), None)
    if organizer is not None and organizer.casefold() == people.candidate_email.casefold():
        organizer = None
    found = company_and_role(
        [e.summary for e in events], organizer, [i.email for i in people.interviewers]
    )
    first, last = events[0], events[-1]
    zone_name = first.zone_name
    starts_at = first.starts_at
    minutes = round((last.ends_at - starts_at).total_seconds() / 60)

    out: list[str] = [
        "# A thanknote interview file, written by 'thanknote init --from' from:",
        *(f"#     {path}" for path in dict.fromkeys(paths)),
        "# Fill in every <...> placeholder (thanknote refuses the file until you do), check",
        "# each comment marked 'check', then preview the notes (nothing is sent):",
        f"#     thanknote preview {target}",
        "",
    ]
    if profile is None:
        name = people.candidate_name
        out += [
            "# You, as the invitation names you. 'thanknote profile set' saves your name,",
            "# address and signature once for every file; this table then can go.",
            "[candidate]",
            f"name = {toml_string(name or '<your name, as you sign your notes>')}",
            f"# the From: address of every note ({people.candidate_note})",
            f"email = {toml_string(people.candidate_email)}",
            '# signature = "..."   # optional; default: your name',
            "",
        ]
    else:
        out += [
            f"# [candidate] comes from your profile ({profile_file}):",
            f"# {profile.name} <{profile.email}>. A [candidate] table here would win over it.",
        ]
        if people.candidate_email.casefold() != profile.email.casefold():
            out.append(
                f"# check: the invitation's address for you, {people.candidate_email}, "
                f"was {people.candidate_note}"
            )
        out.append("")

    out += ["[interview]"]
    out.append(
        f"company = {toml_string(found.company or '<the company>')}"
        + (
            f"   # check: {found.company_note}"
            if found.company_note
            else ""
            if found.company
            else "   # the invitation does not say"
        )
    )
    out.append(
        f"role = {toml_string(found.role or '<the role you interviewed for>')}"
        + ("" if found.role else "   # the invitation's title does not say")
    )
    titles = list(dict.fromkeys(e.summary for e in events if e.summary))
    if titles:
        out.append(
            "# The invitation"
            + ("s" if len(titles) > 1 else "")
            + " said: "
            + "; ".join(repr(t) for t in titles[:4])
        )
    offset_text = starts_at.isoformat()
    if zone_name:
        out.append(f"starts_at = {offset_text}")
        out.append(f"timezone = {toml_string(zone_name)}")
    else:
        out.append(f"starts_at = {offset_text}")
    for note in dict.fromkeys(e.zone_note for e in events if e.zone_note):
        out.append(f"# {note}")
    sessions = f"   # {len(events)} sessions, first start to last end" if len(events) > 1 else ""
    out.append(f"duration_minutes = {minutes}{sessions}")
    if any(e.end_assumed for e in events):
        out.append(f"# check: an event gives no end; {invite.ASSUMED_MINUTES} minutes assumed")
    if people.follow_up_with is not None:
        who = people.follow_up_with
        out.append(f"# Who gets the follow-up note: {who.name}, the {who.relation}.")
        out.append(f"follow_up_with = {toml_string(who.email)}")
    else:
        out.append(
            '# follow_up_with = "..."   # who gets the follow-up note; default: the '
            "first interviewer"
        )
    out += [
        "# Why you fit the role, with a concrete example: shared by every note unless an",
        "# interviewer has their own.",
        f"fit = {toml_string('<why you fit this role, with a concrete example>')}",
        "# Something you forgot to say or wish you had added (optional):",
        '# new_information = "..."',
        "",
    ]

    if people.left_out:
        out.append("# Left out (no note):")
        out += [f"#   {line}" for line in people.left_out]
        out.append("")
    out += [
        "# One table per person you met. The conversation point is what makes each note",
        "# personal: a sentence about what you discussed with this person.",
        "",
    ]
    placeholders = (
        1 + (not found.company) + (not found.role) + (profile is None and not people.candidate_name)
    )
    for person in people.interviewers:
        out.append("[[interviewers]]")
        out.append(f"name = {toml_string(person.name)}")
        out.append(f"email = {toml_string(person.email)}")
        if person.title:
            out.append(f"title = {toml_string(person.title)}")
        if person.relation:
            out.append(f"relation = {toml_string(person.relation)}")
        for note in person.notes:
            first_line, *more = note.split("\n")
            out += [f"# check: {first_line}", *(f"#        {line}" for line in more)]
        first_name = person.name.split()[0] if person.name.split() else person.name
        if person.relation in ("recruiter", "coordinator"):
            point = f"<what {first_name} did for you: arranging the day, guiding the process>"
        else:
            point = f"<what you discussed with {first_name}>"
        out.append(f"conversation_point = {toml_string(point)}")
        out.append("")
        placeholders += 1
    # Comments quote the invitation (names, titles): no character in them may end the line.
    out = [_comment(line) if line.startswith("#") else line for line in out]
    return Draft(
        text="\n".join(out).rstrip("\n") + "\n",
        interviewers=len(people.interviewers),
        left_out=people.left_out,
        placeholders=placeholders,
    )


def _comment(line: str) -> str:
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in line)
