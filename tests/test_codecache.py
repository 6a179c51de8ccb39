"""The compiled-template cache: used when it matches, never stale, never an error."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest

from tests.helpers import write_interview
from thanknote import codecache
from thanknote.errors import BadInput
from thanknote.loader import load
from thanknote.render import render_notes
from thanknote.template import _compile, default_template


@pytest.fixture(autouse=True)
def fresh_process() -> Iterator[None]:
    """Each test starts as a new process would: nothing compiled in memory."""
    _compile.cache_clear()
    yield
    _compile.cache_clear()


def _cached_files() -> list[Path]:
    folder = codecache.directory()
    return sorted(folder.glob("*" + codecache.SUFFIX)) if folder.is_dir() else []


def _bodies(tmp_path: Path, template: Path | None = None) -> list[tuple[str, str]]:
    notes = render_notes(load(write_interview(tmp_path)), template=template)
    return [(note.subject, note.body) for note in notes]


def _no_compiling(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("compiled although the cache holds this template")

    monkeypatch.setattr(jinja2.Environment, "compile", refuse)


def test_a_compiled_template_is_kept_private_and_reused(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _cached_files() == []
    first = _bodies(isolated)
    (kept,) = _cached_files()
    assert kept.is_relative_to(Path(os.environ["XDG_CACHE_HOME"]))
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700

    _compile.cache_clear()
    _no_compiling(monkeypatch)
    assert _bodies(isolated) == first


def test_a_changed_template_is_compiled_again(isolated: Path) -> None:
    template = isolated / "t.txt"
    template.write_text("Subject: Hi {{ interviewer.first_name }}\n\nFirst text\n")
    assert [body for _, body in _bodies(isolated, template)][0] == "First text\n"
    template.write_text("Subject: Hi {{ interviewer.first_name }}\n\nSecond text\n")
    _compile.cache_clear()
    assert [body for _, body in _bodies(isolated, template)][0] == "Second text\n"
    assert len(_cached_files()) == 2


@pytest.mark.parametrize("damage", [b"", b"\x00garbage", b"N"])
def test_a_damaged_file_is_compiled_again(isolated: Path, damage: bytes) -> None:
    first = _bodies(isolated)
    (kept,) = _cached_files()
    kept.write_bytes(damage)
    _compile.cache_clear()
    assert _bodies(isolated) == first
    assert kept.read_bytes() not in (b"", damage)  # written again, whole


def test_a_cache_others_may_write_is_not_used(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _bodies(isolated)
    folder = codecache.directory()
    folder.chmod(0o777)
    _compile.cache_clear()
    compiled: list[object] = []
    original = jinja2.Environment.compile

    def counting(self: jinja2.Environment, *args: Any, **kwargs: Any) -> Any:
        compiled.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    assert _bodies(isolated) == first
    assert len(compiled) == 2  # subject and body, from the text


def test_a_cache_that_cannot_be_written_is_skipped(isolated: Path) -> None:
    codecache.directory().parent.mkdir(parents=True)
    codecache.directory().write_text("not a directory")
    assert len(_bodies(isolated)) == 2
    assert codecache.directory().read_text() == "not a directory"


def test_a_template_with_errors_is_not_kept(isolated: Path) -> None:
    template = isolated / "t.txt"
    template.write_text("Subject: Hi\n\nok\n{% if %}\n")
    for _ in range(2):  # the second time too: the error is not remembered as code
        _compile.cache_clear()
        with pytest.raises(BadInput, match=r"t\.txt:4: template syntax error"):
            _bodies(isolated, template)
    assert _cached_files() == []


def test_errors_from_cached_code_still_name_the_template_line(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = isolated / "t.txt"
    template.write_text("Subject: Hi\n\nLine three\nLine four {{ interviewer.nickname }}\n")
    for _ in range(2):
        _compile.cache_clear()
        with pytest.raises(BadInput) as caught:
            _bodies(isolated, template)
        assert caught.value.message.startswith(f"{template}:4:")
        _no_compiling(monkeypatch)  # the second round runs the kept code
    assert len(_cached_files()) == 1


def test_the_key_depends_on_path_and_text() -> None:
    shipped = default_template()
    text = shipped.read_text(encoding="utf-8")
    assert codecache.key(shipped, text) == codecache.key(shipped, text)
    assert codecache.key(shipped, text) != codecache.key(shipped, text + " ")
    assert codecache.key(shipped, text) != codecache.key(shipped.with_name("x.txt"), text)


@pytest.mark.parametrize("cache_home", [None, "", "   ", "elsewhere"])
def test_the_cache_directory_is_platformdirs_user_cache_dir(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, cache_home: str | None
) -> None:
    import platformdirs

    if cache_home is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv(
            "XDG_CACHE_HOME", str(isolated / cache_home) if cache_home.strip() else cache_home
        )
    expected = Path(platformdirs.user_cache_dir("thanknote", appauthor=False)) / "templates"
    assert codecache.directory() == expected
