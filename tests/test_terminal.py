"""What the terminal says, through the installed ``thanknote`` script (issue: true,
consistent and readable at 80 columns).

Every command here is a real process with standard input closed (not a terminal),
against the loopback SMTP server of tests/smtp_server.py, which counts connections.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, thanknote_executable
from tests.helpers import CONVERSATION_POINTS, interview_toml, write_interview
from tests.smtp_server import DEFAULT_PASSWORD, SMTPTestServer
from thanknote.senders.smtp.connection_settings import SmtpSettings
from thanknote.senders.smtp.login import login_hint as _login_hint
from thanknote.values import Security

GRACE = "grace@analytical.example"
ALAN = "alan@analytical.example"
EDSGER = "edsger@analytical.example"


def run(
    *args: str, env: dict[str, str] | None = None, stdin: int | None = subprocess.DEVNULL
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COLUMNS": "80", **(env or {})}
    result = subprocess.run(
        [thanknote_executable(), *args],
        capture_output=True,
        text=True,
        env=environment,
        stdin=stdin,
        timeout=120,
    )
    assert DEFAULT_PASSWORD not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result


def smtp(server: SMTPTestServer, *, cafile: Path | None = None) -> list[str]:
    assert server.cert is not None
    return [
        "--via",
        "smtp",
        "--smtp-host",
        server.host,
        "--smtp-port",
        str(server.port),
        "--smtp-security",
        "starttls",
        "--smtp-cafile",
        str(cafile or server.cert),
    ]


def send(
    server: SMTPTestServer, file: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run(
        "send",
        str(file),
        *smtp(server),
        "--yes",
        *extra,
        env={"THANKNOTE_SMTP_PASSWORD": DEFAULT_PASSWORD, **(env or {})},
    )


def three(tmp_path: Path) -> Path:
    return write_interview(
        tmp_path,
        interviewers=[
            {"name": "Grace Hopper", "email": GRACE, "conversation_point": CONVERSATION_POINTS[0]},
            {"name": "Alan Turing", "email": ALAN, "conversation_point": CONVERSATION_POINTS[1]},
            {
                "name": "Edsger Dijkstra",
                "email": EDSGER,
                "conversation_point": CONVERSATION_POINTS[2],
            },
        ],
    )


# -- thanknote log at 80 columns ------------------------------------------------------------


def test_log_at_80_columns_shows_every_row_whole(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    file = three(tmp_path)
    server.fail_rcpt(ALAN, 550, times=None)
    server.drop_after_data(EDSGER)
    assert send(server, file).returncode == 1
    server.clear_faults()
    followup = run(
        "followup",
        str(file),
        *smtp(server),
        "--early",
        "--yes",
        env={
            "THANKNOTE_SMTP_PASSWORD": DEFAULT_PASSWORD,
            "THANKNOTE_NOW": "2026-11-30T10:00:00-05:00",
        },
    )
    assert followup.returncode == 0, followup.stderr

    shown = run("log")
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    lines = out.splitlines()
    assert "…" not in out and "\x1b" not in out  # nothing cut; plain text off a terminal
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    assert lines[0] == "Analytical Engines Ltd / Senior Backend Engineer"
    assert lines[1].startswith("interview Wed 25 Nov 2026 14:00")

    def row(name: str, address: str, status: str) -> int:
        """The line of this reader's row (name and address may wrap onto the next line)."""
        for number, line in enumerate(lines):
            if line.split()[:1] == [status] and name in line:
                following = line + " " + (lines[number + 1] if number + 1 < len(lines) else "")
                assert f"<{address}>" in following
                return number
        raise AssertionError(f"no {status} row for {name}:\n{out}")

    grace = row("Grace Hopper", GRACE, "sent")
    assert "1.5 h" in lines[grace]
    alan = row("Alan Turing", ALAN, "failed")
    assert "why:" in out and "550" in out and "mailbox unavailable" in out
    edsger = row("Edsger Dijkstra", EDSGER, "unknown")
    after_edsger = " ".join(line.strip() for line in lines[edsger + 1 : edsger + 8])
    assert "lost after the message was sent" in after_edsger
    assert f"--resend {EDSGER}" in after_edsger
    assert alan < edsger
    follow = lines.index("  follow-up notes:")
    assert follow > edsger
    assert lines[follow + 1].split()[0] == "sent" and "Grace Hopper" in lines[follow + 1]


def test_log_json_is_one_list_with_hours_after_end(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    file = three(tmp_path)
    assert send(smtp_starttls_server, file).returncode == 0
    shown = run("log", "--json")
    records = json.loads(shown.stdout)
    # Streamed record by record, yet the bytes of one json.dumps of the list.
    assert shown.stdout == json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    assert [r["to"] for r in records] == [GRACE, ALAN, EDSGER]
    for record in records:
        assert record["hours_after_interview"] == 3.0  # from the start, as before
        assert record["hours_after_end"] == 1.5


def test_log_of_a_file_never_sent_and_an_empty_log() -> None:
    assert run("log", "--json").stdout == "[]\n"
    assert "nothing drafted or sent yet" in run("log").stdout


# 20.25 h is a rounding edge: the log must not round it another way than send did.
@pytest.mark.parametrize(
    ("now", "figure"),
    [("2026-11-26T11:48:00-05:00", "20.3"), ("2026-11-26T11:45:00-05:00", "20.2")],
)
def test_send_and_log_say_the_same_hours(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path, now: str, figure: str
) -> None:
    file = write_interview(tmp_path)
    # The 90-minute interview ended at 15:30 -05:00.
    sent = send(smtp_starttls_server, file, env={"THANKNOTE_NOW": now})
    assert sent.returncode == 0, sent.stderr
    said = re.search(r"timing: sent (\d+\.\d) h after the interview ended: on time", sent.stdout)
    assert said is not None, sent.stdout
    assert said.group(1) == figure
    shown = run("log").stdout
    assert shown.count(f" {figure} h ") == 2, shown
    assert "after the interview ended" not in sent.stderr  # on time: no warning


def test_a_late_send_is_said_once_in_the_same_measure(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    file = write_interview(tmp_path)
    late = {"THANKNOTE_NOW": "2026-11-28T09:30:00-05:00"}  # 66 h after the end
    planned = run("send", str(file), *smtp(smtp_starttls_server), "--dry-run", env=late)
    assert (
        "timing: if sent now, it would be 66.0 h after the interview ended, 42.0 h past "
        "the 24 h the protocol asks for"
    ) in planned.stdout
    sent = send(smtp_starttls_server, file, env=late)
    assert sent.returncode == 0
    assert sent.stderr.count("sent 66.0 h after the interview ended, 42.0 h past") == 1
    assert "66.0 h late" in run("log").stdout


def test_preview_phrases_a_late_send_as_hypothetical(monkeypatch: pytest.MonkeyPatch) -> None:
    shown = run("preview", str(EXAMPLE), env={"THANKNOTE_NOW": "2026-12-01T03:30:00-05:00"})
    assert (
        "warning  if sent now, it would be 132.0 h after the interview ended, 108.0 h past "
        "the 24 h the protocol asks for"
    ) in shown.stdout
    assert "a send now would be late" not in shown.stdout


# -- the pinned clock -------------------------------------------------------------------------


def test_pinned_clock_refuses_unattended_real_delivery(tmp_path: Path) -> None:
    file = write_interview(tmp_path)
    refused = run(
        "send",
        str(file),
        "--via",
        "smtp",
        "--smtp-host",
        "smtp.example.com",
        "--yes",
        env={"THANKNOTE_SMTP_PASSWORD": "x"},
    )
    assert refused.returncode == 2
    assert "THANKNOTE_NOW is set" in refused.stderr
    assert "THANKNOTE_ALLOW_PINNED_CLOCK=1" in refused.stderr
    assert not (tmp_path / "sends.sqlite3").exists()  # nothing claimed, nothing connected


def test_pinned_clock_override_lets_the_delivery_go_on(tmp_path: Path) -> None:
    file = write_interview(tmp_path)
    # Gmail's real endpoint: without a token the run stops at the sign-in check, which
    # comes after the pinned-clock rule and before any connection.
    gmail = {"THANKNOTE_GMAIL_ENDPOINT": "https://gmail.example.com/"}
    refused = run("send", str(file), "--via", "gmail", "--yes", env=gmail)
    assert refused.returncode == 2 and "THANKNOTE_NOW is set" in refused.stderr
    allowed = run(
        "send",
        str(file),
        "--via",
        "gmail",
        "--yes",
        env={**gmail, "THANKNOTE_ALLOW_PINNED_CLOCK": "1"},
    )
    assert "THANKNOTE_NOW is set (a pinned clock" not in allowed.stderr
    assert "thanknote auth" in allowed.stderr
    assert "note: THANKNOTE_NOW pins the clock:" in allowed.stderr


def test_pinned_clock_on_loopback_delivers_and_says_so(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    sent = send(smtp_starttls_server, write_interview(tmp_path))
    assert sent.returncode == 0
    assert (
        "note: THANKNOTE_NOW pins the clock: Date: and the log say 2026-11-25 22:00 UTC"
        in sent.stderr
    )
    assert len(smtp_starttls_server.messages) == 2


def test_pinned_clock_is_said_before_the_question(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    file = write_interview(tmp_path)
    leader, follower = os.openpty()
    try:
        os.write(leader, b"n\n")
        asked = run(
            "send",
            str(file),
            *smtp(smtp_starttls_server),
            stdin=follower,
            env={"THANKNOTE_SMTP_PASSWORD": DEFAULT_PASSWORD},
        )
    finally:
        os.close(leader)
        os.close(follower)
    assert asked.returncode == 0, asked.stderr
    out = asked.stdout
    assert out.index("note: THANKNOTE_NOW pins the clock") < out.index("Send these 2 note(s)")
    assert "nothing sent" in out
    assert smtp_starttls_server.connections == 0


def test_dry_run_says_the_pinned_clock_and_where_it_would_send(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    planned = run("send", str(write_interview(tmp_path)), *smtp(server), "--dry-run")
    assert planned.returncode == 0, planned.stderr
    assert (
        f"via smtp: host {server.host}, port {server.port}, security starttls, login "
        "ada@example.com"
    ) in planned.stdout
    assert (
        "note: THANKNOTE_NOW pins the clock: Date: and the log say 2026-11-25 22:00 UTC"
        in planned.stdout
    )
    assert server.connections == 0


def test_banner_says_no_login_without_security(tmp_path: Path) -> None:
    planned = run(
        "send",
        str(write_interview(tmp_path)),
        "--via",
        "smtp",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        "2525",
        "--smtp-security",
        "none",
        "--dry-run",
    )
    assert planned.returncode == 0, planned.stderr
    assert "host 127.0.0.1, port 2525, security none (no encryption), no login" in planned.stdout
    assert "login ada@" not in planned.stdout


# -- --smtp-cafile ------------------------------------------------------------------------------


def bad_cafiles(tmp_path: Path, server: SMTPTestServer) -> dict[str, tuple[Path, str]]:
    key = tmp_path / "server-key.pem"
    assert server.cert is not None
    key.write_bytes(b"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg==\n-----END PRIVATE KEY-----\n")
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(b"this is not a certificate\n")
    folder = tmp_path / "certs"
    folder.mkdir()
    return {
        "key": (key, "is a private key"),
        "garbage": (garbage, "is not a PEM certificate"),
        "directory": (folder, "is a directory"),
    }


@pytest.mark.parametrize("kind", ["key", "garbage", "directory"])
def test_a_bad_cafile_is_bad_input_before_any_connection(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path, kind: str
) -> None:
    server = smtp_starttls_server
    path, words = bad_cafiles(tmp_path, server)[kind]
    result = send(server, write_interview(tmp_path), "--smtp-cafile", str(path))
    assert result.returncode == 2, result.stderr
    assert f"--smtp-cafile {path}: {words}" in result.stderr
    assert "cannot connect" not in result.stderr
    assert server.connections == 0
    assert not (tmp_path / "sends.sqlite3").exists()


def test_a_bad_cafile_is_reported_when_every_note_is_already_sent(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    file = write_interview(tmp_path)
    assert send(server, file).returncode == 0
    assert server.connections == 1
    path, words = bad_cafiles(tmp_path, server)["garbage"]
    again = send(server, file, "--smtp-cafile", str(path))
    assert again.returncode == 2
    assert words in again.stderr
    assert server.connections == 1


# -- preview's plan -----------------------------------------------------------------------------


def test_preview_says_what_send_would_do_with_each_note(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    file = three(tmp_path)
    before = run("preview", str(file)).stdout
    assert "plan     send:   Grace Hopper <grace@analytical.example>" in before
    server.drop_after_data(EDSGER)
    assert send(server, file).returncode == 1
    after = run("preview", str(file))
    assert after.returncode == 0
    out = after.stdout
    assert (
        "plan     skip:   Grace Hopper <grace@analytical.example>: already sent "
        "2026-11-25 22:00 UTC via smtp"
    ) in out
    assert "plan     skip:   Alan Turing <alan@analytical.example>: already sent" in out
    assert "plan     refuse: Edsger Dijkstra <edsger@analytical.example>: unknown:" in out
    assert "no earlier notes for this interview" not in out
    assert "send log: 3 earlier note(s) of this interview" in out
    plan = json.loads(run("preview", str(file), "--json").stdout)["plan"]
    assert [(p["to"], p["action"]) for p in plan] == [
        (GRACE, "skip"),
        (ALAN, "skip"),
        (EDSGER, "refuse"),
    ]


# -- batch-wide refusals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message", "words", "change"),
    [
        (
            552,
            "5.3.4 Message size exceeds fixed limit",
            "refuses messages of this size",
            "ask your provider for its limit",
        ),
        (
            550,
            "5.7.60 SMTP; Client does not have permissions to send as this sender",
            "will not take mail from ada@example.com for the login",
            "--smtp-user",
        ),
    ],
)
def test_a_batch_wide_refusal_is_said_once(
    smtp_starttls_server: SMTPTestServer,
    tmp_path: Path,
    code: int,
    message: str,
    words: str,
    change: str,
) -> None:
    server = smtp_starttls_server
    file = three(tmp_path)
    for address in (GRACE, ALAN, EDSGER):
        server.fail_data(address, code, times=None, message=message)
    result = send(server, file)
    assert result.returncode == 1
    assert result.stderr.count(words) == 1, result.stderr
    assert change in result.stderr
    assert "not every note went out" not in result.stderr
    assert "not tried" in result.stdout
    assert server.messages == []


def test_the_app_password_hint_is_for_gmail_only() -> None:
    def settings(host: str) -> SmtpSettings:
        return SmtpSettings(
            host=host,
            port=465,
            security=Security.SSL,
            user="ada@example.com",
            password="",
            sender="ada@example.com",
        )

    assert "myaccount.google.com/apppasswords" in _login_hint(settings("smtp.gmail.com"))
    elsewhere = _login_hint(settings("smtp.fastmail.com"))
    assert "google" not in elsewhere.casefold() and "--smtp-user" in elsewhere


# -- files ----------------------------------------------------------------------------------------


def test_a_file_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + interview_toml().encode("utf-8"))
    shown = run("preview", str(path))
    assert shown.returncode == 0, shown.stderr
    assert "To:      Grace Hopper <grace@analytical.example>" in shown.stdout


@pytest.mark.parametrize(
    "tag",
    ['{% include "signature.txt" %}', '{% import "macros.txt" as m %}', '{% extends "base.txt" %}'],
)
def test_a_template_that_pulls_in_another_is_bad_input(tmp_path: Path, tag: str) -> None:
    (tmp_path / "signature.txt").write_text("Ada\n")
    template = tmp_path / "note.txt"
    template.write_text(
        "Subject: Thank you, {{ interviewer.first_name }}\n\n"
        "Dear {{ interviewer.first_name }},\n" + tag + "\n"
    )
    shown = run("preview", str(write_interview(tmp_path)), "--template", str(template))
    assert shown.returncode == 2
    keyword = tag.split()[1]
    assert f"{template}:4: {{% {keyword}" in shown.stderr
    assert "not supported" in shown.stderr and "TypeError" not in shown.stderr
