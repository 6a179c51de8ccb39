"""Any set of attendees: exactly the people who are not you, a room or declined get a table."""

from __future__ import annotations

import tempfile
import tomllib
from datetime import datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.invites import Person, Session, apple, google, outlook
from thanknote.interview_writer import from_invites

FIRST = [
    "Grace",
    "Alan",
    "Mary",
    "Hedy",
    "Katherine",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Niklaus",
    "Radia",
    "Ken",
    "Sophie",
    "Tim",
    "Adele",
]
LAST = [
    "Hopper",
    "Turing",
    "Somerville",
    "Lamarr",
    "Johnson",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Wirth",
    "Perlman",
    "Thompson",
    "Wilson",
    "Goldberg",
]
KINDS = ["person", "optional", "declined", "room-cutype", "room-google", "room-mailbox"]
ME = Person("ada@example.com", "Ada Lovelace")
NOW = datetime.fromisoformat("2026-11-25T17:00:00-05:00")


@st.composite
def attendee(draw: st.DrawFn) -> tuple[str, Person]:
    first, last = draw(st.sampled_from(FIRST)), draw(st.sampled_from(LAST))
    kind = draw(st.sampled_from(KINDS))
    domain = draw(st.sampled_from(["acme.example", "acme.example", "contractors.example"]))
    local = f"{first}.{last}".lower()
    cn = draw(st.sampled_from([f"{first} {last}", f"{last}, {first}", "="]))
    if kind == "room-cutype":
        return kind, Person(
            f"{local}-space@{domain}",
            f"{first} {last}",
            {"CUTYPE": draw(st.sampled_from(["ROOM", "RESOURCE"]))},
        )
    if kind == "room-google":
        return kind, Person(
            f"c_{local.replace('.', '')}@resource.calendar.google.com",
            f"{last}-4-{first} (8)",
            {"CUTYPE": "RESOURCE"},
        )
    if kind == "room-mailbox":
        return kind, Person(f"room.{local}@{domain}", f"Conference Room {last}")
    params = {
        "declined": {"PARTSTAT": "DECLINED"},
        "optional": {"ROLE": "OPT-PARTICIPANT"},
        "person": {"PARTSTAT": draw(st.sampled_from(["ACCEPTED", "NEEDS-ACTION", "TENTATIVE"]))},
    }[kind]
    return kind, Person(f"{local}@{domain}", cn, params)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(attendee(), min_size=1, max_size=8, unique_by=lambda a: a[1].email.casefold()),
    st.sampled_from([google, outlook, apple]),
    st.booleans(),
)
def test_interviewers_are_exactly_the_people_left(
    attendees: list[tuple[str, Person]], shape: object, organizer_attends: bool
) -> None:
    organizer = Person("rosa.marsh@acme.example", "Rosa Marsh")
    everyone = [ME, *(person for _, person in attendees)]
    if organizer_attends:
        everyone.append(Person(organizer.email, organizer.name, {"PARTSTAT": "ACCEPTED"}))
    times = (
        ("20261125T190000Z", "20261125T200000Z")
        if shape is google
        else ("20261125T140000", "20261125T150000")
    )
    session = Session("Interview: Data Engineer at Acme", *times, organizer, everyone)
    expected = [person.email for kind, person in attendees if kind in ("person", "optional")]
    expected.append(organizer.email)  # the organiser: last, as the recruiter
    with tempfile.TemporaryDirectory() as directory:
        invite = Path(directory) / "invite.ics"
        invite.write_text(shape(session), encoding="utf-8", newline="")  # type: ignore[operator]
        draft = from_invites(
            [invite],
            target=Path(directory) / "interview.toml",
            me="ada@example.com",
            profile=None,
            profile_file=Path(directory) / "profile.toml",
            now=NOW,
        )
    data = tomllib.loads(draft.text)
    assert [p["email"] for p in data["interviewers"]] == expected
    assert data["candidate"]["email"] == "ada@example.com"
    assert len(draft.left_out) == len(attendees) - len(expected) + 1
