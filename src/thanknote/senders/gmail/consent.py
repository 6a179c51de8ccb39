"""Google's consent to the gmail.compose scope (``thanknote auth``): the client, the browser.

The OAuth client secrets file is checked before anything listens; a local web
server on ``localhost`` receives Google's redirect, and the token it brings is
saved by :mod:`thanknote.senders.gmail.credentials`. Google's libraries load
inside :func:`run_consent` only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from thanknote.errors import BadInput
from thanknote.paths import client_secrets_path
from thanknote.senders.gmail.credentials import (
    COMPOSE_SCOPE,
    SCOPES,
    new_sign_in,
    save_credentials,
    warn,
)
from thanknote.settings import Variable, read

CONSENT_TIMEOUT_SECONDS = 300

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
        warn("Google sent no refresh token: the saved token works for about an hour")
    session = getattr(flow, "oauth2session", None)
    return save_credentials(credentials, sign_in=new_sign_in(getattr(session, "token", None)))


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
