"""Microsoft accounts (Outlook.com, Hotmail, Live, Microsoft 365) for SMTP with OAuth 2.0.

Microsoft's SMTP servers take a password no more (Outlook.com since September 2024,
Microsoft 365 tenants by the end of 2026): they take ``XOAUTH2`` with an access token for
``https://outlook.office.com/SMTP.Send``. ``thanknote auth --provider microsoft`` signs in
with msal (the Microsoft Authentication Library) and keeps msal's token cache in one file,
mode 0600 from its creation, together with the app's client id and the tenant so that a
later ``send`` needs nothing else. Each send takes a token from the cache, refreshed
silently when it has expired; a refresh token Microsoft no longer accepts becomes
:class:`AuthRequired` ("run ``thanknote auth --provider microsoft``").

msal (and requests under it) is imported inside the functions that use it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from thanknote import clock
from thanknote.atomic_file import PRIVATE, loose_mode, write_atomic
from thanknote.errors import AuthRequired, BadInput, DeliveryError
from thanknote.paths import microsoft_token_path
from thanknote.settings import Variable, read

SMTP_SCOPE = "https://outlook.office.com/SMTP.Send"
SCOPES = (SMTP_SCOPE,)
"""What thanknote asks for. msal adds ``offline_access`` (the refresh token) and the
sign-in scopes ``openid`` and ``profile``, which only say who signed in."""
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
AUTHORITY_VARIABLE = Variable.MICROSOFT_AUTHORITY
CLIENT_ID_VARIABLE = Variable.MICROSOFT_CLIENT_ID
TENANTS = ("common", "consumers", "organizations")
SMTP_HOSTS = frozenset({"smtp-mail.outlook.com", "smtp.office365.com"})
"""Microsoft's SMTP servers: OAuth by default, port 587 with STARTTLS."""
HTTP_TIMEOUT_SECONDS = 60
SIGN_IN_TIMEOUT_SECONDS = 300
FORMAT = "thanknote-microsoft-token"
RUN_AUTH = "run `thanknote auth --provider microsoft` to sign in again"
REVOKE = (
    "remove the app's access at https://account.live.com/consent/Manage (work or school "
    "accounts: https://myapps.microsoft.com), then " + RUN_AUTH
)
FIRST_AUTH = (
    "run `thanknote auth --provider microsoft --client-id ID` first (once per "
    "machine); the README's Accounts section shows how to get a client id"
)

# msal logs through the standard library; nothing of it should reach a terminal or a log
# file the user keeps (the cache it works on is a secret).
logging.getLogger("msal").addHandler(logging.NullHandler())

_TENANT = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,253}")
_HINTS = (
    (
        "AADSTS7000218",
        "the app registration does not allow public client flows: Azure "
        'portal → App registrations → your app → Authentication → "Allow public client '
        'flows" → Yes',
    ),
    (
        "AADSTS700016",
        "no app with this client id in the tenant: check --client-id and "
        '--tenant (a personal account needs an app for "personal Microsoft accounts")',
    ),
    (
        "AADSTS50020",
        "this account type is not accepted by the app: register it for "
        '"Accounts in any organizational directory and personal Microsoft accounts", or pass '
        "the --tenant your account belongs to",
    ),
    (
        "AADSTS65001",
        "the app has not been granted SMTP.Send: add the delegated permission "
        "SMTP.Send (and offline_access) to the app, or ask your administrator to consent",
    ),
    (
        "unauthorized_client",
        "the app does not accept this account type or flow: check its "
        'supported account types and "Allow public client flows"',
    ),
)


@dataclass(frozen=True)
class Token:
    """An access token for SMTP, with what ``doctor`` reports about it."""

    access_token: str = field(repr=False)
    username: str
    scopes: tuple[str, ...]
    expires_in: int
    refreshed: bool
    signed_in_at: dt.datetime | None


@dataclass(frozen=True)
class SignedIn:
    username: str
    path: Path
    tenant: str


def authority(tenant: str) -> tuple[str, bool]:
    """The login endpoint for ``tenant``, and whether it is Microsoft's own.

    ``THANKNOTE_MICROSOFT_AUTHORITY`` replaces ``https://login.microsoftonline.com`` (a
    national cloud, or a test server); the tenant is appended to it.
    """
    check_tenant(tenant)
    base = (read(AUTHORITY_VARIABLE) or "").strip().rstrip("/")
    if not base:
        return f"{DEFAULT_AUTHORITY}/{tenant}", True
    parts = urlsplit(base)
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise BadInput(
            f"{AUTHORITY_VARIABLE} must be an https URL such as {DEFAULT_AUTHORITY}, not {base!r}"
        )
    return f"{base}/{tenant}", base == DEFAULT_AUTHORITY


def check_tenant(tenant: str) -> None:
    if not _TENANT.fullmatch(tenant):
        raise BadInput(
            f"--tenant must be {', '.join(TENANTS)}, a tenant id or a domain name, not {tenant!r}"
        )


def _words(result: dict[str, Any]) -> str:
    """Microsoft's reason, first line only (the rest is trace and correlation ids)."""
    words = str(result.get("error_description") or result.get("error") or "no reason given")
    return words.strip().splitlines()[0].strip()


def _hint(result: dict[str, Any], default: str) -> str:
    text = f"{result.get('error', '')} {result.get('error_description', '')}"
    return next((hint for code, hint in _HINTS if code in text), default)


def _application(client_id: str, tenant: str, cache: Any) -> Any:
    import msal
    import requests

    url, known = authority(tenant)
    try:
        return msal.PublicClientApplication(
            client_id,
            authority=url,
            token_cache=cache,
            timeout=HTTP_TIMEOUT_SECONDS,
            # Outside Microsoft's own host, msal would ask login.microsoftonline.com
            # whether the host is one of its clouds: the override is trusted as given.
            instance_discovery=None if known else False,
        )
    except requests.exceptions.RequestException as error:
        raise DeliveryError(
            f"cannot reach Microsoft's sign-in at {url}: {type(error).__name__}",
            hint="check the network connection and try again",
        ) from None
    except ValueError as error:
        raise BadInput(
            f"cannot use the Microsoft sign-in at {url}: {str(error).splitlines()[0]}",
            hint="check --tenant and THANKNOTE_MICROSOFT_AUTHORITY",
        ) from None


def sign_in(
    client_id: str | None, tenant: str, *, browser: bool, echo: Callable[[str], None] = print
) -> SignedIn:
    """Sign in (device code, or the browser with a local redirect) and save the cache."""
    import msal
    import requests

    client_id = (client_id or (read(CLIENT_ID_VARIABLE) or "")).strip()
    if not client_id:
        raise BadInput(
            f"no client id: pass --client-id (or set {CLIENT_ID_VARIABLE})",
            hint="register a free app in the Azure portal first; the README's "
            "Accounts section walks through it (about five minutes)",
        )
    cache = msal.SerializableTokenCache()
    application = _application(client_id, tenant, cache)
    try:
        if browser:
            echo("Opening your browser to sign in to Microsoft...")
            result = application.acquire_token_interactive(
                list(SCOPES), prompt="select_account", timeout=SIGN_IN_TIMEOUT_SECONDS
            )
        else:
            flow = application.initiate_device_flow(scopes=list(SCOPES))
            if "user_code" not in flow:
                raise BadInput(
                    f"Microsoft did not start the sign-in: {_words(flow)}",
                    hint=_hint(flow, "check --client-id and --tenant"),
                )
            echo(flow["message"])
            result = application.acquire_token_by_device_flow(flow)
    except requests.exceptions.RequestException as error:
        raise DeliveryError(
            f"lost the connection to Microsoft's sign-in: "
            f"{type(error).__name__}; nothing was saved",
            hint="check the network connection and run it again",
        ) from None
    if "access_token" not in result:
        raise BadInput(
            f"Microsoft did not sign you in: {_words(result)}; nothing was saved",
            hint=_hint(result, "run `thanknote auth --provider microsoft` again"),
        )
    granted = str(result.get("scope", "")).casefold().split()
    if SMTP_SCOPE.casefold() not in granted:
        raise BadInput(
            f"Microsoft did not grant {SMTP_SCOPE}; nothing was saved", hint=_HINTS[3][1]
        )
    claims = result.get("id_token_claims") or {}
    username = str(claims.get("preferred_username") or claims.get("email") or "")
    path = microsoft_token_path()
    _save(
        path,
        {
            "client_id": client_id,
            "tenant": tenant,
            "username": username,
            "signed_in_at": clock.now().isoformat(timespec="seconds"),
        },
        cache,
    )
    return SignedIn(username=username, path=path, tenant=tenant)


def _save(path: Path, record: dict[str, Any], cache: Any) -> None:
    text = json.dumps(
        {"format": FORMAT, "version": 1, **record, "msal_cache": cache.serialize()}, indent=2
    )
    try:
        write_atomic(path, text + "\n", mode=PRIVATE)
    except OSError as error:
        raise BadInput(f"cannot write the Microsoft token to {path}: {error.strerror}") from None


def read_record(path: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """The saved sign-in (client id, tenant, user, msal's cache), or AuthRequired."""
    path = path or microsoft_token_path()
    if not path.is_file():
        raise AuthRequired(f"no Microsoft sign-in at {path}", hint=FIRST_AUTH)
    if (mode := loose_mode(path)) is not None:
        # As for the Gmail token: made private at once, and the send goes on; the user
        # decides whether a copy may have been taken.
        path.chmod(0o600)
        print(
            f"thanknote: warning: {path} was readable by other users (mode {mode:04o}); "
            f"it is now 0600. If someone else may have copied it, {REVOKE}",
            file=sys.stderr,
        )
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise AuthRequired(f"cannot read {path}: {error.strerror}", hint=RUN_AUTH) from None
    except ValueError:
        record = None
    if (
        not isinstance(record, dict)
        or record.get("format") != FORMAT
        or not all(
            isinstance(record.get(key), str) for key in ("client_id", "tenant", "msal_cache")
        )
    ):
        raise AuthRequired(
            f"{path} is not a sign-in written by `thanknote auth --provider microsoft`",
            hint=RUN_AUTH,
        )
    return path, record


def access_token(*, force_refresh: bool = False, path: Path | None = None) -> Token:
    """A token for SMTP.Send from the saved sign-in, refreshed when it has expired."""
    import msal
    import requests

    path, record = read_record(path)
    cache = msal.SerializableTokenCache()
    try:
        cache.deserialize(record["msal_cache"])
    except ValueError:
        raise AuthRequired(f"{path} holds a damaged token cache", hint=RUN_AUTH) from None
    application = _application(record["client_id"], record["tenant"], cache)
    username = str(record.get("username") or "")
    accounts = application.get_accounts(username=username or None) or application.get_accounts()
    if not accounts:
        raise AuthRequired(f"{path} holds no signed-in Microsoft account", hint=RUN_AUTH)
    try:
        result = application.acquire_token_silent_with_error(
            list(SCOPES), account=accounts[0], force_refresh=force_refresh
        )
    except requests.exceptions.RequestException as error:
        raise DeliveryError(
            f"cannot reach Microsoft to refresh the token: "
            f"{type(error).__name__}; nothing was sent",
            hint="check the network connection and try again",
        ) from None
    if not result:
        raise AuthRequired(
            f"the Microsoft sign-in in {path} holds no token for SMTP", hint=RUN_AUTH
        )
    if "access_token" not in result:
        raise AuthRequired(
            f"Microsoft no longer accepts the saved sign-in for "
            f"{username or 'your account'} ({_words(result)})",
            hint=_hint(result, RUN_AUTH) if result.get("error") != "invalid_grant" else RUN_AUTH,
        )
    if cache.has_state_changed:
        _save(
            path,
            {
                key: value
                for key, value in record.items()
                if key not in ("format", "version", "msal_cache")
            },
            cache,
        )
    return Token(
        access_token=result["access_token"],
        username=username,
        scopes=_scopes(cache, accounts[0], result["access_token"]),
        expires_in=int(result.get("expires_in") or 0),
        refreshed=result.get("token_source") == "identity_provider",
        signed_in_at=_instant(record.get("signed_in_at")),
    )


def _scopes(cache: Any, account: dict[str, Any], token: str) -> tuple[str, ...]:
    """The scopes the cache records for ``token`` (Microsoft's answer, not our request)."""
    for entry in cache.search(
        cache.CredentialType.ACCESS_TOKEN, query={"home_account_id": account.get("home_account_id")}
    ):
        if entry.get("secret") == token:
            return tuple(str(entry.get("target", "")).split())
    return ()


def _instant(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None
