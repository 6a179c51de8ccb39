"""Who you are and how you sign in: ``auth``, ``login``, ``logout`` and ``profile``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thanknote.cli.output import guarded
from thanknote.errors import BadInput
from thanknote.settings import Variable


@guarded
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
            envvar=Variable.CLIENT_SECRETS,
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
            envvar=Variable.OAUTH_PORT,
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
            envvar=Variable.MICROSOFT_CLIENT_ID,
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
    from thanknote.senders.gmail.consent import run_consent

    path = run_consent(client_secrets, open_browser=not no_browser, port=port, echo=typer.echo)
    typer.echo(
        f"saved the Gmail token to {path} (readable only by you); next: thanknote draft "
        "FILE, or thanknote send FILE --via gmail"
    )


AccountArgument = Annotated[
    str, typer.Argument(help="smtp: the SMTP password.", show_default=False)
]
LoginHostOption = Annotated[
    str, typer.Option("--smtp-host", envvar=Variable.SMTP_HOST, help="SMTP server.")
]
LoginUserOption = Annotated[
    str | None,
    typer.Option(
        "--smtp-user",
        envvar=Variable.SMTP_USER,
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


@guarded
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


@guarded
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


profile_app = typer.Typer(
    name="profile",
    help="The candidate profile that interview files without [candidate] use.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@profile_app.command("set")
@guarded
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
@guarded
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
