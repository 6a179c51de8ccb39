"""Rendering: templates, variables, the default note's five parts, StrictUndefined."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import write_interview
from thanknote.errors import BadInput
from thanknote.loader import load
from thanknote.model import ReadableDate
from thanknote.render import render_notes
from thanknote.template import default_template


def test_default_template_writes_the_five_parts(tmp_path: Path) -> None:
    path = write_interview(tmp_path, interview={"follow_up_on": "2026-12-04"})
    grace, alan = render_notes(load(path))
    assert grace.to == "grace@analytical.example" and grace.name == "Grace Hopper"
    # The subject names the role and differs per reader.
    assert grace.subject == "Senior Backend Engineer interview: thank you, Grace"
    assert alan.subject == "Senior Backend Engineer interview: thank you, Alan"
    body = grace.body
    assert body.startswith("Dear Grace,\n")
    # 1. thanks for their time and this role
    assert "Senior Backend Engineer role at Analytical Engines Ltd" in body
    # 2. why you fit
    assert "five years running Postgres" in body
    # 3. this interviewer's own conversation point, and not the other's
    assert "move billing onto an event log" in body
    assert "settlement tests" not in body and "settlement tests" in alan.body
    # 4. new information
    assert "idempotent webhooks" in body
    # 5. follow-up date, readable
    assert "Friday, December 4" in body
    assert body.rstrip().endswith("Ada Lovelace")


def test_new_information_paragraph_is_optional(tmp_path: Path) -> None:
    path = write_interview(tmp_path, interview={"new_information": None})
    note = render_notes(load(path))[0]
    assert "webhooks" not in note.body
    assert "\n\n\n" not in note.body


def test_interviewer_fields_override_shared_ones(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path,
        interviewers=[
            {
                "name": "Grace Hopper",
                "email": "grace@analytical.example",
                "conversation_point": "the billing event log",
                "fit": "I have built three ledgers.",
                "new_information": "I speak COBOL.",
            }
        ],
    )
    body = render_notes(load(path))[0].body
    assert "three ledgers" in body and "Postgres" not in body
    assert "I speak COBOL." in body and "webhooks" not in body


def test_template_option_and_per_interviewer_template(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "grace.txt").write_text(
        "Subject: For {{ interviewer.name }}\n\nHi {{ interviewer.first_name }}: "
        "{{ conversation_point }}.\n"
    )
    shared = tmp_path / "shared.txt"
    shared.write_text(
        "Subject: Shared {{ interview.company }}\n\nHello {{ interviewer.name }}, "
        "{{ fit }} See you {{ follow_up_on }}.\n"
    )
    path = write_interview(
        tmp_path,
        interviewers=[
            {
                "name": "Grace Hopper",
                "email": "grace@analytical.example",
                "conversation_point": "the roadmap",
                "template": "notes/grace.txt",
            },
            {
                "name": "Alan Turing",
                "email": "alan@analytical.example",
                "conversation_point": "the tests",
            },
        ],
    )
    grace, alan = render_notes(load(path), template=shared)
    assert grace.subject == "For Grace Hopper" and grace.body == "Hi Grace: the roadmap.\n"
    assert alan.subject == "Shared Analytical Engines Ltd"
    assert alan.body.endswith("See you Saturday, December 5.\n")


def test_undefined_variable_names_template_and_line(tmp_path: Path) -> None:
    template = tmp_path / "t.txt"
    template.write_text("Subject: Hi\n\nLine three\nLine four {{ interviewer.nickname }}\n")
    path = write_interview(tmp_path)
    with pytest.raises(BadInput) as caught:
        render_notes(load(path), template=template)
    assert caught.value.exit_code == 2
    assert caught.value.message.startswith(f"{template}:4:")
    assert "nickname" in caught.value.message


def test_undefined_variable_in_subject(tmp_path: Path) -> None:
    template = tmp_path / "t.txt"
    template.write_text("Subject: {{ company }}\n\nBody\n")
    with pytest.raises(BadInput) as caught:
        render_notes(load(write_interview(tmp_path)), template=template)
    assert caught.value.message.startswith(f"{template}:1:") and "company" in caught.value.message


def test_template_syntax_error_names_line(tmp_path: Path) -> None:
    template = tmp_path / "t.txt"
    template.write_text("Subject: Hi\n\nok\n{% if %}\n")
    with pytest.raises(BadInput) as caught:
        render_notes(load(write_interview(tmp_path)), template=template)
    assert caught.value.message.startswith(f"{template}:4: template syntax error")


@pytest.mark.parametrize("text", ["Hello\n\nBody\n", "Subject: Hi\nBody right away\n"])
def test_template_shape_is_checked(tmp_path: Path, text: str) -> None:
    template = tmp_path / "t.txt"
    template.write_text(text)
    with pytest.raises(BadInput):
        render_notes(load(write_interview(tmp_path)), template=template)


def test_subject_is_not_parsed_as_headers(tmp_path: Path) -> None:
    """A value rendered into the body can never become a header: they are split before rendering."""
    path = write_interview(
        tmp_path,
        interviewers=[
            {
                "name": "Grace Hopper",
                "email": "grace@analytical.example",
                "conversation_point": "x\n\nBcc: everyone@analytical.example\n",
            }
        ],
    )
    note = render_notes(load(path))[0]
    assert "Bcc" not in note.subject


def test_readable_date() -> None:
    assert str(ReadableDate(2026, 12, 4)) == "Friday, December 4"


def test_default_template_ships() -> None:
    assert default_template().read_text().startswith("Subject:")


def test_a_placeholder_left_in_a_template_is_refused_with_its_line(tmp_path: Path) -> None:
    """Every text a user writes is checked: the interview file's fields and their templates."""
    template = tmp_path / "grace.txt"
    template.write_text(
        "Subject: Thank you\n\nDear {{ interviewer.first_name }},\n\n"
        "I enjoyed meeting the team at [company].\n"
    )
    path = write_interview(tmp_path)
    from tests.test_cli import run

    result = run("preview", str(path), "--template", str(template))
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"thanknote: {template}:5: '[company]' looks like a placeholder left in the template"
    )
    assert result.stdout == ""
