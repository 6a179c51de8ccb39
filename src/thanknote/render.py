"""Turning an interview file into notes: one per interviewer, through its template.

What each template sees (:func:`note_variables`) and the notes it writes; the
template itself (Jinja2, its checks and errors) is :mod:`thanknote.template`,
the filters that word a field into a sentence are :mod:`thanknote.phrasing`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

from thanknote.model import Interviewer, InterviewFile, ReadableDate
from thanknote.phrasing import point_kind
from thanknote.template import Template, default_template, load_template

THANK_YOU = "thank-you"
FOLLOW_UP = "follow-up"


@dataclass(frozen=True)
class Note:
    """One rendered note to one person."""

    kind: str
    to: str
    name: str
    title: str | None
    subject: str
    body: str
    template: str
    in_reply_to: str | None = None
    """The Message-ID this note answers (a follow-up replying to a thank-you note)."""
    references: tuple[str, ...] = ()
    """The References chain, oldest first, ending with ``in_reply_to``."""
    thread_id: str | None = None
    """Gmail's thread of the note answered, for a reply delivered through Gmail."""
    message_id: str | None = None
    """A Message-ID to reuse: delivering again a message that may already have arrived."""

    @property
    def label(self) -> str:
        return f"{self.name} <{self.to}>" if self.name else self.to


def render_notes(interview_file: InterviewFile, *, template: Path | None = None) -> list[Note]:
    """One thank-you note per interviewer; an interviewer's own template wins over ``template``."""
    notes = []
    shared = template or default_template(THANK_YOU)
    compiled: dict[Path, Template] = {}  # looked up once per batch, not once per note
    for person in interview_file.interviewers:
        chosen = person.template or shared
        if chosen not in compiled:
            compiled[chosen] = load_template(chosen)
        subject, body = compiled[chosen].render(note_variables(interview_file, person))
        notes.append(
            Note(
                kind=THANK_YOU,
                to=person.email,
                name=person.name,
                title=person.title,
                subject=subject,
                body=body,
                template=str(chosen),
            )
        )
    return notes


def note_variables(
    interview_file: InterviewFile, person: Interviewer, **overrides: Any
) -> dict[str, Any]:
    """What a thank-you template sees when it writes to ``person``."""
    interview = interview_file.interview
    variables: dict[str, Any] = {
        "candidate": interview_file.candidate,
        "interview": interview,
        "follow_up_on": ReadableDate.of(interview.follow_up_on),
        "interviewer": person,
        "interviewers": interview_file.interviewers,
        "colleagues": colleague_names(interview_file, person),
        **resolved_fields(interview_file, person),
    }
    variables.update(overrides)
    return variables


def resolved_fields(interview_file: InterviewFile, person: Interviewer) -> dict[str, Any]:
    interview = interview_file.interview
    return {
        "fit": person.fit or interview.fit or "",
        "new_information": person.new_information or interview.new_information or "",
        "conversation_point": person.conversation_point,
        "point_kind": point_kind(person.conversation_point),
    }


def colleague_names(interview_file: InterviewFile, person: Interviewer) -> Colleagues:
    """The others this reader's note may name: who interviewed, not who arranged.

    First names, or full names for people who share a first name, so that a
    recruiter reads "meeting Grace and Alan" and never two Alans.
    """
    return Colleagues(_names_to_call(interview_file.interviewers), person.email)


class Colleagues(Sequence[str]):
    """The names a note may call the reader's colleagues by, listed only when a template asks.

    A template mostly asks how many there are; a thousand-note batch must not
    build a thousand-name list per note to answer that.
    """

    def __init__(self, everyone: tuple[tuple[str, str], ...], reader: str) -> None:
        self._everyone = everyone
        self._reader = reader
        self._listed: list[str] | None = None

    def _names(self) -> list[str]:
        if self._listed is None:
            self._listed = [name for email, name in self._everyone if email != self._reader]
        return self._listed

    def __len__(self) -> int:
        if self._listed is not None:
            return len(self._listed)
        return len(self._everyone) - (self._reader in _addresses(self._everyone))

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        return self._names()[index]

    def __repr__(self) -> str:
        return repr(self._names())


_last_addresses: list[tuple[tuple[tuple[str, str], ...], frozenset[str]]] = []


def _addresses(everyone: tuple[tuple[str, str], ...]) -> frozenset[str]:
    for known, addresses in _last_addresses:
        if known is everyone:
            return addresses
    addresses = frozenset(email for email, _name in everyone)
    _last_addresses[:] = [(everyone, addresses)]
    return addresses


_last_names_to_call: list[tuple[tuple[Interviewer, ...], tuple[tuple[str, str], ...]]] = []


def _names_to_call(interviewers: tuple[Interviewer, ...]) -> tuple[tuple[str, str], ...]:
    """(address, name to call them by) of every interviewer who is not a recruiter or coordinator.

    Worked out once per file (kept for the last file asked about, matched by
    identity, since hashing a thousand interviewers per note would cost more).
    """
    from collections import Counter

    for known, names in _last_names_to_call:
        if known is interviewers:
            return names
    met = [person for person in interviewers if not person.arranges]
    firsts = Counter(person.first_name.casefold() for person in met)
    names = tuple(
        (
            person.email,
            person.first_name if firsts[person.first_name.casefold()] == 1 else person.name,
        )
        for person in met
    )
    _last_names_to_call[:] = [(interviewers, names)]
    return names
