"""The SMTP checks: the name, the connection, TLS, the login (password or OAuth), QUIT.

They use the sender's own session and login steps, so what ``doctor`` finds is what a
send would meet. The login is one attempt, with one mechanism: a wrong password costs
one failed login at the provider, as a send would.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import replace

from thanknote.accounts.passwords import skips_login
from thanknote.doctor import Check, Subject, ok, problem, warning
from thanknote.errors import AuthRequired, BadInput, ThanknoteError
from thanknote.senders.smtp.connection import TIMEOUT_SECONDS, close_politely, open_session
from thanknote.senders.smtp.connection_settings import SmtpSettings
from thanknote.senders.smtp.login import log_in

HOSTS_HINT = (
    "check --smtp-host (Gmail: smtp.gmail.com; Outlook.com: smtp-mail.outlook.com; "
    "Microsoft 365: smtp.office365.com)"
)
PORTS_HINT = "check --smtp-port and --smtp-security (465 with ssl, 587 with starttls)"


def checks(
    settings: SmtpSettings, login: str, about: Subject, *, ask_password: Callable[[str], str]
) -> list[Check]:
    found: list[Check] = []
    if about.candidate is not None and about.candidate.email.casefold() != login.casefold():
        found.append(
            warning(
                "smtp from",
                f"the login is {login} but the notes are From {about.candidate.email}",
                "the server may refuse or rewrite "
                "the From address unless it is an alias of the login; check "
                "--smtp-user",
            )
        )
    secret: str | None = None
    if settings.auth == "oauth":
        token_checks, secret = microsoft_checks(login)
        found += token_checks
        if secret is None:
            return found
    for step in (_resolve, _connect):
        check = step(settings)
        found.append(check)
        if check.status == "problem":
            return found
    found += _session_and_login(settings, login, secret, ask_password)
    return found


def _resolve(settings: SmtpSettings) -> Check:
    try:
        answers = socket.getaddrinfo(settings.host, settings.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        words = error.strerror if isinstance(error, socket.gaierror) else "not a host name"
        return problem("smtp resolve", f"cannot resolve {settings.host}: {words}", HOSTS_HINT)
    return ok("smtp resolve", f"{settings.host} is {answers[0][4][0]}")


def _connect(settings: SmtpSettings) -> Check:
    where = settings.where
    try:
        with socket.create_connection((settings.host, settings.port), timeout=TIMEOUT_SECONDS):
            pass
    except ConnectionRefusedError:
        return problem("smtp connect", f"{where} refused the connection", PORTS_HINT)
    except TimeoutError:
        return problem(
            "smtp connect",
            f"no answer from {where} within {TIMEOUT_SECONDS:.0f} s",
            f"a firewall may block port {settings.port}; {PORTS_HINT}",
        )
    except OSError as error:
        return problem(
            "smtp connect", f"cannot connect to {where}: {error.strerror or error}", PORTS_HINT
        )
    return ok("smtp connect", f"{where} accepts connections")


def _session_and_login(
    settings: SmtpSettings, login: str, secret: str | None, ask_password: Callable[[str], str]
) -> list[Check]:
    try:
        connection = open_session(settings)
    except ThanknoteError as error:
        return [problem("smtp tls", error.message, error.hint)]
    found: list[Check] = []
    try:
        if settings.security == "none":
            found.append(
                warning(
                    "smtp tls",
                    f"{settings.where} without TLS",
                    "only for a server on this machine; anything else needs ssl or starttls",
                )
            )
        else:
            tls = connection.sock
            version = tls.version() if isinstance(tls, ssl.SSLSocket) else None
            found.append(
                ok(
                    "smtp tls",
                    f"{settings.security}: the certificate of "
                    f"{settings.host} is valid and trusted ({version or 'TLS'})",
                )
            )
        if secret is None and settings.auth != "oauth" and skips_login(settings.security):
            found.append(_no_login(settings, connection))
            found.append(_quit(connection))
            return found
        source = "an OAuth token"
        if secret is None:
            try:
                secret, source = _password(settings, login, ask_password)
            except BadInput as error:
                found.append(
                    problem(
                        "smtp login",
                        error.message,
                        f"store it with `thanknote "
                        f"login smtp --smtp-host {settings.host} --smtp-user "
                        f"{login}`, or set THANKNOTE_SMTP_PASSWORD",
                    )
                )
                return found
        try:
            log_in(connection, replace(settings, user=login, password=secret))
        except ThanknoteError as error:
            found.append(problem("smtp login", error.message, error.hint))
            return found
        found.append(ok("smtp login", f"{login} logged in at {settings.where} ({source})"))
        found.append(_quit(connection))
    finally:
        connection.close()
    return found


def _no_login(settings: SmtpSettings, connection: smtplib.SMTP) -> Check:
    """What a send does with --smtp-security none and no password: no login at all."""
    if not connection.has_extn("auth"):
        return ok("smtp login", "no login (none asked)")
    return warning(
        "smtp login",
        f"no login: {settings.where} offers AUTH, but with "
        "--smtp-security none and no THANKNOTE_SMTP_PASSWORD a send does not log "
        "in",
        "if this server wants a login, set THANKNOTE_SMTP_PASSWORD",
    )


def _password(
    settings: SmtpSettings, login: str, ask_password: Callable[[str], str]
) -> tuple[str, str]:
    from thanknote.accounts.passwords import find_password

    found = find_password(settings.host, login)
    if found is not None:
        return found[0], f"password from {found[1]}"
    return ask_password(login), "password typed at the prompt"


def _quit(connection: smtplib.SMTP) -> Check:
    try:
        code, _ = connection.quit()
    except (OSError, smtplib.SMTPException) as error:
        close_politely(connection)
        return warning(
            "smtp quit",
            f"the server did not close the session cleanly ({type(error).__name__})",
            None,
        )
    return ok("smtp quit", f"the server closed the session ({code})")


def microsoft_checks(login: str) -> tuple[list[Check], str | None]:
    """The Microsoft sign-in: present and private, refreshable, for SMTP.Send.

    Returns the checks and a fresh access token (None when there is a problem).
    """
    from thanknote.accounts import microsoft
    from thanknote.atomic_file import loose_mode
    from thanknote.paths import microsoft_token_path

    path = microsoft_token_path()
    if path.is_file() and (mode := loose_mode(path)) is not None:
        return [
            problem(
                "microsoft token",
                f"{path} is readable by other users (mode {mode:04o})",
                f"chmod 600 {path}; if someone may have copied it, {microsoft.REVOKE}",
            )
        ], None
    try:
        path, record = microsoft.read_record(path)
    except AuthRequired as error:
        return [problem("microsoft token", error.message, error.hint)], None
    found = [
        ok(
            "microsoft token",
            f"{path} (mode 0600), signed in as {record.get('username') or 'an unknown account'}",
        )
    ]
    try:
        token = microsoft.access_token(force_refresh=True, path=path)
    except ThanknoteError as error:
        return [*found, problem("microsoft refresh", error.message, error.hint)], None
    found.append(
        ok(
            "microsoft refresh",
            f"the refresh token works: a new access token for {token.expires_in // 60} minutes",
        )
    )
    scopes = {scope.casefold() for scope in token.scopes}
    if microsoft.SMTP_SCOPE.casefold() not in scopes:
        found.append(
            problem(
                "microsoft scope",
                "the token does not grant "
                f"{microsoft.SMTP_SCOPE} (it grants "
                f"{' '.join(token.scopes) or 'nothing'})",
                "add the delegated permission SMTP.Send to the app, then " + microsoft.RUN_AUTH,
            )
        )
        return found, None
    found.append(ok("microsoft scope", f"{microsoft.SMTP_SCOPE}"))
    if token.username and token.username.casefold() != login.casefold():
        found.append(
            warning(
                "microsoft account",
                f"signed in as {token.username}, but the SMTP login is {login}",
                "Microsoft takes the token only for "
                "the mailbox it was issued to (or one it may send as); pass "
                f"--smtp-user {token.username}, or sign in as {login}",
            )
        )
    return found, token.access_token
