"""The installed ``thanknote`` as real processes: killed mid-send, run twice at once, on a terminal.

These are the failures a CliRunner cannot stage: a process that dies between
the server's acceptance and the log update, two processes racing on one send
log, and a password typed at a real (pseudo-)terminal with echo off.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import thanknote_executable
from tests.helpers import CONVERSATION_POINTS, write_interview
from tests.smtp_server import DEFAULT_PASSWORD, SMTPTestServer

pytestmark = pytest.mark.slow

GRACE = "grace@analytical.example"
ALAN = "alan@analytical.example"
TIMEOUT = 60  # seconds; only bounds a hang


def send_command(server: SMTPTestServer, file: Path, *extra: str) -> list[str]:
    return [
        thanknote_executable(),
        "send",
        str(file),
        "--via",
        "smtp",
        "--smtp-host",
        server.host,
        "--smtp-port",
        str(server.port),
        "--smtp-security",
        "starttls",
        "--smtp-cafile",
        str(server.cert),
        *extra,
    ]


def environment(**extra: str) -> dict[str, str]:
    # os.environ already carries the isolated THANKNOTE_DB, THANKNOTE_NOW, HOME, ...
    return {**os.environ, "THANKNOTE_SMTP_PASSWORD": DEFAULT_PASSWORD, **extra}


def run(command: list[str], **extra: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command,
        env=environment(**extra),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=TIMEOUT,
        check=False,
    )
    assert DEFAULT_PASSWORD not in done.stdout + done.stderr
    return done


def log_records() -> list[dict[str, object]]:
    done = run([thanknote_executable(), "log", "--json"])
    assert done.returncode == 0, done.stderr
    records: list[dict[str, object]] = json.loads(done.stdout)
    return records


def five_interviewers() -> list[dict[str, str]]:
    names = ["Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov", "Donald Knuth"]
    return [
        {
            "name": name,
            "email": f"{name.split()[1].lower()}@analytical.example",
            "conversation_point": point,
        }
        for name, point in zip(names, CONVERSATION_POINTS, strict=True)
    ]


def test_killed_after_the_server_accepted_leaves_the_note_unknown(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    file = write_interview(tmp_path)
    gate = server.hold_after_data(GRACE)  # the server has the note; its "250" waits
    process = subprocess.Popen(
        send_command(server, file, "--yes"),
        env=environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        # Wait for the server to hold the note, failing fast if the process died first.
        for _ in range(TIMEOUT * 10):
            if server.wait_for_message(GRACE, timeout=0.1) or process.poll() is not None:
                break
        assert process.poll() is None, process.communicate()
        assert server.messages_to(GRACE)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(TIMEOUT)
        gate.release()
        assert process.stdout is not None and process.stderr is not None
        output = process.stdout.read() + process.stderr.read()
        process.stdout.close()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    assert DEFAULT_PASSWORD.encode() not in output

    records = log_records()
    assert [(r["to"], r["status"]) for r in records] == [(GRACE, "unknown")]
    assert records[0]["sent_at"] is None and records[0]["on_time"] is None

    rerun = run(send_command(server, file, "--yes"))
    # Grace's note may never have arrived: the batch is not done (exit 1), and one
    # line says what to check and how to send it again.
    assert rerun.returncode == 1, rerun.stderr
    assert len(server.messages_to(GRACE)) == 1  # not resent
    assert len(server.messages_to(ALAN)) == 1
    assert f"skipped: Grace Hopper <{GRACE}>: unknown" in rerun.stdout
    assert "an earlier run stopped while sending it" in rerun.stdout
    assert "Sent folder" in rerun.stdout and f"--resend {GRACE}" in rerun.stdout
    told = [
        line for line in rerun.stderr.splitlines() if not line.startswith("warning: ")
    ]  # the personal-share warnings come first
    assert told[1:] == [
        f"thanknote: Grace Hopper <{GRACE}>: unknown: an earlier run stopped while sending it, "
        f"so it may have gone out; check your Sent folder, then use --resend {GRACE} to send "
        "it again"
    ]
    again = run(send_command(server, file, "--yes"))  # still unknown, still exit 1
    assert again.returncode == 1 and len(server.messages_to(GRACE)) == 1
    dry = run(send_command(server, file, "--dry-run"))  # a dry run only reports: exit 0
    assert dry.returncode == 0, dry.stderr
    assert f"skip: Grace Hopper <{GRACE}>: unknown" in dry.stdout
    state = {r["to"]: r["status"] for r in log_records()}
    assert state == {GRACE: "unknown", ALAN: "sent"}


def test_two_runs_at_once_deliver_each_note_exactly_once(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    people = five_interviewers()
    file = write_interview(tmp_path, interviewers=people)
    command = send_command(server, file, "--yes")
    processes = [
        subprocess.Popen(
            command,
            env=environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=TIMEOUT) for process in processes]
    for process, (out, err) in zip(processes, outputs, strict=True):
        # A run that met a note the other was sending right now is not done: exit 1,
        # saying so, and never advising --resend for it.
        assert process.returncode == (1 if "being sent by process" in out else 0), out + err
        assert "--resend" not in out + err
        assert DEFAULT_PASSWORD not in out + err
    addresses = [person["email"] for person in people]
    assert sorted(r for m in server.messages for r in m.rcpt_tos) == sorted(addresses)
    records = log_records()
    assert sorted(str(r["to"]) for r in records) == sorted(addresses)  # one row per note
    assert {r["status"] for r in records} == {"sent"}
    # Between them the two runs account for every note once as sent.
    sent_lines = sum(out.count("] sent: ") for out, _ in outputs)
    assert sent_lines == len(addresses)


def test_a_run_finds_a_note_another_run_is_sending(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    # Force the overlap: whichever run claims Grace's note first is held by the
    # server until the other run has been through the whole batch.
    server = smtp_starttls_server
    people = five_interviewers()
    file = write_interview(tmp_path, interviewers=people)
    first = people[0]["email"]
    gate = server.hold_after_data(first)
    command = send_command(server, file, "--yes")
    processes = [
        subprocess.Popen(
            command,
            env=environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        last = people[-1]["email"]
        for _ in range(TIMEOUT * 10):
            if server.wait_for_message(last, timeout=0.1):
                break
            assert all(p.poll() is None for p in processes), [p.communicate() for p in processes]
        assert server.messages_to(last)
    finally:
        gate.release()
    outputs = [process.communicate(timeout=TIMEOUT) for process in processes]
    addresses = [person["email"] for person in people]
    assert sorted(r for m in server.messages for r in m.rcpt_tos) == sorted(addresses)
    by_sent = sorted(
        zip(outputs, processes, strict=True), key=lambda pair: pair[0][0].count("] sent: ")
    )
    (holder, holding), (other, busy) = by_sent
    assert holder[0].count("] sent: ") == 1 and "4 skipped" in holder[0]
    assert other[0].count("] sent: ") == 4
    # Not "--resend": the note is being sent right now, by the run that holds it.
    reason = f"being sent by process {holding.pid}; run again when it finishes"
    assert f"skipped: Grace Hopper <{first}>: {reason}" in other[0]
    assert "--resend" not in other[0] + other[1]
    assert f"thanknote: Grace Hopper <{first}>: {reason}" in other[1]
    # The other run's batch is not done while that note is in flight elsewhere.
    assert (holding.returncode, busy.returncode) == (0, 1), outputs
    assert {r["status"] for r in log_records()} == {"sent"}


# -- a real terminal -------------------------------------------------------------------------------


def run_on_terminal(
    command: list[str], answers: list[tuple[bytes, bytes]], env: dict[str, str]
) -> tuple[int, bytes]:
    """Run ``command`` on a pseudo-terminal, answering each prompt; return (status, transcript).

    ``answers`` pairs a prompt to wait for with the line to type once it appears.
    """
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.execve(command[0], command, env)  # noqa: S606 - no shell wanted
        finally:
            os._exit(127)
    transcript = b""
    pending = list(answers)
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], TIMEOUT)
            if not ready:
                raise AssertionError(f"no output for {TIMEOUT} s: {transcript!r}")
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            transcript += chunk
            while pending and pending[0][0] in transcript:
                os.write(fd, pending.pop(0)[1])
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), transcript


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_the_password_prompt_is_hidden(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    file = write_interview(tmp_path)
    env = {key: value for key, value in os.environ.items() if key != "THANKNOTE_SMTP_PASSWORD"}
    status, transcript = run_on_terminal(
        send_command(server, file),  # no --yes: on a terminal it asks
        [(b"[y/N]", b"y\n"), (b"SMTP password", DEFAULT_PASSWORD.encode() + b"\n")],
        env,
    )
    text = transcript.decode("utf-8", "replace")
    assert status == 0, text
    assert "Send these 2 note(s) via smtp?" in text
    assert DEFAULT_PASSWORD not in text  # typed, but never echoed
    assert [m.rcpt_tos for m in server.messages] == [[GRACE], [ALAN]]
    assert server.logins == 1


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_declining_on_a_terminal_sends_nothing(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    file = write_interview(tmp_path)
    status, transcript = run_on_terminal(
        send_command(server, file), [(b"[y/N]", b"n\n")], environment()
    )
    assert status == 0, transcript
    assert b"nothing sent" in transcript
    assert server.connections == 0


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_the_password_prompt_names_the_login(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    file = write_interview(tmp_path)
    env = {key: value for key, value in os.environ.items() if key != "THANKNOTE_SMTP_PASSWORD"}
    _, transcript = run_on_terminal(
        send_command(server, file, "--yes"),
        [(b"SMTP password", DEFAULT_PASSWORD.encode() + b"\n")],
        env,
    )
    assert b"SMTP password for ada@example.com:" in transcript
