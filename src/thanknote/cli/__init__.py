"""The command line: parse options, call the library, print, map errors to exit codes.

One module per group of commands, each registered here in the order ``--help``
lists them:

- :mod:`~thanknote.cli.notes`: ``preview``, ``draft``, ``send``, ``followup``;
- :mod:`~thanknote.cli.history`: ``log``, ``followups``;
- :mod:`~thanknote.cli.identity`: ``auth``, ``login``, ``logout``, ``profile``;
- :mod:`~thanknote.cli.onboarding`: ``init``, ``doctor``;
- :mod:`~thanknote.cli.options`: the options several commands share (the SMTP bundle);
- :mod:`~thanknote.cli.output`: errors, the question, progress, a session's report.

A run imports only the module of its command; Google's libraries, rich and the
SMTP machinery load inside the commands that use them, so ``--help`` and
``preview`` start fast.
"""

from __future__ import annotations

import gc
import importlib
import sys
from typing import Annotated, Any

import typer

from thanknote import __version__

_APP_SETTINGS: dict[str, Any] = dict(
    name="thanknote",
    help="One personal thank-you note per interviewer: previewed, checked, delivered, logged.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

COMMANDS = {
    "init": "onboarding",
    "preview": "notes",
    "draft": "notes",
    "send": "notes",
    "log": "history",
    "auth": "identity",
    "login": "identity",
    "logout": "identity",
    "doctor": "onboarding",
    "followups": "history",
    "followup": "notes",
}
"""Each command and the module that holds it, in the order ``--help`` lists them."""

_FUNCTIONS = {"log": "show_log"}
"""Commands whose function has another name (``log`` would shadow the logging sense)."""

GROUPS = {"profile": ("identity", "profile_app")}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"thanknote {__version__}")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    pass


def build(names: list[str] | None = None) -> typer.Typer:
    """The app with the commands ``names`` (default: every one), importing only their modules.

    Typer turns every registered command's signature into click parameters on
    each start; a run of one command builds only that one.
    """
    built = typer.Typer(**_APP_SETTINGS)
    built.callback()(_root)
    for name, module in COMMANDS.items():
        if names is None or name in names:
            holder = importlib.import_module(f"thanknote.cli.{module}")
            built.command(name)(getattr(holder, _FUNCTIONS.get(name, name)))
    for name, (module, attribute) in GROUPS.items():
        if names is None or name in names:
            holder = importlib.import_module(f"thanknote.cli.{module}")
            built.add_typer(getattr(holder, attribute))
    return built


def _app_for(arguments: list[str]) -> typer.Typer:
    """Only the command being run, when the first argument names one; else every command."""
    if arguments and (arguments[0] in COMMANDS or arguments[0] in GROUPS):
        return build([arguments[0]])
    return build()


def main() -> None:
    """Console entry point: every ThanknoteError becomes a message and its exit code."""
    from thanknote.errors import ThanknoteError

    # One command is a short, bounded run: reference counting frees what it
    # allocates, and the cyclic collector would spend a sixth of a 1,000-note
    # preview walking objects that live until exit anyway.
    gc.disable()
    try:
        _app_for(sys.argv[1:])()
    except ThanknoteError as error:  # pragma: no cover - typer re-raises from standalone mode
        from thanknote.cli.output import fail

        fail(error)


def __getattr__(name: str) -> Any:
    """``app``: every command (tests drive it with typer's CliRunner)."""
    if name == "app":
        app = build()
        globals()["app"] = app
        return app
    raise AttributeError(f"module 'thanknote.cli' has no attribute {name!r}")
