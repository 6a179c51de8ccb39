"""Small builders for interview files used across the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CONVERSATION_POINTS = [
    "your plan to move billing onto an event log and replay a month of invoices",
    "the flaky settlement tests and recording production traffic to drive them",
    "how the on-call rotation shares context across three time zones",
    "why the search cluster is moving off Elasticsearch next spring",
    "the mentoring programme pairing new hires with staff engineers",
]


def toml_value(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return str(value)


def interview_toml(
    *,
    interviewers: list[dict[str, Any]] | None = None,
    candidate: dict[str, Any] | None = None,
    interview: dict[str, Any] | None = None,
    extra: str = "",
) -> str:
    candidate = {"name": "Ada Lovelace", "email": "ada@example.com", **(candidate or {})}
    interview_fields: dict[str, Any] = {
        "company": "Analytical Engines Ltd",
        "role": "Senior Backend Engineer",
        "starts_at": "2026-11-25T14:00:00-05:00",
        "duration_minutes": 90,
        "fit": "My five years running Postgres for a payments company map closely onto "
        "what you described.",
        "new_information": "I also maintain an open-source library for idempotent webhooks.",
        **(interview or {}),
    }
    if interviewers is None:
        interviewers = [
            {
                "name": "Grace Hopper",
                "email": "grace@analytical.example",
                "title": "Engineering Manager",
                "conversation_point": CONVERSATION_POINTS[0],
            },
            {
                "name": "Alan Turing",
                "email": "alan@analytical.example",
                "title": "Staff Engineer",
                "conversation_point": CONVERSATION_POINTS[1],
            },
        ]
    lines = ["[candidate]"]
    lines += [f"{k} = {toml_value(v)}" for k, v in candidate.items() if v is not None]
    lines += ["", "[interview]"]
    for key, value in interview_fields.items():
        if value is None:
            continue
        if key in ("starts_at", "follow_up_on") and isinstance(value, str):
            lines.append(f"{key} = {value}")  # TOML date-times are bare
        else:
            lines.append(f"{key} = {toml_value(value)}")
    for person in interviewers:
        lines += ["", "[[interviewers]]"]
        lines += [f"{k} = {toml_value(v)}" for k, v in person.items() if v is not None]
    return "\n".join(lines) + "\n" + extra


def write_interview(directory: Path, name: str = "interview.toml", **kwargs: Any) -> Path:
    path = directory / name
    path.write_text(interview_toml(**kwargs), encoding="utf-8")
    return path
