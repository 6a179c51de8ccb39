# ruff: noqa: S105, S106, S107 -- fake credentials, by design
"""Shared set-up for the Gmail tests: a token file aimed at the fake, and CLI shortcuts."""

from __future__ import annotations

import email.policy
import json
import os
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from typer.testing import CliRunner, Result

from tests.gmail_server import GMAIL_COMPOSE_SCOPE, FakeGmail
from thanknote.cli import app

if TYPE_CHECKING:
    from thanknote.message import Prepared

GRACE = "grace@analytical.example"
ALAN = "alan@analytical.example"
SECRETS = ("access-1", "refresh-1", "csecret")

runner = CliRunner()


def token_path() -> Path:
    return Path(os.environ["THANKNOTE_GMAIL_TOKEN"])


def write_token(
    fake: FakeGmail,
    *,
    expires_in: timedelta = timedelta(hours=1),
    token: str | None = "access-1",
    refresh_token: str | None = "refresh-1",
    scopes: list[str] | None = None,
    mode: int = 0o600,
) -> Path:
    """A token file in ``Credentials.to_json()`` form whose token_uri is the fake's /token."""
    from google.oauth2.credentials import Credentials

    credentials = Credentials(  # type: ignore[no-untyped-call]  # google-auth: untyped __init__
        token=token,
        refresh_token=refresh_token,
        token_uri=f"{fake.url}/token",
        client_id="cid",
        client_secret="csecret",
        scopes=scopes if scopes is not None else [GMAIL_COMPOSE_SCOPE],
        expiry=(datetime.now(UTC) + expires_in).replace(tzinfo=None),
    )
    path = token_path()
    path.write_text(credentials.to_json(), encoding="utf-8")  # type: ignore[no-untyped-call]
    path.chmod(mode)
    return path


def invoke(*args: str, fake: FakeGmail | None = None, env: dict[str, str] | None = None) -> Result:
    environment = dict(env or {})
    if fake is not None:
        environment.setdefault("THANKNOTE_GMAIL_ENDPOINT", fake.url)
    return runner.invoke(app, list(args), env=environment)


def log_records() -> list[dict[str, Any]]:
    result = invoke("log", "--json")
    assert result.exit_code == 0, result.output
    records: list[dict[str, Any]] = json.loads(result.stdout)
    return records


def latest_by_recipient() -> dict[str, dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for record in log_records():
        latest[record["to"]] = record  # records come oldest first
    return latest


def parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def recipients(raw: bytes) -> list[str]:
    message = parse(raw)
    found = [address.addr_spec for address in message["to"].addresses]
    for header in ("cc", "bcc"):
        assert header not in message
    return found


def endpoints(fake: FakeGmail) -> list[str | None]:
    return [r.endpoint for r in fake.requests]


def prepared_notes(interview: Path) -> dict[str, Prepared]:
    """The interview's notes as built messages, by recipient (what the batch hands a sender)."""
    from thanknote import clock, loader
    from thanknote.message import build
    from thanknote.render import render_notes

    interview_file = loader.load(interview)
    candidate = interview_file.candidate
    return {
        note.to: build(
            note, sender_name=candidate.name, sender_address=candidate.email, date=clock.now()
        )
        for note in render_notes(interview_file)
    }
