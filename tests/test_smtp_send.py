"""``thanknote send --via smtp`` through the real CLI against a real SMTP server.

Every test drives Typer's CliRunner against tests/smtp_server.py (aiosmtpd on
127.0.0.1 with a self-signed certificate, STARTTLS or implicit TLS, AUTH) and
checks three things the user cannot see directly: what the server received,
how many connections and logins it took, and what the send log says. The
SMTP password must never appear in anything the command prints.
"""

from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from tests.helpers import CONVERSATION_POINTS, write_interview
from tests.smtp_server import DEFAULT_PASSWORD, DEFAULT_USERNAME, SMTPTestServer
from tests.test_smtp_sender import certificate_for
from thanknote.cli import app

GRACE = "grace@analytical.example"
ALAN = "alan@analytical.example"
EDSGER = "edsger@analytical.example"
WRONG_PASSWORD = "not-the-Right-pass-7431"  # noqa: S105 - a test credential
SECRETS = (DEFAULT_PASSWORD, WRONG_PASSWORD)

runner = CliRunner()


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    result = runner.invoke(app, list(args), env=env)
    for secret in SECRETS:
        assert secret not in result.output, f"a password was printed: {result.output}"
    return result


def send(
    server: SMTPTestServer,
    file: Path,
    *args: str,
    password: str = DEFAULT_PASSWORD,
    security: str = "starttls",
    cafile: bool = True,
    yes: bool = True,
    env: dict[str, str] | None = None,
) -> Result:
    """``thanknote send FILE --via smtp`` aimed at ``server``."""
    command = [
        "send",
        str(file),
        "--via",
        "smtp",
        "--smtp-host",
        server.host,
        "--smtp-port",
        str(server.port),
        "--smtp-security",
        security,
    ]
    if cafile:
        assert server.cert is not None
        command += ["--smtp-cafile", str(server.cert)]
    if yes:
        command.append("--yes")
    return invoke(*command, *args, env={"THANKNOTE_SMTP_PASSWORD": password, **(env or {})})


def log_json(file: Path | None = None) -> list[dict[str, Any]]:
    result = invoke("log", "--json", *([str(file)] if file else []))
    assert result.exit_code == 0, result.output
    records: list[dict[str, Any]] = json.loads(result.stdout)
    return records


def latest(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The newest record of each address (every attempt is its own record)."""
    return {record["to"]: record for record in records}


def three_interviewers() -> list[dict[str, str]]:
    return [
        {"name": "Grace Hopper", "email": GRACE, "conversation_point": CONVERSATION_POINTS[0]},
        {"name": "Alan Turing", "email": ALAN, "conversation_point": CONVERSATION_POINTS[1]},
        {"name": "Edsger Dijkstra", "email": EDSGER, "conversation_point": CONVERSATION_POINTS[2]},
    ]


@pytest.fixture
def interview(tmp_path: Path) -> Path:
    return write_interview(tmp_path)


# -- the happy path -------------------------------------------------------------------------


def test_batch_of_three_uses_one_connection_and_one_login(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    file = write_interview(tmp_path, interviewers=three_interviewers())
    result = send(server, file)
    assert result.exit_code == 0, result.output
    assert server.connections == 1
    assert server.logins == 1
    assert [m.rcpt_tos for m in server.messages] == [[GRACE], [ALAN], [EDSGER]]
    for received in server.messages:
        assert received.tls and received.username == DEFAULT_USERNAME
        assert received.mail_from == "ada@example.com"
        parsed = received.parsed()
        assert [a.addr_spec for a in parsed["To"].addresses] == received.rcpt_tos
        assert parsed["Cc"] is None and parsed["Bcc"] is None
        assert parsed["Message-ID"] and parsed["Date"]
    # Progress, then a summary naming the log.
    out = result.stdout
    assert "[1/3] sent: Grace Hopper <grace@analytical.example>" in out
    assert "[2/3] sent: Alan Turing <alan@analytical.example>" in out
    assert "[3/3] sent: Edsger Dijkstra <edsger@analytical.example>" in out
    assert f"3 sent; log: {tmp_path / 'sends.sqlite3'}" in out


def test_log_json_records_each_note(smtp_starttls_server: SMTPTestServer, interview: Path) -> None:
    server = smtp_starttls_server
    assert send(server, interview).exit_code == 0
    records = log_json()
    assert [r["to"] for r in records] == [GRACE, ALAN]
    message_ids = {m.parsed()["Message-ID"] for m in server.messages}
    for record in records:
        assert record["status"] == "sent"
        assert record["via"] == "smtp"
        assert record["kind"] == "thank-you"
        assert record["interview_at"] == "2026-11-25T14:00:00-05:00"
        assert record["sent_at"] == "2026-11-25T17:00:00-05:00"
        assert isinstance(record["hours_after_interview"], float)
        assert record["hours_after_interview"] == 3.0
        assert record["on_time"] is True
        assert record["gmail_id"] is None
        assert record["message_id"] in message_ids
    assert log_json(interview) == records


def test_implicit_tls_is_the_default_security(
    smtp_ssl_server: SMTPTestServer, interview: Path
) -> None:
    server = smtp_ssl_server
    assert server.cert is not None
    result = invoke(
        "send",
        str(interview),
        "--via",
        "smtp",
        "--yes",
        "--smtp-host",
        server.host,
        "--smtp-port",
        str(server.port),
        "--smtp-cafile",
        str(server.cert),
        env={"THANKNOTE_SMTP_PASSWORD": DEFAULT_PASSWORD},
    )
    assert result.exit_code == 0, result.output
    assert (server.connections, server.logins) == (1, 1)
    assert [m.rcpt_tos for m in server.messages] == [[GRACE], [ALAN]]
    assert all(m.tls for m in server.messages)


def test_settings_from_environment_variables(
    smtp_certificate: tuple[Path, Path], interview: Path
) -> None:
    cert, key = smtp_certificate
    with SMTPTestServer("starttls", cert, key, username="login-name") as server:
        result = invoke(
            "send",
            str(interview),
            "--via",
            "smtp",
            "--yes",
            env={
                "THANKNOTE_SMTP_HOST": "localhost",
                "THANKNOTE_SMTP_PORT": str(server.port),
                "THANKNOTE_SMTP_SECURITY": "starttls",
                "THANKNOTE_SMTP_USER": "login-name",
                "THANKNOTE_SMTP_CAFILE": str(cert),
                "THANKNOTE_SMTP_PASSWORD": DEFAULT_PASSWORD,
            },
        )
        assert result.exit_code == 0, result.output
        assert [m.username for m in server.messages] == ["login-name", "login-name"]
        # The login name is not the sender: From and MAIL FROM stay the candidate's.
        assert {m.mail_from for m in server.messages} == {"ada@example.com"}


def test_smtp_user_option(smtp_certificate: tuple[Path, Path], interview: Path) -> None:
    cert, key = smtp_certificate
    with SMTPTestServer("starttls", cert, key, username="someone-else") as server:
        result = send(server, interview, "--smtp-user", "someone-else")
        assert result.exit_code == 0, result.output
        assert server.logins == 1 and len(server.messages) == 2


def test_plaintext_is_allowed_on_loopback(
    smtp_plain_server: SMTPTestServer, interview: Path
) -> None:
    server = smtp_plain_server
    result = send(server, interview, security="none", cafile=False)
    assert result.exit_code == 0, result.output
    assert [m.rcpt_tos for m in server.messages] == [[GRACE], [ALAN]]
    assert not any(m.tls for m in server.messages)


def test_only_limits_the_batch(smtp_starttls_server: SMTPTestServer, interview: Path) -> None:
    server = smtp_starttls_server
    result = send(server, interview, "--only", "ALAN@analytical.example")
    assert result.exit_code == 0, result.output
    assert [m.rcpt_tos for m in server.messages] == [[ALAN]]
    assert [r["to"] for r in log_json()] == [ALAN]
    assert "[1/1] sent: Alan Turing" in result.stdout


def test_only_an_unknown_address_is_bad_input(
    smtp_starttls_server: SMTPTestServer, interview: Path
) -> None:
    result = send(smtp_starttls_server, interview, "--only", "nobody@analytical.example")
    assert result.exit_code == 2
    assert "nobody@analytical.example" in result.stderr
    assert smtp_starttls_server.connections == 0


def test_rerun_skips_and_reports_what_was_sent(
    smtp_starttls_server: SMTPTestServer, interview: Path
) -> None:
    server = smtp_starttls_server
    assert send(server, interview).exit_code == 0
    again = send(server, interview)
    assert again.exit_code == 0, again.output
    assert len(server.messages) == 2
    assert server.connections == 1  # nothing to send: no connection at all
    sent_at = "already sent 2026-11-25 22:00 UTC via smtp"
    assert f"skipped: Grace Hopper <{GRACE}>: {sent_at}" in again.stdout
    assert f"skipped: Alan Turing <{ALAN}>: {sent_at}" in again.stdout
    assert "2 skipped" in again.stdout


def test_resend_sends_one_note_again_on_purpose(
    smtp_starttls_server: SMTPTestServer, interview: Path
) -> None:
    server = smtp_starttls_server
    assert send(server, interview).exit_code == 0
    again = send(server, interview, "--resend", GRACE)
    assert again.exit_code == 0, again.output
    assert [m.rcpt_tos for m in server.messages] == [[GRACE], [ALAN], [GRACE]]
    assert "1 sent, 1 skipped" in again.stdout


# -- asking first, dry runs --------------------------------------------------------------------


def test_no_terminal_and_no_yes_sends_nothing(
    smtp_starttls_server: SMTPTestServer, interview: Path
) -> None:
    server = smtp_starttls_server
    result = send(server, interview, yes=False)
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    assert server.connections == 0 and server.messages == []
    assert log_json() == []


def test_dry_run_touches_nothing(
    smtp_starttls_server: SMTPTestServer, interview: Path, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    result = send(server, interview, "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"would send: Grace Hopper <{GRACE}>" in result.stdout
    assert f"would send: Alan Turing <{ALAN}>" in result.stdout
    assert server.connections == 0
    assert not (tmp_path / "sends.sqlite3").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "interview.toml"]


def test_dry_run_after_a_send_shows_the_skips_and_changes_nothing(
    smtp_starttls_server: SMTPTestServer, interview: Path, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    assert send(server, interview, "--only", GRACE).exit_code == 0
    before = log_json()
    result = send(server, interview, "--dry-run")
    assert result.exit_code == 0, result.output
    sent_at = "already sent 2026-11-25 22:00 UTC via smtp"
    assert f"skip: Grace Hopper <{GRACE}>: {sent_at}" in result.stdout
    assert f"would send: Alan Turing <{ALAN}>" in result.stdout
    assert server.connections == 1 and len(server.messages) == 1
    assert log_json() == before


# -- settings refused before any connection ------------------------------------------------------


@pytest.mark.parametrize("host", ["192.0.2.1", "mail.example.com", "127.0.0.1.nip.io"])
def test_plaintext_to_a_remote_host_is_refused_before_connecting(
    host: str, interview: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[object] = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: attempts.append(a))
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: attempts.append(a))
    started = time.monotonic()
    result = invoke(
        "send",
        str(interview),
        "--via",
        "smtp",
        "--yes",
        "--smtp-host",
        host,
        "--smtp-security",
        "none",
        env={"THANKNOTE_SMTP_PASSWORD": DEFAULT_PASSWORD},
    )
    # 192.0.2.1 (TEST-NET-1) never answers: a connection attempt would hang
    # for the timeout, and a DNS lookup of the other names would be slow too.
    assert time.monotonic() - started < 5
    assert result.exit_code == 2
    assert "--smtp-security none" in result.stderr and host in result.stderr
    assert attempts == []  # not even a DNS lookup
    assert not (tmp_path / "sends.sqlite3").exists()


def test_no_password_and_no_terminal_is_bad_input(
    smtp_starttls_server: SMTPTestServer, interview: Path
) -> None:
    server = smtp_starttls_server
    result = send(server, interview, password="")
    assert result.exit_code == 2
    assert "THANKNOTE_SMTP_PASSWORD" in result.stderr
    assert server.connections == 0


def test_password_is_never_an_option(smtp_starttls_server: SMTPTestServer, interview: Path) -> None:
    result = send(smtp_starttls_server, interview, "--smtp-password", DEFAULT_PASSWORD)
    assert result.exit_code == 2
    assert smtp_starttls_server.connections == 0
    options = re.findall(r"--[a-z][a-z-]*", invoke("send", "--help").stdout)
    assert "--smtp-host" in options
    assert not [option for option in options if "pass" in option]


def test_missing_cafile_is_bad_input(
    smtp_starttls_server: SMTPTestServer, interview: Path, tmp_path: Path
) -> None:
    result = invoke(
        "send",
        str(interview),
        "--via",
        "smtp",
        "--yes",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(smtp_starttls_server.port),
        "--smtp-security",
        "starttls",
        "--smtp-cafile",
        str(tmp_path / "missing.pem"),
        env={"THANKNOTE_SMTP_PASSWORD": DEFAULT_PASSWORD},
    )
    assert result.exit_code == 2
    assert "missing.pem" in result.stderr
    assert smtp_starttls_server.connections == 0


# -- failures ------------------------------------------------------------------------------------


def test_wrong_password_fails_cleanly(
    smtp_starttls_server: SMTPTestServer, interview: Path
) -> None:
    server = smtp_starttls_server
    result = send(server, interview, password=WRONG_PASSWORD)
    assert result.exit_code == 1
    assert "refused the login for ada@example.com" in result.stderr
    assert "nothing was sent" in result.stderr
    # The one hint, provider-neutral: this server is not Gmail's.
    assert "app-specific password" in result.stderr
    assert "myaccount.google.com" not in result.stderr
    assert "Traceback" not in result.output
    assert server.messages == [] and server.logins == 0
    # One attempt, not one per mechanism the server offers: providers lock accounts
    # after a few failed logins.
    assert server.failed_logins == 1
    assert [r["status"] for r in log_json()] == []


def test_non_ascii_password_fails_cleanly(
    smtp_starttls_server: SMTPTestServer, interview: Path
) -> None:
    password = "pässwörd-Ünïcode-99"  # noqa: S105 - a test credential
    result = send(smtp_starttls_server, interview, password=password)
    assert result.exit_code == 1
    assert "ASCII" in result.stderr
    assert password not in result.output and "ä" not in result.output
    assert smtp_starttls_server.messages == []


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_untrusted_certificate_is_refused(
    mode: str, smtp_certificate: tuple[Path, Path], interview: Path
) -> None:
    cert, key = smtp_certificate
    with SMTPTestServer(mode, cert, key) as server:  # type: ignore[arg-type]
        result = send(server, interview, security=mode, cafile=False)
        assert result.exit_code == 1
        assert f"the certificate of 127.0.0.1:{server.port} is not trusted" in result.stderr
        assert "--smtp-cafile" in result.stderr
        assert "Traceback" not in result.output
        assert server.logins == 0 and server.messages == []
    assert log_json() == []


def test_host_name_must_match_the_certificate(tmp_path: Path, interview: Path) -> None:
    # A certificate from a trusted CA, but for another name than the one dialled.
    cert, key = certificate_for(tmp_path / "other", "mail.example.org")
    with SMTPTestServer("starttls", cert, key) as server:
        result = send(server, interview)  # --smtp-cafile trusts it; the name does not match
        assert result.exit_code == 1
        assert "is not trusted" in result.stderr and "mismatch" in result.stderr
        assert server.logins == 0 and server.messages == []


def test_starttls_against_a_server_without_it(
    smtp_plain_server: SMTPTestServer, interview: Path
) -> None:
    result = send(smtp_plain_server, interview, cafile=False)
    assert result.exit_code == 1
    assert "does not offer STARTTLS" in result.stderr
    assert smtp_plain_server.messages == []


def test_nothing_listening(interview: Path, smtp_starttls_server: SMTPTestServer) -> None:
    port = smtp_starttls_server.port
    smtp_starttls_server.stop()
    result = invoke(
        "send",
        str(interview),
        "--via",
        "smtp",
        "--yes",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(port),
        "--smtp-security",
        "starttls",
        env={"THANKNOTE_SMTP_PASSWORD": DEFAULT_PASSWORD},
    )
    assert result.exit_code == 1
    assert f"cannot connect to 127.0.0.1:{port}" in result.stderr
    assert log_json() == []


def test_a_451_at_rcpt_is_retried_and_delivered_once(
    smtp_starttls_server: SMTPTestServer, interview: Path
) -> None:
    server = smtp_starttls_server
    server.fail_rcpt(ALAN, code=451, times=2)
    result = send(server, interview)
    assert result.exit_code == 0, result.output
    assert [m.rcpt_tos for m in server.messages] == [[GRACE], [ALAN]]
    assert (server.connections, server.logins) == (1, 1)  # 4xx retried on the same session
    assert {r["status"] for r in log_json()} == {"sent"}


def test_a_451_at_data_is_retried_and_delivered_once(
    smtp_starttls_server: SMTPTestServer, interview: Path
) -> None:
    server = smtp_starttls_server
    server.fail_data(GRACE, code=451, times=1)
    result = send(server, interview)
    assert result.exit_code == 0, result.output
    assert [m.rcpt_tos for m in server.messages] == [[GRACE], [ALAN]]


def test_a_lasting_4xx_gives_up_and_a_rerun_finishes(
    smtp_starttls_server: SMTPTestServer, interview: Path
) -> None:
    server = smtp_starttls_server
    server.fail_rcpt(GRACE, code=451, times=None)
    result = send(server, interview)
    assert result.exit_code == 1
    assert "gave up after 4 attempts" in result.stdout
    assert [m.rcpt_tos for m in server.messages] == [[ALAN]]
    server.clear_faults()
    rerun = send(server, interview)
    assert rerun.exit_code == 0, rerun.output
    assert [m.rcpt_tos for m in server.messages] == [[ALAN], [GRACE]]


def test_a_550_fails_that_note_only_and_a_rerun_sends_only_it(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    file = write_interview(tmp_path, interviewers=three_interviewers())
    server.fail_rcpt(ALAN, code=550, times=None)
    result = send(server, file)
    assert result.exit_code == 1
    assert [m.rcpt_tos for m in server.messages] == [[GRACE], [EDSGER]]
    assert "[2/3] failed: Alan Turing <alan@analytical.example>" in result.stdout
    assert "550 5.1.1 mailbox unavailable" in result.stdout
    assert "2 sent, 1 failed" in result.stdout
    assert "a rerun delivers only what is left" in result.stderr
    state = latest(log_json())
    assert [state[a]["status"] for a in (GRACE, ALAN, EDSGER)] == ["sent", "failed", "sent"]
    assert state[ALAN]["sent_at"] is None and state[ALAN]["on_time"] is None
    assert state[ALAN]["gmail_id"] is None

    server.clear_faults()
    rerun = send(server, file)
    assert rerun.exit_code == 0, rerun.output
    assert len(server.messages) == 3
    assert server.messages[-1].rcpt_tos == [ALAN]
    assert "[1/1] sent: Alan Turing" in rerun.stdout
    assert "1 sent, 2 skipped" in rerun.stdout
    assert {r["status"] for r in latest(log_json()).values()} == {"sent"}


def test_connection_dropped_before_data_reconnects_and_delivers(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    file = write_interview(tmp_path, interviewers=three_interviewers())
    server.drop_before_data(ALAN)
    result = send(server, file)
    assert result.exit_code == 0, result.output
    assert [m.rcpt_tos for m in server.messages] == [[GRACE], [ALAN], [EDSGER]]
    assert [m.session_id for m in server.messages] == [1, 2, 2]
    assert (server.connections, server.logins) == (2, 2)
    assert {r["status"] for r in log_json()} == {"sent"}


def test_connection_dropped_after_data_leaves_the_note_unknown(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    file = write_interview(tmp_path, interviewers=three_interviewers())
    server.drop_after_data(ALAN)
    result = send(server, file)
    assert result.exit_code == 1
    # The server has Alan's note once: it was not retried. The next note went
    # out on a fresh connection.
    assert [m.rcpt_tos for m in server.messages] == [[GRACE], [ALAN], [EDSGER]]
    assert [m.session_id for m in server.messages] == [1, 1, 2]
    assert "[2/3] unknown: Alan Turing" in result.stdout
    assert "may have been delivered" in result.stdout
    assert "2 sent, 1 unknown" in result.stdout
    state = latest(log_json())
    assert state[ALAN]["status"] == "unknown"
    assert state[ALAN]["sent_at"] is None and state[ALAN]["gmail_id"] is None
    assert state[GRACE]["status"] == state[EDSGER]["status"] == "sent"

    rerun = send(server, file)
    assert rerun.exit_code == 1, rerun.output
    assert len(server.messages) == 3
    assert f"skipped: Alan Turing <{ALAN}>: unknown: the connection to " in rerun.stdout
    assert "was lost after the message was sent" in rerun.stdout
    assert "Sent folder" in rerun.stdout and f"--resend {ALAN}" in rerun.stdout

    resent = send(server, file, "--resend", ALAN)
    assert resent.exit_code == 0, resent.output
    assert [m.rcpt_tos for m in server.messages][-1] == [ALAN]
    assert len(server.messages_to(ALAN)) == 2
    assert latest(log_json())[ALAN]["status"] == "sent"


# -- timing ----------------------------------------------------------------------------------------


def test_before_the_interview_ended_nothing_is_sent(
    smtp_starttls_server: SMTPTestServer, interview: Path
) -> None:
    server = smtp_starttls_server
    result = send(server, interview, env={"THANKNOTE_NOW": "2026-11-25T15:00:00-05:00"})
    assert result.exit_code == 3
    assert "has not ended yet" in result.stderr and "nothing was sent" in result.stderr
    assert server.connections == 0
    assert log_json() == []


def test_a_late_note_is_sent_and_marked_late(
    smtp_starttls_server: SMTPTestServer, interview: Path
) -> None:
    server = smtp_starttls_server
    # The 90-minute interview ended at 15:30 -05:00; this is 49 hours later.
    result = send(server, interview, env={"THANKNOTE_NOW": "2026-11-27T16:30:00-05:00"})
    assert result.exit_code == 0, result.output
    assert len(server.messages) == 2
    assert (
        "sent 49.0 h after the interview ended, 25.0 h past the 24 h the protocol asks for"
    ) in result.stderr
    for record in log_json():
        assert record["status"] == "sent"
        assert record["on_time"] is False
        assert record["hours_after_interview"] == pytest.approx(50.5)
        assert record["hours_after_end"] == pytest.approx(49.0)
        assert record["sent_at"] == "2026-11-27T16:30:00-05:00"


def test_exactly_24_hours_after_the_end_is_on_time(
    smtp_starttls_server: SMTPTestServer, interview: Path
) -> None:
    result = send(
        smtp_starttls_server, interview, env={"THANKNOTE_NOW": "2026-11-26T15:30:00-05:00"}
    )
    assert result.exit_code == 0, result.output
    assert "protocol asks" not in result.stderr
    assert {r["on_time"] for r in log_json()} == {True}


# -- guards against the log's history ------------------------------------------------------------


def test_a_new_note_is_checked_against_notes_already_sent(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    file = write_interview(tmp_path)
    assert send(server, file, "--only", GRACE).exit_code == 0
    # Grace's point moves on, and Alan's becomes the one Grace already received:
    # only the history can show that Alan's note is Grace's with the names swapped.
    file = write_interview(
        tmp_path,
        interviewers=[
            {"name": "Grace Hopper", "email": GRACE, "conversation_point": CONVERSATION_POINTS[3]},
            {"name": "Alan Turing", "email": ALAN, "conversation_point": CONVERSATION_POINTS[0]},
        ],
    )
    result = send(server, file, "--only", ALAN)
    assert result.exit_code == 3
    assert "already in the send log" in result.stderr
    assert "Grace Hopper" in result.stderr and "Alan Turing" in result.stderr
    assert "nothing was sent" in result.stderr
    assert len(server.messages) == 1 and server.connections == 1


def test_copying_a_sent_point_into_another_note_is_refused(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    file = write_interview(tmp_path)
    assert send(server, file, "--only", GRACE).exit_code == 0
    file = write_interview(
        tmp_path,
        interviewers=[
            {"name": "Grace Hopper", "email": GRACE, "conversation_point": CONVERSATION_POINTS[0]},
            {"name": "Alan Turing", "email": ALAN, "conversation_point": CONVERSATION_POINTS[0]},
        ],
    )
    result = send(server, file, "--only", ALAN)
    assert result.exit_code == 3
    assert len(server.messages) == 1


# -- a corrected start time ----------------------------------------------------------------------


def test_correcting_the_start_time_after_sending_does_not_send_again(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    file = write_interview(tmp_path)
    assert send(server, file).exit_code == 0
    assert len(server.messages) == 2
    # The candidate notices the start was 13:30, not 14:00, and fixes the file: the
    # interview's identity changes, but Grace and Alan have their notes already.
    file.write_text(file.read_text().replace("T14:00:00-05:00", "T13:30:00-05:00"))
    again = send(server, file)
    assert again.exit_code == 3, again.output
    assert (
        "already has thank-you notes to alan@analytical.example, grace@analytical.example"
        in again.stderr
    )
    assert "--resend" in again.stderr
    assert len(server.messages) == 2
    # A genuine second round with Grace goes ahead when asked for by name.
    second = send(server, file, "--only", GRACE, "--resend", GRACE)
    assert second.exit_code == 0, second.output
    assert [m.rcpt_tos for m in server.messages][-1] == [GRACE]


def test_a_second_round_begun_with_resend_reruns_without_sending_twice(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    file = write_interview(tmp_path)
    assert send(server, file).exit_code == 0
    file.write_text(
        file.read_text().replace("2026-11-25T14:00:00-05:00", "2026-11-25T16:00:00-05:00")
    )
    server.fail_rcpt(GRACE, 550, times=1)
    round_two = send(
        server,
        file,
        "--resend",
        GRACE,
        "--resend",
        ALAN,
        env={"THANKNOTE_NOW": "2026-11-25T18:00:00-05:00"},
    )
    assert round_two.exit_code == 1, round_two.output  # Grace's failed, Alan's went
    assert [m.rcpt_tos for m in server.messages][2:] == [[ALAN]]
    # "A rerun delivers only what is left": Grace's note, and not Alan's again.
    rerun = send(server, file, env={"THANKNOTE_NOW": "2026-11-25T18:10:00-05:00"})
    assert rerun.exit_code == 0, rerun.output
    assert [m.rcpt_tos for m in server.messages][2:] == [[ALAN], [GRACE]]


def test_correcting_the_company_name_after_sending_does_not_send_again(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    file = write_interview(tmp_path)
    assert send(server, file).exit_code == 0
    file.write_text(
        file.read_text().replace('"Analytical Engines Ltd"', '"Analytical Engines Ltd."')
    )
    again = send(server, file)
    assert again.exit_code == 3, again.output
    assert "looks like this one" in again.stderr
    preview = invoke("preview", str(file))
    assert preview.exit_code == 0 and "send would refuse" in preview.stdout
    assert len(server.messages) == 2
