"""thanknote: one personal thank-you note per interviewer, checked, delivered and logged.

The command line is a thin layer over three functions, which a script can call too::

    import getpass

    import thanknote

    plan = thanknote.plan("interview.toml", via="smtp")  # load, render, check, plan
    smtp = thanknote.smtp_settings("smtp.example.com", user="me@example.com")
    ask = lambda user: getpass.getpass(f"SMTP password for {user}: ")  # no keyring entry
    result = thanknote.deliver(plan, smtp=smtp, password=ask)
    print(result.summary)  # "3 sent"; result.exit_code follows the command's rule

- :func:`load` reads and checks an interview file;
- :func:`plan` renders every note, runs every check and says what a run would do
  with each note, read from the send log (raises :class:`BadInput` or
  :class:`GuardRefusal` and sends nothing);
- :func:`deliver` is the delivery session: it claims each note in the send log
  before it goes and records it after, so a second ``deliver`` of the same notes
  sends nothing.

Everything here is imported when first used, so ``import thanknote`` stays cheap.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing and pathlib here costs ~20 ms
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime
    from pathlib import Path
    from typing import Any

    from thanknote.checks import GuardOptions
    from thanknote.errors import BadInput, GuardRefusal, ThanknoteError
    from thanknote.model import InterviewFile
    from thanknote.planning import Plan
    from thanknote.senders.smtp import SmtpSettings
    from thanknote.session import Question, SessionResult

__version__ = "0.1.0"

__all__ = [
    "BadInput",
    "GuardOptions",
    "GuardRefusal",
    "InterviewFile",
    "Plan",
    "Question",
    "SessionResult",
    "SmtpSettings",
    "ThanknoteError",
    "__version__",
    "deliver",
    "load",
    "plan",
    "smtp_settings",
]

_LAZY = {
    "BadInput": "thanknote.errors",
    "GuardRefusal": "thanknote.errors",
    "ThanknoteError": "thanknote.errors",
    "GuardOptions": "thanknote.checks",
    "InterviewFile": "thanknote.model",
    "Plan": "thanknote.planning",
    "Question": "thanknote.session",
    "SessionResult": "thanknote.session",
    "SmtpSettings": "thanknote.senders.smtp",
}


def __getattr__(name: str) -> Any:
    """The public types, imported on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'thanknote' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def load(path: Path | str) -> InterviewFile:
    """Read and check an interview file; raise :class:`BadInput` (with file and line)."""
    from pathlib import Path

    from thanknote.planning import load as loading

    return loading(Path(path))


def plan(
    file: Path | str | InterviewFile,
    *,
    via: str | None = None,
    purpose: str = "send",
    template: Path | str | None = None,
    db: Path | str | None = None,
    only: Iterable[str] = (),
    resend: Iterable[str] = (),
    guards: GuardOptions | None = None,
    now: datetime | None = None,
) -> Plan:
    """Render, check and plan the thank-you notes of ``file``; nothing is sent.

    ``via`` is ``smtp`` or ``gmail`` and ``purpose`` is ``send`` or ``draft``, as
    for ``thanknote send`` and ``thanknote draft``; ``db`` is the send log
    (default: as the command line's). ``only`` and ``resend`` are addresses, as
    ``--only`` and ``--resend``. Raises :class:`BadInput` for bad input and
    :class:`GuardRefusal` when a check refuses the notes (too alike, a wrong name,
    an interview that has not ended), like the command.
    """
    from pathlib import Path

    from thanknote import clock, planning
    from thanknote.checks import GuardOptions
    from thanknote.model import InterviewFile

    loaded = file if isinstance(file, InterviewFile) else None
    request = planning.Request(
        path=loaded.path if loaded is not None else Path(file),  # type: ignore[arg-type]
        via=via,
        purpose=purpose,
        template=Path(template) if template is not None else None,
        db=Path(db) if db is not None else None,
        only=frozenset(only),
        resend=frozenset(resend),
        guards=guards or GuardOptions(),
    )
    return planning.plan(request, now or clock.now(), loaded=loaded)


def smtp_settings(
    host: str,
    *,
    port: int | None = None,
    security: str | None = None,
    user: str | None = None,
    cafile: Path | str | None = None,
    auth: str | None = None,
) -> SmtpSettings:
    """SMTP settings, checked as the command line checks its ``--smtp-*`` options.

    ``security`` is ``ssl`` (the default), ``starttls`` or ``none`` (loopback only);
    ``user`` defaults to the candidate's address; ``auth`` is ``password`` or ``oauth``.
    """
    from pathlib import Path

    from thanknote.senders.smtp import settings_from_options

    return settings_from_options(
        host=host,
        port=port,
        security=security,
        user=user,
        cafile=Path(cafile) if cafile is not None else None,
        auth=auth,
    )


def deliver(
    plan: Plan,
    *,
    smtp: SmtpSettings | None = None,
    password: Callable[[str], str] | None = None,
    confirm: Callable[[Question], bool] | None = None,
    dry_run: bool = False,
) -> SessionResult:
    """Deliver ``plan``: open the send log and the sender, claim, deliver, record, close.

    ``smtp`` is needed for a plan ``via="smtp"``; ``password(user)`` is asked only
    when neither THANKNOTE_SMTP_PASSWORD nor the system keyring has the password.
    ``confirm(question)``, if given, is asked before anything goes (return False
    to send nothing). The result says what happened to each note (``result.batch``),
    the summary, and the command line's exit code (``result.exit_code``).
    """
    from thanknote import session

    if password is None:
        return session.deliver(plan, smtp=smtp, confirm=confirm, dry_run=dry_run)
    return session.deliver(plan, smtp=smtp, password=password, confirm=confirm, dry_run=dry_run)
