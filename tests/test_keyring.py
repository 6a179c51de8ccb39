"""The SMTP password in the system keyring: login, send without asking, logout, no keyring.

The keyring is chosen the way keyring chooses one for any user, by PYTHON_KEYRING_BACKEND:
a file-backed test back end (tests/keyring_backend.py) shared by this process and the
``thanknote`` processes, or keyring's own "none" back end (``keyring.backends.fail``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, thanknote_executable
from tests.helpers import write_interview
from tests.keyring_backend import BACKEND, FileKeyring
from tests.smtp_server import DEFAULT_PASSWORD, DEFAULT_USERNAME, SMTPTestServer
from tests.test_smtp_processes import run_on_terminal

pytestmark = pytest.mark.slow

TIMEOUT = 60


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FileKeyring:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", BACKEND)
    monkeypatch.setenv("THANKNOTE_TEST_KEYRING", str(tmp_path / "test-keyring.json"))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # so the child process finds the back end
    return FileKeyring()  # type: ignore[no-untyped-call]  # keyring: untyped __init__


def thanknote(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "THANKNOTE_SMTP_PASSWORD"}
    done = subprocess.run(
        [thanknote_executable(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=TIMEOUT,
        check=False,
    )
    assert DEFAULT_PASSWORD not in done.stdout + done.stderr
    return done


def login(
    server: SMTPTestServer, password: str = DEFAULT_PASSWORD, user: str = DEFAULT_USERNAME
) -> subprocess.CompletedProcess[str]:
    return thanknote(
        "login", "smtp", "--smtp-host", server.host, "--smtp-user", user, stdin=password + "\n"
    )


def send(server: SMTPTestServer, file: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return thanknote(
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
    )


def test_login_send_logout(
    file_keyring: FileKeyring, smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    done = login(server)
    assert done.returncode == 0, done.stderr
    assert (
        f"stored the SMTP password for {DEFAULT_USERNAME} at 127.0.0.1 in the test "
        "keyring" in done.stdout
    )
    assert (
        file_keyring.get_password("thanknote-smtp:127.0.0.1", DEFAULT_USERNAME) == DEFAULT_PASSWORD
    )

    file = write_interview(tmp_path)
    sent = send(server, file)  # no THANKNOTE_SMTP_PASSWORD, no terminal to ask on
    assert sent.returncode == 0, sent.stderr
    assert len(server.messages) == 2 and server.logins == 1

    out = thanknote("logout", "smtp", "--smtp-host", server.host, "--smtp-user", DEFAULT_USERNAME)
    assert out.returncode == 0, out.stderr
    assert "removed the SMTP password for ada@example.com at 127.0.0.1" in out.stdout
    assert file_keyring.stored() == {}
    again = send(server, file, "--db", str(tmp_path / "another-log.sqlite3"))
    assert again.returncode == 2
    assert (
        "no SMTP password: set THANKNOTE_SMTP_PASSWORD or store it with `thanknote "
        "login smtp`" in again.stderr
    )
    assert len(server.messages) == 2
    gone = thanknote("logout", "smtp", "--smtp-host", server.host, "--smtp-user", DEFAULT_USERNAME)
    assert gone.returncode == 0
    assert "the keyring holds no SMTP password for ada@example.com at 127.0.0.1" in gone.stdout


def test_the_environment_comes_before_the_keyring(
    file_keyring: FileKeyring, smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    assert login(server, password="an-old-password").returncode == 0
    environment = {**os.environ, "THANKNOTE_SMTP_PASSWORD": DEFAULT_PASSWORD}
    done = subprocess.run(
        [
            thanknote_executable(),
            "send",
            str(write_interview(tmp_path)),
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
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert server.failed_logins == 0 and len(server.messages) == 2


def test_the_password_is_kept_per_host_and_user(
    file_keyring: FileKeyring, smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    assert login(server, user="someone-else@example.com").returncode == 0
    done = send(server, write_interview(tmp_path))
    assert done.returncode == 2 and "no SMTP password" in done.stderr
    assert server.connections == 0


def test_no_keyring_says_how_to_use_the_environment(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    # The isolation fixture leaves keyring's "none" back end (keyring.backends.fail.Keyring).
    assert os.environ["PYTHON_KEYRING_BACKEND"] == "keyring.backends.fail.Keyring"
    before = {p for p in tmp_path.rglob("*") if p.is_file()}
    done = login(smtp_starttls_server)
    assert done.returncode == 1
    assert "this machine has no system keyring" in done.stderr
    assert "does not write passwords to a plain file" in done.stderr
    assert "hint: set THANKNOTE_SMTP_PASSWORD in the environment of the command" in done.stderr
    after = {p for p in tmp_path.rglob("*") if p.is_file()}
    assert not any(DEFAULT_PASSWORD in p.read_text(errors="replace") for p in after - before)
    # ...and a send still works the documented ways: here, the environment.
    environment = {**os.environ, "THANKNOTE_SMTP_PASSWORD": DEFAULT_PASSWORD}
    sent = subprocess.run(
        [
            thanknote_executable(),
            "send",
            str(write_interview(tmp_path)),
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
            str(smtp_starttls_server.cert),
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=TIMEOUT,
        check=False,
    )
    assert sent.returncode == 0, sent.stderr


def test_the_null_keyring_is_no_keyring(
    smtp_starttls_server: SMTPTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What `keyring --disable` configures: it accepts set_password and keeps nothing.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    done = login(smtp_starttls_server)
    assert done.returncode == 1, done.stdout
    assert "stored" not in done.stdout
    assert (
        "this machine has no system keyring for thanknote to keep the SMTP password in "
        "(keyring is disabled: its null back end keeps nothing)"
    ) in done.stderr
    assert "hint: set THANKNOTE_SMTP_PASSWORD in the environment of the command" in done.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_login_asks_on_a_terminal_without_echo(file_keyring: FileKeyring) -> None:
    status, transcript = run_on_terminal(
        [
            thanknote_executable(),
            "login",
            "smtp",
            "--smtp-host",
            "smtp.example.com",
            "--smtp-user",
            DEFAULT_USERNAME,
        ],
        [
            (
                b"SMTP password for ada@example.com at smtp.example.com:",
                DEFAULT_PASSWORD.encode() + b"\n",
            )
        ],
        dict(os.environ),
    )
    assert status == 0, transcript
    assert DEFAULT_PASSWORD.encode() not in transcript
    assert (
        file_keyring.get_password("thanknote-smtp:smtp.example.com", DEFAULT_USERNAME)
        == DEFAULT_PASSWORD
    )


def test_login_needs_a_user_and_only_knows_smtp(file_keyring: FileKeyring) -> None:
    done = thanknote("login", "smtp", stdin=DEFAULT_PASSWORD + "\n")
    assert done.returncode == 2 and "--smtp-user is required" in done.stderr
    other = thanknote("login", "gmail", "--smtp-user", DEFAULT_USERNAME)
    assert other.returncode == 2 and "use 'smtp', not 'gmail'" in other.stderr
    assert file_keyring.stored() == {}


def test_doctor_logs_in_with_the_keyring_password(
    file_keyring: FileKeyring, smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    assert login(server).returncode == 0
    done = thanknote(
        "doctor",
        str(write_interview(tmp_path)),
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
    )
    assert done.returncode == 0, done.stdout
    assert (
        f"ok       smtp login: ada@example.com logged in at 127.0.0.1:{server.port} "
        "(password from the keyring)" in done.stdout.splitlines()
    )


def test_login_takes_the_profile_address(
    file_keyring: FileKeyring, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = tmp_path / "profile.toml"
    profile.write_text('name = "Ada Lovelace"\nemail = "ada@example.com"\n')
    monkeypatch.setenv("THANKNOTE_PROFILE", str(profile))
    done = thanknote(
        "login", "smtp", "--smtp-host", "smtp.example.com", stdin=DEFAULT_PASSWORD + "\n"
    )
    assert done.returncode == 0, done.stderr
    assert (
        file_keyring.get_password("thanknote-smtp:smtp.example.com", "ada@example.com")
        == DEFAULT_PASSWORD
    )
