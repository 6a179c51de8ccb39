"""The Gmail token: reading it, refreshing it, saving it (0600), and naming a refusal.

The token is the only secret thanknote keeps. It is written in the format of
google-auth's ``Credentials.to_json()`` (never pickled), with mode 0600 from
the moment the file exists: a private temporary file in the same directory is
renamed over the old one, so no reader ever sees a half-written or
world-readable token. A token that has expired is refreshed and saved back the
same way; one that Google no longer accepts becomes :class:`AuthRequired`
("run ``thanknote auth``"), and no message ever quotes a token or a secret.

Google's libraries are imported inside the functions that use them: ``preview``
and ``--help`` never load them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from thanknote.atomic_file import PRIVATE, write_atomic
from thanknote.errors import AuthRequired, BadInput, DeliveryError
from thanknote.paths import gmail_token_path
from thanknote.senders.gmail.transport import new_http

COMPOSE_SCOPE = "https://www.googleapis.com/auth/gmail.compose"
SCOPES = (COMPOSE_SCOPE,)
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL

RUN_AUTH = "run `thanknote auth` to sign in to Gmail again"
TESTING_EXPIRY = (
    'a Google Cloud OAuth app left in "Testing" publishing status issues refresh '
    "tokens that expire after 7 days; publish the app (OAuth consent screen → "
    "Publish app) to keep a token longer"
)


SIGNED_IN_AT = "thanknote_signed_in_at"
REFRESH_TOKEN_EXPIRES_AT = "thanknote_refresh_token_expires_at"  # noqa: S105 - a key
"""Two fields beside ``Credentials.to_json()``'s (google-auth reads past them): when the
consent happened, and when Google said the refresh token expires (it says so only for a
token of limited life, such as one from a client in "Testing"). ``doctor`` reads them."""


def save_credentials(
    credentials: Any, path: Path | None = None, *, sign_in: dict[str, str] | None = None
) -> Path:
    """Write ``credentials`` in ``Credentials.to_json()`` form, mode 0600.

    A refresh keeps the sign-in record of the file it replaces; a consent gives a new one.
    """
    path = path or gmail_token_path()
    info = json.loads(credentials.to_json())
    info.update(sign_in_record(path) if sign_in is None else sign_in)
    try:
        write_atomic(path, json.dumps(info), mode=PRIVATE)
    except OSError as error:
        raise BadInput(f"cannot write the Gmail token to {path}: {error.strerror}") from None
    return path


def sign_in_record(path: Path) -> dict[str, str]:
    """The sign-in fields of the token file at ``path`` (none when it has none)."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(info, dict):
        return {}
    return {
        key: info[key]
        for key in (SIGNED_IN_AT, REFRESH_TOKEN_EXPIRES_AT)
        if isinstance(info.get(key), str)
    }


def new_sign_in(token_response: Any) -> dict[str, str]:
    from thanknote import clock

    now = clock.now()
    record = {SIGNED_IN_AT: now.isoformat(timespec="seconds")}
    lifetime = (
        token_response.get("refresh_token_expires_in") if isinstance(token_response, dict) else None
    )
    if isinstance(lifetime, int | float | str) and str(lifetime).isdigit():
        expires = now + dt.timedelta(seconds=int(lifetime))
        record[REFRESH_TOKEN_EXPIRES_AT] = expires.isoformat(timespec="seconds")
    return record


def warn(message: str) -> None:
    print(f"thanknote: warning: {message}", file=sys.stderr)


def _make_private(path: Path) -> None:
    """A token readable by others is made 0600, with a warning saying what to do."""
    if os.name != "posix":
        return
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            path.chmod(0o600)
            warn(
                f"{path} was readable by other users (mode {mode:04o}); it is now 0600. If "
                "someone else may have copied it, remove thanknote's access at "
                "https://myaccount.google.com/permissions and run `thanknote auth`"
            )
    except OSError:
        pass  # reading it will say what is wrong


def _is_loopback_url(url: str) -> bool:
    from thanknote.senders.smtp.connection_settings import is_loopback

    host = urlsplit(url).hostname
    return host is not None and is_loopback(host)


def scrub(text: str, *secrets: str | None) -> str:
    """``text`` with every given secret replaced by ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _refresh_words(error: Exception) -> str:
    """Google's reason for refusing a refresh, without the response body's other fields."""
    args: tuple[Any, ...] = error.args
    if len(args) > 1 and isinstance(args[1], dict) and "error" in args[1]:
        body = args[1]
        words = str(body["error"])
        if body.get("error_description"):
            words += f": {body['error_description']}"
        return words
    return str(args[0]) if args else type(error).__name__


def load_credentials(path: Path | None = None, *, http: Any = None) -> Any:
    """The saved Gmail credentials, refreshed (and saved back) when the access token expired.

    Raises :class:`AuthRequired` when there is no usable token, and
    :class:`DeliveryError` when Google cannot be reached to refresh it.
    """
    from google.oauth2.credentials import Credentials

    path = path or gmail_token_path()
    if not path.is_file():
        raise AuthRequired(
            f"no Gmail token at {path}",
            hint="run `thanknote auth` first (once per machine) to sign in to Gmail",
        )
    _make_private(path)
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(info, dict):
            raise ValueError("not a JSON object")
        info.setdefault("refresh_token", None)  # to_json() leaves out a missing one
        credentials = Credentials.from_authorized_user_info(info)  # type: ignore[no-untyped-call]
    except OSError as error:
        raise AuthRequired(
            f"cannot read the Gmail token {path}: {error.strerror}", hint=RUN_AUTH
        ) from None
    except ValueError:
        raise AuthRequired(
            f"{path} is not a Gmail token written by `thanknote auth`", hint=RUN_AUTH
        ) from None
    # google-auth always refreshes against Google's endpoint, whatever the file says (a
    # tampered file must not send the refresh token elsewhere). thanknote honours the file's
    # token_uri only for a server on this machine: the test double of Google.
    token_uri = info.get("token_uri")
    if isinstance(token_uri, str) and token_uri != GOOGLE_TOKEN_URI and _is_loopback_url(token_uri):
        expiry = credentials.expiry
        credentials = credentials.with_token_uri(token_uri)
        credentials.expiry = expiry  # google-auth's copy forgets it (and would never refresh)
    if credentials.scopes and COMPOSE_SCOPE not in credentials.scopes:
        raise AuthRequired(f"the Gmail token {path} does not grant {COMPOSE_SCOPE}", hint=RUN_AUTH)
    if not credentials.valid:
        if not credentials.refresh_token:
            raise AuthRequired(
                f"the Gmail token {path} has expired and holds no refresh token", hint=RUN_AUTH
            )
        refresh(credentials, http=http)
        save_credentials(credentials, path)
    return credentials


def refresh(credentials: Any, *, http: Any = None) -> None:
    """Refresh ``credentials`` in place, translating Google's errors into thanknote's."""
    import google.auth.exceptions
    import google_auth_httplib2

    request = google_auth_httplib2.Request(http or new_http())
    try:
        credentials.refresh(request)
    except google.auth.exceptions.RefreshError as error:
        raise auth_required(error, credentials) from None
    except (google.auth.exceptions.TransportError, OSError) as error:
        raise DeliveryError(
            "cannot reach Google to refresh the Gmail token: "
            f"{scrub(str(error) or type(error).__name__, *secrets_of(credentials))}; "
            "nothing was sent",
            hint="check the network connection and try again",
        ) from None


def secrets_of(credentials: Any) -> tuple[str | None, ...]:
    return (
        getattr(credentials, "token", None),
        getattr(credentials, "refresh_token", None),
        getattr(credentials, "client_secret", None),
    )


def auth_required(error: Exception, credentials: Any) -> AuthRequired:
    """What to tell the user when Google refuses the saved token."""
    words = scrub(_refresh_words(error), *secrets_of(credentials))
    return AuthRequired(
        f"Google no longer accepts the saved Gmail token ({words})",
        hint=f"{RUN_AUTH}. Note: {TESTING_EXPIRY}",
    )
