"""Every THANKNOTE_* variable is read in settings.py, at the moment it is needed."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import thanknote
from thanknote import clock, paths, settings
from thanknote.errors import BadInput
from thanknote.settings import Variable

PACKAGE = Path(thanknote.__file__).parent


def _constants(tree: ast.Module) -> dict[str, str]:
    """The module's NAME = "string" assignments (at any depth: a class's too)."""
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Constant):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    found[target.id] = node.value.value
    return found


def _is_environ(node: ast.expr) -> bool:
    """``os.environ``, or ``environ`` imported from os."""
    if isinstance(node, ast.Attribute):
        return node.attr == "environ"
    return isinstance(node, ast.Name) and node.id == "environ"


def _is_getenv(node: ast.expr) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr in ("getenv", "getenvb")
    return isinstance(node, ast.Name) and node.id in ("getenv", "getenvb")


def _keys(node: ast.AST) -> list[ast.expr]:
    """The keys looked up in the environment by this node, if it is such a lookup."""
    if isinstance(node, ast.Call):
        function = node.func
        if _is_getenv(function):
            return node.args[:1]
        if isinstance(function, ast.Attribute) and _is_environ(function.value):
            return node.args[:1]  # environ.get / setdefault / pop ...
    if isinstance(node, ast.Subscript) and _is_environ(node.value):
        return [node.slice]
    if isinstance(node, ast.Compare) and any(_is_environ(c) for c in node.comparators):
        return [node.left]
    return []


def environment_reads(source: str) -> list[str]:
    """Each lookup of a THANKNOTE_* variable (or of a key that cannot be told) in ``source``.

    A key is a string, a name bound to one in the module, or ``Variable.X``; a key
    the scan cannot resolve counts as a THANKNOTE_* read (settings.read is the way).
    """
    tree = ast.parse(source)
    constants = _constants(tree)
    reads: list[str] = []
    for node in ast.walk(tree):
        for key in _keys(node):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                name = key.value
            elif isinstance(key, ast.Name) and key.id in constants:
                name = constants[key.id]
            elif isinstance(key, ast.Attribute) and key.attr in Variable.__members__:
                name = Variable[key.attr].value
            else:
                name = f"THANKNOTE_? ({ast.unparse(key)})"
            if name.startswith("THANKNOTE_"):
                reads.append(f"line {key.lineno}: {name}")
    return reads


def test_no_module_but_settings_reads_a_thanknote_variable() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): found
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != PACKAGE / "settings.py"
        and (found := environment_reads(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


@pytest.mark.parametrize(
    "source",
    [
        'import os\nos.environ.get("THANKNOTE_DB")',
        'import os\nos.getenv("THANKNOTE_NOW", "")',
        'import os\nVARIABLE = "THANKNOTE_PROFILE"\nos.environ[VARIABLE]',
        'from os import environ\n"THANKNOTE_DB" in environ',
        "import os\nos.environ.get(Variable.GMAIL_ENDPOINT)",
        "import os\ndef f(name):\n    return os.environ.get(name)",
    ],
)
def test_the_scan_finds_a_read_elsewhere(source: str) -> None:
    assert len(environment_reads(source)) == 1


def test_the_scan_leaves_other_variables_alone() -> None:
    assert environment_reads('import os\nos.environ.get("HOME")\nos.environ["PATH"]') == []


def test_every_variable_has_a_one_line_description() -> None:
    source = (PACKAGE / "settings.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    described: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "Variable":
            body = node.body
            for here, after in zip(body, body[1:], strict=False):
                if (
                    isinstance(here, ast.Assign)
                    and isinstance(after, ast.Expr)
                    and isinstance(after.value, ast.Constant)
                ):
                    target = here.targets[0]
                    assert isinstance(target, ast.Name)
                    described[target.id] = str(after.value.value)
    assert sorted(described) == sorted(Variable.__members__)
    assert all(text.strip() and "\n" not in text.strip() for text in described.values())
    assert all(member.value == f"THANKNOTE_{member.name}" for member in Variable)


def test_values_are_read_when_asked_not_at_import(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("THANKNOTE_DB", str(tmp_path / "one.sqlite3"))
    assert paths.send_log_path() == tmp_path / "one.sqlite3"
    monkeypatch.setenv("THANKNOTE_DB", str(tmp_path / "two.sqlite3"))
    assert paths.send_log_path() == tmp_path / "two.sqlite3"
    monkeypatch.setenv("THANKNOTE_NOW", "2026-11-26T09:00:00+01:00")
    assert clock.now().isoformat() == "2026-11-26T08:00:00+00:00"
    monkeypatch.setenv("THANKNOTE_NOW", "yesterday")
    with pytest.raises(BadInput, match="THANKNOTE_NOW='yesterday'"):
        clock.now()


def test_an_empty_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THANKNOTE_NO_BACKOFF", "")
    assert settings.read(Variable.NO_BACKOFF) is None
    assert not settings.is_on(Variable.NO_BACKOFF)
    monkeypatch.setenv("THANKNOTE_NO_BACKOFF", "1")
    assert settings.is_on(Variable.NO_BACKOFF)
