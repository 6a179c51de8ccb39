# ruff: noqa: S105, S106, S107, S310  -- fake credentials and loopback URLs, by design
"""A real loopback HTTP server that answers like the Gmail API and Google's OAuth endpoints.

It is meant to be driven by the *real* google-api-python-client / google-auth /
google-auth-oauthlib stack, so tests exercise the actual wire behaviour
(httplib2 retries, 401 -> refresh -> retry, HttpError parsing, PKCE, ...).

Wire facts (verified against google-api-python-client 2.202 with
``static_discovery=True`` and ``client_options={"api_endpoint": fake.url}``):
the static discovery document has ``rootUrl="https://gmail.googleapis.com/"``,
``servicePath=""`` and method paths like ``gmail/v1/users/{userId}/drafts``;
``api_endpoint`` replaces the whole root, so the client requests
(with or without a trailing slash on api_endpoint)::

    POST /gmail/v1/users/me/drafts?alt=json              drafts.create
    POST /gmail/v1/users/me/drafts/send?alt=json         drafts.send
    GET  /gmail/v1/users/me/drafts/{id}?alt=json         drafts.get (+ &format=raw etc.)
    GET  /gmail/v1/users/me/drafts?q=...&alt=json        drafts.list (q: rfc822msgid: only)
    DELETE /gmail/v1/users/me/drafts/{id}                drafts.delete
    POST /gmail/v1/users/me/messages/send?alt=json       messages.send

Media uploads (``media_body=``) can NOT be pointed here: the client builds their URL from
the discovery rootUrl and only swaps the netloc for api_endpoint's, keeping ``https`` --
it requests ``https://127.0.0.1:PORT/upload/gmail/v1/...`` and fails with ``ssl.SSLError``.
Send ``{"raw": ...}`` JSON bodies instead (what this fake understands).

OAuth endpoints: ``GET /auth`` (consent, answers 302 to the redirect_uri) and
``POST /token`` (refresh_token and authorization_code grants, PKCE S256/plain).

Usage::

    with FakeGmail() as fake:
        service = fake.build_service()          # or build(...) yourself
        fake.script("drafts.send", Fault.status(429, "rateLimitExceeded", retry_after=7))
        ...

or the function-scoped ``fake_gmail`` pytest fixture (import it into the test module
or a conftest: ``from tests.gmail_server import fake_gmail``, or
``pytest_plugins = ["tests.gmail_server"]``).

PYTEST_DONT_REWRITE -- no test assertions live here; this also keeps pytest quiet when the
module is imported before being registered as a plugin.
"""

from __future__ import annotations

import base64
import binascii
import collections
import contextlib
import hashlib
import http.server
import itertools
import json
import socket
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # the Google libraries load only where a test uses them
    from google.oauth2.credentials import Credentials
    from google_auth_oauthlib.flow import Flow
    from googleapiclient.discovery import Resource

GMAIL_COMPOSE_SCOPE = "https://www.googleapis.com/auth/gmail.compose"

#: Names accepted by :meth:`FakeGmail.script`.
SCRIPTABLE = frozenset(
    {
        "drafts.create",
        "drafts.send",
        "drafts.get",
        "drafts.list",
        "drafts.delete",
        "messages.send",
        "token",
        "users.getProfile",
    }
)

_STATUS_TEXT = {
    400: "FAILED_PRECONDITION",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_DEFAULT_REASON = {
    400: "failedPrecondition",
    401: "authError",
    403: "insufficientPermissions",
    404: "notFound",
    409: "aborted",
    429: "rateLimitExceeded",
    500: "backendError",
    502: "backendError",
    503: "backendError",
    504: "backendError",
}
_REASON_MESSAGE = {
    "authError": "Request had invalid authentication credentials.",
    "insufficientPermissions": "Request had insufficient authentication scopes.",
    "notFound": "Requested entity was not found.",
    "rateLimitExceeded": "Too many concurrent requests for user.",
    "userRateLimitExceeded": "User-rate limit exceeded.",
    "backendError": "Backend Error",
    "failedPrecondition": "Precondition check failed.",
    "invalidArgument": "Invalid argument.",
}
_REASON_DOMAIN = {
    "rateLimitExceeded": "usageLimits",
    "userRateLimitExceeded": "usageLimits",
}


# --------------------------------------------------------------------------- faults


@dataclass(frozen=True)
class Fault:
    """One scripted answer for the next matching request. Build with the classmethods."""

    kind: str  # "status" | "after_effect" | "drop" | "drop_after_effect" | "stall" | "answer"
    code: int | None = None
    reason: str | None = None
    message: str | None = None
    retry_after: int | str | None = None
    seconds: float = 0.0
    body: bytes = b""

    @classmethod
    def answer(cls, body: bytes, code: int = 200) -> Fault:
        """Answer ``code`` with exactly ``body`` (e.g. not JSON); the request has no effect."""
        return cls("answer", code, body=body)

    @classmethod
    def status(
        cls,
        code: int,
        reason: str | None = None,
        retry_after: int | str | None = None,
        message: str | None = None,
    ) -> Fault:
        """Answer ``code`` with a Google-style error body; the request has no effect."""
        return cls("status", code, reason, message, retry_after)

    @classmethod
    def after_effect(
        cls,
        code: int,
        reason: str | None = None,
        retry_after: int | str | None = None,
        message: str | None = None,
    ) -> Fault:
        """Perform the real effect (store/send), then answer ``code`` with an error body."""
        return cls("after_effect", code, reason, message, retry_after)

    @classmethod
    def drop(cls) -> Fault:
        """Read the request, then close the connection without answering; no effect."""
        return cls("drop")

    @classmethod
    def drop_after_effect(cls) -> Fault:
        """Perform the real effect, then close the connection without answering."""
        return cls("drop_after_effect")

    @classmethod
    def stall(cls, seconds: float = 30.0) -> Fault:
        """Hold the request unanswered for ``seconds`` (or until the server closes), then
        drop it; no effect. Use with a client timeout shorter than ``seconds``."""
        return cls("stall", seconds=seconds)

    @classmethod
    def trickle(cls, seconds: float = 30.0) -> Fault:
        """Answer 200 one byte of body every 0.1 s for ``seconds`` (never a whole answer);
        no effect. Each byte comes well within any socket timeout."""
        return cls("trickle", seconds=seconds)

    @classmethod
    def stall_after_effect(cls, seconds: float = 30.0) -> Fault:
        """Perform the real effect, then hold the answer for ``seconds`` and drop it."""
        return cls("stall_after_effect", seconds=seconds)

    @property
    def performs_effect(self) -> bool:
        return self.kind in ("after_effect", "drop_after_effect", "stall_after_effect")


def google_error(
    code: int, reason: str | None = None, message: str | None = None
) -> dict[str, Any]:
    """The JSON body Google APIs send with an error status."""
    reason = reason or _DEFAULT_REASON.get(code, "backendError")
    message = message or _REASON_MESSAGE.get(reason, reason)
    err: dict[str, Any] = {
        "message": message,
        "domain": _REASON_DOMAIN.get(reason, "global"),
        "reason": reason,
    }
    if code == 401:
        err.update(location="Authorization", locationType="header")
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [err],
            "status": _STATUS_TEXT.get(code, "UNKNOWN"),
        }
    }


# --------------------------------------------------------------------------- records


@dataclass
class RecordedRequest:
    method: str  # HTTP verb
    path: str  # without query string
    query: dict[str, str]
    headers: dict[str, str]  # keys lower-cased
    body: bytes
    json: Any = None  # parsed JSON body (API calls), or None
    form: dict[str, str] | None = None  # parsed form body (/token), or None
    endpoint: str | None = None  # "drafts.create", ..., "token", "auth", or None if unrouted
    fault: Fault | None = None  # the scripted fault consumed by this request, if any


def b64url_decode(data: str) -> bytes:
    data = data.strip()
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def pkce_s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


class _Drop(Exception):
    """Internal: close the connection without answering."""


class _Answer(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


# --------------------------------------------------------------------------- server


class FakeGmail:
    """Loopback fake of the Gmail API + Google OAuth endpoints. Context manager.

    Public state (read freely; mutate under ``with fake.lock`` if other threads run):

    * ``url`` -- ``"http://127.0.0.1:PORT"``
    * ``valid_tokens`` / ``valid_refresh_tokens`` / ``valid_codes`` -- sets
    * ``client_id`` / ``client_secret`` -- checked by ``/token`` (``None`` = don't check)
    * ``requests`` -- list of :class:`RecordedRequest`, every request in arrival order
    * ``drafts`` -- ``{draft_id: raw_rfc822_bytes}``
    * ``sent`` -- list of ``{"draft_id", "message_id", "thread_id", "raw"}``
    * ``auth_requests`` -- list of the query dicts received by ``/auth``
    * ``consent_error`` -- if set (e.g. ``"access_denied"``), ``/auth`` redirects with it
    """

    def __init__(
        self, client_id: str | None = "cid", client_secret: str | None = "csecret"
    ) -> None:
        self.lock = threading.RLock()
        self.client_id = client_id
        self.client_secret = client_secret
        self.valid_tokens: set[str] = {"access-1"}
        self.valid_refresh_tokens: set[str] = {"refresh-1"}
        self.valid_codes: set[str] = set()
        self.requests: list[RecordedRequest] = []
        self.drafts: dict[str, bytes] = {}
        self.sent: list[dict[str, Any]] = []
        self.auth_requests: list[dict[str, str]] = []
        self.consent_error: str | None = None
        self.testing_client = False
        """True: answer like an OAuth client in "Testing" (refresh tokens live 7 days)."""
        self.email_address = "ada@example.com"
        """What ``users.getProfile`` answers."""
        self.consent_errors: list[BaseException] = []
        self._draft_meta: dict[str, dict[str, str]] = {}
        self._codes: dict[str, dict[str, str | None]] = {}
        self._scripts: dict[str, collections.deque[Fault]] = collections.defaultdict(
            collections.deque
        )
        self._ids = itertools.count(1)
        self._tokens = itertools.count(2)  # access-1 / refresh-1 pre-exist
        self._closing = threading.Event()
        self._conns: set[socket.socket] = set()
        self.connections = 0
        """TCP connections accepted since the server started."""
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # ---- lifecycle

    def start(self) -> FakeGmail:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="FakeGmail",
            daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is None:
            return
        self._closing.set()  # releases stalled handlers
        self._server.shutdown()
        with self.lock:
            conns = list(self._conns)
        for conn in conns:  # wake handler threads parked on keep-alive reads
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> FakeGmail:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- scripting / inspection

    def script(self, method_name: str, *responses: Fault) -> None:
        """Queue faults for the next ``len(responses)`` authenticated ``method_name`` calls.

        ``method_name``: one of ``SCRIPTABLE``. Requests failing authentication (401) do not
        consume a fault. Faults are consumed in order; afterwards requests behave normally.
        """
        if method_name not in SCRIPTABLE:
            raise ValueError(
                f"unknown method {method_name!r}; expected one of {sorted(SCRIPTABLE)}"
            )
        for r in responses:
            if not isinstance(r, Fault):
                raise TypeError(f"expected Fault, got {r!r}")
        with self.lock:
            self._scripts[method_name].extend(responses)

    def pending_faults(self, method_name: str) -> list[Fault]:
        with self.lock:
            return list(self._scripts[method_name])

    def requests_for(self, endpoint: str) -> list[RecordedRequest]:
        """Recorded requests routed to ``endpoint`` (e.g. ``"drafts.send"``, ``"token"``)."""
        with self.lock:
            return [r for r in self.requests if r.endpoint == endpoint]

    # ---- client-side conveniences

    def client_config(self) -> dict[str, Any]:
        """An "installed app" client config whose endpoints point at this server."""
        return {
            "installed": {
                "client_id": self.client_id or "cid",
                "client_secret": self.client_secret or "csecret",
                "auth_uri": f"{self.url}/auth",
                "token_uri": f"{self.url}/token",
                "redirect_uris": ["http://localhost"],
            }
        }

    def credentials(
        self, token: str | None = "access-1", refresh_token: str | None = "refresh-1"
    ) -> Credentials:
        from google.oauth2.credentials import Credentials

        return Credentials(  # type: ignore[no-untyped-call]  # google-auth: untyped __init__
            token=token,
            refresh_token=refresh_token,
            token_uri=f"{self.url}/token",
            client_id=self.client_id or "cid",
            client_secret=self.client_secret or "csecret",
            scopes=[GMAIL_COMPOSE_SCOPE],
        )

    def build_service(self, credentials: Credentials | None = None, timeout: float = 5) -> Resource:
        """The real Gmail client (static discovery, no network) wired to this server,
        over ``AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))``."""
        import google_auth_httplib2
        import httplib2
        from googleapiclient.discovery import build

        creds = credentials if credentials is not None else self.credentials()
        http = google_auth_httplib2.AuthorizedHttp(
            creds, http=httplib2.Http(timeout=timeout, proxy_info=None)
        )
        return build(
            "gmail",
            "v1",
            http=http,
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": self.url},
        )

    def auto_consent(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Make every OAuth flow consent automatically, wherever it is built.

        Patches ``google_auth_oauthlib.flow.Flow.authorization_url`` so that each URL it
        returns that points at this server is driven by :func:`drive_consent` in a
        background thread (the flow's redirect server is already listening by then), and
        makes ``webbrowser.get()`` return a no-op browser so ``open_browser=True`` works
        headless. Errors from the driving thread land in ``self.consent_errors``.
        ``OAUTHLIB_INSECURE_TRANSPORT=1`` is still needed (see module docstring).
        """
        import webbrowser

        from google_auth_oauthlib import flow as flow_mod

        original = flow_mod.Flow.authorization_url
        fake = self

        def authorization_url(flow_self: Flow, **kwargs: Any) -> tuple[str, str]:
            url, state = original(flow_self, **kwargs)
            if url.startswith(f"{fake.url}/auth"):

                def drive() -> None:
                    try:
                        drive_consent(url)
                    except Exception as exc:  # surfaced via fake.consent_errors
                        with fake.lock:
                            fake.consent_errors.append(exc)

                threading.Thread(target=drive, name="FakeGmail-consent", daemon=True).start()
            return url, state

        class _NoBrowser:
            def open(self, *args: Any, **kwargs: Any) -> bool:
                return True

            open_new = open_new_tab = open

        monkeypatch.setattr(flow_mod.Flow, "authorization_url", authorization_url)
        monkeypatch.setattr(webbrowser, "get", lambda *a, **k: _NoBrowser())

    # ---- request handling (called from handler threads)

    def _next_fault(self, endpoint: str) -> Fault | None:
        with self.lock:
            q = self._scripts.get(endpoint)
            return q.popleft() if q else None

    def _new_ids(self) -> int:
        with self.lock:
            return next(self._ids)

    def _check_bearer(self, headers: dict[str, str]) -> None:
        auth = headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        with self.lock:
            ok = scheme.lower() == "bearer" and token.strip() in self.valid_tokens
        if not ok:
            raise _Answer(
                401,
                google_error(401),
                {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )

    @staticmethod
    def _raw_from(msg: Any) -> bytes:
        if not isinstance(msg, dict) or not isinstance(msg.get("raw"), str):
            raise _Answer(
                400,
                google_error(
                    400,
                    "invalidArgument",
                    "'raw' RFC822 payload message string or uploading message via "
                    "/upload/* URL required",
                ),
            )
        try:
            return b64url_decode(msg["raw"])
        except (binascii.Error, ValueError) as exc:
            err = google_error(400, "invalidArgument", "Invalid value for ByteString")
            raise _Answer(400, err) from exc

    def _effect(
        self, endpoint: str, rec: RecordedRequest, path_args: dict[str, str]
    ) -> tuple[int, Any]:
        """Perform ``endpoint``'s real effect; return (status, json body)."""
        body = rec.json if isinstance(rec.json, dict) else {}
        draft_id: str | None  # a new draft's, or the one a call names (None: named none)
        if endpoint == "drafts.create":
            msg = body.get("message")
            raw = self._raw_from(msg)
            n = self._new_ids()
            draft_id, message_id = f"r-{n}", f"m-{n}"
            thread_id = (msg or {}).get("threadId") or f"t-{n}"
            with self.lock:
                self.drafts[draft_id] = raw
                self._draft_meta[draft_id] = {"message_id": message_id, "thread_id": thread_id}
            return 200, {
                "id": draft_id,
                "message": {"id": message_id, "threadId": thread_id, "labelIds": ["DRAFT"]},
            }
        if endpoint == "drafts.send":
            draft_id = body.get("id")
            if not draft_id:
                return 400, google_error(400, "invalidArgument", "Invalid draft id")
            with self.lock:
                if draft_id not in self.drafts:
                    return 404, google_error(404, "notFound")
                raw = self.drafts.pop(draft_id)
                meta = self._draft_meta.pop(draft_id)
                if isinstance(body.get("message"), dict) and body["message"].get("raw"):
                    raw = self._raw_from(body["message"])
                self.sent.append(
                    {
                        "draft_id": draft_id,
                        "message_id": meta["message_id"],
                        "thread_id": meta["thread_id"],
                        "raw": raw,
                    }
                )
            return 200, {
                "id": meta["message_id"],
                "threadId": meta["thread_id"],
                "labelIds": ["SENT"],
            }
        if endpoint == "drafts.get":
            draft_id = path_args["id"]
            with self.lock:
                if draft_id not in self.drafts:
                    return 404, google_error(404, "notFound")
                raw, meta = self.drafts[draft_id], self._draft_meta[draft_id]
            message = {
                "id": meta["message_id"],
                "threadId": meta["thread_id"],
                "labelIds": ["DRAFT"],
            }
            if rec.query.get("format") == "raw":
                message["raw"] = base64.urlsafe_b64encode(raw).decode()
            return 200, {"id": draft_id, "message": message}
        if endpoint == "drafts.list":
            query = rec.query.get("q", "")
            with self.lock:
                matching = [d for d, raw in self.drafts.items() if _matches(query, raw)]
                listed = [
                    {
                        "id": d,
                        "message": {
                            "id": self._draft_meta[d]["message_id"],
                            "threadId": self._draft_meta[d]["thread_id"],
                        },
                    }
                    for d in matching
                ]
            answer: dict[str, Any] = {"resultSizeEstimate": len(listed)}
            if listed:
                answer["drafts"] = listed
            return 200, answer
        if endpoint == "drafts.delete":
            draft_id = path_args["id"]
            with self.lock:
                if draft_id not in self.drafts:
                    return 404, google_error(404, "notFound")
                del self.drafts[draft_id]
                del self._draft_meta[draft_id]
            return 204, None
        if endpoint == "messages.send":
            raw = self._raw_from(body)
            n = self._new_ids()
            message_id, thread_id = f"m-{n}", body.get("threadId") or f"t-{n}"
            with self.lock:
                self.sent.append(
                    {"draft_id": None, "message_id": message_id, "thread_id": thread_id, "raw": raw}
                )
            return 200, {"id": message_id, "threadId": thread_id, "labelIds": ["SENT"]}
        if endpoint == "token":
            return self._token(rec)
        if endpoint == "users.getProfile":
            return 200, {
                "emailAddress": self.email_address,
                "messagesTotal": 3,
                "threadsTotal": 3,
                "historyId": "1",
            }
        raise AssertionError(endpoint)

    def _mint(self, scope: str | None, with_refresh: bool) -> dict[str, Any]:
        with self.lock:
            n = next(self._tokens)
            access = f"access-{n}"
            self.valid_tokens.add(access)
            out: dict[str, Any] = {
                "access_token": access,
                "expires_in": 3600,
                "token_type": "Bearer",
                "scope": scope or GMAIL_COMPOSE_SCOPE,
            }
            if with_refresh:
                out["refresh_token"] = f"refresh-{n}"
                if self.testing_client:
                    out["refresh_token_expires_in"] = 604799
                self.valid_refresh_tokens.add(out["refresh_token"])
        return out

    def _token(self, rec: RecordedRequest) -> tuple[int, Any]:
        form = rec.form or {}
        cid, csecret = form.get("client_id"), form.get("client_secret")
        auth = rec.headers.get("authorization", "")
        if auth.lower().startswith("basic "):  # requests-oauthlib sends client creds this way
            try:
                user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
                cid, csecret = urllib.parse.unquote_plus(user), urllib.parse.unquote_plus(pw)
            except (binascii.Error, UnicodeDecodeError):
                pass
        if (self.client_id is not None and cid != self.client_id) or (
            self.client_secret is not None and csecret != self.client_secret
        ):
            return 401, {
                "error": "invalid_client",
                "error_description": "The OAuth client was not found.",
            }
        grant = form.get("grant_type")
        if grant == "refresh_token":
            with self.lock:
                ok = form.get("refresh_token") in self.valid_refresh_tokens
            if not ok:
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                }
            return 200, self._mint(form.get("scope"), with_refresh=False)
        if grant == "authorization_code":
            code = form.get("code")
            with self.lock:
                if code not in self.valid_codes:
                    return 400, {
                        "error": "invalid_grant",
                        "error_description": "Malformed auth code.",
                    }
                self.valid_codes.discard(code)  # single use
                info = self._codes.pop(code, {})
            if info.get("redirect_uri") and form.get("redirect_uri") != info["redirect_uri"]:
                return 400, {"error": "redirect_uri_mismatch", "error_description": "Bad Request"}
            challenge, method = (
                info.get("code_challenge"),
                info.get("code_challenge_method") or "plain",
            )
            verifier = form.get("code_verifier")
            if challenge:
                if not verifier:
                    return 400, {
                        "error": "invalid_grant",
                        "error_description": "Missing code verifier.",
                    }
                expected = pkce_s256(verifier) if method == "S256" else verifier
                if expected != challenge:
                    return 400, {
                        "error": "invalid_grant",
                        "error_description": "Invalid code verifier.",
                    }
            return 200, self._mint(info.get("scope"), with_refresh=True)
        return 400, {
            "error": "unsupported_grant_type",
            "error_description": f"Invalid grant_type: {grant}",
        }

    def _auth(self, rec: RecordedRequest) -> tuple[int, Any, dict[str, str]]:
        q = rec.query
        with self.lock:
            self.auth_requests.append(dict(q))
        redirect_uri = q.get("redirect_uri")
        if not redirect_uri or q.get("response_type", "code") != "code":
            return (
                400,
                {"error": "invalid_request", "error_description": "Missing redirect_uri"},
                {},
            )
        if self.client_id is not None and q.get("client_id") != self.client_id:
            return (
                401,
                {"error": "invalid_client", "error_description": "The OAuth client was not found."},
                {},
            )
        if self.consent_error:
            params = {"error": self.consent_error}
        else:
            code = f"code-{self._new_ids()}"
            with self.lock:
                self.valid_codes.add(code)
                self._codes[code] = {
                    "code_challenge": q.get("code_challenge"),
                    "code_challenge_method": q.get("code_challenge_method"),
                    "redirect_uri": redirect_uri,
                    "scope": q.get("scope"),
                }
            params = {"code": code, "scope": q.get("scope", "")}
        if "state" in q:
            params["state"] = q["state"]
        sep = "&" if "?" in redirect_uri else "?"
        return 302, None, {"Location": redirect_uri + sep + urllib.parse.urlencode(params)}


def _matches(query: str, raw: bytes) -> bool:
    """Gmail search, as far as thanknote uses it: ``rfc822msgid:ID`` (brackets optional)."""
    import email

    operator, _, wanted = query.strip().partition(":")
    if operator != "rfc822msgid" or not wanted:
        raise _Answer(400, google_error(400, "invalidArgument", f"unsupported query {query!r}"))
    found = email.message_from_bytes(raw).get("Message-ID", "")
    return found.strip().strip("<>") == wanted.strip().strip("<>")


def _route(method: str, path: str) -> tuple[str | None, dict[str, str]]:
    if path == "/token":
        return ("token" if method == "POST" else None), {}
    if path == "/auth":
        return ("auth" if method == "GET" else None), {}
    parts = path.strip("/").split("/")
    if parts[:3] != ["gmail", "v1", "users"] or len(parts) < 5:
        return None, {}
    rest = [urllib.parse.unquote(p) for p in parts[4:]]
    args = {"userId": urllib.parse.unquote(parts[3])}
    if method == "POST" and rest == ["drafts"]:
        return "drafts.create", args
    if method == "POST" and rest == ["drafts", "send"]:
        return "drafts.send", args
    if method == "GET" and len(rest) == 2 and rest[0] == "drafts":
        return "drafts.get", {**args, "id": rest[1]}
    if method == "GET" and rest == ["drafts"]:
        return "drafts.list", args
    if method == "DELETE" and len(rest) == 2 and rest[0] == "drafts":
        return "drafts.delete", {**args, "id": rest[1]}
    if method == "POST" and rest == ["messages", "send"]:
        return "messages.send", args
    if method == "GET" and rest == ["profile"]:
        return "users.getProfile", args
    return None, {}


class _Handler(http.server.BaseHTTPRequestHandler):
    owner: FakeGmail
    # BaseHTTPRequestHandler's buffer of header lines, which typeshed leaves out (private).
    _headers_buffer: list[bytes]
    protocol_version = "HTTP/1.1"
    server_version = "FakeGmail/1.0"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.owner.lock:
            self.owner._conns.add(self.connection)
            self.owner.connections += 1

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.owner.lock:
                self.owner._conns.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    do_PUT = do_DELETE = do_PATCH = do_POST

    # ---- plumbing

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=UTF-8")
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.send_header("Content-Length", str(len(data)))
        self._headers_buffer.append(b"\r\n" + data)  # headers + body in one write
        self.flush_headers()

    def _send_bytes(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self._headers_buffer.append(b"\r\n" + data)
        self.flush_headers()

    def _drop(self) -> None:
        self.close_connection = True  # nothing written; socket closed after return

    def _dispatch(self) -> None:
        owner = self.owner
        split = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        length = int(headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        endpoint, path_args = _route(self.command, split.path)
        rec = RecordedRequest(self.command, split.path, query, headers, body, endpoint=endpoint)
        ctype = headers.get("content-type", "")
        try:
            if ctype.startswith("application/x-www-form-urlencoded"):
                rec.form = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
            elif body:
                rec.json = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            pass
        if endpoint == "token" and rec.form is None and isinstance(rec.json, dict):
            rec.form = {k: str(v) for k, v in rec.json.items()}
        with owner.lock:
            owner.requests.append(rec)

        try:
            if endpoint is None:
                raise _Answer(
                    404, google_error(404, "notFound", f"Not Found: {self.command} {split.path}")
                )
            if endpoint == "auth":
                raise _Answer(*owner._auth(rec))
            if endpoint != "token":
                owner._check_bearer(headers)
            fault = owner._next_fault(endpoint)
            rec.fault = fault
            if fault is None:
                raise _Answer(*owner._effect(endpoint, rec, path_args))
            if fault.kind == "stall":
                owner._closing.wait(fault.seconds)
                raise _Drop
            if fault.kind == "stall_after_effect":
                owner._effect(endpoint, rec, path_args)
                owner._closing.wait(fault.seconds)
                raise _Drop
            if fault.kind == "trickle":
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(10 * int(fault.seconds * 10) + 10))
                self.end_headers()
                for _ in range(int(fault.seconds * 10)):
                    if owner._closing.wait(0.1):
                        break
                    self.wfile.write(b" ")
                    self.wfile.flush()
                raise _Drop
            if fault.kind == "answer":
                self._send_bytes(fault.code or 200, fault.body)
                return
            if fault.performs_effect:
                owner._effect(endpoint, rec, path_args)
            if fault.kind in ("drop", "drop_after_effect"):
                raise _Drop
            headers_out = (
                {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
            )
            # Only "status" and "after_effect" faults are left, and both carry a code.
            assert fault.code is not None, fault
            if endpoint == "token":
                err = {
                    "error": fault.reason
                    or ("server_error" if fault.code >= 500 else "invalid_request"),
                    "error_description": fault.message or "Scripted failure.",
                }
            else:
                err = google_error(fault.code, fault.reason, fault.message)
            raise _Answer(fault.code, err, headers_out)
        except _Answer as a:
            self._send(a.status, a.body, a.headers)
        except _Drop:
            self._drop()


# --------------------------------------------------------------------------- helpers


def drive_consent(authorization_url: str, timeout: float = 10) -> None:
    """Play the user's browser: GET the fake ``/auth`` URL and follow its 302 to the
    flow's local redirect server (``http://localhost:PORT/``), which completes the flow.

    Proxies from the environment are ignored. Raises ``urllib.error.HTTPError`` if either
    hop answers with an error status.
    """
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(authorization_url, timeout=timeout) as resp:
        resp.read()


@pytest.fixture
def fake_gmail() -> Iterator[FakeGmail]:
    """A started :class:`FakeGmail`, closed after the test."""
    with FakeGmail() as fake:
        yield fake
