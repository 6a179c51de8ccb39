"""`thanknote init --from`: invitations as Google, Outlook/Exchange and Apple write them."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import thanknote_executable
from tests.helpers import CONVERSATION_POINTS
from tests.invites import Person, Session, apple, eml, google, outlook
from thanknote.cli import app

runner = CliRunner()

ADA = Person("ada@example.com", "Ada Lovelace")
ROSA = Person("rosa.marsh@acme.example", "Rosa Marsh")
GRACE = Person("grace.hopper@acme.example", "=")  # Google: CN is the address
ALAN = Person("alan@acme.example", "Alan Turing")
ROOM = Person(
    "c_1880a1b2c3d4e5@resource.calendar.google.com", "NYC-5-Babbage (6)", {"CUTYPE": "RESOURCE"}
)


def thanknote(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [thanknote_executable(), *args], capture_output=True, text=True, timeout=60
    )


def init_from(
    tmp_path: Path, name: str, content: str | bytes, *extra: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    invite = tmp_path / name
    if isinstance(content, bytes):
        invite.write_bytes(content)
    else:
        invite.write_text(content, encoding="utf-8", newline="")
    target = tmp_path / "interview.toml"
    return thanknote("init", str(target), "--from", str(invite), *extra), target


def fill(text: str) -> str:
    """What the user does next: write their own words over every placeholder."""
    points = iter(CONVERSATION_POINTS)
    replacements = {
        "why you fit": "My five years running Postgres for a payments company map closely onto "
        "what you described.",
        "your name": "Ada Lovelace",
        "the role": "Data Engineer",
        "the company": "Acme",
    }

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        if inner.startswith("what "):
            return next(points)
        return next(value for key, value in replacements.items() if inner.startswith(key))

    return "".join(
        line if line.lstrip().startswith("#") else re.sub(r"<([^<>\n]+)>", replace, line)
        for line in text.splitlines(keepends=True)
    )


def assert_fills_and_previews(target: Path) -> None:
    unfilled = thanknote("preview", str(target))
    assert unfilled.returncode == 2, unfilled.stderr
    assert "placeholder" in unfilled.stderr
    target.write_text(fill(target.read_text(encoding="utf-8")), encoding="utf-8")
    filled = thanknote("preview", str(target))
    assert filled.returncode == 0, filled.stdout + filled.stderr


def people(data: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(p["name"], p["email"], p.get("relation")) for p in data["interviewers"]]


def test_google_single_interview(tmp_path: Path) -> None:
    organizer_attending = Person(ROSA.email, ROSA.name, {"PARTSTAT": "ACCEPTED"})
    session = Session(
        "Interview: Senior Engineer at Acme",
        "20261125T190000Z",
        "20261125T203000Z",
        ROSA,
        [organizer_attending, ADA, GRACE, ROOM],
    )
    result, target = init_from(tmp_path, "invite.ics", google(session, zone="America/New_York"))
    assert result.returncode == 0, result.stderr
    assert "2 interviewer(s), 1 left out" in result.stdout
    text = target.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data["candidate"]["email"] == "ada@example.com"
    assert data["candidate"]["name"] == "Ada Lovelace"
    interview = data["interview"]
    assert (interview["company"], interview["role"]) == ("Acme", "Senior Engineer")
    assert interview["starts_at"].isoformat() == "2026-11-25T14:00:00-05:00"
    assert interview["timezone"] == "America/New_York"
    assert interview["duration_minutes"] == 90
    assert interview["follow_up_with"] == ROSA.email
    # The organiser is also an attendee: one table. CN equal to the address: a guess, marked.
    assert people(data) == [
        ("Grace Hopper", GRACE.email, None),
        ("Rosa Marsh", ROSA.email, "recruiter"),
    ]
    assert "name guessed from the address grace.hopper@acme.example" in text
    assert "organised the invitation" in text
    assert "NYC-5-Babbage (6) <c_1880a1b2c3d4e5@resource.calendar.google.com>: a room" in text
    assert_fills_and_previews(target)


def test_outlook_loop_of_three_sessions(tmp_path: Path) -> None:
    """Windows zone name, own VTIMEZONE, folded lines, an optional and a declined attendee."""
    kim = Person("kim.osei@contoso.example", "Kim Osei (Recruiting Coordinator)")
    grace = Person("grace@contoso.example", "Grace Hopper")
    alan = Person("alan@contoso.example", "Turing, Alan")
    mary = Person("mary.somerville@contoso.example", "Mary Somerville", {"ROLE": "OPT-PARTICIPANT"})
    bob = Person("bob.byron@contoso.example", "Bob Byron", {"PARTSTAT": "DECLINED"})
    room = Person("room-2.14@contoso.example", "Room 2.14 Babbage")
    me = Person("ada.lovelace@mail.example", "ada.lovelace@mail.example")
    title = "Contoso | Onsite – Data Engineer"
    calendar = outlook(
        Session(title, "20261125T090000", "20261125T094500", kim, [me, grace, room]),
        Session(title, "20261125T100000", "20261125T104500", kim, [me, alan, bob]),
        Session(title, "20261125T130000", "20261125T140000", kim, [me, mary, grace]),
        zone="W. Europe Standard Time",
    )
    assert "\r\n " in calendar  # folded, as Outlook writes it
    result, target = init_from(
        tmp_path, "invite.ics", calendar, "--me", "ada.lovelace@mail.example"
    )
    assert result.returncode == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    interview = data["interview"]
    assert (interview["company"], interview["role"]) == ("Contoso", "Data Engineer")
    assert interview["starts_at"].isoformat() == "2026-11-25T09:00:00+01:00"
    assert interview["timezone"] == "Europe/Berlin"
    assert interview["duration_minutes"] == 300
    assert "Windows time zone 'W. Europe Standard Time' is Europe/Berlin" in text
    assert people(data) == [
        ("Grace Hopper", grace.email, None),
        ("Alan Turing", alan.email, None),
        ("Mary Somerville", mary.email, None),
        ("Kim Osei", kim.email, "coordinator"),
    ]
    assert data["interviewers"][3]["title"] == "Recruiting Coordinator"
    assert interview["follow_up_with"] == kim.email
    assert "the invitation says 'Turing, Alan': check the order of the names" in text
    assert "an optional attendee" in text
    assert "Bob Byron <bob.byron@contoso.example>: declined the invitation" in text
    assert "Room 2.14 Babbage <room-2.14@contoso.example>: a room" in text
    # The candidate's CN was the address: no name guessed for the signature.
    assert data["candidate"] == {
        "name": "<your name, as you sign your notes>",
        "email": "ada.lovelace@mail.example",
    }
    assert_fills_and_previews(target)


def test_sessions_in_several_files_make_one_interview(tmp_path: Path) -> None:
    first = tmp_path / "one.ics"
    second = tmp_path / "two.ics"
    first.write_text(
        google(
            Session(
                "Acme | Onsite – Data Engineer",
                "20261125T150000Z",
                "20261125T160000Z",
                ROSA,
                [ADA, ALAN],
                uid="a@google.com",
            ),
            zone="America/New_York",
        ),
        newline="",
    )
    second.write_text(
        google(
            Session(
                "Acme | Onsite – Data Engineer",
                "20261125T170000Z",
                "20261125T174500Z",
                ROSA,
                [ADA, GRACE],
                uid="b@google.com",
            ),
            zone="America/New_York",
        ),
        newline="",
    )
    target = tmp_path / "interview.toml"
    result = thanknote("init", str(target), "--from", str(second), "--from", str(first))
    assert result.returncode == 0, result.stderr
    data = tomllib.loads(target.read_text(encoding="utf-8"))
    assert data["interview"]["starts_at"].isoformat() == "2026-11-25T10:00:00-05:00"
    assert data["interview"]["duration_minutes"] == 165
    assert [p["email"] for p in data["interviewers"]] == [ALAN.email, GRACE.email, ROSA.email]


def test_apple_calendar_with_a_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Quoted CN, EMAIL parameters, urn:uuid values; the organiser is also an attendee."""
    profile = tmp_path / "profile.toml"
    monkeypatch.setenv("THANKNOTE_PROFILE", str(profile))
    assert (
        thanknote(
            "profile", "set", "--name", "Ada Lovelace", "--email", "ada@example.com"
        ).returncode
        == 0
    )
    organizer = Person("grace@initech.example", "Hopper, Grace")
    session = Session(
        "Ada Lovelace <> Initech: Backend Engineer",
        "20261125T100000",
        "20261125T110000",
        organizer,
        [
            Person(
                "ada@example.com",
                "Ada Lovelace",
                {"X-APPLE-UUID": "7B1D2A9E-0000-4000-8000-00000000A1A1"},
            ),
            Person(organizer.email, organizer.name, {"PARTSTAT": "ACCEPTED"}),
            Person("hedy@initech.example", "Hedy Lamarr", {"PARTSTAT": "TENTATIVE"}),
        ],
    )
    result, target = init_from(tmp_path, "invite.ics", apple(session))
    assert result.returncode == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert "candidate" not in data
    assert f"[candidate] comes from your profile ({profile})" in text
    interview = data["interview"]
    assert (interview["company"], interview["role"]) == ("Initech", "Backend Engineer")
    assert interview["starts_at"].isoformat() == "2026-11-25T10:00:00+00:00"
    assert interview["timezone"] == "Europe/London"
    assert interview["duration_minutes"] == 60
    assert people(data) == [
        ("Hedy Lamarr", "hedy@initech.example", None),
        ("Grace Hopper", "grace@initech.example", "recruiter"),
    ]
    assert_fills_and_previews(target)


def test_eml_with_a_calendar_part(tmp_path: Path) -> None:
    """A saved email carrying the invitation twice (inline and attached): read once."""
    session = Session(
        "Coding with Grace", "20261125T190000Z", "20261125T200000Z", ROSA, [ADA, GRACE]
    )
    result, target = init_from(tmp_path, "invite.eml", eml(google(session)))
    assert result.returncode == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    # No shape in the title: the company from the organiser's domain, marked; role unknown.
    assert data["interview"]["company"] == "Acme"
    assert "check: guessed from the organiser's address (rosa.marsh@acme.example)" in text
    assert data["interview"]["role"] == "<the role you interviewed for>"
    # UTC only, no zone named: the offset is written and the user told how to add one.
    assert data["interview"]["starts_at"].isoformat() == "2026-11-25T19:00:00+00:00"
    assert "timezone" not in data["interview"]
    assert "gives the time in UTC" in text
    assert [p["email"] for p in data["interviewers"]] == [GRACE.email, ROSA.email]
    assert_fills_and_previews(target)


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "interview.toml"
    target.write_text("keep me")
    invite = tmp_path / "invite.ics"
    invite.write_text(
        google(
            Session(
                "Interview: X at Acme", "20261125T190000Z", "20261125T200000Z", ROSA, [ADA, GRACE]
            )
        ),
        newline="",
    )
    result = runner.invoke(app, ["init", str(target), "--from", str(invite)])
    assert result.exit_code == 2
    assert "already exists" in result.stderr
    assert target.read_text() == "keep me"


def _session(**changes: Any) -> Session:
    fields: dict[str, Any] = {
        "summary": "Interview: Data Engineer at Acme",
        "start": "20261125T190000Z",
        "end": "20261125T200000Z",
        "organizer": ROSA,
        "attendees": [ADA, GRACE],
    }
    fields.update(changes)
    return Session(**fields)


BAD = {
    "not iCalendar": ("hello, see you on Wednesday\n", "not an iCalendar invitation"),
    "no VEVENT": ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "no event (VEVENT)"),
    "cancelled (METHOD:CANCEL)": (
        outlook(
            Session(
                "Interview: Data Engineer at Contoso",
                "20261125T140000",
                "20261125T150000",
                ROSA,
                [ADA, GRACE],
            ),
            method="CANCEL",
        ),
        "'Interview: Data Engineer at Contoso' is cancelled",
    ),
    "cancelled (STATUS:CANCELLED)": (google(_session(status="CANCELLED")), "is cancelled"),
    "nobody but the candidate": (
        google(_session(organizer=ADA, attendees=[ADA, ROOM])),
        "nobody to thank",
    ),
    "more than a year away": (
        google(_session(start="20280101T190000Z", end="20280101T200000Z")),
        "more than a year",
    ),
    "long past": (
        google(_session(start="20250101T190000Z", end="20250101T200000Z")),
        "too late for a thank-you note",
    ),
    "all-day": (
        google(_session(start="20261125", end="20261126"))
        .replace("DTSTART:20261125", "DTSTART;VALUE=DATE:20261125")
        .replace("DTEND:20261126", "DTEND;VALUE=DATE:20261126"),
        "'Interview: Data Engineer at Acme' is an all-day event",
    ),
    "floating": (
        google(_session(start="20261125T140000", end="20261125T150000")),
        "'Interview: Data Engineer at Acme' has a floating start time",
    ),
    "which one is me": (
        google(
            _session(attendees=[ADA, GRACE, Person("eve@agency.example", "Eve")]),
        ),
        "cannot tell which attendee is you",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_invitations_write_nothing(tmp_path: Path, case: str) -> None:
    content, message = BAD[case]
    invite = tmp_path / "invite.ics"
    invite.write_text(content, newline="")
    target = tmp_path / "interview.toml"
    result = runner.invoke(app, ["init", str(target), "--from", str(invite)])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert str(invite) in result.stderr or "--me" in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2  # one message (and at most one hint)
    assert not target.exists()


def test_a_cancelled_event_through_the_entry_point(tmp_path: Path) -> None:
    result, target = init_from(tmp_path, "cancel.ics", google(_session(), method="CANCEL"))
    assert result.returncode == 2
    assert "is cancelled" in result.stderr and "Traceback" not in result.stderr
    assert not target.exists()


def test_me_not_in_the_invitation(tmp_path: Path) -> None:
    invite = tmp_path / "invite.ics"
    invite.write_text(google(_session()), newline="")
    result = runner.invoke(
        app, ["init", "x.toml", "--from", str(invite), "--me", "someone@else.example"]
    )
    assert result.exit_code == 2
    assert "not among the invitation's people" in result.stderr
    assert not Path("x.toml").exists()


def test_a_later_sequence_replaces_the_earlier_invitation(tmp_path: Path) -> None:
    early = google(_session(uid="same@google.com"))
    moved = google(
        _session(uid="same@google.com", start="20261125T210000Z", end="20261125T220000Z")
    ).replace("SEQUENCE:0", "SEQUENCE:2")
    (tmp_path / "a.ics").write_text(early, newline="")
    (tmp_path / "b.ics").write_text(moved, newline="")
    result = runner.invoke(
        app,
        ["init", "i.toml", "--from", str(tmp_path / "b.ics"), "--from", str(tmp_path / "a.ics")],
    )
    assert result.exit_code == 0, result.output
    data = tomllib.loads(Path("i.toml").read_text(encoding="utf-8"))
    assert data["interview"]["starts_at"].isoformat() == "2026-11-25T21:00:00+00:00"
    assert data["interview"]["duration_minutes"] == 60


def test_the_loader_refuses_each_placeholder_the_file_is_written_with(tmp_path: Path) -> None:
    """Each <...> left in a written file, alone, is refused naming its line and field."""
    from thanknote.errors import BadInput
    from thanknote.loader import load

    # Free-mail addresses only and a title of no known shape: no company, no role, no names.
    session = _session(
        summary="Catch-up",
        organizer=Person("sam.reed@gmail.com", "Sam Reed"),
        attendees=[
            Person("ada@example.com", "="),
            Person("alan.t@outlook.com", "Alan Turing"),
            Person("rosa.marsh@gmail.com", "Rosa Marsh (Recruiter)"),
        ],
    )
    result, target = init_from(tmp_path, "invite.ics", google(session), "--me", "ada@example.com")
    assert result.returncode == 0, result.stderr
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    holes = [
        n
        for n, line in enumerate(lines)
        if not line.lstrip().startswith("#") and re.search(r"<[^<>]+>", line)
    ]
    fields = [lines[n].split("=")[0].strip() for n in holes]
    assert sorted(fields) == sorted(["name", "company", "role", "fit"] + ["conversation_point"] * 3)
    filled = [fill(line) for line in lines]
    for number, field in zip(holes, fields, strict=True):
        one_left = tmp_path / f"hole-{number}.toml"
        one_left.write_text(
            "".join(filled[:number] + [lines[number]] + filled[number + 1 :]), encoding="utf-8"
        )
        with pytest.raises(BadInput) as refused:
            load(one_left)
        assert f"{one_left}:{number + 1}:" in refused.value.message
        assert field in refused.value.message and "placeholder" in refused.value.message


@pytest.mark.parametrize("relation", ["interviewer", "hiring-manager", "recruiter", "coordinator"])
def test_the_loader_reads_relation(tmp_path: Path, relation: str) -> None:
    from tests.helpers import write_interview
    from thanknote.loader import load

    path = write_interview(
        tmp_path,
        interviewers=[
            {
                "name": "Grace Hopper",
                "email": "grace@acme.example",
                "relation": relation,
                "conversation_point": CONVERSATION_POINTS[0],
            }
        ],
    )
    assert load(path).interviewers[0].relation == relation


def test_the_loader_refuses_an_unknown_relation(tmp_path: Path) -> None:
    from tests.helpers import write_interview

    path = write_interview(
        tmp_path,
        interviewers=[
            {
                "name": "Grace Hopper",
                "email": "grace@acme.example",
                "relation": "friend",
                "conversation_point": CONVERSATION_POINTS[0],
            }
        ],
    )
    result = runner.invoke(app, ["preview", str(path)])
    assert result.exit_code == 2
    assert "[[interviewers]] #1 relation: 'friend' is not one of interviewer, hiring-manager" in (
        result.stderr
    )


def test_the_shipped_example_invitation(tmp_path: Path) -> None:
    """The README's invite path: init --from examples/invite.ics, fill in, preview."""
    from tests.conftest import ROOT

    target = tmp_path / "interview.toml"
    result = thanknote("init", str(target), "--from", str(ROOT / "examples" / "invite.ics"))
    assert result.returncode == 0, result.stderr
    assert "3 interviewer(s), 2 left out; fill in its 4 <...> placeholder(s)" in result.stdout
    data = tomllib.loads(target.read_text(encoding="utf-8"))
    assert people(data) == [
        ("Grace Hopper", "grace.hopper@analytical.example", None),
        ("Alan Turing", "alan@analytical.example", None),
        ("Rosa Marsh", "rosa.marsh@analytical.example", "recruiter"),
    ]
    assert_fills_and_previews(target)


def test_names_with_line_breaking_characters_stay_inside_their_comment(tmp_path: Path) -> None:
    """A left-out attendee's name is quoted in a comment: a U+2028 must not end that line."""
    declined = Person("eve@acme.example", "Eve\u2028Mallory", {"PARTSTAT": "DECLINED"})
    result, target = init_from(
        tmp_path, "invite.ics", google(_session(attendees=[ADA, GRACE, declined]))
    )
    assert result.returncode == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert "#   Eve Mallory <eve@acme.example>: declined" in text
    assert all(line.startswith("#") or "Mallory" not in line for line in text.splitlines())


def test_me_without_from_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", "x.toml", "--me", "ada@example.com"])
    assert result.exit_code == 2
    assert "--me only applies with --from" in result.stderr
    assert not (tmp_path / "x.toml").exists()


def test_duration_instead_of_an_end(tmp_path: Path) -> None:
    session = Session(
        "Interview: Data Engineer at Initech",
        "20261125T100000",
        "20261125T110000",
        Person("ken@initech.example", "Ken Adams"),
        [ADA, Person("hedy@initech.example", "Hedy Lamarr")],
    )
    calendar = apple(session).replace("DTEND;TZID=Europe/London:20261125T110000", "DURATION:PT45M")
    assert "DTEND" not in calendar
    result, target = init_from(tmp_path, "invite.ics", calendar)
    assert result.returncode == 0, result.stderr
    data = tomllib.loads(target.read_text(encoding="utf-8"))
    assert data["interview"]["duration_minutes"] == 45


def test_an_event_without_an_end_is_marked_for_checking(tmp_path: Path) -> None:
    session = _session()
    calendar = google(session).replace("DTEND:20261125T200000Z\r\n", "")
    result, target = init_from(tmp_path, "invite.ics", calendar)
    assert result.returncode == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert tomllib.loads(text)["interview"]["duration_minutes"] == 60
    assert "# check: an event gives no end; 60 minutes assumed" in text


def test_a_profile_address_missing_from_the_invitation_falls_back_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THANKNOTE_PROFILE", str(tmp_path / "profile.toml"))
    assert (
        runner.invoke(
            app, ["profile", "set", "--name", "Ada Lovelace", "--email", "ada.work@example.net"]
        ).exit_code
        == 0
    )
    result, target = init_from(tmp_path, "invite.ics", google(_session()))
    assert result.returncode == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert "candidate" not in tomllib.loads(text)
    assert [p["email"] for p in tomllib.loads(text)["interviewers"]] == [GRACE.email, ROSA.email]
    assert (
        "# check: the invitation's address for you, ada@example.com, was taken to be you, "
        "since its domain matches nobody else's (your profile's address, "
        "ada.work@example.net, is not in the invitation)"
    ) in text
