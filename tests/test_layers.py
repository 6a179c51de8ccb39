"""The package's layers: a module imports only from its own layer or from those below.

The README's *How the code is laid out* draws these layers; following one
``thanknote send`` goes down them without climbing back. Every module is placed
here, so a new one fails this test until someone decides where it belongs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import thanknote

PACKAGE = Path(thanknote.__file__).parent

LAYERS: dict[int, tuple[str, ...]] = {
    # Values and services that know nothing of interviews or notes.
    0: (
        "values",
        "errors",
        "settings",
        "status",
        "clock",
        "paths",
        "atomic_file",
        "retry",
        "certificates",
        "logfile",
    ),
    # The protocol's rules, pure functions; and the claimant facts they are fed.
    1: ("rules", "claimant"),
    # The interview and the candidate, from their files (TOML, .ics, the profile).
    2: (
        "model",
        "addresses",
        "locations",
        "schedule",
        "placeholders",
        "loader",
        "profile",
        "example",
        "interview_writer",
        "invite",
        "invite_title",
        "invitees",
    ),
    # The notes: templates, rendering, personal share, names, guards, the message.
    3: (
        "template",
        "phrasing",
        "render",
        "personal",
        "sentences",
        "names",
        "spelling",
        "similarity",
        "guards",
        "mailbox",
        "message",
    ),
    # The adapters: the send log (SQLite), the senders (SMTP, Gmail), the accounts.
    4: ("sendlog", "senders", "accounts", "interrupt"),
    # Features built on them: checks against the log, follow-ups, the log's listing.
    5: ("checks", "banner", "followups", "logview", "jsonlist"),
    6: ("planning",),
    7: ("delivery", "doctor"),
    8: ("session", "preview"),
    # The public API (thanknote/__init__.py), then the command line above it.
    9: ("",),
    10: ("cli", "launch", "__main__"),
}
LAYER = {
    f"thanknote.{name}".rstrip("."): layer for layer, names in LAYERS.items() for name in names
}


def layer_of(module: str) -> int:
    """The layer of a module: its own entry, or its package's (``senders.smtp.login``)."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in LAYER:
            return LAYER[".".join(parts[:end])]
    raise AssertionError(f"{module} is in no layer: place it in tests/test_layers.py")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(module: str) -> set[str]:
    """The package's modules this one imports, at the top or inside a function."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            submodules = {f"{base}.{alias.name}" for alias in node.names} & MODULES.keys()
            # ``from thanknote import rules`` imports rules, not the public API.
            found.update(submodules or {base})
    return {name for name in found if name in MODULES and name != module}


def test_every_module_has_a_layer() -> None:
    assert len(MODULES) > 50
    for module in MODULES:
        layer_of(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_its_own_layer_or_lower(module: str) -> None:
    own = layer_of(module)
    upward = sorted(name for name in imported_modules(module) if layer_of(name) > own)
    assert not upward, f"{module} (layer {own}) imports from above: {upward}"


def test_the_check_sees_an_upward_import() -> None:
    # The rules import only values; the send log imports the rules, never the reverse.
    assert "thanknote.rules.window" in imported_modules("thanknote.rules")
    assert layer_of("thanknote.sendlog.store") > layer_of("thanknote.rules.window")
    assert "thanknote.planning" in imported_modules("thanknote.cli.notes")
    assert layer_of("thanknote.cli.notes") > layer_of("thanknote.planning")


def readme_tree() -> set[str]:
    """The files the README's *How the code is laid out* tree names, as paths."""
    readme = (PACKAGE.parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## How the code is laid out", 1)[1]
    block = section.split("```text\n", 1)[1].split("```", 1)[0]
    folders: list[str] = []
    found: set[str] = set()
    for line in block.splitlines()[1:]:  # the first line is src/thanknote/ itself
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        depth = (len(line) - len(stripped)) // 4 - 1
        name = stripped.split()[0]
        del folders[depth:]
        if name.endswith("/"):
            folders.append(name.rstrip("/"))
        else:
            found.add("/".join([*folders, name]))
    return found


def test_the_readme_tree_lists_exactly_the_package_files() -> None:
    files = {str(path.relative_to(PACKAGE)) for path in MODULES.values()}
    listed = readme_tree()
    assert sorted(files - listed) == [], "in the package, missing from the README's tree"
    assert sorted(listed - files) == [], "in the README's tree, not in the package"


def test_the_readme_tree_is_read_by_folder() -> None:
    listed = readme_tree()
    assert "senders/gmail/drafts.py" in listed and "sendlog/schema.py" in listed
    assert "drafts.py" not in listed
