"""The wrong-name guard: greeting, misspelling, another interview's company or role."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import thanknote_executable
from tests.helpers import CONVERSATION_POINTS, write_interview
from thanknote import loader, names
from thanknote.model import Candidate, Interview, Interviewer, InterviewFile, Relation
from thanknote.render import render_notes
from thanknote.sendlog import Claim, SendLog

GRACE = {
    "name": "Grace Hopper",
    "email": "grace@analytical.example",
    "title": "Engineering Manager",
    "conversation_point": CONVERSATION_POINTS[0],
}
ALAN = {
    "name": "Alan Turing",
    "email": "alan@analytical.example",
    "title": "Staff Engineer",
    "conversation_point": CONVERSATION_POINTS[1],
}
ZOE = {
    "name": "Zoë Quist",
    "email": "zoe@analytical.example",
    "conversation_point": CONVERSATION_POINTS[2],
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [thanknote_executable(), *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=60,
    )


def with_template(tmp_path: Path, person: dict[str, str], text: str) -> dict[str, str]:
    name = f"{person['email'].split('@')[0]}.txt"
    (tmp_path / name).write_text(text, encoding="utf-8")
    return dict(person, template=name)


def note(
    greeting: str,
    line: str = "Thank you for our conversation about {{ "
    "conversation_point }}, which I keep thinking about.",
) -> str:
    return (
        f"Subject: Thank you\n\n{greeting}\n\n{line}\n\n{{{{ fit }}}}\n\nBest regards,\n"
        "{{ candidate.name }}\n"
    )


# -- the greeting ------------------------------------------------------------------------------


def test_a_greeting_naming_someone_else_is_refused_and_nothing_is_sent(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path, interviewers=[with_template(tmp_path, GRACE, note("Dear Alan,")), ALAN]
    )
    result = run("preview", str(path))
    assert result.returncode == 3
    assert (
        "wrong name: Grace Hopper <grace@analytical.example>: the greeting names Alan "
        "Turing, but the note goes to Grace Hopper"
    ) in result.stderr
    sent = run(
        "send",
        str(path),
        "--via",
        "smtp",
        "--yes",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        "9",
        "--smtp-security",
        "none",
    )
    assert sent.returncode == 3 and "wrong name" in sent.stderr
    assert not (tmp_path / "sends.sqlite3").exists()


def test_a_greeting_naming_a_stranger_is_refused(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path, interviewers=[with_template(tmp_path, GRACE, note("Hi Margaret,")), ALAN]
    )
    result = run("preview", str(path))
    assert result.returncode == 3
    assert "the greeting names 'Margaret', but the note goes to Grace Hopper" in result.stderr


def test_the_readers_own_name_in_any_usual_form_is_allowed(tmp_path: Path) -> None:
    for greeting in (
        "Dear Grace,",
        "Hi Grace Hopper,",
        "Dear Dr. Hopper,",
        "Dear Ms Grace Hopper:",
        "Grace,",
        "Hello,",
        "Hi there!",
    ):
        path = write_interview(
            tmp_path, interviewers=[with_template(tmp_path, GRACE, note(greeting)), ALAN]
        )
        result = run("preview", str(path))
        assert result.returncode == 0, (greeting, result.stderr)


def test_an_accent_free_spelling_is_the_same_name(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path, interviewers=[with_template(tmp_path, ZOE, note("Dear Zoe,")), ALAN]
    )
    result = run("preview", str(path))
    assert result.returncode == 0, result.stderr
    assert "did you mean" not in result.stdout


def test_a_misspelt_name_in_the_greeting_is_refused(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path, interviewers=[with_template(tmp_path, GRACE, note("Dear Grcae,")), ALAN]
    )
    result = run("preview", str(path))
    assert result.returncode == 3
    assert "the greeting 'Grcae' looks like a misspelling of Grace Hopper" in result.stderr


# -- misspellings elsewhere, and colleagues named right ---------------------------------------


def test_a_misspelling_outside_the_greeting_is_a_warning(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path,
        interviewers=[
            dict(
                GRACE,
                conversation_point="Your plan for billing, which Alan Turnig also "
                "described. I liked working at Analytical Engine Ltd for a day.",
            ),
            ALAN,
        ],
    )
    result = run("preview", str(path))
    assert result.returncode == 0, result.stderr
    assert "warning  the note to Grace Hopper has 'Turnig': did you mean 'Turing'?" in (
        result.stdout
    )
    assert (
        "warning  the note to Grace Hopper has 'Analytical Engine Ltd': did you mean "
        "'Analytical Engines Ltd'?"
    ) in result.stdout


def test_a_colleague_named_right_is_allowed(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path,
        interviewers=[
            dict(
                GRACE,
                conversation_point="As Alan mentioned, you want to replay a month of "
                "invoices. I liked that Analytical Engines Ltd tests it that way.",
            ),
            ALAN,
        ],
    )
    result = run("preview", str(path))
    assert result.returncode == 0, result.stderr
    assert "did you mean" not in result.stdout and "wrong name" not in result.stderr


# -- another interview in the send log ----------------------------------------------------------


def log_other_interview(tmp_path: Path) -> None:
    """A note already sent for another application: Difference Engines plc, Platform Engineer."""
    other = write_interview(
        tmp_path,
        "other.toml",
        interview={
            "company": "Difference Engines plc",
            "role": "Platform Engineer",
            "starts_at": "2026-11-18T10:00:00-05:00",
        },
    )
    loaded = loader.load(other)
    with SendLog(tmp_path / "sends.sqlite3") as log:
        interview_id = log.add_interview(loaded.interview, other)
        assert interview_id is not None
        first = render_notes(loaded)[0]
        claim = log.claim(
            interview_id,
            first,
            via="smtp",
            purpose="send",
            message_id="<1@x>",
            resend=False,
            now=datetime.fromisoformat("2026-11-18T12:00:00-05:00"),
        )
        assert isinstance(claim, Claim), claim
        log.finish(
            claim.row_id,
            "sent",
            now=datetime.fromisoformat("2026-11-18T12:00:00-05:00"),
        )


def test_a_note_naming_another_interviews_company_is_refused(tmp_path: Path) -> None:
    log_other_interview(tmp_path)
    path = write_interview(
        tmp_path,
        interviewers=[
            dict(
                GRACE,
                conversation_point="Your plan for billing. I would love to join Difference "
                "Engines plc and help with it.",
            ),
            ALAN,
        ],
    )
    result = run("preview", str(path))
    assert result.returncode == 3
    assert (
        "Grace Hopper <grace@analytical.example>: it names 'Difference Engines plc', the "
        "company of another interview in the send log (Difference Engines plc / Platform "
        "Engineer, 18 Nov 2026)"
    ) in result.stderr
    assert "--allow-mention 'Difference Engines plc'" in result.stderr
    sent = run("send", str(path), "--via", "smtp", "--yes", "--dry-run")
    assert sent.returncode == 3
    allowed = run("preview", str(path), "--allow-mention", "Difference Engines plc")
    assert allowed.returncode == 0, allowed.stderr


def test_a_note_naming_another_interviews_role_is_refused(tmp_path: Path) -> None:
    log_other_interview(tmp_path)
    path = write_interview(
        tmp_path,
        interviewers=[
            dict(
                GRACE,
                conversation_point="Why the Platform Engineer team is hiring. It made "
                "the role clear to me.",
            ),
            ALAN,
        ],
    )
    result = run("preview", str(path))
    assert result.returncode == 3
    assert "it names 'Platform Engineer', the role of another interview" in result.stderr
    assert run("preview", str(path), "--allow-mention", "platform engineer").returncode == 0


def test_this_interviews_own_company_and_role_are_fine_with_others_logged(tmp_path: Path) -> None:
    log_other_interview(tmp_path)
    path = write_interview(tmp_path)
    result = run("preview", str(path))
    assert result.returncode == 0, result.stderr
    assert "ok       wrong name" in result.stdout


# -- a property: the default note greets its own reader ----------------------------------------


_LETTERS = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzéëöüçñøåł"))
_NAME_PART = st.builds(
    lambda first, rest, last: first.upper() + "".join(rest) + last,
    _LETTERS,
    st.lists(_LETTERS | st.sampled_from(["-", "'"]), max_size=8),
    _LETTERS,
)
_NAME = st.lists(_NAME_PART, min_size=1, max_size=3).map(" ".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(_NAME, st.sampled_from(list(Relation))),
        min_size=1,
        max_size=6,
        unique_by=lambda entry: entry[0].casefold(),
    )
)
def test_no_default_note_greets_someone_else(panel: list[tuple[str, Relation]]) -> None:
    interviewers = tuple(
        Interviewer(
            name=name,
            email=f"reader{number}@analytical.example",
            conversation_point=CONVERSATION_POINTS[number % len(CONVERSATION_POINTS)]
            + f" and point {number}",
            relation=relation,
        )
        for number, (name, relation) in enumerate(panel)
    )
    starts = datetime.fromisoformat("2026-11-25T14:00:00-05:00")
    interview = Interview(
        company="Analytical Engines Ltd",
        role="Senior Backend Engineer",
        starts_at=starts,
        display_timezone=starts.tzinfo,  # type: ignore[arg-type]
        timezone_name=None,
        duration_minutes=60,
        follow_up_on=starts.date(),
        follow_up_with=interviewers[0].email,
        fit="I have run Postgres for five years.",
        new_information=None,
    )
    file = InterviewFile(
        Path("interview.toml"),
        Candidate("Ada Lovelace", "ada@example.com", "Ada Lovelace"),
        interview,
        interviewers,
    )
    notes = render_notes(file)
    report = names.check(file, [(n.to, n.subject, n.body) for n in notes])
    assert report.refusals == []
    for rendered, person in zip(notes, interviewers, strict=True):
        assert names.greeting_name(rendered.body) == person.first_name
