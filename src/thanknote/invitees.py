"""Who in an invitation gets a thank-you note, and what the invitation says about each.

Pure rules over :class:`thanknote.invite.Event` values (no files, no icalendar):
the candidate is found and left out, so are rooms, resources, no-reply senders
and people who declined; a name that is only an address is guessed and marked
for checking; the organiser and anyone who looks like a recruiter or
coordinator gets a ``relation``. Each decision carries the sentence the written
file shows as a comment, so the user can see why someone is in or out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from thanknote.addresses import is_valid_address
from thanknote.errors import BadInput
from thanknote.invite import Address, Event

_ROOM_DOMAINS = ("resource.calendar.google.com", "group.calendar.google.com")
_ROOM_WORDS = re.compile(
    r"\b(?:room|conference|boardroom|meeting\s*space|huddle|auditorium)\b", re.IGNORECASE
)
_ROOM_MAILBOX = re.compile(
    r"^(?:room|rm|conf|confroom|mtgroom|meetingroom)(?:[._-]|\d|$)", re.IGNORECASE
)
_NO_REPLY = re.compile(
    r"^(?:no-?reply|do-?not-?reply|calendar-notification|notifications?)\b", re.IGNORECASE
)
_RECRUITER = re.compile(r"recruit|talent|sourcer|sourcing|\bhr\b|people partner", re.IGNORECASE)
_COORDINATOR = re.compile(
    r"coordinat|scheduling|scheduler|candidate experience|\binterviews?@", re.IGNORECASE
)
_TEAM = re.compile(
    r"\b(?:team|recruiting|talent|careers|hiring|jobs|scheduling|interviews)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Invitee:
    """One person the interview file gets a [[interviewers]] table for."""

    name: str
    email: str
    title: str | None = None
    relation: str | None = None
    """"recruiter" or "coordinator" when the invitation suggests it, else None (interviewer)."""
    notes: tuple[str, ...] = ()
    """Comments for the written file: what to check about this person, and why."""


@dataclass(frozen=True)
class People:
    candidate_email: str
    candidate_name: str | None
    candidate_note: str
    interviewers: tuple[Invitee, ...]
    left_out: tuple[str, ...]
    """One line per address not written as an interviewer, saying why."""
    follow_up_with: Invitee | None


@dataclass
class _Seen:
    """An address met in one or more events, before it becomes an Invitee."""

    email: str
    names: list[str] = field(default_factory=list)
    organizer: bool = False
    room: bool = False
    non_participant: bool = False
    roles: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    order: int = 0

    @property
    def optional(self) -> bool:
        return bool(self.roles) and all(role == "OPT-PARTICIPANT" for role in self.roles)

    @property
    def declined_everywhere(self) -> bool:
        """Declined every session they were invited to (one accepted session keeps them)."""
        return bool(self.answers) and all(answer == "DECLINED" for answer in self.answers)


def sort_people(events: Sequence[Event], *, me: str | None, profile_email: str | None) -> People:
    """Split everyone in ``events`` into the candidate, the interviewers and the rest."""
    seen = _collect(events)
    people = [s for s in seen.values() if not s.room]
    candidate, candidate_note = _candidate(
        people,
        seen,
        me=me,
        profile_email=profile_email,
        organizer=next((s for s in people if s.organizer), None),
    )
    left_out: list[str] = []
    invitees: list[Invitee] = []
    for entry in sorted(seen.values(), key=lambda s: s.order):
        label = f"{_best_name(entry) or entry.email} <{entry.email}>"
        if entry.email.casefold() == candidate.email.casefold():
            continue
        if entry.room:
            left_out.append(f"{label}: a room or resource")
        elif _NO_REPLY.match(entry.email):
            left_out.append(f"{label}: a no-reply address")
        elif not is_valid_address(entry.email):
            left_out.append(f"{label}: not an address thanknote can write to")
        elif entry.declined_everywhere and not entry.organizer:
            left_out.append(f"{label}: declined the invitation (add them back if they came)")
        elif entry.non_participant and not entry.organizer:
            left_out.append(f"{label}: listed as a non-participant (for information only)")
        else:
            invitees.append(_invitee(entry))
    if not invitees:
        raise BadInput(
            f"{_sources(events)}: nobody to thank: the invitation has no attendee but "
            f"you ({candidate.email})" + (f"; left out: {'; '.join(left_out)}" if left_out else "")
        )
    # The people who interviewed first; recruiters and coordinators after them.
    invitees.sort(key=lambda i: i.relation is not None)
    follow_up = next(
        (i for i in invitees if i.relation == "recruiter"),
        next((i for i in invitees if i.relation == "coordinator"), None),
    )
    return People(
        candidate_email=candidate.email,
        candidate_name=_best_name(candidate),
        candidate_note=candidate_note,
        interviewers=tuple(invitees),
        left_out=tuple(left_out),
        follow_up_with=follow_up,
    )


def _collect(events: Sequence[Event]) -> dict[str, _Seen]:
    seen: dict[str, _Seen] = {}
    for event in events:
        everyone = ([event.organizer] if event.organizer else []) + list(event.attendees)
        for address in everyone:
            key = address.email.casefold()
            entry = seen.setdefault(key, _Seen(email=address.email, order=len(seen)))
            _note(entry, address)
    return seen


def _note(entry: _Seen, address: Address) -> None:
    name = address.common_name
    if name and name.casefold() != address.email.casefold() and "@" not in name:
        entry.names.append(name)
    if address.organizer:
        entry.organizer = True
        return  # the organiser's own PARTSTAT says nothing about the others
    domain = address.email.rpartition("@")[2].casefold()
    local = address.email.partition("@")[0]
    if (
        address.cutype in ("ROOM", "RESOURCE")
        or domain.endswith(_ROOM_DOMAINS)
        or (name and _ROOM_WORDS.search(name))
        or _ROOM_MAILBOX.match(local)
    ):
        entry.room = True
    if address.role == "NON-PARTICIPANT":
        entry.non_participant = True
    entry.roles.append(address.role)
    entry.answers.append(address.partstat)


def _candidate(
    people: list[_Seen],
    seen: dict[str, _Seen],
    *,
    me: str | None,
    profile_email: str | None,
    organizer: _Seen | None,
) -> tuple[_Seen, str]:
    by_address = {s.email.casefold(): s for s in people}
    if me is not None:
        if me.casefold() not in by_address:
            raise BadInput(
                f"--me {me}: not among the invitation's people ("
                f"{', '.join(s.email for s in people)})"
            )
        return by_address[me.casefold()], "given with --me"
    if profile_email is not None and profile_email.casefold() in by_address:
        return by_address[profile_email.casefold()], "your profile's address"
    domains = Counter(s.email.rpartition("@")[2].casefold() for s in people)
    alone = [s for s in people if domains[s.email.rpartition("@")[2].casefold()] == 1]
    if len(alone) > 1:
        alone = [s for s in alone if s is not organizer]  # the organiser invited you
    if len(alone) == 1:
        why = "taken to be you, since its domain matches nobody else's"
        if profile_email is not None:
            why += f" (your profile's address, {profile_email}, is not in the invitation)"
        return alone[0], why
    raise BadInput(
        "cannot tell which attendee is you: " + ", ".join(s.email for s in people),
        hint="name your address with --me EMAIL (or save it once: thanknote profile set)",
    )


def _best_name(entry: _Seen) -> str | None:
    return Counter(entry.names).most_common(1)[0][0] if entry.names else None


def _invitee(entry: _Seen) -> Invitee:
    notes: list[str] = []
    given = _best_name(entry)
    title = None
    if given is None:
        name = guess_name(entry.email)
        notes.append(
            f"name guessed from the address {entry.email}:\n"
            "check the spelling, and add the last name if it is missing"
        )
    else:
        name, title, name_note = _clean_name(given)
        if name_note:
            notes.append(name_note)
    words = " ".join([given or "", title or "", entry.email])
    relation = None
    if _COORDINATOR.search(words):
        relation = "coordinator"
    elif _RECRUITER.search(words) or entry.organizer:
        relation = "recruiter"
    if entry.organizer:
        notes.append(
            f"organised the invitation, so probably the {relation}; if they\n"
            'interviewed you, make relation "interviewer" or "hiring-manager"'
        )
    elif relation is not None:
        notes.append(f"{'their title' if title else 'the name'} suggests a {relation}")
    if _TEAM.search(name) or not any(c.isalpha() for c in name):
        notes.append(
            "looks like a team or shared mailbox, not a person: write the name of "
            "the person who looks after you, or remove this table"
        )
    if entry.optional:
        notes.append("an optional attendee: remove this table if they were not there")
    return Invitee(name=name, email=entry.email, title=title, relation=relation, notes=tuple(notes))


def guess_name(address: str) -> str:
    """``grace.hopper@…`` → "Grace Hopper": a guess, always shown to the user for checking."""
    local = address.partition("@")[0].partition("+")[0]
    parts = [p for p in re.split(r"[._\-]+", re.sub(r"\d+", "", local)) if p]
    return " ".join(p[:1].upper() + p[1:].lower() for p in parts) or local


def _clean_name(given: str) -> tuple[str, str | None, str | None]:
    """A display name, a title in parentheses, and what was changed (to be checked)."""
    name, title, note = given.strip().strip('"').strip(), None, None
    if match := re.fullmatch(r"(.+?)\s*\((.+)\)", name):
        name, extra = match.group(1).strip(), match.group(2).strip()
        if (
            _RECRUITER.search(extra)
            or _COORDINATOR.search(extra)
            or re.search(
                r"engineer|manager|director|lead|head|developer|designer|scientist", extra, re.I
            )
        ):
            title = extra
        else:
            note = f"the invitation says {given!r}"
    if match := re.fullmatch(r"([^,]+),\s*([^,]+)", name):
        # Outlook directories write "Hopper, Grace": a greeting needs "Grace".
        name = f"{match.group(2).strip()} {match.group(1).strip()}"
        note = f"the invitation says {given!r}: check the order of the names"
    return name, title, note


def _sources(events: Sequence[Event]) -> str:
    return ", ".join(dict.fromkeys(str(e.source) for e in events))
