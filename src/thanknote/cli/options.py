"""The options several commands share, declared once: the note options and the SMTP bundle.

Closed sets (``--via``, ``--smtp-security``, ``--smtp-auth``) are :mod:`thanknote.values`
enums: typer lists them in ``--help``, and a bad value exits 2 naming the allowed ones.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from thanknote.settings import Variable
from thanknote.values import Security, SmtpAuth

if TYPE_CHECKING:
    from thanknote.senders.smtp import SmtpSettings

F = TypeVar("F", bound=Callable[..., Any])


# -- the note options -------------------------------------------------------------------------

FileArgument = Annotated[
    Path, typer.Argument(help="The interview file (TOML).", show_default=False)
]
DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="The send log (SQLite). Env: THANKNOTE_DB. Default: sends.sqlite3 in the "
        "user data directory.",
        show_default=False,
    ),
]
TemplateOption = Annotated[
    Path | None,
    typer.Option(
        "--template",
        help="A note template for every interviewer (an interviewer's own template wins).",
        show_default=False,
    ),
]
OnlyOption = Annotated[
    list[str] | None,
    typer.Option("--only", help="Only the note to this address (repeatable).", show_default=False),
]
ResendOption = Annotated[
    list[str] | None,
    typer.Option(
        "--resend",
        help="Deliver this address's note again on purpose (repeatable).",
        show_default=False,
    ),
]
DryRunOption = Annotated[
    bool,
    typer.Option("--dry-run", help="Render, check and report what would happen; touch nothing."),
]
MaxSimilarityOption = Annotated[
    float,
    typer.Option(
        "--max-similarity",
        min=0.0,
        max=1.0,
        help="Refuse two notes more similar than this (0-1). The score falls by 0.1 for each "
        "word one note has that the other lacks, so 0.5 asks each note for five words of its own.",
    ),
]
AllowSimilarOption = Annotated[
    bool,
    typer.Option(
        "--allow-similar",
        help="Skip the near-identical check (identical and name-swapped bodies are still refused).",
    ),
]
AllowMentionOption = Annotated[
    list[str] | None,
    typer.Option(
        "--allow-mention",
        help="Let the notes name this company or role of another interview in "
        "the send log on purpose (repeatable).",
        show_default=False,
    ),
]
YesOption = Annotated[
    bool,
    typer.Option(
        "--yes",
        "-y",
        help="Do not ask for confirmation (required when standard input is not a terminal).",
    ),
]


# -- the SMTP bundle ------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpOptions:
    """The six ``--smtp-*`` options of ``send``, ``followup`` and ``doctor``."""

    host: str | None
    port: int | None
    security: Security | None
    user: str | None
    cafile: Path | None
    auth: SmtpAuth | None

    def settings(self, default_host: str = "smtp.gmail.com") -> SmtpSettings:
        """The settings, checked before anything else runs; the password is asked later."""
        from thanknote.senders.smtp import settings_from_options

        return settings_from_options(
            host=self.host or default_host,
            port=self.port,
            security=self.security,
            user=self.user,
            cafile=self.cafile,
            auth=self.auth,
        )


SmtpPortOption = Annotated[
    int | None,
    typer.Option(
        "--smtp-port",
        envvar=Variable.SMTP_PORT,
        min=1,
        max=65535,
        help="Default: 465 for ssl, 587 for starttls, 25 for none.",
        show_default=False,
    ),
]
SmtpSecurityOption = Annotated[
    Security | None,
    typer.Option(
        "--smtp-security",
        envvar=Variable.SMTP_SECURITY,
        help="ssl, starttls, or none (loopback hosts only). Default: ssl; starttls for "
        "smtp-mail.outlook.com and smtp.office365.com.",
        show_default=False,
    ),
]
SmtpUserOption = Annotated[
    str | None,
    typer.Option(
        "--smtp-user",
        envvar=Variable.SMTP_USER,
        help="Default: the candidate's email.",
        show_default=False,
    ),
]
SmtpCafileOption = Annotated[
    Path | None,
    typer.Option(
        "--smtp-cafile",
        envvar=Variable.SMTP_CAFILE,
        help="An extra CA bundle to trust.",
        show_default=False,
    ),
]
SmtpAuthOption = Annotated[
    SmtpAuth | None,
    typer.Option(
        "--smtp-auth",
        envvar=Variable.SMTP_AUTH,
        help="password, or oauth (XOAUTH2 with the sign-in of 'thanknote auth --provider "
        "microsoft'). Default: oauth for smtp-mail.outlook.com and smtp.office365.com, else "
        "password.",
        show_default=False,
    ),
]
_SMTP_NAMES = ("smtp_host", "smtp_port", "smtp_security", "smtp_user", "smtp_cafile", "smtp_auth")


def smtp_options(
    *, host_default: str | None = "smtp.gmail.com", host_help: str = "SMTP server."
) -> Callable[[F], F]:
    """Give a command the six ``--smtp-*`` options, passed to it as ``smtp: SmtpOptions``.

    The options are appended to the command's own, in the order ``--help`` lists them.
    """
    host = Annotated[
        str | None,
        typer.Option(
            "--smtp-host",
            envvar=Variable.SMTP_HOST,
            help=host_help,
            show_default=host_default is not None,
        ),
    ]
    added = [
        _keyword("smtp_host", host, host_default),
        _keyword("smtp_port", SmtpPortOption),
        _keyword("smtp_security", SmtpSecurityOption),
        _keyword("smtp_user", SmtpUserOption),
        _keyword("smtp_cafile", SmtpCafileOption),
        _keyword("smtp_auth", SmtpAuthOption),
    ]

    def decorate(command: F) -> F:
        signature = inspect.signature(command, eval_str=True)
        own = [p for p in signature.parameters.values() if p.name != "smtp"]

        @functools.wraps(command)
        def with_smtp(*args: Any, **kwargs: Any) -> Any:
            bundle = SmtpOptions(*(kwargs.pop(name) for name in _SMTP_NAMES))
            return command(*args, smtp=bundle, **kwargs)

        with_smtp.__signature__ = signature.replace(parameters=[*own, *added])  # type: ignore[attr-defined]
        with_smtp.__annotations__ = {}  # typer reads the signature above
        return with_smtp  # type: ignore[return-value]

    return decorate


def _keyword(name: str, annotation: Any, default: Any = None) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )
