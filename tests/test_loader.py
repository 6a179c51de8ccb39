"""The interview file loader: every field, and one clear message per kind of bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE
from tests.helpers import interview_toml, write_interview
from thanknote.errors import BadInput
from thanknote.loader import load


def bad(path: Path) -> str:
    with pytest.raises(BadInput) as caught:
        load(path)
    assert caught.value.exit_code == 2
    return caught.value.message


def test_example_loads_with_every_field(tmp_path: Path) -> None:
    loaded = load(EXAMPLE)
    assert loaded.candidate.name == "Ada Lovelace"
    assert loaded.candidate.signature == "Ada Lovelace\n+1 555 0100"
    interview = loaded.interview
    assert interview.starts_at == datetime(2026, 11, 25, 19, 0, tzinfo=UTC)
    assert interview.ends_at - interview.starts_at == timedelta(minutes=90)
    assert interview.follow_up_on == date(2026, 12, 7)
    assert interview.follow_up_with == "tomas@analytical.example"
    assert [i.email for i in loaded.interviewers] == [
        "grace@analytical.example",
        "alan@analytical.example",
        "tomas@analytical.example",
    ]
    assert loaded.interviewers[0].title == "Engineering Manager"
    assert [i.relation for i in loaded.interviewers] == [
        "hiring-manager",
        "interviewer",
        "recruiter",
    ]


def test_defaults(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path, candidate={"signature": None}, interview={"duration_minutes": None}
    )
    loaded = load(path)
    assert loaded.candidate.signature == "Ada Lovelace"
    assert loaded.interview.duration_minutes == 60
    assert loaded.interview.follow_up_on == date(2026, 12, 5)  # ten days after 25 November
    assert loaded.interview.follow_up_with == "grace@analytical.example"


def test_local_time_with_timezone(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path, interview={"starts_at": "2026-07-01T09:30:00", "timezone": "Europe/London"}
    )
    interview = load(path).interview
    assert interview.starts_at.utcoffset() == timedelta(hours=1)
    assert interview.local_start.hour == 9


def test_offset_fixes_the_instant_and_timezone_the_display(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path, interview={"starts_at": "2026-11-25T14:00:00-05:00", "timezone": "Asia/Tokyo"}
    )
    interview = load(path).interview
    assert interview.starts_at == datetime(2026, 11, 25, 19, 0, tzinfo=UTC)
    assert interview.local_start.hour == 4  # 19:00 UTC is 04:00 in Tokyo
    assert interview.follow_up_on == date(2026, 12, 6)  # ten days after the Tokyo date


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "interview.toml"
    path.write_text('[candidate]\nname = "Ada"\nemail = ada@example.com\n')
    message = bad(path)
    assert message.startswith(f"{path}:3: TOML syntax error")


def test_unknown_key_names_line_and_key(tmp_path: Path) -> None:
    text = interview_toml().replace('title = "Staff Engineer"', 'titel = "Staff Engineer"')
    path = tmp_path / "interview.toml"
    path.write_text(text)
    line = next(
        n for n, text_line in enumerate(text.splitlines(), 1) if text_line.startswith("titel")
    )
    message = bad(path)
    assert f"{path}:{line}:" in message
    assert "[[interviewers]] #2" in message and "unknown key 'titel'" in message


def test_unknown_top_level_table(tmp_path: Path) -> None:
    path = write_interview(tmp_path, extra="\n[company]\nname = 'x'\n")
    assert "unknown key 'company'" in bad(path)


@pytest.mark.parametrize(
    ("section", "field", "expected"),
    [
        ("candidate", "email", "candidate.email: missing"),
        ("candidate", "name", "candidate.name: missing"),
        ("interview", "company", "interview.company: missing"),
        ("interview", "starts_at", "interview.starts_at: missing"),
    ],
)
def test_missing_required_field(tmp_path: Path, section: str, field: str, expected: str) -> None:
    missing: dict[str, Any] = {section: {field: None}}  # an interview_toml() override
    path = write_interview(tmp_path, **missing)
    assert expected in bad(path)


def test_missing_conversation_point(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path, interviewers=[{"name": "Grace Hopper", "email": "grace@analytical.example"}]
    )
    assert "[[interviewers]] #1 conversation_point: missing" in bad(path)


def test_missing_fit_everywhere(tmp_path: Path) -> None:
    path = write_interview(tmp_path, interview={"fit": None})
    assert "fit" in bad(path)


@pytest.mark.parametrize(
    "address", ["grace@", "grace", "grace@localhost", "a b@x.example", "grace@x..example"]
)
def test_invalid_address(tmp_path: Path, address: str) -> None:
    path = write_interview(
        tmp_path,
        interviewers=[
            {"name": "Grace Hopper", "email": address, "conversation_point": "the roadmap"}
        ],
    )
    message = bad(path)
    assert "[[interviewers]] #1 email" in message and "not a valid email address" in message


def test_duplicate_interviewer_address_case_insensitive(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path,
        interviewers=[
            {
                "name": "Grace Hopper",
                "email": "grace@analytical.example",
                "conversation_point": "a",
            },
            {"name": "G. Hopper", "email": "Grace@Analytical.example", "conversation_point": "b"},
        ],
    )
    message = bad(path)
    assert "[[interviewers]] #2 email" in message and "interviewer #1" in message


def test_zero_interviewers(tmp_path: Path) -> None:
    path = write_interview(tmp_path, interviewers=[])
    assert "no interviewers" in bad(path)


def test_naive_datetime(tmp_path: Path) -> None:
    path = write_interview(tmp_path, interview={"starts_at": "2026-11-25T14:00:00"})
    message = bad(path)
    assert "interview.starts_at" in message and "no UTC offset" in message


def test_date_without_time(tmp_path: Path) -> None:
    path = write_interview(tmp_path, interview={"starts_at": "2026-11-25"})
    assert "not just a date" in bad(path)


def test_unknown_timezone(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path, interview={"starts_at": "2026-11-25T14:00:00", "timezone": "Mars/Olympus_Mons"}
    )
    assert "unknown timezone 'Mars/Olympus_Mons'" in bad(path)


def test_nonexistent_local_time(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path, interview={"starts_at": "2026-03-08T02:30:00", "timezone": "America/New_York"}
    )
    assert "does not exist" in bad(path)


def test_follow_up_before_interview(tmp_path: Path) -> None:
    path = write_interview(tmp_path, interview={"follow_up_on": "2026-11-20"})
    message = bad(path)
    assert "interview.follow_up_on" in message and "before the interview" in message


def test_follow_up_with_invalid(tmp_path: Path) -> None:
    path = write_interview(tmp_path, interview={"follow_up_with": "recruiter"})
    assert "interview.follow_up_with" in bad(path)


def test_missing_template_file(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path,
        interviewers=[
            {
                "name": "Grace Hopper",
                "email": "grace@analytical.example",
                "conversation_point": "the roadmap",
                "template": "notes/grace.txt",
            }
        ],
    )
    message = bad(path)
    assert "template file 'notes/grace.txt' not found" in message


def test_header_unsafe_name(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path,
        interviewers=[
            {
                "name": "Grace\u2028Bcc: x@evil.example",
                "email": "grace@analytical.example",
                "conversation_point": "the roadmap",
            }
        ],
    )
    assert "cannot go into an email header" in bad(path)


def test_wrong_type(tmp_path: Path) -> None:
    path = write_interview(tmp_path, interview={"duration_minutes": "ninety"})
    assert "interview.duration_minutes" in bad(path)


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in bad(tmp_path / "nope.toml")


@pytest.mark.parametrize("value", ["...", "…", "TODO: say why I fit", "I fit because TBD"])
def test_placeholders_are_refused(tmp_path: Path, value: str) -> None:
    path = write_interview(tmp_path, interview={"fit": value})
    message = bad(path)
    assert "interview.fit" in message and "looks like a placeholder" in message


PLACEHOLDERS = [
    (
        "<describe what you discussed with this person>",
        "<describe what you discussed with this person>",
    ),
    ("We talked about [fill in].", "[fill in]"),
    ("Thank you for {topic}.", "{topic}"),
    ("TODO", "TODO"),
    ("the plan, TBD", "TBD"),
    ("TK", "TK"),
    ("FIXME: the roadmap", "FIXME"),
    ("xx", "xx"),
    ("the XXX project", "XXX"),
    ("Lorem ipsum dolor sit amet", "Lorem ipsum"),
    ("Insert your story here", "Insert your story here"),
    ("your name", "your name"),
    ("...", "..."),
]
# Every body and header field a user writes text into, as (table, key, label).
TEXT_FIELDS = [
    ("candidate", "name", "candidate.name"),
    ("candidate", "signature", "candidate.signature"),
    ("interview", "company", "interview.company"),
    ("interview", "role", "interview.role"),
    ("interview", "fit", "interview.fit"),
    ("interview", "new_information", "interview.new_information"),
    ("interviewers", "name", "[[interviewers]] #1 name"),
    ("interviewers", "title", "[[interviewers]] #1 title"),
    ("interviewers", "conversation_point", "[[interviewers]] #1 conversation_point"),
    ("interviewers", "fit", "[[interviewers]] #1 fit"),
    ("interviewers", "new_information", "[[interviewers]] #1 new_information"),
]


def _with_value(tmp_path: Path, table: str, key: str, value: str) -> Path:
    if table == "candidate":
        return write_interview(tmp_path, candidate={key: value})
    if table == "interview":
        return write_interview(tmp_path, interview={key: value})
    first = {
        "name": "Grace Hopper",
        "email": "grace@analytical.example",
        "conversation_point": "the billing event log",
        key: value,
    }
    return write_interview(tmp_path, interviewers=[first])


@pytest.mark.parametrize(("value", "shown"), PLACEHOLDERS)
def test_each_placeholder_form_is_refused_through_the_entry_point(
    tmp_path: Path, value: str, shown: str
) -> None:
    from tests.test_cli import run

    path = write_interview(
        tmp_path,
        interviewers=[
            {
                "name": "Grace Hopper",
                "email": "grace@analytical.example",
                "conversation_point": value,
            }
        ],
    )
    result = run("preview", str(path))
    assert result.returncode == 2
    line = next(
        number
        for number, text in enumerate(path.read_text().splitlines(), start=1)
        if text.startswith("conversation_point")
    )
    assert result.stderr.startswith(
        f"thanknote: {path}:{line}: [[interviewers]] #1 conversation_point: {shown!r} looks like "
        "a placeholder"
    ), result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(("table", "key", "label"), TEXT_FIELDS)
def test_a_placeholder_is_refused_in_every_text_field(
    tmp_path: Path, table: str, key: str, label: str
) -> None:
    message = bad(_with_value(tmp_path, table, key, "[fill in]"))
    assert f": {label}: '[fill in]' looks like a placeholder" in message


@pytest.mark.parametrize(
    "value",
    [
        "Ada Lovelace <ada@example.com>",
        "see <https://ada.example/cv>",
        "I built a todo app",
        "I worked at Exxon on the tax engine",
        "a...b",
        "I will insert the cache here",
    ],
)
def test_text_that_only_resembles_a_placeholder_is_accepted(tmp_path: Path, value: str) -> None:
    load(write_interview(tmp_path, interview={"fit": value}))


@pytest.mark.parametrize(
    ("title", "relation"),
    [
        ("Technical Recruiter", "recruiter"),
        ("Talent Acquisition Partner", "recruiter"),
        ("Sourcer", "recruiter"),
        ("People Partner", "recruiter"),
        ("Recruiting Coordinator", "coordinator"),
        ("Hiring Manager, Payments", "hiring-manager"),
        ("Staff Engineer", "interviewer"),
        (None, "interviewer"),
    ],
)
def test_relation_from_the_title(tmp_path: Path, title: str | None, relation: str) -> None:
    person = {
        "name": "Grace Hopper",
        "email": "grace@analytical.example",
        "title": title,
        "conversation_point": "the billing event log",
    }
    (loaded,) = load(write_interview(tmp_path, interviewers=[person])).interviewers
    assert loaded.relation == relation
    assert loaded.relation_assumed == (relation != "interviewer")
    explicit = load(
        write_interview(tmp_path, interviewers=[dict(person, relation="hiring-manager")])
    ).interviewers[0]
    assert explicit.relation == "hiring-manager" and not explicit.relation_assumed
