# ruff: noqa: S105, S106  -- fake credentials, by design
"""A loopback HTTPS server that answers like Microsoft's identity platform.

Driven by the *real* msal (through ``THANKNOTE_MICROSOFT_AUTHORITY``): msal accepts only
https authorities, so the server presents a certificate for 127.0.0.1 from a test CA
(:func:`tests.smtp_server.make_certificate`), and the process under test trusts it through
``REQUESTS_CA_BUNDLE``, the variable requests (under msal) reads.

Endpoints, for any tenant path segment ``T``:

    GET  /T/v2.0/.well-known/openid-configuration     OpenID discovery
    POST /T/oauth2/v2.0/devicecode                    start a device-code sign-in
    GET  /T/oauth2/v2.0/authorize                     the browser sign-in (consents at once
                                                      and redirects with a code)
    POST /T/oauth2/v2.0/token                         device_code, authorization_code (PKCE)
                                                      and refresh_token grants

The user's part of the device-code flow (open the page, type the code) is
:meth:`FakeMicrosoft.approve`. Access tokens are opaque strings in ``valid_access_tokens``;
the XOAUTH2 SMTP server (tests/xoauth2_server.py) checks bearer tokens against that set.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import base64
import hashlib
import html
import http.server
import itertools
import json
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SMTP_SCOPE = "https://outlook.office.com/SMTP.Send"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
TENANT_ID = "99999999-8888-7777-6666-000000000000"
USERNAME = "ada@example.com"
_RESERVED = {"openid", "profile", "offline_access"}


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@dataclass
class _DeviceCode:
    user_code: str
    scope: str
    approved: bool = False
    declined: bool = False


class FakeMicrosoft:
    """State is public; mutate it under ``with fake.lock`` while a client runs."""

    def __init__(
        self, cert: Path, key: Path, *, client_id: str = CLIENT_ID, username: str = USERNAME
    ) -> None:
        self.lock = threading.RLock()
        self.client_id = client_id
        self.username = username
        self.public_client = True
        """False: answer like an app without "Allow public client flows" (AADSTS7000218)."""
        self.granted_scope: str | None = None
        """The scope string the token endpoint grants; default: the resource scopes asked."""
        self.token_lifetime = 3600
        self.valid_access_tokens: set[str] = set()
        self.valid_refresh_tokens: set[str] = set()
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._devices: dict[str, _DeviceCode] = {}
        self._codes: dict[str, dict[str, str]] = {}
        self._numbers = itertools.count(1)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert), str(key))
        self._context = context
        self._server: http.server.ThreadingHTTPServer | None = None
        self.url = ""

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeMicrosoft:
        fake = self

        class Handler(_Handler):
            owner = fake

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self._server = server
        self.url = f"https://127.0.0.1:{server.server_address[1]}"
        threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="FakeMicrosoft",
            daemon=True,
        ).start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeMicrosoft:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the user's and the administrator's part ------------------------------------------

    def approve(self, user_code: str) -> None:
        """The user opened the verification page, typed ``user_code`` and consented."""
        with self.lock:
            (device,) = [d for d in self._devices.values() if d.user_code == user_code]
            device.approved = True

    def revoke(self) -> None:
        """The user removed the app's access: every refresh and access token stops working."""
        with self.lock:
            self.valid_refresh_tokens.clear()
            self.valid_access_tokens.clear()

    def grants(self, grant_type: str) -> int:
        with self.lock:
            return sum(
                1
                for _, path, form in self.requests
                if path.endswith("/token") and form.get("grant_type") == grant_type
            )

    # -- endpoints -----------------------------------------------------------------------

    def _configuration(self, tenant: str) -> dict[str, Any]:
        base = f"{self.url}/{tenant}"
        return {
            "issuer": f"{self.url}/{TENANT_ID}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "response_types_supported": ["code", "id_token", "code id_token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
        }

    def _device_code(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("client_id") != self.client_id:
            return 400, {
                "error": "unauthorized_client",
                "error_description": "AADSTS700016: Application with identifier "
                f"'{form.get('client_id')}' was not found in the directory.",
            }
        number = next(self._numbers)
        user_code, device_code = f"CODE{number:04d}", f"device-{number}"
        with self.lock:
            self._devices[device_code] = _DeviceCode(user_code, form.get("scope", ""))
        page = f"{self.url}/devicelogin"
        return 200, {
            "user_code": user_code,
            "device_code": device_code,
            "verification_uri": page,
            "expires_in": 900,
            "interval": 1,
            "message": f"To sign in, use a web browser to open the page {page} and "
            f"enter the code {user_code} to authenticate.",
        }

    def _authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], str]:
        """Consent at once; answer (as with response_mode=form_post) with the fields the
        browser posts to the redirect URI, and that URI."""
        if query.get("client_id") != self.client_id or not query.get("redirect_uri"):
            return (
                400,
                {
                    "error": "unauthorized_client",
                    "error_description": "AADSTS700016: Application not found.",
                },
                "",
            )
        code = f"auth-code-{next(self._numbers)}"
        with self.lock:
            self._codes[code] = query
        return 200, {"code": code, "state": query.get("state", "")}, query["redirect_uri"]

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("client_id") != self.client_id:
            return 400, {
                "error": "unauthorized_client",
                "error_description": "AADSTS700016: Application not found.",
            }
        grant = form.get("grant_type", "")
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            if not self.public_client:
                return 401, {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000218: The request body must contain "
                    "the following parameter: 'client_assertion' or 'client_secret'.",
                }
            with self.lock:
                device = self._devices.get(form.get("device_code", ""))
            if device is None:
                return 400, {"error": "expired_token", "error_description": "AADSTS70020"}
            if device.declined:
                return 400, {
                    "error": "authorization_declined",
                    "error_description": "AADSTS70000: The user declined.",
                }
            if not device.approved:
                return 400, {
                    "error": "authorization_pending",
                    "error_description": "AADSTS70016: Pending end-user action.",
                }
            with self.lock:
                del self._devices[form["device_code"]]
            return 200, self._mint(device.scope)
        if grant == "authorization_code":
            with self.lock:
                asked = self._codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "").encode()
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
            )
            if (
                asked is None
                or asked.get("redirect_uri") != form.get("redirect_uri")
                or asked.get("code_challenge") != challenge
            ):
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "AADSTS70008: bad code or verifier.",
                }
            return 200, self._mint(asked.get("scope", ""), nonce=asked.get("nonce"))
        if grant == "refresh_token":
            with self.lock:
                token = form.get("refresh_token", "")
                if token not in self.valid_refresh_tokens:
                    return 400, {
                        "error": "invalid_grant",
                        "error_description": "AADSTS70000: The provided value for the "
                        "'refresh_token' is not valid; it has been revoked.\r\nTrace ID: 0000",
                    }
                self.valid_refresh_tokens.discard(token)  # Microsoft rotates them
            return 200, self._mint(form.get("scope", ""))
        return 400, {"error": "unsupported_grant_type", "error_description": grant}

    def _mint(self, requested: str, nonce: str | None = None) -> dict[str, Any]:
        number = next(self._numbers)
        access, refresh = f"ms-access-{number}", f"ms-refresh-{number}"
        with self.lock:
            self.valid_access_tokens.add(access)
            self.valid_refresh_tokens.add(refresh)
        scope = (
            self.granted_scope
            if self.granted_scope is not None
            else " ".join(s for s in requested.split() if s not in _RESERVED)
        )
        now = int(time.time())
        claims = {
            "aud": self.client_id,
            "iss": f"{self.url}/{TENANT_ID}/v2.0",
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "sub": "subject-1",
            "tid": TENANT_ID,
            "oid": "object-1",
            "name": "Ada Lovelace",
            "preferred_username": self.username,
            **({"nonce": nonce} if nonce else {}),
        }
        return {
            "token_type": "Bearer",
            "scope": scope,
            "expires_in": self.token_lifetime,
            "ext_expires_in": self.token_lifetime,
            "access_token": access,
            "refresh_token": refresh,
            "id_token": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.sig",
            "client_info": _b64({"uid": "object-1", "utid": TENANT_ID}),
        }


class _Handler(http.server.BaseHTTPRequestHandler):
    owner: FakeMicrosoft
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        self.request = self.owner._context.wrap_socket(self.request, server_side=True)
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        split = urllib.parse.urlsplit(self.path)
        path = split.path
        query = dict(urllib.parse.parse_qsl(split.query))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        form = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
        owner = self.owner
        with owner.lock:
            owner.requests.append((self.command, path, form))
        parts = path.strip("/").split("/")
        tenant, rest = parts[0], "/".join(parts[1:])
        if self.command == "GET" and rest == "v2.0/.well-known/openid-configuration":
            status, answer = 200, owner._configuration(tenant)
        elif self.command == "POST" and rest == "oauth2/v2.0/devicecode":
            status, answer = owner._device_code(form)
        elif self.command == "POST" and rest == "oauth2/v2.0/token":
            status, answer = owner._token(form)
        elif self.command == "GET" and rest == "oauth2/v2.0/authorize":
            status, fields, target = owner._authorize(query)
            if target:  # the page that makes the browser post the code back
                inputs = "".join(
                    f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                    for k, v in fields.items()
                )
                page = (
                    f'<html><body onload="document.forms[0].submit()"><form method="post" '
                    f'action="{html.escape(target)}">{inputs}</form></body></html>'
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                return
            answer = fields
        else:
            status, answer = 404, {"error": "not_found", "error_description": path}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def fake_microsoft(
    smtp_certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeMicrosoft]:
    """A started fake, with this process and its children pointed at it and trusting it."""
    cert, key = smtp_certificate
    with FakeMicrosoft(cert, key) as fake:
        monkeypatch.setenv("THANKNOTE_MICROSOFT_AUTHORITY", fake.url)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
        yield fake
