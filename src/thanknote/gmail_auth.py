"""Google OAuth for Gmail: the consent flow, and the token file it leaves behind.

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
import functools
import json
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from thanknote import private_file
from thanknote.errors import AuthRequired, BadInput, DeliveryError
from thanknote.paths import client_secrets_path, gmail_token_path
from thanknote.settings import Variable, read

COMPOSE_SCOPE = "https://www.googleapis.com/auth/gmail.compose"
SCOPES = (COMPOSE_SCOPE,)
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL
CONSENT_TIMEOUT_SECONDS = 300
HTTP_TIMEOUT_SECONDS = 60.0

RUN_AUTH = "run `thanknote auth` to sign in to Gmail again"
TESTING_EXPIRY = (
    'a Google Cloud OAuth app left in "Testing" publishing status issues refresh '
    "tokens that expire after 7 days; publish the app (OAuth consent screen → "
    "Publish app) to keep a token longer"
)

CLIENT_SECRETS_HOWTO = """\
thanknote needs a Google OAuth client of type "Desktop app" (a one-time set-up, free):
  1. Google Cloud console (https://console.cloud.google.com/): create or pick a project.
  2. APIs & Services → Library → "Gmail API" → Enable.
  3. APIs & Services → OAuth consent screen: user type External; add your own address
     as a test user.
  4. APIs & Services → Credentials → Create credentials → OAuth client ID →
     Application type "Desktop app" → Create.
  5. Download the JSON and save it as credentials.json in this directory (or pass
     --client-secrets PATH, or set THANKNOTE_CLIENT_SECRETS).
credentials.example.json (in the thanknote repository and source package) shows its shape."""


# -- the token file -------------------------------------------------------------------------


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically, mode 0600 from its creation."""
    private_file.write_private(path, text, what="the Gmail token")


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
    write_private(path, json.dumps(info))
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


def _new_sign_in(token_response: Any) -> dict[str, str]:
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


def _warn(message: str) -> None:
    print(f"thanknote: warning: {message}", file=sys.stderr)


def _make_private(path: Path) -> None:
    """A token readable by others is made 0600, with a warning saying what to do."""
    if os.name != "posix":
        return
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            path.chmod(0o600)
            _warn(
                f"{path} was readable by other users (mode {mode:04o}); it is now 0600. If "
                "someone else may have copied it, remove thanknote's access at "
                "https://myaccount.google.com/permissions and run `thanknote auth`"
            )
    except OSError:
        pass  # reading it will say what is wrong


def _is_loopback_url(url: str) -> bool:
    from thanknote.senders.smtp import is_loopback

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


# -- HTTP -----------------------------------------------------------------------------------


def new_http(timeout: float = HTTP_TIMEOUT_SECONDS) -> Any:
    """An ``httplib2.Http`` that never silently re-sends a request that may have had an effect.

    httplib2 treats a connection closed without an answer as a stale keep-alive and sends
    the request again, even a POST: a ``drafts.send`` whose answer was lost would be sent
    twice (the second finds the draft gone and answers 404), and a ``drafts.create`` could
    leave two drafts. Here a POST whose answer is lost raises :class:`AnswerLost` instead,
    and the sender decides (for ``drafts.send``, by asking whether the draft still exists).
    Setting ``httplib2.RETRIES = 1`` would not help: the stale-connection resend ignores it.
    """
    return _http_class()(timeout=timeout)


class AnswerLost(ConnectionResetError):
    """The server closed the connection after the request was sent, without answering."""


@functools.cache
def _http_class() -> Any:
    """httplib2.Http with connections that raise AnswerLost (built once, on first use)."""
    import http.client

    import httplib2

    class OneShot:
        """Mix-in for httplib2's connections: a lost answer to a POST is not a stale socket."""

        _thanknote_method = "GET"

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> None:
            self._thanknote_method = method.upper()
            super().request(method, url, *args, **kwargs)  # type: ignore[misc]

        def getresponse(self) -> Any:
            try:
                return super().getresponse()  # type: ignore[misc]
            except http.client.BadStatusLine as error:
                if self._thanknote_method in ("GET", "HEAD"):
                    raise  # harmless to repeat: let httplib2 retry a stale keep-alive
                # Not a BadStatusLine: httplib2 passes it on instead of re-sending.
                raise AnswerLost(
                    f"the server closed the connection without answering ({type(error).__name__})"
                ) from error

    class HTTPConnection(OneShot, httplib2.HTTPConnectionWithTimeout):  # type: ignore[misc]
        pass

    class HTTPSConnection(OneShot, httplib2.HTTPSConnectionWithTimeout):  # type: ignore[misc]
        pass

    connections = {"http": HTTPConnection, "https": HTTPSConnection}

    class Http(httplib2.Http):  # type: ignore[misc]
        def request(
            self,
            uri: str,
            method: str = "GET",
            body: Any = None,
            headers: Any = None,
            redirections: int = httplib2.DEFAULT_MAX_REDIRECTS,
            connection_type: Any = None,
        ) -> Any:
            if connection_type is None:
                connection_type = connections.get(uri.partition(":")[0].lower())
            return super().request(uri, method, body, headers, redirections, connection_type)

    return Http


# -- consent --------------------------------------------------------------------------------


def _client_config(path: Path, *, searched: bool = False) -> dict[str, Any]:
    if not path.is_file():
        where = f"./credentials.json or {path}" if searched else str(path)
        raise BadInput(f"no OAuth client secrets file at {where}", hint=CLIENT_SECRETS_HOWTO)
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror}") from None
    except ValueError as error:
        raise BadInput(
            f"{path} is not JSON ({error}); download the client secrets again",
            hint=CLIENT_SECRETS_HOWTO,
        ) from None
    if not isinstance(config, dict):
        raise BadInput(
            f"{path} is not a Google OAuth client secrets file", hint=CLIENT_SECRETS_HOWTO
        )
    if "web" in config and "installed" not in config:
        raise BadInput(
            f'{path} holds a "Web application" OAuth client; thanknote needs a '
            '"Desktop app" client, which may redirect to this machine',
            hint=CLIENT_SECRETS_HOWTO,
        )
    installed = config.get("installed")
    if not isinstance(installed, dict):
        raise BadInput(
            f'{path} is not a Google OAuth client secrets file (no "installed" section)',
            hint=CLIENT_SECRETS_HOWTO,
        )
    missing = [
        key
        for key in ("client_id", "client_secret", "auth_uri", "token_uri")
        if not isinstance(installed.get(key), str) or not installed[key]
    ]
    if missing:
        raise BadInput(
            f'{path}: the "installed" section lacks {", ".join(missing)}', hint=CLIENT_SECRETS_HOWTO
        )
    if installed["client_id"].startswith("YOUR_"):
        raise BadInput(
            f"{path} still holds the placeholders of credentials.example.json",
            hint=CLIENT_SECRETS_HOWTO,
        )
    return {"installed": installed}


def consent_port(port: int | None = None) -> int:
    """--port, else THANKNOTE_OAUTH_PORT, else 0 (any free port)."""
    if port is not None:
        return port
    value = (read(Variable.OAUTH_PORT) or "").strip()
    if not value:
        return 0
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise BadInput(f"{Variable.OAUTH_PORT} must be a port number (1-65535), not {value!r}")
    return int(value)


def run_consent(
    client_secrets: Path | None,
    *,
    open_browser: bool = True,
    port: int | None = None,
    echo: Callable[[str], None] = print,
    timeout_seconds: int = CONSENT_TIMEOUT_SECONDS,
) -> Path:
    """Ask Google for consent to the gmail.compose scope; save the token. Returns its path.

    A local web server on ``localhost:port`` receives Google's redirect (port 0: any free
    port). The code is exchanged with PKCE (google-auth-oauthlib generates the verifier).
    """
    path = client_secrets_path(client_secrets)
    searched = client_secrets is None and not read(Variable.CLIENT_SECRETS)
    config = _client_config(path, searched=searched)
    port = consent_port(port)

    import webbrowser

    from google_auth_oauthlib.flow import InstalledAppFlow, WSGITimeoutError
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error

    class Flow(InstalledAppFlow):  # type: ignore[misc]
        def authorization_url(self, **kwargs: Any) -> Any:
            url, state = super().authorization_url(**kwargs)
            _announce(echo, url, self.redirect_uri, open_browser=open_browser)
            return url, state

    flow = Flow.from_client_config(config, scopes=list(SCOPES))
    try:
        credentials = flow.run_local_server(
            host="localhost",
            port=port,
            open_browser=open_browser,
            authorization_prompt_message="",
            timeout_seconds=timeout_seconds,
            # A refresh token every time, even when this client was granted access before.
            prompt="consent",
        )
    except webbrowser.Error:
        raise BadInput(
            "no web browser found on this machine",
            hint="run `thanknote auth --no-browser` and open the printed URL elsewhere",
        ) from None
    except OSError as error:
        if port:
            raise BadInput(
                f"cannot listen on localhost:{port} for Google's answer: {error.strerror}",
                hint="pick another --port",
            ) from None
        raise BadInput(
            f"cannot listen on localhost for Google's answer: {error.strerror}"
        ) from None
    except WSGITimeoutError:
        raise BadInput(
            f"no answer from Google within {timeout_seconds // 60} minutes; nothing was saved",
            hint="run `thanknote auth` again",
        ) from None
    except OAuth2Error as error:
        words = error.description or error.error
        if error.error == "access_denied":
            words = "consent was refused in the browser"
        raise BadInput(
            f"Google did not grant access: {words}; nothing was saved",
            hint="run `thanknote auth` again and allow thanknote to manage drafts and send email",
        ) from None
    except Warning as warning:  # oauthlib: "Scope has changed from ... to ..."
        raise BadInput(
            f"Google granted other permissions than {COMPOSE_SCOPE} ({warning}); nothing was saved",
            hint='run `thanknote auth` again and tick "Manage drafts and send emails"',
        ) from None
    granted = credentials.granted_scopes
    if granted is not None and COMPOSE_SCOPE not in granted:
        raise BadInput(
            f"Google did not grant {COMPOSE_SCOPE}; nothing was saved",
            hint='run `thanknote auth` again and tick "Manage drafts and send emails"',
        )
    if not credentials.refresh_token:
        _warn("Google sent no refresh token: the saved token works for about an hour")
    session = getattr(flow, "oauth2session", None)
    return save_credentials(credentials, sign_in=_new_sign_in(getattr(session, "token", None)))


def _announce(
    echo: Callable[[str], None], url: str, redirect_uri: str, *, open_browser: bool
) -> None:
    port = urlsplit(redirect_uri).port
    if open_browser:
        echo(
            f"Opening your browser for Google's consent. If it does not open, visit:\n\n    {url}\n"
        )
        return
    echo(
        "Open this URL in a web browser and allow access:\n\n"
        f"    {url}\n\n"
        f"Google then sends the browser to {redirect_uri}, where thanknote is waiting.\n"
        "If the browser runs on another machine (thanknote over SSH), forward that port\n"
        f"first, from the browser's machine:  ssh -L {port}:127.0.0.1:{port} <this host>\n"
        "(pick a fixed port with --port or THANKNOTE_OAUTH_PORT so the forward can be\n"
        "set up before you run thanknote auth).\n"
    )
