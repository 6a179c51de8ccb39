"""The command line: parse options, call the library, print, map errors to exit codes.

Google's libraries, rich and the SMTP machinery are imported inside the
commands that use them, so ``--help`` and ``preview`` start fast.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, ParamSpec, TypeVar

import typer

from thanknote import __version__
from thanknote.errors import BadInput, GuardRefusal, ThanknoteError

if TYPE_CHECKING:
    from thanknote.delivery import NoteResult
    from thanknote.planning import Plan, Request
    from thanknote.senders.smtp import SmtpSettings
    from thanknote.session import Question, SessionResult

P = ParamSpec("P")
R = TypeVar("R")

_APP_SETTINGS = dict(
    name="thanknote",
    help="One personal thank-you note per interviewer: previewed, checked, delivered, logged.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app = typer.Typer(**_APP_SETTINGS)  # type: ignore[arg-type]

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


SmtpHostOption = Annotated[
    str, typer.Option("--smtp-host", envvar="THANKNOTE_SMTP_HOST", help="SMTP server.")
]
SmtpPortOption = Annotated[
    int | None,
    typer.Option(
        "--smtp-port",
        envvar="THANKNOTE_SMTP_PORT",
        min=1,
        max=65535,
        help="Default: 465 for ssl, 587 for starttls, 25 for none.",
        show_default=False,
    ),
]
SmtpSecurityOption = Annotated[
    str | None,
    typer.Option(
        "--smtp-security",
        envvar="THANKNOTE_SMTP_SECURITY",
        help="ssl, starttls, or none (loopback hosts only). Default: ssl; starttls for "
        "smtp-mail.outlook.com and smtp.office365.com.",
        show_default=False,
    ),
]
SmtpUserOption = Annotated[
    str | None,
    typer.Option(
        "--smtp-user",
        envvar="THANKNOTE_SMTP_USER",
        help="Default: the candidate's email.",
        show_default=False,
    ),
]
SmtpCafileOption = Annotated[
    Path | None,
    typer.Option(
        "--smtp-cafile",
        envvar="THANKNOTE_SMTP_CAFILE",
        help="An extra CA bundle to trust.",
        show_default=False,
    ),
]
SmtpAuthOption = Annotated[
    str | None,
    typer.Option(
        "--smtp-auth",
        envvar="THANKNOTE_SMTP_AUTH",
        help="password, or oauth (XOAUTH2 with the sign-in of 'thanknote auth --provider "
        "microsoft'). Default: oauth for smtp-mail.outlook.com and smtp.office365.com, else "
        "password.",
        show_default=False,
    ),
]


def _fail(error: ThanknoteError) -> NoReturn:
    typer.echo(f"thanknote: {error.message}", err=True)
    if error.hint:
        typer.echo(f"hint: {error.hint}", err=True)
    raise typer.Exit(error.exit_code)


def main() -> None:
    """Console entry point: every ThanknoteError becomes a message and its exit code."""
    # One command is a short, bounded run: reference counting frees what it
    # allocates, and the cyclic collector would spend a sixth of a 1,000-note
    # preview walking objects that live until exit anyway.
    gc.disable()
    try:
        _app_for(sys.argv[1:])()
    except ThanknoteError as error:  # pragma: no cover - typer re-raises from standalone mode
        _fail(error)


def _app_for(arguments: list[str]) -> typer.Typer:
    """The app with only the command being run, when the first argument names one.

    Typer turns every registered command's signature into click parameters on
    each start; with one command instead of eight, ``preview`` starts about
    5 ms sooner. ``thanknote`` alone and ``thanknote --help`` get every command.
    """
    if not arguments:
        return app
    chosen = [
        info
        for info in app.registered_commands
        if (info.name or getattr(info.callback, "__name__", "")) == arguments[0]
    ]
    if not chosen:
        return app
    single = typer.Typer(**_APP_SETTINGS)  # type: ignore[arg-type]
    single.registered_callback = app.registered_callback
    single.registered_commands = chosen
    return single


def _guarded(function: Callable[P, R]) -> Callable[P, R]:
    """Run a command body, turning ThanknoteError into a message and its exit code."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except ThanknoteError as error:
            _fail(error)
        except KeyboardInterrupt:
            typer.echo("thanknote: interrupted; see 'thanknote log' for what went out", err=True)
            raise typer.Exit(130) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        typer.echo(f"thanknote {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    pass


# -- init --------------------------------------------------------------------------------------


@app.command()
@_guarded
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the interview file.")] = Path(
        "interview.toml"
    ),
    invites: Annotated[
        list[Path] | None,
        typer.Option(
            "--from",
            help="Build the file from this calendar invitation (.ics, or an .eml that "
            "carries one); repeat for each session of one interview.",
            show_default=False,
        ),
    ] = None,
    me: Annotated[
        str | None,
        typer.Option(
            "--me",
            help="Your address in the invitation (default: your profile's, else the only "
            "address whose domain matches nobody else's).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write a commented interview file: the example, or one built from calendar invitations.

    Refuses to overwrite. With a profile (thanknote profile set), [candidate] is left out.
    """
    from thanknote import interview_writer as writer
    from thanknote import profile as profiles

    writer.refuse_existing(path)
    profile = profiles.load_profile()
    profile_file = profiles.profile_path()
    if invites:
        from thanknote import clock

        made = writer.from_invites(
            invites, target=path, me=me, profile=profile, profile_file=profile_file, now=clock.now()
        )
        writer.write_new(path, made.text)
        typer.echo(
            f"wrote {path}: {made.interviewers} interviewer(s)"
            + (f", {len(made.left_out)} left out" if made.left_out else "")
            + f"; fill in its {made.placeholders} <...> placeholder(s), then run: "
            f"thanknote preview {path}"
        )
        return
    if me is not None:
        raise BadInput("--me only applies with --from INVITE")
    from thanknote.example import example_for

    text = example_for(str(path))
    if profile is not None:
        text = writer.without_candidate(text, profile_file)
    writer.write_new(path, text)
    typer.echo(f"wrote {path}; edit it, then run: thanknote preview {path}")


profile_app = typer.Typer(
    name="profile",
    help="The candidate profile that interview files without [candidate] use.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(profile_app)


@profile_app.command("set")
@_guarded
def profile_set(
    name: Annotated[
        str, typer.Option("--name", help="Your name, as notes are signed.", show_default=False)
    ],
    email: Annotated[
        str,
        typer.Option("--email", help="Your address: the From: of every note.", show_default=False),
    ],
    signature: Annotated[
        str | None,
        typer.Option(
            "--signature",
            help="The note's closing lines (default: your name); \\n for a new line.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Save your name, address and signature for every interview file without [candidate]."""
    from thanknote import profile as profiles

    if signature is not None:
        signature = signature.replace("\\n", "\n")
    path = profiles.save_profile(name, email, signature)
    typer.echo(f"saved the profile to {path}; interview files without [candidate] use it")


@profile_app.command("show")
@_guarded
def profile_show() -> None:
    """Print the profile."""
    from thanknote import profile as profiles

    candidate = profiles.load_profile()
    if candidate is None:
        raise BadInput(
            f"no profile yet ({profiles.profile_path()})",
            hint=f"save one with: {profiles.SET_HINT}",
        )
    typer.echo(profiles.describe(candidate, profiles.profile_path()))


# -- preview -----------------------------------------------------------------------------------


@app.command()
@_guarded
def preview(
    file: FileArgument,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write one .eml file per note here.", show_default=False),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the notes as JSON.")] = False,
    template: TemplateOption = None,
    db: DbOption = None,
    max_similarity: MaxSimilarityOption = 0.5,
    allow_similar: AllowSimilarOption = False,
    allow_mention: AllowMentionOption = None,
    follow_up: Annotated[
        bool,
        typer.Option(
            "--follow-up",
            help="The follow-up note instead (what 'thanknote followup' would "
            "send next, and what it replies to).",
        ),
    ] = False,
) -> None:
    """Render every note and run every check. Sends nothing; needs no account."""
    from thanknote import preview as previewing
    from thanknote.checks import GuardOptions

    options = GuardOptions(max_similarity, allow_similar, frozenset(allow_mention or ()))
    result = previewing.preview(
        file, template=template, db=db, options=options, out=out, follow_up=follow_up
    )
    if as_json:
        import json

        typer.echo(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
    else:
        typer.echo(result.as_text())
    if not result.report.ok:
        from thanknote.checks import refusal_message

        typer.echo(f"thanknote: {refusal_message(result.report)}", err=True)
        raise typer.Exit(GuardRefusal.exit_code)


# -- draft and send ----------------------------------------------------------------------------


def _confirm(question: Question) -> bool:
    """Show everything the user is about to commit to, and ask."""
    if not sys.stdin.isatty():
        raise BadInput(
            "standard input is not a terminal, so thanknote cannot ask before "
            "sending; run it in a terminal or pass --yes"
        )
    for line in question.banner:
        typer.echo(line)
    if question.whole_note:
        typer.echo(f"\n{question.whole_note}\n")
    for label, subject, notice in question.notes:
        if not question.whole_note:
            typer.echo(f"  {label}: {subject}")
        if notice:
            typer.echo(f"    note: {notice}")
    try:
        return typer.confirm(question.text, default=False)
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("")
        return False


def _print_plan(plan: Plan, lines: tuple[str, ...]) -> None:
    verb = "would draft" if plan.purpose == "draft" else "would send"
    for line in lines:
        typer.echo(line)
    for item in plan.planned:
        note = item.prepared.note
        if item.action == "deliver":
            typer.echo(f"  {verb}: {note.label}: {note.subject}")
        else:
            typer.echo(f"  skip: {note.label}: {item.reason}")


def _print_result(result: SessionResult) -> None:
    """Everything a session's result says, after the progress lines."""
    if result.declined:
        typer.echo("nothing sent")
        return
    for notice in result.notices:
        typer.echo(f"note: {notice}", err=True)
    if result.late:
        typer.echo(f"warning: {result.timing}", err=True)
    elif result.timing:
        typer.echo(f"timing: {result.timing}")
    where = f"; log: {result.log_path}" if result.log_path is not None else ""
    typer.echo(f"{result.summary}{where}")
    batch = result.batch
    if batch.interrupted:
        typer.echo(
            "thanknote: interrupted (Ctrl-C); the log has each note's state, and a "
            "rerun delivers only what is left",
            err=True,
        )
        return
    if batch.stopped:
        typer.echo(f"thanknote: stopped: {batch.stopped}", err=True)
        if batch.stop_hint:
            # The batch's own problem, said once: no rerun helps until it is changed.
            typer.echo(
                f"hint: {batch.stop_hint}; then run the same command again (it "
                "delivers only what is left)",
                err=True,
            )
    for label, detail in result.unsettled:
        # A note that may never have arrived is not done: say what to check, and how.
        typer.echo(f"thanknote: {label}: {detail}", err=True)
    if batch.failed and not batch.stop_hint:
        typer.echo(
            "thanknote: not every note went out; the log has each one's state, and a "
            "rerun delivers only what is left",
            err=True,
        )
    if result.after:
        typer.echo(result.after)


class _Progress:
    """One line per note; on a terminal, also a rich progress bar for the batch."""

    def __init__(self, total: int, *, live: bool) -> None:
        self.total = total
        self.done = 0
        self.bar = None
        if live and total > 1 and sys.stdout.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(
                TextColumn("delivering"), BarColumn(), MofNCompleteColumn(), transient=True
            )
            self.task = self.bar.add_task("notes", total=total)

    def __enter__(self) -> Callable[[NoteResult], None]:
        if self.bar is not None:
            self.bar.start()
        return self.report

    def __exit__(self, *_: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def _print(self, line: str) -> None:
        if self.bar is not None:
            self.bar.console.print(line, markup=False, highlight=False)
        else:
            typer.echo(line)

    def report(self, result: NoteResult) -> None:
        note = result.prepared.note
        if result.status == "skipped":
            self._print(f"skipped: {note.label}: {result.detail}")
            return
        self.done += 1
        detail = f" ({result.detail})" if result.detail and result.status != "sent" else ""
        self._print(f"[{self.done}/{self.total}] {result.status}: {note.label}{detail}")
        if self.bar is not None:
            self.bar.advance(self.task)


def _request(
    file: Path,
    via: str | None,
    purpose: str,
    template: Path | None,
    db: Path | None,
    only: list[str] | None,
    resend: list[str] | None,
    max_similarity: float,
    allow_similar: bool,
    allow_mention: list[str] | None = None,
) -> Request:
    from thanknote.checks import GuardOptions
    from thanknote.planning import Request

    return Request(
        path=file,
        via=via,
        purpose=purpose,
        template=template,
        db=db,
        only=frozenset(only or ()),
        resend=frozenset(resend or ()),
        guards=GuardOptions(max_similarity, allow_similar, frozenset(allow_mention or ())),
    )


@app.command()
@_guarded
def draft(
    file: FileArgument,
    dry_run: DryRunOption = False,
    template: TemplateOption = None,
    db: DbOption = None,
    only: OnlyOption = None,
    resend: ResendOption = None,
    max_similarity: MaxSimilarityOption = 0.5,
    allow_similar: AllowSimilarOption = False,
    allow_mention: AllowMentionOption = None,
) -> None:
    """Create one Gmail draft per interviewer (to read once more and send yourself)."""
    from thanknote import clock, planning

    request = _request(
        file,
        "gmail",
        "draft",
        template,
        db,
        only,
        resend,
        max_similarity,
        allow_similar,
        allow_mention,
    )
    _deliver(planning.plan(request, clock.now()), settings=None, yes=True, dry_run=dry_run)


@app.command()
@_guarded
def send(
    file: FileArgument,
    via: Annotated[str, typer.Option("--via", help="smtp or gmail.", show_default=False)],
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    template: TemplateOption = None,
    db: DbOption = None,
    only: OnlyOption = None,
    resend: ResendOption = None,
    max_similarity: MaxSimilarityOption = 0.5,
    allow_similar: AllowSimilarOption = False,
    allow_mention: AllowMentionOption = None,
    smtp_host: SmtpHostOption = "smtp.gmail.com",
    smtp_port: SmtpPortOption = None,
    smtp_security: SmtpSecurityOption = None,
    smtp_user: SmtpUserOption = None,
    smtp_cafile: SmtpCafileOption = None,
    smtp_auth: SmtpAuthOption = None,
) -> None:
    """Send one message per interviewer, by SMTP or through Gmail.

    The SMTP password comes from THANKNOTE_SMTP_PASSWORD, the system keyring ('thanknote
    login smtp') or a hidden prompt; Outlook and Microsoft 365 sign in with OAuth instead.
    """
    from thanknote import clock, planning

    if via not in ("smtp", "gmail"):
        raise BadInput(f"--via must be smtp or gmail, not {via!r}")
    request = _request(
        file, via, "send", template, db, only, resend, max_similarity, allow_similar, allow_mention
    )
    settings = None
    if via == "smtp":
        settings = _smtp_settings(
            smtp_host, smtp_port, smtp_security, smtp_user, smtp_cafile, smtp_auth
        )
    _deliver(planning.plan(request, clock.now()), settings=settings, yes=yes, dry_run=dry_run)


def _deliver(plan: Plan, *, settings: SmtpSettings | None, yes: bool, dry_run: bool) -> None:
    """The end that draft, send and followup share: show, run the session, report."""
    from thanknote import session

    for notice in plan.checked.personal.notices:
        typer.echo(f"assumed: {notice}", err=True)
    for warning in plan.checked.warnings:
        typer.echo(f"warning: {warning}", err=True)
    shown = session.banner_for(plan, settings)
    if dry_run:
        _print_plan(plan, shown.lines)
        if plan.whole_note:
            typer.echo(f"\n{plan.whole_note}\n")
    result = session.deliver(
        plan,
        smtp=settings,
        password=_ask_password,
        confirm=None if yes else _confirm,
        attended=sys.stdin.isatty(),
        dry_run=dry_run,
        notice=lambda line: typer.echo(line, err=True),
        progress=lambda total: _Progress(total, live=not dry_run),
        shown=shown,
    )
    _print_result(result)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def _smtp_settings(
    host: str,
    port: int | None,
    security: str | None,
    user: str | None,
    cafile: Path | None,
    auth: str | None,
) -> SmtpSettings:
    """The SMTP options, checked before anything else runs; the password is asked later."""
    from thanknote.senders.smtp import settings_from_options

    return settings_from_options(
        host=host, port=port, security=security, user=user, cafile=cafile, auth=auth
    )


def _ask_password(user: str) -> str:
    if not sys.stdin.isatty():
        raise BadInput(
            "no SMTP password: set THANKNOTE_SMTP_PASSWORD or store it with "
            "`thanknote login smtp` (standard input is not a terminal, so "
            "thanknote cannot ask)"
        )
    import getpass

    try:
        password = getpass.getpass(f"SMTP password for {user}: ")
    except (KeyboardInterrupt, EOFError):
        typer.echo("")
        raise BadInput("no SMTP password given; nothing was sent") from None
    if not password:
        raise BadInput("no SMTP password given")
    return password


# -- log ---------------------------------------------------------------------------------------


@app.command("log")
@_guarded
def show_log(
    file: Annotated[
        Path | None, typer.Argument(help="Only this interview.", show_default=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the records as JSON.")] = False,
    db: DbOption = None,
) -> None:
    """What was drafted or sent, when, and how long after the interview ended."""
    from thanknote import logview

    try:
        logview.show(file, db, as_json=as_json, out=sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (head, a pager) stopped early: not an error of thanknote's.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


# -- accounts --------------------------------------------------------------------------------


@app.command()
@_guarded
def auth(
    provider: Annotated[
        str,
        typer.Option(
            "--provider",
            help="gmail (the Gmail API), or microsoft (Outlook.com, Hotmail, Live "
            "and Microsoft 365 over SMTP with OAuth).",
        ),
    ] = "gmail",
    client_secrets: Annotated[
        Path | None,
        typer.Option(
            "--client-secrets",
            envvar="THANKNOTE_CLIENT_SECRETS",
            help="Gmail: Google OAuth client secrets (Desktop app). Default: ./credentials.json, "
            "then the config directory.",
            show_default=False,
        ),
    ] = None,
    no_browser: Annotated[
        bool,
        typer.Option(
            "--no-browser", help="Gmail: print the consent URL instead of opening a browser."
        ),
    ] = False,
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            envvar="THANKNOTE_OAUTH_PORT",
            min=1,
            max=65535,
            help="Gmail: wait for Google's answer on this localhost port (to forward it over "
            "SSH). Default: any free port.",
            show_default=False,
        ),
    ] = None,
    client_id: Annotated[
        str | None,
        typer.Option(
            "--client-id",
            envvar="THANKNOTE_MICROSOFT_CLIENT_ID",
            help="Microsoft: the Application (client) ID of your app registration.",
            show_default=False,
        ),
    ] = None,
    tenant: Annotated[
        str,
        typer.Option(
            "--tenant",
            help="Microsoft: common, consumers, organizations, or your tenant's id or domain.",
        ),
    ] = "common",
    browser: Annotated[
        bool,
        typer.Option(
            "--browser",
            help="Microsoft: sign in in a browser on this machine instead of with a device code.",
        ),
    ] = False,
) -> None:
    """Sign in and store the token (mode 0600): Gmail by default, or --provider microsoft.

    Gmail asks for one permission only: gmail.compose (create drafts and send them).
    Microsoft asks for SMTP.Send and offline_access, by device code (works over SSH).
    """
    if provider.casefold() in ("microsoft", "outlook"):
        if client_secrets is not None or no_browser or port is not None:
            raise BadInput(
                "--client-secrets, --no-browser and --port are for Gmail; the "
                "Microsoft sign-in takes --client-id, --tenant and --browser"
            )
        from thanknote.accounts import microsoft

        signed = microsoft.sign_in(client_id, tenant, browser=browser, echo=typer.echo)
        typer.echo(
            f"signed in as {signed.username or 'your Microsoft account'}; saved the "
            f"token to {signed.path} (readable only by you); next: thanknote doctor "
            "--via smtp --smtp-host smtp-mail.outlook.com (or smtp.office365.com)"
        )
        return
    if provider.casefold() not in ("gmail", "google"):
        raise BadInput(f"--provider must be gmail or microsoft, not {provider!r}")
    if client_id is not None or tenant != "common" or browser:
        raise BadInput("--client-id, --tenant and --browser are for --provider microsoft")
    from thanknote.gmail_auth import run_consent

    path = run_consent(client_secrets, open_browser=not no_browser, port=port, echo=typer.echo)
    typer.echo(
        f"saved the Gmail token to {path} (readable only by you); next: thanknote draft "
        "FILE, or thanknote send FILE --via gmail"
    )


AccountArgument = Annotated[
    str, typer.Argument(help="smtp: the SMTP password.", show_default=False)
]
LoginHostOption = Annotated[
    str, typer.Option("--smtp-host", envvar="THANKNOTE_SMTP_HOST", help="SMTP server.")
]
LoginUserOption = Annotated[
    str | None,
    typer.Option(
        "--smtp-user",
        envvar="THANKNOTE_SMTP_USER",
        help="The login, usually your address. Default: the profile's address.",
        show_default=False,
    ),
]


def _login_user(account: str, user: str | None) -> str:
    if account != "smtp":
        raise BadInput(
            f"thanknote keeps only the SMTP password in the keyring: use "
            f"'smtp', not {account!r} (Gmail and Microsoft sign in with "
            "'thanknote auth')"
        )
    if not user:
        from thanknote.profile import load_profile

        candidate = load_profile()
        if candidate is None:
            raise BadInput(
                "--smtp-user is required: the SMTP login, usually your address "
                "(or set THANKNOTE_SMTP_USER, or save a profile: thanknote "
                "profile set)"
            )
        user = candidate.email  # as send logs in with the candidate's address
    return user


@app.command()
@_guarded
def login(
    account: AccountArgument,
    smtp_host: LoginHostOption = "smtp.gmail.com",
    smtp_user: LoginUserOption = None,
) -> None:
    """Store the SMTP password in the system keyring (asked once, hidden)."""
    from thanknote.accounts import passwords

    user = _login_user(account, smtp_user)
    passwords.check_keyring()  # before the password is typed for nothing
    from thanknote.senders.smtp import OAUTH_HOSTS

    if smtp_host.casefold() in OAUTH_HOSTS:
        typer.echo(
            f"note: {smtp_host} signs in with OAuth ('thanknote auth --provider "
            "microsoft'); a stored password is used only with --smtp-auth password",
            err=True,
        )
    stored = passwords.store(smtp_host, user, passwords.read_new_password(user, smtp_host))
    typer.echo(
        f"stored the SMTP password for {user} at {smtp_host} in {stored.backend}; "
        "send now takes it from there. Check it with: thanknote doctor --via smtp "
        f"--smtp-host {smtp_host} --smtp-user {user}"
    )


@app.command()
@_guarded
def logout(
    account: AccountArgument,
    smtp_host: LoginHostOption = "smtp.gmail.com",
    smtp_user: LoginUserOption = None,
) -> None:
    """Remove the SMTP password from the system keyring."""
    from thanknote.accounts import passwords

    user = _login_user(account, smtp_user)
    if passwords.remove(smtp_host, user):
        typer.echo(f"removed the SMTP password for {user} at {smtp_host} from the keyring")
    else:
        typer.echo(f"the keyring holds no SMTP password for {user} at {smtp_host}")


@app.command()
@_guarded
def doctor(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="An interview file: its From address and follow-up date are checked too.",
            show_default=False,
        ),
    ] = None,
    via: Annotated[
        str | None,
        typer.Option(
            "--via",
            help="smtp or gmail. Default: every channel that is set up.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
    smtp_host: Annotated[
        str | None,
        typer.Option(
            "--smtp-host",
            envvar="THANKNOTE_SMTP_HOST",
            help="SMTP server. Default: smtp.gmail.com.",
            show_default=False,
        ),
    ] = None,
    smtp_port: SmtpPortOption = None,
    smtp_security: SmtpSecurityOption = None,
    smtp_user: SmtpUserOption = None,
    smtp_cafile: SmtpCafileOption = None,
    smtp_auth: SmtpAuthOption = None,
) -> None:
    """Check, sending nothing, that delivery would work now and on the follow-up date.

    Exit 0 when nothing is a problem, 1 when a check failed, 2 for bad input.
    """
    from thanknote import clock
    from thanknote import doctor as doctoring

    settings = None
    if via == "smtp" or (via is None and smtp_host is not None):
        settings = _smtp_settings(
            smtp_host or "smtp.gmail.com",
            smtp_port,
            smtp_security,
            smtp_user,
            smtp_cafile,
            smtp_auth,
        )
    report = doctoring.run(
        via=via, path=file, smtp=settings, ask_password=_ask_password, now=clock.now()
    )
    if as_json:
        import json

        typer.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        typer.echo(report.as_text())
    raise typer.Exit(report.exit_code)


# -- follow-ups --------------------------------------------------------------------------------


@app.command()
@_guarded
def followups(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    show_all: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every interview not closed by --done, not only those that need a "
            "follow-up today.",
        ),
    ] = False,
    ics: Annotated[
        Path | None,
        typer.Option(
            "--ics",
            help="Write an iCalendar file: a reminder per open interview on its next "
            "action date, a cancellation per interview closed since (re-importing it updates "
            "them).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="With --ics: replace the file even though thanknote did not write it."
        ),
    ] = False,
    done: Annotated[
        Path | None,
        typer.Option(
            "--done",
            help="Close the interview of this file (an answer came): it is no longer listed.",
            show_default=False,
        ),
    ] = None,
    reopen: Annotated[
        Path | None,
        typer.Option(
            "--reopen",
            help="Undo --done for the interview of this file: it is listed again and "
            "'followup' may write to it.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Interviews that need a follow-up today (--all: every open one), each with its state."""
    from thanknote import clock
    from thanknote import followups as following

    now = clock.now()
    if done is not None and reopen is not None:
        raise BadInput("--done and --reopen go one at a time")
    if done is not None:
        closed = following.close(done, db, now)
        typer.echo(closed.as_text(), err=as_json)
    if reopen is not None:
        typer.echo(following.reopen(reopen, db).as_text(), err=as_json)
    agenda = following.load_agenda(db, now)
    if ics is not None:
        written = following.write_calendar(
            ics, agenda.items, now, force=force, log_path=agenda.log_path
        )
        typer.echo(
            f"wrote {ics}: {written.reminders} reminder(s), {written.cancellations} "
            "cancellation(s); importing it again updates them in place",
            err=as_json,
        )
    if as_json:
        import json

        typer.echo(json.dumps(agenda.as_json(show_all=show_all), indent=2, ensure_ascii=False))
    elif (done is None and reopen is None) or agenda.listed(show_all=True):
        typer.echo(agenda.as_text(show_all=show_all))


@app.command()
@_guarded
def followup(
    file: FileArgument,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Write to this address instead of the file's follow_up_with.",
            show_default=False,
        ),
    ] = None,
    via: Annotated[
        str | None,
        typer.Option(
            "--via",
            help="gmail or smtp. Default: the channel of this interview's thank-you notes.",
            show_default=False,
        ),
    ] = None,
    as_draft: Annotated[
        bool, typer.Option("--draft", help="Create a Gmail draft instead of sending.")
    ] = False,
    early: Annotated[
        bool, typer.Option("--early", help="Follow up before the follow-up's date.")
    ] = False,
    resend: Annotated[
        bool,
        typer.Option(
            "--resend",
            help="Deliver again a follow-up that was drafted or may have gone out "
            "(never a third one).",
        ),
    ] = False,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    template: Annotated[
        Path | None,
        typer.Option(
            "--template",
            help="The follow-up template (default: the shipped follow-up.txt).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    smtp_host: SmtpHostOption = "smtp.gmail.com",
    smtp_port: SmtpPortOption = None,
    smtp_security: SmtpSecurityOption = None,
    smtp_user: SmtpUserOption = None,
    smtp_cafile: SmtpCafileOption = None,
    smtp_auth: SmtpAuthOption = None,
) -> None:
    """Write and deliver the follow-up note to follow_up_with, as a reply to their thank-you.

    On or after the follow-up date; a second one is fair seven days after the first, and
    then the protocol stops (a third is refused). The recipient gets a personal greeting
    when they are one of the interviewers, a neutral one otherwise (a recruiter).
    """
    from thanknote import clock, planning
    from thanknote import followups as following
    from thanknote.planning import Request

    via, purpose = following.delivery_mode(via, as_draft)

    def settings_for(channel: str | None) -> SmtpSettings | None:
        if channel != "smtp":
            return None
        return _smtp_settings(
            smtp_host, smtp_port, smtp_security, smtp_user, smtp_cafile, smtp_auth
        )

    settings = settings_for(via)  # bad options: exit 2 before anything else
    request = Request(
        path=file,
        via=via,
        purpose=purpose,
        template=template,
        db=db,
        follow_up=following.FollowUpOptions(to=to, early=early, resend=resend),
    )
    plan = planning.plan(request, clock.now())
    settings = settings or settings_for(plan.via)
    _deliver(plan, settings=settings, yes=yes, dry_run=dry_run)


if __name__ == "__main__":  # pragma: no cover
    main()
