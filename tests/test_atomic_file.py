"""The one atomic write: whole or nothing, private from creation, never over a file it must keep."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from thanknote.atomic_file import PRIVATE, write_atomic


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_private_file_is_0600_even_with_a_permissive_umask(tmp_path: Path) -> None:
    target = tmp_path / "new" / "dir" / "token.json"
    old = os.umask(0)
    try:
        write_atomic(target, '{"a": 1}', mode=PRIVATE)
    finally:
        os.umask(old)
    assert mode(target) == 0o600
    assert mode(target.parent) == 0o700
    assert target.read_text() == '{"a": 1}'
    assert list(target.parent.iterdir()) == [target]  # no temporary file left


def test_a_private_file_is_never_exposed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file the writer creates is 0600 when created: checked at the moment of replace."""
    target = tmp_path / "token.json"
    target.write_text("old")
    target.chmod(0o644)
    seen = []
    real_replace = os.replace

    def replace(source: str, destination: Path) -> None:
        seen.append((mode(Path(source)), Path(source).parent == tmp_path, Path(source).read_text()))
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", replace)
    write_atomic(target, "new", mode=PRIVATE)
    assert seen == [(0o600, True, "new")]  # written whole before it took the name
    assert mode(target) == 0o600 and target.read_text() == "new"


def test_without_a_mode_the_file_gets_what_open_would_give(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "profile.toml", "name = 'x'\n")
        (tmp_path / "plain.txt").write_text("x")
    finally:
        os.umask(old)
    assert mode(tmp_path / "profile.toml") == mode(tmp_path / "plain.txt") == 0o640


def test_an_explicit_mode_and_bytes(tmp_path: Path) -> None:
    target = tmp_path / "reminders.ics"
    write_atomic(target, b"BEGIN:VCALENDAR\r\n", mode=0o644)
    assert target.read_bytes() == b"BEGIN:VCALENDAR\r\n" and mode(target) == 0o644


def test_exclusive_never_replaces_a_file(tmp_path: Path) -> None:
    target = tmp_path / "files" / "interview.toml"
    write_atomic(target, "first\n", exclusive=True)
    with pytest.raises(FileExistsError):
        write_atomic(target, "second\n", exclusive=True)
    assert target.read_text() == "first\n"
    assert [p.name for p in target.parent.iterdir()] == ["interview.toml"]


def test_a_missing_directory_is_an_error_when_parents_are_not_made(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "missing" / "r.ics", "x", make_parents=False)
    assert not (tmp_path / "missing").exists()


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "files" / "token.json"
    target.parent.mkdir()
    target.write_text("old")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, "new", mode=PRIVATE)
    assert target.read_text() == "old"
    assert [p.name for p in target.parent.iterdir()] == ["token.json"]
