"""The send log when its storage misbehaves: damaged, locked, read-only, full, foreign.

Each test drives the installed ``thanknote`` as a real process against the
real SMTP server of ``tests/smtp_server.py``, and does to the log what the
world does to it: another process holds its lock, its bytes are damaged, it is
read-only for the user, the disk under it is full, or ``--db`` names some other
database.

How "read-only" is made when the tests run as root (CI does): root ignores
permission bits only through the CAP_DAC_OVERRIDE capability, so the child is
started without it (dropped from its bounding set, which for root is what
``execve`` grants). The test first checks that the child really cannot write
the file, and skips otherwise.
"""

from __future__ import annotations

import ctypes
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import thanknote_executable
from tests.helpers import write_interview
from tests.smtp_server import DEFAULT_PASSWORD, SMTPTestServer

pytestmark = pytest.mark.slow

GRACE = "grace@analytical.example"
ALAN = "alan@analytical.example"
TIMEOUT = 120  # seconds; only bounds a hang


def log_path() -> Path:
    return Path(os.environ["THANKNOTE_DB"])


def send_command(server: SMTPTestServer, file: Path, *extra: str) -> list[str]:
    return [
        thanknote_executable(),
        "send",
        str(file),
        "--via",
        "smtp",
        "--yes",
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


def run(
    command: list[str], *, preexec: Callable[[], None] | None = None, **extra: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "THANKNOTE_SMTP_PASSWORD": DEFAULT_PASSWORD, **extra}
    done = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=TIMEOUT,
        check=False,
        preexec_fn=preexec,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def thanknote(
    *arguments: str, preexec: Callable[[], None] | None = None, **extra: str
) -> subprocess.CompletedProcess[str]:
    return run([thanknote_executable(), *arguments], preexec=preexec, **extra)


def logged() -> dict[str, str]:
    done = thanknote("log", "--json")
    assert done.returncode == 0, done.stderr
    return {record["to"]: record["status"] for record in json.loads(done.stdout)}


@pytest.fixture
def sent_once(smtp_starttls_server: SMTPTestServer, tmp_path: Path) -> Path:
    """A log that holds Grace's and Alan's notes, both sent."""
    file = write_interview(tmp_path)
    first = run(send_command(smtp_starttls_server, file))
    assert first.returncode == 0, first.stderr
    assert len(smtp_starttls_server.messages) == 2
    return file


# -- point 2: a damaged log is never trusted ---------------------------------------------------


def damage_the_notes_index(path: Path) -> None:
    """Change a few bytes of the recipients in the index pages, as a bad sector would."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        root = db.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'notes_by_note'"
        ).fetchone()[0]
    db.close()
    data = bytearray(path.read_bytes())
    page = slice((root - 1) * page_size, root * page_size)
    index = bytes(data[page])
    changed = 0
    for address in (GRACE.encode(), ALAN.encode()):
        at = index.find(address)
        assert at >= 0, "the index page holds the recipients"
        data[page.start + at] ^= 0x01  # 'g' -> 'f', 'a' -> '`'
        changed += 1
    path.write_bytes(bytes(data))
    assert changed == 2


def test_a_log_with_a_damaged_index_stops_send_draft_and_followup(
    smtp_starttls_server: SMTPTestServer, sent_once: Path
) -> None:
    server = smtp_starttls_server
    damage_the_notes_index(log_path())
    before = log_path().read_bytes()
    for command in (
        send_command(server, sent_once),
        [thanknote_executable(), "draft", str(sent_once)],
        [
            thanknote_executable(),
            "followup",
            str(sent_once),
            "--via",
            "smtp",
            "--early",
            "--yes",
            "--smtp-host",
            server.host,
            "--smtp-port",
            str(server.port),
            "--smtp-security",
            "starttls",
            "--smtp-cafile",
            str(server.cert),
        ],
    ):
        done = run(command)
        assert done.returncode == 2, command[1] + done.stdout + done.stderr
        assert f"the send log {log_path()} is damaged (SQLite's integrity check:" in done.stderr
        assert "keep a copy of it" in done.stderr
    assert len(server.messages) == 2  # nothing sent twice
    assert log_path().read_bytes() == before  # and nothing written to it


# -- point 9: storage errors are named ---------------------------------------------------------


@pytest.fixture
def lock_holder() -> Iterator[Callable[[Path], subprocess.Popen[str]]]:
    """Another process that takes the log's write lock and keeps it until the test ends."""
    started: list[subprocess.Popen[str]] = []

    def hold(path: Path) -> subprocess.Popen[str]:
        code = (
            "import sqlite3, sys\n"
            f"db = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
            "db.execute('BEGIN IMMEDIATE')\n"
            "print('held', flush=True)\n"
            "sys.stdin.read()\n"
        )
        process = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        started.append(process)
        assert process.stdout is not None and process.stdout.readline() == "held\n"
        return process

    yield hold
    for process in started:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(TIMEOUT)


def test_a_locked_log_names_the_process_and_says_it_waits(
    smtp_starttls_server: SMTPTestServer,
    tmp_path: Path,
    lock_holder: Callable[[Path], subprocess.Popen[str]],
) -> None:
    server = smtp_starttls_server
    file = write_interview(tmp_path)
    assert run(send_command(server, file, "--only", GRACE)).returncode == 0
    holder = lock_holder(log_path())
    done = run(send_command(server, file), THANKNOTE_LOCK_TIMEOUT="1")
    assert done.returncode == 1, done.stdout + done.stderr
    # The holder's id comes from /proc/locks (Linux); elsewhere it is "another process".
    linux = sys.platform.startswith("linux")
    assert (
        f"thanknote: waiting for the send log {log_path()} (held by another run"
        + (f", process {holder.pid})" if linux else ")")
    ) in done.stderr
    who = f"process {holder.pid}" if linux else "another process"
    assert f"the send log {log_path()} is locked by {who} (waited 1 s for it)" in done.stderr
    assert "not a thanknote send log" not in done.stderr
    assert "--db" not in done.stdout + done.stderr  # never a new log while this one holds sends
    assert f"not tried: Alan Turing <{ALAN}>" in done.stdout
    assert len(server.messages_to(ALAN)) == 0


def without_permission_override() -> Callable[[], None] | None:
    """For a child run as root: drop the capabilities that ignore file permissions."""
    if os.geteuid() != 0:
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop = 24
    # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_LINUX_IMMUTABLE
    capabilities = (1, 2, 3, 9)

    def drop() -> None:
        for capability in capabilities:
            if libc.prctl(pr_capbset_drop, capability, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    return drop


@pytest.fixture
def read_only_log(sent_once: Path) -> Iterator[Callable[[], None] | None]:
    """The log (and its folder) read-only for the user thanknote runs as."""
    path = log_path()
    preexec = without_permission_override()
    path.chmod(0o444)
    path.parent.chmod(0o555)
    probe = subprocess.run(
        [sys.executable, "-c", f"open({str(path)!r}, 'r+b'); open({str(path)!r} + '-x', 'w')"],
        preexec_fn=preexec,
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
    )
    if probe.returncode == 0:
        path.parent.chmod(0o755)
        pytest.skip("this system lets the test's processes write a read-only file")
    yield preexec
    path.parent.chmod(0o755)
    path.chmod(0o644)


def test_a_read_only_log_is_named_read_only_and_nothing_is_sent(
    smtp_starttls_server: SMTPTestServer, sent_once: Path, read_only_log: Callable[[], None] | None
) -> None:
    done = run(
        send_command(smtp_starttls_server, sent_once, "--resend", GRACE), preexec=read_only_log
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"the send log {log_path()} is read-only" in done.stderr
    assert "not a thanknote send log" not in done.stderr
    assert "--db" not in done.stderr
    assert len(smtp_starttls_server.messages) == 2


# -- point 10: the commands that only read open the log read-only --------------------------------


def test_log_followups_and_preview_read_a_read_only_log(
    sent_once: Path, read_only_log: Callable[[], None] | None
) -> None:
    shown = thanknote("log", "--json", preexec=read_only_log)
    assert shown.returncode == 0, shown.stderr
    assert {r["to"]: r["status"] for r in json.loads(shown.stdout)} == {GRACE: "sent", ALAN: "sent"}
    agenda = thanknote("followups", "--all", preexec=read_only_log)
    assert agenda.returncode == 0, agenda.stderr
    assert "Analytical Engines Ltd" in agenda.stdout
    preview = thanknote("preview", str(sent_once), preexec=read_only_log)
    assert preview.returncode == 0, preview.stderr
    assert "send log: compared with" in preview.stdout or "send log:" in preview.stdout


def test_log_followups_and_preview_do_not_wait_for_a_locked_log(
    sent_once: Path, lock_holder: Callable[[Path], subprocess.Popen[str]]
) -> None:
    lock_holder(log_path())
    for arguments in (("log", "--json"), ("followups", "--all"), ("preview", str(sent_once))):
        done = thanknote(*arguments)  # with the default 30-second lock wait
        assert done.returncode == 0, done.stderr
        assert "waiting for the send log" not in done.stderr
    assert logged() == {GRACE: "sent", ALAN: "sent"}


def test_read_only_commands_read_an_older_log_without_upgrading_it(sent_once: Path) -> None:
    with sqlite3.connect(log_path()) as db:  # as the release before 004 left it
        db.execute("ALTER TABLE notes DROP COLUMN claimant_started")
        db.execute("DELETE FROM migrations WHERE name = '004_claimant_started'")
    db.close()
    before = log_path().read_bytes()
    assert logged() == {GRACE: "sent", ALAN: "sent"}
    assert thanknote("followups", "--all").returncode == 0
    assert log_path().read_bytes() == before
    with sqlite3.connect(log_path()) as db:
        names = {row[0] for row in db.execute("SELECT name FROM migrations")}
    db.close()
    assert "004_claimant_started" not in names


# -- point 11: a foreign file, a NULL migration, a directory -------------------------------------


def test_a_foreign_database_is_refused_before_anything_is_written(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    other = tmp_path / "recipes.sqlite3"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE recipes (name TEXT, minutes INTEGER)")
        db.execute("INSERT INTO recipes VALUES ('bread', 240)")
    db.close()
    before = other.read_bytes()
    file = write_interview(tmp_path)
    for done in (
        run(send_command(smtp_starttls_server, file, "--db", str(other))),
        thanknote("log", "--db", str(other)),
        thanknote("followups", "--db", str(other)),
        thanknote("preview", str(file), "--db", str(other)),
    ):
        assert done.returncode == 2, done.stdout + done.stderr
        assert (
            f"{other} is an SQLite database but not a thanknote send log (it has tables "
            "recipes and no thanknote migrations); thanknote leaves it untouched"
        ) in done.stderr
    assert other.read_bytes() == before
    assert not Path(f"{other}-wal").exists()
    assert smtp_starttls_server.messages == []


def test_a_null_migration_name_is_reported_not_a_traceback(
    smtp_starttls_server: SMTPTestServer, sent_once: Path
) -> None:
    with sqlite3.connect(log_path()) as db:
        db.execute("INSERT INTO migrations VALUES (NULL, '2026-11-25')")
    db.close()
    for done in (
        run(send_command(smtp_starttls_server, sent_once, "--resend", GRACE)),
        thanknote("log"),
    ):
        assert done.returncode == 2, done.stdout + done.stderr
        assert f"the send log {log_path()} has a migration with no name (NULL)" in done.stderr
    assert len(smtp_starttls_server.messages) == 2


def test_a_directory_at_the_log_path_is_named(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    file = write_interview(tmp_path)
    for done in (
        thanknote("log", "--db", str(folder)),
        thanknote("followups", "--db", str(folder)),
        run(send_command(smtp_starttls_server, file, "--db", str(folder))),
    ):
        assert done.returncode == 2, done.stdout + done.stderr
        assert f"the send log {folder} is a directory" in done.stderr
        assert "nothing drafted or sent yet" not in done.stdout
    assert smtp_starttls_server.messages == []


# -- point 12: a note the server accepted but the log could not record ---------------------------


def test_an_accepted_note_the_log_cannot_record_is_reported_for_that_note(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    file = write_interview(tmp_path)
    gate = server.hold_after_data(GRACE)  # the server has Grace's note; its 250 waits
    process = subprocess.Popen(
        send_command(server, file),
        env={
            **os.environ,
            "THANKNOTE_SMTP_PASSWORD": DEFAULT_PASSWORD,
            "THANKNOTE_LOCK_TIMEOUT": "1",
        },
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    holder = None
    try:
        assert server.wait_for_message(GRACE, timeout=TIMEOUT)
        # Now the log becomes unwritable: another process takes its lock and keeps it.
        holder = sqlite3.connect(log_path(), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        gate.release()
        out, err = process.communicate(timeout=TIMEOUT)
    finally:
        gate.release()
        if process.poll() is None:
            process.kill()
            process.wait(TIMEOUT)
        if holder is not None:
            holder.close()
    assert process.returncode == 1, out + err
    assert (
        f"[1/2] unknown: Grace Hopper <{GRACE}> (accepted by the server; the log could not "
        "record it: it shows as unknown)"
    ) in out
    assert f"[2/2] not tried: Alan Turing <{ALAN}>" in out
    assert "stopped: the log could not record what happened to a note: the send log" in err
    assert "is locked by" in err
    assert "Traceback" not in err
    assert len(server.messages_to(GRACE)) == 1 and server.messages_to(ALAN) == []
    assert logged() == {GRACE: "unknown"}  # Alan was never claimed


# -- the disk is full ------------------------------------------------------------------------------


def test_a_full_disk_is_named_in_the_library(tmp_path: Path) -> None:
    """SQLite's own "database or disk is full" (its page limit reached), named as such."""
    from datetime import UTC, datetime

    from thanknote import loader
    from thanknote.logfile import SendLogError
    from thanknote.render import render_notes
    from thanknote.sendlog import SendLog

    file = loader.load(write_interview(tmp_path))
    notes = render_notes(file)
    path = tmp_path / "full.sqlite3"
    with SendLog(path) as log:
        interview_id = log.add_interview(file.interview)
        assert interview_id is not None
        pages = log.db.execute("PRAGMA page_count").fetchone()[0]
        log.db.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(SendLogError) as raised:
            for number in range(200):  # until the pages run out
                log.claim(
                    interview_id,
                    notes[0],
                    via="smtp",
                    purpose="send",
                    message_id=f"<{number}@x>",
                    resend=True,
                    now=datetime(2026, 11, 25, 22, tzinfo=UTC),
                )
    assert raised.value.message == f"the disk holding the send log {path} is full"
    assert "--db" not in str(raised.value.hint)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 512 KiB file system (tmpfs), where the system lets the tests mount one."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a small file system here (needs CAP_SYS_ADMIN)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_named_and_stops_the_batch(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path, small_disk: Path
) -> None:
    server = smtp_starttls_server
    file = write_interview(tmp_path)
    path = small_disk / "sends.sqlite3"
    first = run(send_command(server, file, "--only", GRACE, "--db", str(path)))
    assert first.returncode == 0, first.stderr
    descriptor = os.open(small_disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:  # fill what is left of the disk
        while os.write(descriptor, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(descriptor)
    done = run(send_command(server, file, "--db", str(path)))
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"the disk holding the send log {path} is full" in done.stderr
    assert "--db" not in done.stderr.replace(str(path), "")
    assert server.messages_to(ALAN) == []
