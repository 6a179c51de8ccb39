"""SMTP servers that misbehave: garbage after the data, silence, endless replies, Ctrl-C.

The server is tests/raw_smtp_server.py (a raw socket speaking just enough SMTP);
the client is the real SmtpSender, or the real ``thanknote`` process where a
signal or the exit code is what is tested. Timeouts are shortened through the
sender's own parameters so that a test waits fractions of a second; no test
asserts how long anything took.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import thanknote_executable
from tests.helpers import CONVERSATION_POINTS, write_interview
from tests.raw_smtp_server import RawSmtpServer
from thanknote import retry
from thanknote.errors import DeliveryError
from thanknote.message import Prepared, build
from thanknote.render import THANK_YOU, Note
from thanknote.retry import Backoff
from thanknote.senders.base import FatalSenderError, Outgoing
from thanknote.senders.smtp.connection import MAX_REPLY_BYTES
from thanknote.senders.smtp.connection_settings import SmtpSettings
from thanknote.senders.smtp.sender import SmtpSender
from thanknote.values import Security, Status

GRACE = "grace@analytical.example"
ALAN = "alan@analytical.example"
BOUND = 60  # seconds; only bounds a hang


def note(to: str) -> Prepared:
    import datetime as dt

    name = to.split("@")[0].title()
    body = Note(
        kind=THANK_YOU,
        to=to,
        name=name,
        title=None,
        subject="Thank you",
        body=f"Dear {name},\n\nthank you for the conversation.\n",
        template="test",
    )
    return build(
        body,
        sender_name="Ada Example",
        sender_address="ada@example.com",
        date=dt.datetime(2026, 11, 25, 22, 0, tzinfo=dt.UTC),
    )


def sender(
    server: RawSmtpServer,
    *,
    port: int | None = None,
    host: str | None = None,
    security: str = "none",
    attempts: int = 4,
    **kwargs: float,
) -> SmtpSender:
    settings = SmtpSettings(
        host=host or server.host,
        port=port or server.port,
        security=Security(security),
        user="",
        password="",
        sender="ada@example.com",
    )
    return SmtpSender(settings, backoff=Backoff(attempts=attempts), **kwargs)


def delivered(smtp: SmtpSender, prepared: Prepared) -> str:
    return smtp.deliver(Outgoing(prepared)).status


# -- point 3: only a well-formed 4xx/5xx after the data is a failure ------------------------------


def test_garbage_after_the_data_is_unknown_not_failed() -> None:
    with RawSmtpServer("garbage_after_data") as server:
        smtp = sender(server)
        smtp.open()
        outcome = smtp.deliver(Outgoing(note(GRACE)))
        smtp.close()
    assert outcome.status == Status.UNKNOWN
    assert "no valid answer" in outcome.detail and "not retried" in outcome.detail
    assert len(server.received) == 1  # handed over once, never again


def test_an_endless_reply_after_the_data_is_unknown_and_bounded() -> None:
    with RawSmtpServer("stream_after_data", stream_limit=32 * 1024 * 1024) as server:
        smtp = sender(server)
        smtp.open()
        outcome = smtp.deliver(Outgoing(note(GRACE)))
        smtp.close()
    assert outcome.status == Status.UNKNOWN and "64 KiB" in outcome.detail
    assert len(server.received) == 1
    # The client stopped reading after MAX_REPLY_BYTES and closed: the server could push
    # only what the socket buffers hold beyond that, nowhere near its 32 MiB.
    assert server.streamed < 16 * 1024 * 1024


def test_an_endless_greeting_reply_is_refused_before_anything_is_sent() -> None:
    with RawSmtpServer("stream_ehlo", stream_limit=32 * 1024 * 1024) as server:
        smtp = sender(server)
        with pytest.raises(DeliveryError) as error:
            smtp.open()
    assert f"{MAX_REPLY_BYTES // 1024} KiB" in error.value.message
    assert "nothing was sent" in error.value.message
    assert server.streamed < 16 * 1024 * 1024


# -- point 8: every wait bounded; the batch stops instead of repeating a hang ---------------------


def test_no_greeting_is_a_clear_error() -> None:
    with RawSmtpServer("no_greeting") as server:
        smtp = sender(server, greeting_seconds=0.3)
        with pytest.raises(DeliveryError) as error:
            smtp.open()
    assert "sent no greeting within 0.3 s" in error.value.message


def test_no_greeting_on_port_465_says_it_expects_ssl() -> None:
    try:
        server = RawSmtpServer("no_greeting", host="127.0.0.2", port=465)
    except OSError as taken:  # the port is taken on this machine
        pytest.skip(f"cannot listen on 127.0.0.2:465: {taken}")
    with server:
        smtp = sender(server, security="starttls", greeting_seconds=0.3)
        with pytest.raises(DeliveryError) as error:
            smtp.open()
    assert "--smtp-security ssl" in (error.value.hint or "")


def test_a_second_timeout_stops_the_batch() -> None:
    with RawSmtpServer("slow_data") as server:
        smtp = sender(server, command_seconds=0.3)
        smtp.open()
        first = smtp.deliver(Outgoing(note(GRACE)))
        with pytest.raises(FatalSenderError) as stop:
            smtp.deliver(Outgoing(note(ALAN)))
        smtp.close()
    assert first.status == Status.UNKNOWN  # handed over, then no answer: it may have gone out
    assert stop.value.outcome.status == Status.UNKNOWN
    assert "timed out 2 times" in str(stop.value)
    assert len(server.received) == 2


def test_timeouts_before_the_data_fail_the_note_and_stop_after_two() -> None:
    with RawSmtpServer("slow_mail") as server:
        smtp = sender(server, command_seconds=0.3)
        smtp.open()
        with pytest.raises(FatalSenderError) as stop:
            smtp.deliver(Outgoing(note(GRACE)))
    assert stop.value.outcome.status == Status.FAILED  # nothing was handed over
    assert server.received == []
    assert [why for _, why in retry.waits] == [
        f"retrying: connection to {server.host}:{server.port} lost: no answer within 0.3 s"
    ]


def test_a_server_that_stops_accepting_connections_stops_the_batch() -> None:
    with RawSmtpServer("normal", close_after=1) as server:
        smtp = sender(server)
        smtp.open()
        assert delivered(smtp, note(GRACE)) == Status.SENT
        with pytest.raises(FatalSenderError) as stop:
            smtp.deliver(Outgoing(note(ALAN)))
    assert "no longer accepts connections" in str(stop.value)
    assert stop.value.outcome.status == Status.FAILED
    assert len(server.received) == 1
    # Announced, real (jittered, doubling) waits: three between four attempts.
    assert len(retry.waits) == 3 and all(why.startswith("retrying") for _, why in retry.waits)
    assert retry.waits[0][0] <= 1 <= retry.waits[2][0] <= 4


def test_the_batch_lists_the_notes_it_did_not_try(tmp_path: Path) -> None:
    interviewers = [
        {
            "name": name,
            "email": f"{name.split()[0].lower()}@analytical.example",
            "conversation_point": point,
        }
        for name, point in zip(
            ["Mira Quell", "Tobin Farrow", "Ines Vardy"], CONVERSATION_POINTS, strict=False
        )
    ]
    file = write_interview(tmp_path, interviewers=interviewers)
    with RawSmtpServer("normal", close_after=1) as server:
        done = run_thanknote(server, file)
    assert done.returncode == 1
    assert "[1/3] sent: " in done.stdout and "[2/3] failed: " in done.stdout
    assert "[3/3] not tried: " in done.stdout
    assert "no longer accepts connections" in done.stderr
    assert "waiting " in done.stderr and " s (retrying: " in done.stderr
    statuses = [r["status"] for r in log_records()]
    assert statuses == ["sent", "failed"]  # the third was never claimed


# -- points 6 and 7: Ctrl-C -----------------------------------------------------------------------


def send_command(server: RawSmtpServer, file: Path) -> list[str]:
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
        "none",
        "--yes",
    ]


def run_thanknote(server: RawSmtpServer, file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        send_command(server, file),
        env=dict(os.environ),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=BOUND,
        check=False,
    )


def log_records() -> list[dict[str, object]]:
    done = subprocess.run(
        [thanknote_executable(), "log", "--json"],
        capture_output=True,
        text=True,
        timeout=BOUND,
        check=True,
    )
    records: list[dict[str, object]] = json.loads(done.stdout)
    return records


def interrupted(server: RawSmtpServer, file: Path, *, after: str) -> tuple[int, str, str]:
    """Run a send, press Ctrl-C once ``after`` happened on the server; (exit, out, err)."""
    process = subprocess.Popen(
        send_command(server, file),
        env=dict(os.environ),
        text=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        if after == "data":
            assert server.data_started.wait(BOUND), "the message never reached the server"
        else:
            for _ in range(BOUND * 20):
                if server.connections and process.poll() is None:
                    break
                assert process.poll() is None, "thanknote ended first"
                server.data_started.wait(0.05)
            server.data_started.wait(0.5)  # let it reach MAIL FROM, which is never answered
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=BOUND)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, out, err


@pytest.mark.slow
def test_ctrl_c_during_a_slow_data_answer_stops_at_once_and_leaves_it_unknown(
    tmp_path: Path,
) -> None:
    file = write_interview(tmp_path)
    with RawSmtpServer("slow_data") as server:
        code, out, err = interrupted(server, file, after="data")
    assert code == 130
    assert "stopping…" in err and "Traceback" not in err
    assert "not tried: interrupted" in out
    (record,) = log_records()  # the second note was never claimed
    assert record["status"] == Status.UNKNOWN
    assert "interrupted (Ctrl-C) after the message was handed" in str(record["error"])
    assert len(server.received) == 1


@pytest.mark.slow
def test_ctrl_c_before_the_data_records_failed_and_a_rerun_sends_it(tmp_path: Path) -> None:
    file = write_interview(tmp_path)
    with RawSmtpServer("slow_mail") as server:
        code, _, err = interrupted(server, file, after="connect")
    assert code == 130 and "Traceback" not in err
    (record,) = log_records()
    assert record["status"] == Status.FAILED
    assert "before the message reached" in str(record["error"])
    assert server.received == []
    with RawSmtpServer("normal") as server:
        done = run_thanknote(server, file)
    assert done.returncode == 0, done.stderr
    assert len(server.received) == 2  # the interrupted note and the one never tried


def test_ctrl_c_while_python_loads_thanknote_prints_no_traceback() -> None:
    # A finder that raises KeyboardInterrupt when thanknote.cli is imported: the
    # moment a Ctrl-C in the first tens of milliseconds lands in.
    code = (
        "import sys\n"
        "class Finder:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'thanknote.cli':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Finder())\n"
        "from thanknote.launch import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "send"],
        capture_output=True,
        text=True,
        timeout=BOUND,
        check=False,
    )
    assert done.returncode == 130
    assert "Traceback" not in done.stderr and "nothing was sent" in done.stderr


def test_a_server_that_drops_every_session_stops_the_batch() -> None:
    with RawSmtpServer("drop_mail") as server:
        smtp = sender(server)
        smtp.open()
        with pytest.raises(FatalSenderError) as stop:
            smtp.deliver(Outgoing(note(GRACE)))
    assert "keeps closing the connection" in str(stop.value)
    assert stop.value.outcome.status == Status.FAILED and server.received == []
    assert len(retry.waits) == 3
