"""Shared test set-up: every test runs in its own directory with its own paths.

No test reads or writes the real home directory: HOME, the XDG directories,
the send log, the Gmail and Microsoft tokens and the working directory all point
into ``tmp_path``; the system keyring is replaced by keyring's "none" back end.
Backoff waits are recorded instead of slept (the attempts, the delays and their
announcements still happen).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from thanknote import retry

pytest_plugins = [
    "tests.smtp_server",
    "tests.gmail_server",
    "tests.microsoft_server",
    "tests.xoauth2_server",
]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "interview.toml"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("THANKNOTE_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for variable in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(variable, str(home / variable.lower()))
    monkeypatch.setenv("THANKNOTE_DB", str(tmp_path / "sends.sqlite3"))
    monkeypatch.setenv("THANKNOTE_GMAIL_TOKEN", str(tmp_path / "gmail-token.json"))
    monkeypatch.setenv("THANKNOTE_MICROSOFT_TOKEN", str(tmp_path / "microsoft-token.json"))
    # Never the user's own keyring: tests that need one choose tests.keyring_backend.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("THANKNOTE_NO_BACKOFF", "1")  # for subprocesses
    retry.set_testing(True)  # waits are computed and announced, not slept
    # Shortly after the example interview ended: on time for a send.
    monkeypatch.setenv("THANKNOTE_NOW", "2026-11-25T17:00:00-05:00")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def thanknote_executable() -> str:
    """The installed console script of the environment running the tests."""
    beside = Path(sys.executable).parent / "thanknote"
    if beside.exists():
        return str(beside)
    found = shutil.which("thanknote")
    assert found, "the thanknote console script is not installed"
    return found
