"""Personal by construction: the note for each kind of reader, the conversation point's
three forms, the personal share and its warnings, through the installed ``thanknote``."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE, thanknote_executable
from tests.helpers import write_interview

FIT = (
    "I have spent four years building batch and streaming pipelines on Spark and Kafka, "
    "most recently cutting a nightly job from six hours to forty minutes."
)
NEW_INFORMATION = (
    "I also mentor two junior engineers, which I would be glad to keep doing on your team."
)
SHARED = {
    "company": "Lumen Analytics",
    "role": "Senior Data Engineer",
    "fit": FIT,
    "new_information": NEW_INFORMATION,
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [thanknote_executable(), *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=60,
    )


def preview_json(path: Path, *args: str) -> dict[str, Any]:
    result = run("preview", str(path), "--json", *args)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def person(name: str, email: str, point: str, **fields: str) -> dict[str, str]:
    return {"name": name, "email": email, "conversation_point": point, **fields}


PRIYA = person(
    "Priya Raman",
    "priya@lumen.example",
    "the plan to make the warehouse the source of truth for finance",
    title="Head of Data",
)
TOMAS = person(
    "Tomás Ferreira",
    "tomas@lumen.example",
    "backfilling two years of events without stopping the live pipeline",
    title="Staff Engineer",
)
JORDAN = person(
    "Jordan Blake",
    "jordan@lumen.example",
    "the relocation package and the timeline for an offer",
    title="Technical Recruiter",
)


def bodies(data: dict[str, Any]) -> dict[str, str]:
    return {note["to"]: note["body"] for note in data["notes"]}


# -- readers of different kinds ---------------------------------------------------------------


def test_each_relation_gets_its_own_note(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path,
        interview=SHARED,
        interviewers=[
            person(
                "Mei Chen",
                "mei@lumen.example",
                "the design system for the appointment flow",
                title="Engineering Manager",
                relation="hiring-manager",
            ),
            PRIYA,
            JORDAN,
            person(
                "Rosa Diaz",
                "rosa@lumen.example",
                "the detailed schedule you sent",
                relation="coordinator",
            ),
        ],
    )
    notes = bodies(preview_json(path))
    manager, interviewer = notes["mei@lumen.example"], notes["priya@lumen.example"]
    recruiter, coordinator = notes["jordan@lumen.example"], notes["rosa@lumen.example"]
    assert (
        "Thank you for meeting with me on Wednesday about the Senior Data Engineer role on "
        "your team at Lumen Analytics, and for our conversation about the design system "
        "for the appointment flow."
    ) in manager
    assert (
        "Thank you for interviewing me on Wednesday for the Senior Data Engineer role at "
        "Lumen Analytics, and for our conversation about the plan to make the warehouse "
        "the source of truth for finance."
    ) in interviewer
    for note in (manager, interviewer):
        assert FIT in note and NEW_INFORMATION in note
    assert (
        "Thank you for arranging my interviews on Wednesday for the Senior Data Engineer "
        "role at Lumen Analytics, for guiding me through the process, and for our "
        "conversation about the relocation package and the timeline for an offer."
    ) in recruiter
    assert (
        "Thank you for scheduling my interviews on Wednesday for the Senior Data Engineer "
        "role at Lumen Analytics, for guiding me through the day, and for our "
        "conversation about the detailed schedule you sent."
    ) in coordinator
    for note in (recruiter, coordinator):
        # Thanked for the day and the process, interest restated; nothing of a technical talk.
        assert (
            "Meeting Mei and Priya confirmed my interest in the role, and I would welcome "
            "the next step."
        ) in note
        assert "would love to work on" not in note and "your team" not in note
        assert FIT not in note and NEW_INFORMATION not in note
    # Every note follows up on a date (the protocol's fifth part).
    for note in notes.values():
        assert "If I haven't heard back by Saturday, December 5, I'll follow up then." in note


def test_a_recruiters_own_fit_and_news_are_used(tmp_path: Path) -> None:
    write_interview(
        tmp_path,
        interview=SHARED,
        interviewers=[
            PRIYA,
            dict(
                JORDAN,
                relation="recruiter",
                fit="Moving to Lisbon is a step I have planned for.",
                new_information="I could start on the first of February.",
            ),
        ],
    )
    recruiter = bodies(preview_json(tmp_path / "interview.toml"))["jordan@lumen.example"]
    assert "Moving to Lisbon is a step I have planned for." in recruiter
    assert "I could start on the first of February." in recruiter
    assert "Meeting Priya confirmed my interest" in recruiter
    assert "arranging my interview on Wednesday" in recruiter  # one person interviewed


def test_relation_is_assumed_from_the_title_and_preview_says_so(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path,
        interview=SHARED,
        interviewers=[
            PRIYA,
            JORDAN,
            person(
                "Sam Hale",
                "sam@lumen.example",
                "how the mentoring programme pairs new hires with staff engineers",
                title="Talent Partner",
                relation="interviewer",
            ),
        ],
    )
    data = preview_json(path)
    assert [n["relation"] for n in data["notes"]] == ["interviewer", "recruiter", "interviewer"]
    assert data["assumed"] == [
        "Jordan Blake is taken as a recruiter (from the title 'Technical Recruiter'); write "
        'relation = "..." in their entry to say otherwise'
    ]
    text = run("preview", str(path)).stdout
    assert "assumed  Jordan Blake is taken as a recruiter" in text
    assert "assumed  Sam Hale" not in text  # given explicitly: nothing assumed


def test_an_unknown_relation_is_bad_input(tmp_path: Path) -> None:
    path = write_interview(tmp_path, interviewers=[dict(PRIYA, relation="boss")])
    result = run("preview", str(path))
    assert result.returncode == 2
    assert f"{path}:" in result.stderr
    assert (
        "[[interviewers]] #1 relation: 'boss' is not one of interviewer, hiring-manager, "
        "recruiter, coordinator"
    ) in result.stderr


def test_the_subject_differs_per_reader_and_names_the_role(tmp_path: Path) -> None:
    path = write_interview(tmp_path, interview=SHARED, interviewers=[PRIYA, TOMAS])
    subjects = [n["subject"] for n in preview_json(path)["notes"]]
    assert subjects == [
        "Senior Data Engineer interview: thank you, Priya",
        "Senior Data Engineer interview: thank you, Tomás",
    ]


# -- the conversation point: phrase, sentences, question -----------------------------------


OPENING = (
    "Thank you for interviewing me on Wednesday for the Senior Data Engineer role at "
    "Lumen Analytics"
)


@pytest.mark.parametrize(
    ("point", "sentence"),
    [
        (
            "The plan to make the warehouse the source of truth,",
            f"{OPENING}, and for our conversation about the plan to make the warehouse the source "
            "of truth.\n",
        ),
        (
            "We talked about your plan for the warehouse. I liked the idea of one source of truth!",
            f"{OPENING}. We talked about your plan for the warehouse. I liked the idea of one "
            "source of truth!\n",
        ),
        (
            "How would you backfill two years of events without stopping the pipeline?",
            f'{OPENING}, and for asking me, "How would you backfill two years of events without '
            'stopping the pipeline?"\n',
        ),
        (
            "You asked how I would backfill two years of events?",
            f"{OPENING}. You asked how I would backfill two years of events?\n",
        ),
        (
            "We talked about backfills. How would I do one without stopping the pipeline?",
            f"{OPENING}. We talked about backfills. How would I do one without stopping the "
            "pipeline?\n",
        ),
    ],
)
def test_a_point_is_written_as_a_phrase_sentences_or_a_question(
    tmp_path: Path, point: str, sentence: str
) -> None:
    path = write_interview(
        tmp_path, interview=SHARED, interviewers=[dict(PRIYA, conversation_point=point), TOMAS]
    )
    body = bodies(preview_json(path))["priya@lumen.example"]
    assert f"\n\n{sentence}\n" in body, body
    assert "discussion of" not in body


def test_new_information_as_a_phrase_gets_a_sentence_of_its_own(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path,
        interview=dict(SHARED, new_information="my open-source library for idempotent webhooks"),
        interviewers=[PRIYA, TOMAS],
    )
    body = bodies(preview_json(path))["priya@lumen.example"]
    assert "\nI should also have mentioned my open-source library for idempotent webhooks.\n" in (
        body
    )


# -- the personal share ------------------------------------------------------------------------


def test_the_shipped_example_has_no_warning_but_timing() -> None:
    data = preview_json(EXAMPLE)
    assert data["warnings"] == []  # the tests' clock is on time: no timing warning either
    for note in data["notes"]:
        assert note["personal_share"] >= 0.35
        assert 80 <= note["words"] <= 200
    text = run("preview", str(EXAMPLE)).stdout
    assert "warning" not in text
    assert "(recruiter; " in text and "personal share " in text


def test_a_panel_sharing_fit_and_news_with_a_phrase_each_is_warned_for_every_note(
    tmp_path: Path,
) -> None:
    """The mail merge of the issue: one shared fit, one shared new_information, a phrase each."""
    path = write_interview(tmp_path, interview=SHARED, interviewers=[PRIYA, TOMAS, JORDAN])
    result = run("preview", str(path), "--json")
    assert result.returncode == 0  # a warning, not a refusal
    data = json.loads(result.stdout)
    for note in data["notes"]:
        assert note["personal_share"] < 0.35
        first = note["name"].split()[0]
        (warning,) = [w for w in data["warnings"] if w.startswith(f"{note['name']}'s note ")]
        assert f"is {note['personal_share']:.0%} its own (below 35%)" in warning
        assert f"give {first} their own `fit` or `new_information`" in warning
        assert f"write {first}'s `conversation_point` as a sentence or two" in warning
    priya = next(w for w in data["warnings"] if w.startswith("Priya Raman"))
    assert "shares 2 of its 3 sentences of substance with Tomás Ferreira's" in priya
    shown = run("preview", str(path)).stdout
    assert shown.count("warning  ") == 3


def test_own_material_raises_the_share(tmp_path: Path) -> None:
    path = write_interview(tmp_path, interview=SHARED, interviewers=[PRIYA, TOMAS])
    before = {n["to"]: n["personal_share"] for n in preview_json(path)["notes"]}
    write_interview(
        tmp_path,
        interview=SHARED,
        interviewers=[
            PRIYA,
            dict(
                TOMAS,
                fit="Backfills are my daily work: I moved three years of clickstream into a new "
                "schema while the live pipeline kept running.",
                conversation_point="We talked about backfilling two years of events. You want the "
                "live pipeline untouched while it runs.",
            ),
        ],
    )
    after = preview_json(path)
    shares = {n["to"]: n["personal_share"] for n in after["notes"]}
    assert shares["tomas@lumen.example"] >= 0.35 > before["tomas@lumen.example"]
    assert not any(w.startswith("Tomás Ferreira") for w in after["warnings"])


def test_a_copied_sentence_with_a_word_changed_is_still_shared(tmp_path: Path) -> None:
    own = (
        "We talked about your plan to make the warehouse the source of truth for finance by "
        "next summer, and how the analysts will move off spreadsheets."
    )
    copy = own.replace("next summer", "next spring")
    path = write_interview(
        tmp_path,
        interview=SHARED,
        interviewers=[
            dict(
                PRIYA,
                conversation_point=own,
                fit="I built the finance warehouse at my last company and retired forty "
                "spreadsheets in the process.",
            ),
            dict(TOMAS, conversation_point=copy + " You also asked about backfills."),
        ],
    )
    shares = {n["to"]: n["personal_share"] for n in preview_json(path)["notes"]}
    alone = write_interview(
        tmp_path,
        "alone.toml",
        interview=SHARED,
        interviewers=[
            dict(
                PRIYA,
                conversation_point=own,
                fit="I built the finance warehouse at my last company and retired forty "
                "spreadsheets in the process.",
            ),
            dict(TOMAS, conversation_point="You also asked about backfills."),
        ],
    )
    alone_shares = {n["to"]: n["personal_share"] for n in preview_json(alone)["notes"]}
    assert shares["priya@lumen.example"] < alone_shares["priya@lumen.example"]


def test_length_warnings(tmp_path: Path) -> None:
    long_fit = " ".join(["I have run large Postgres clusters for payments companies."] * 20)
    path = write_interview(
        tmp_path,
        interview=dict(SHARED, fit=long_fit),
        interviewers=[dict(PRIYA, conversation_point="the warehouse")],
    )
    data = preview_json(path)
    (note,) = data["notes"]
    assert note["words"] > 250
    assert (
        f"Priya Raman's note has {note['words']} words; a thank-you note reads best under "
        "250: shorten the fit or new_information"
    ) in data["warnings"]
    template = tmp_path / "short.txt"
    template.write_text(
        "Subject: Thanks\n\nDear {{ interviewer.first_name }},\n\n"
        "Thank you for {{ conversation_point }}.\n\n{{ candidate.name }}\n"
    )
    data = preview_json(path, "--template", str(template))
    (note,) = data["notes"]
    assert note["words"] < 60
    assert any(
        re.match(r"Priya Raman's note has only \d+ words \(fewer than 60\)", w)
        for w in data["warnings"]
    )


def test_draft_and_send_show_the_warnings(tmp_path: Path) -> None:
    path = write_interview(tmp_path, interview=SHARED, interviewers=[PRIYA, TOMAS])
    result = run("send", str(path), "--via", "smtp", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "warning: Priya Raman's note is " in result.stderr
    assert "warning: Tomás Ferreira's note is " in result.stderr


def test_a_readers_own_template_is_theirs(tmp_path: Path) -> None:
    """A hand-written per-person template is not the template's text: it counts as theirs."""
    (tmp_path / "priya.txt").write_text(
        "Subject: Thank you, Priya\n\nDear Priya,\n\nThank you for the hour on the warehouse "
        "roadmap; I have been sketching how the finance tables could be rebuilt from the event "
        "log, and how the analysts could keep their dashboards through the move.\n\n"
        "{{ fit }}\n\nBest,\n{{ candidate.name }}\n"
    )
    path = write_interview(
        tmp_path, interview=SHARED, interviewers=[dict(PRIYA, template="priya.txt"), TOMAS]
    )
    shares = {n["to"]: n["personal_share"] for n in preview_json(path)["notes"]}
    assert shares["priya@lumen.example"] > 0.35


def test_a_follow_up_never_puts_a_sentence_point_inside_its_own_sentence(tmp_path: Path) -> None:
    """The follow-up template had the thank-you note's old bug: 'our conversation about You ...'."""
    from thanknote.followups.note import render_follow_up
    from thanknote.loader import load

    example = load(EXAMPLE)
    for person in example.interviewers:
        body = render_follow_up(example, to=person.email).body
        assert "conversation about You" not in body and "conversation about How" not in body
        assert "about We talked" not in body
    phrase = load(write_interview(tmp_path, interview=SHARED, interviewers=[PRIYA, TOMAS]))
    body = render_follow_up(phrase, to=PRIYA["email"]).body
    assert (
        "I enjoyed our conversation about the plan to make the warehouse the source of "
        "truth for finance."
    ) in body
