# ruff: noqa: S105, S106, S310  -- fake credentials and loopback URLs, by design
"""Self-test of tests/gmail_server.py, driving the real Google client libraries against it."""

from __future__ import annotations

import base64
import contextlib
import http.client
import io
import json
import queue
import ssl
import threading
import urllib.error
import urllib.request
from email.message import Message
from typing import Any

import google.auth.exceptions
import google.auth.transport.requests
import pytest
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import InstalledAppFlow
from googleapiclient.discovery import Resource, build
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload
from oauthlib.oauth2.rfc6749.errors import AccessDeniedError, InsecureTransportError

from tests.gmail_server import (
    GMAIL_COMPOSE_SCOPE,
    FakeGmail,
    Fault,
    drive_consent,
    pkce_s256,
)

# Load the fake_gmail fixture the way conftest.py should (harmless if it already does).
pytest_plugins = ["tests.gmail_server"]

RAW = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: Thanks!\r\n\r\nThank you.\r\n"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def plain_build(fake: FakeGmail, creds: Credentials | None = None) -> Resource:
    """Exactly how the package builds the client (default httplib2 transport, 60 s timeout)."""
    creds = creds or Credentials(  # type: ignore[no-untyped-call]  # google-auth: untyped __init__
        token="access-1",
        refresh_token="refresh-1",
        token_uri=f"{fake.url}/token",
        client_id="cid",
        client_secret="csecret",
        scopes=[GMAIL_COMPOSE_SCOPE],
    )
    return build(
        "gmail",
        "v1",
        credentials=creds,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": fake.url},
    )


def create_draft(service: Resource, raw: bytes = RAW) -> dict[str, Any]:
    draft: dict[str, Any] = (
        service.users().drafts().create(userId="me", body={"message": {"raw": b64(raw)}}).execute()
    )
    return draft


def raw_request(
    fake: FakeGmail,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    token: str | None = None,
) -> tuple[int, Any, Message]:
    req = urllib.request.Request(
        fake.url + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read() or b"null"), resp.headers
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null"), e.headers


# --------------------------------------------------------------------------- happy paths


def test_create_draft_paths_headers_and_raw(fake_gmail: FakeGmail) -> None:
    service = plain_build(fake_gmail)
    draft = create_draft(service)
    assert draft == {
        "id": "r-1",
        "message": {"id": "m-1", "threadId": "t-1", "labelIds": ["DRAFT"]},
    }
    assert fake_gmail.drafts == {"r-1": RAW}
    (req,) = fake_gmail.requests
    assert (req.method, req.path, req.query) == (
        "POST",
        "/gmail/v1/users/me/drafts",
        {"alt": "json"},
    )
    assert req.endpoint == "drafts.create"
    assert req.headers["authorization"] == "Bearer access-1"
    assert req.json == {"message": {"raw": b64(RAW)}}


def test_api_endpoint_with_trailing_slash_gives_same_paths(fake_gmail: FakeGmail) -> None:
    service = build(
        "gmail",
        "v1",
        credentials=fake_gmail.credentials(),
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": fake_gmail.url + "/"},
    )
    create_draft(service)
    assert fake_gmail.requests[0].path == "/gmail/v1/users/me/drafts"


def test_send_draft_then_get_is_404(fake_gmail: FakeGmail) -> None:
    service = plain_build(fake_gmail)
    draft = create_draft(service)
    got = service.users().drafts().get(userId="me", id=draft["id"], format="raw").execute()
    assert base64.urlsafe_b64decode(got["message"]["raw"]) == RAW

    msg = service.users().drafts().send(userId="me", body={"id": draft["id"]}).execute()
    assert msg == {"id": "m-1", "threadId": "t-1", "labelIds": ["SENT"]}
    assert fake_gmail.drafts == {}
    assert fake_gmail.sent == [
        {"draft_id": "r-1", "message_id": "m-1", "thread_id": "t-1", "raw": RAW}
    ]
    assert [r.path for r in fake_gmail.requests][1:] == [
        "/gmail/v1/users/me/drafts/r-1",
        "/gmail/v1/users/me/drafts/send",
    ]

    with pytest.raises(HttpError) as ei:
        service.users().drafts().get(userId="me", id=draft["id"]).execute()
    assert ei.value.resp.status == 404
    assert ei.value.error_details[0]["reason"] == "notFound"

    with pytest.raises(HttpError) as ei:  # sending again: unknown draft
        service.users().drafts().send(userId="me", body={"id": draft["id"]}).execute()
    assert ei.value.resp.status == 404


def test_messages_send(fake_gmail: FakeGmail) -> None:
    service = plain_build(fake_gmail)
    msg = service.users().messages().send(userId="me", body={"raw": b64(RAW)}).execute()
    assert msg["labelIds"] == ["SENT"]
    assert fake_gmail.sent == [
        {"draft_id": None, "message_id": msg["id"], "thread_id": msg["threadId"], "raw": RAW}
    ]
    assert fake_gmail.requests[0].path == "/gmail/v1/users/me/messages/send"


def test_media_upload_cannot_reach_http_fake(fake_gmail: FakeGmail) -> None:
    # Client limitation: the /upload URL keeps the discovery rootUrl's https scheme and
    # only takes api_endpoint's host:port, so it speaks TLS to our plain-http server.
    service = fake_gmail.build_service()
    media = MediaIoBaseUpload(io.BytesIO(RAW), mimetype="message/rfc822", resumable=False)
    with pytest.raises(ssl.SSLError):
        service.users().drafts().create(userId="me", body={}, media_body=media).execute()
    assert fake_gmail.drafts == {}


# --------------------------------------------------------------------------- auth


def test_bad_token_gets_google_style_401(fake_gmail: FakeGmail) -> None:
    status, body, headers = raw_request(
        fake_gmail,
        "POST",
        "/gmail/v1/users/me/drafts",
        {"message": {"raw": b64(RAW)}},
        token="nope",
    )
    assert status == 401
    assert body["error"]["code"] == 401
    assert body["error"]["status"] == "UNAUTHENTICATED"
    assert body["error"]["message"] == "Request had invalid authentication credentials."
    assert body["error"]["errors"][0]["reason"] == "authError"
    assert fake_gmail.drafts == {}
    status, _, _ = raw_request(
        fake_gmail, "GET", "/gmail/v1/users/me/drafts/r-1"
    )  # no header at all
    assert status == 401


def test_client_refreshes_transparently_on_401(fake_gmail: FakeGmail) -> None:
    creds = fake_gmail.credentials(token="stale")
    create_draft(plain_build(fake_gmail, creds))
    assert creds.token == "access-2"
    assert [r.endpoint for r in fake_gmail.requests] == ["drafts.create", "token", "drafts.create"]
    form = fake_gmail.requests_for("token")[0].form
    assert form is not None
    assert form["grant_type"] == "refresh_token"
    assert len(fake_gmail.drafts) == 1


def test_client_gives_up_with_httperror_401_after_two_refreshes(fake_gmail: FakeGmail) -> None:
    fake_gmail.script("drafts.create", *[Fault.status(401)] * 3)
    with pytest.raises(HttpError) as ei:
        create_draft(plain_build(fake_gmail))
    assert ei.value.resp.status == 401
    assert len(fake_gmail.requests_for("token")) == 2


def test_401_with_revoked_refresh_token_raises_refresh_error(fake_gmail: FakeGmail) -> None:
    fake_gmail.valid_refresh_tokens.clear()
    with pytest.raises(google.auth.exceptions.RefreshError, match="invalid_grant"):
        create_draft(plain_build(fake_gmail, fake_gmail.credentials(token="stale")))


def test_refresh_via_requests_transport(fake_gmail: FakeGmail) -> None:
    creds = fake_gmail.credentials(token=None)
    creds.refresh(google.auth.transport.requests.Request())  # type: ignore[no-untyped-call]
    assert creds.token == "access-2"
    assert "access-2" in fake_gmail.valid_tokens
    assert creds.expiry is not None
    form = fake_gmail.requests_for("token")[0].form
    assert form is not None
    assert form["grant_type"] == "refresh_token"
    assert form["refresh_token"] == "refresh-1"
    assert form["client_id"] == "cid"


def test_invalid_grant_raises_refresh_error(fake_gmail: FakeGmail) -> None:
    creds = fake_gmail.credentials(refresh_token="refresh-revoked")
    with pytest.raises(google.auth.exceptions.RefreshError) as ei:
        creds.refresh(google.auth.transport.requests.Request())  # type: ignore[no-untyped-call]
    assert "invalid_grant" in str(ei.value)
    assert "Token has been expired or revoked." in str(ei.value)
    assert ei.value.retryable is False


def test_scripted_token_faults(fake_gmail: FakeGmail) -> None:
    creds = fake_gmail.credentials()
    fake_gmail.script("token", Fault.status(400, "invalid_grant", message="Bad Request"))
    with pytest.raises(google.auth.exceptions.RefreshError, match="invalid_grant"):
        creds.refresh(google.auth.transport.requests.Request())  # type: ignore[no-untyped-call]
    fake_gmail.script("token", Fault.drop())
    with pytest.raises(google.auth.exceptions.TransportError):
        creds.refresh(google.auth.transport.requests.Request())  # type: ignore[no-untyped-call]
    creds.refresh(google.auth.transport.requests.Request())  # type: ignore[no-untyped-call]  # unscripted again
    assert creds.token in fake_gmail.valid_tokens


def test_pkce_and_code_checks_on_token_endpoint(fake_gmail: FakeGmail) -> None:
    verifier = "v" * 50
    fake_gmail.consent_error = None
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    q = urllib.parse.urlencode(
        {
            "client_id": "cid",
            "redirect_uri": "http://localhost:1/",
            "state": "s1",
            "response_type": "code",
            "code_challenge": pkce_s256(verifier),
            "code_challenge_method": "S256",
            "scope": GMAIL_COMPOSE_SCOPE,
        }
    )
    with pytest.raises(urllib.error.HTTPError) as ei:
        opener.open(f"{fake_gmail.url}/auth?{q}", timeout=5)
    assert ei.value.code == 302
    location = urllib.parse.urlsplit(ei.value.headers["Location"])
    params = dict(urllib.parse.parse_qsl(location.query))
    assert location.netloc == "localhost:1" and params["state"] == "s1"

    def token(**form: str) -> tuple[int, Any]:
        data = urllib.parse.urlencode(
            {"client_id": "cid", "client_secret": "csecret", **form}
        ).encode()
        try:
            with opener.open(
                urllib.request.Request(f"{fake_gmail.url}/token", data=data), timeout=5
            ) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    code = params["code"]
    assert token(
        grant_type="authorization_code",
        code=code,
        code_verifier="wrong",
        redirect_uri="http://localhost:1/",
    ) == (400, {"error": "invalid_grant", "error_description": "Invalid code verifier."})
    assert (
        token(
            grant_type="authorization_code",
            code=code,
            code_verifier=verifier,
            redirect_uri="http://localhost:1/",
        )[0]
        == 400
    )  # single use
    assert (
        token(grant_type="refresh_token", refresh_token="refresh-1", client_secret="wrong")[0]
        == 401
    )  # invalid_client


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# ---------------------------------------------------------------- faults, from the client side


@pytest.mark.parametrize(
    "code, reason",
    [
        (429, "rateLimitExceeded"),
        (403, "userRateLimitExceeded"),
        (403, "insufficientPermissions"),
        (400, "failedPrecondition"),
        (500, "backendError"),
        (503, "backendError"),
    ],
)
def test_status_fault_is_httperror_without_effect(
    fake_gmail: FakeGmail, code: int, reason: str
) -> None:
    service = plain_build(fake_gmail)
    fake_gmail.script("drafts.create", Fault.status(code, reason, retry_after=7))
    with pytest.raises(HttpError) as ei:
        create_draft(service)
    e = ei.value
    assert e.resp.status == code == e.status_code
    assert e.resp["retry-after"] == "7"
    assert e.error_details[0]["reason"] == reason
    assert json.loads(e.content)["error"]["errors"][0]["reason"] == reason
    assert fake_gmail.drafts == {}
    create_draft(service)  # next one is unscripted
    assert len(fake_gmail.drafts) == 1


def test_status_fault_without_retry_after_has_no_header(fake_gmail: FakeGmail) -> None:
    fake_gmail.script("drafts.get", Fault.status(500))
    with pytest.raises(HttpError) as ei:
        plain_build(fake_gmail).users().drafts().get(userId="me", id="r-9").execute()
    assert "retry-after" not in ei.value.resp
    assert ei.value.error_details[0]["reason"] == "backendError"


def test_after_effect_sends_but_answers_503(fake_gmail: FakeGmail) -> None:
    service = plain_build(fake_gmail)
    draft = create_draft(service)
    fake_gmail.script("drafts.send", Fault.after_effect(503))
    with pytest.raises(HttpError) as ei:
        service.users().drafts().send(userId="me", body={"id": draft["id"]}).execute()
    assert ei.value.resp.status == 503
    assert [s["draft_id"] for s in fake_gmail.sent] == [draft["id"]]
    assert fake_gmail.drafts == {}


def test_single_drop_is_silently_resent_by_httplib2(fake_gmail: FakeGmail) -> None:
    # httplib2 treats RemoteDisconnected (a BadStatusLine) on the first try as a stale
    # keep-alive connection and re-sends the request once, even a POST.
    service = plain_build(fake_gmail)
    fake_gmail.script("drafts.create", Fault.drop())
    create_draft(service)
    assert [r.fault.kind if r.fault else None for r in fake_gmail.requests] == ["drop", None]
    assert len(fake_gmail.drafts) == 1


def test_two_drops_raise_remote_disconnected_without_effect(fake_gmail: FakeGmail) -> None:
    service = plain_build(fake_gmail)
    fake_gmail.script("drafts.send", Fault.drop(), Fault.drop())
    draft = create_draft(service)
    with pytest.raises(http.client.RemoteDisconnected) as ei:
        service.users().drafts().send(userId="me", body={"id": draft["id"]}).execute()
    assert isinstance(ei.value, ConnectionResetError)  # and http.client.BadStatusLine
    assert fake_gmail.sent == [] and draft["id"] in fake_gmail.drafts
    assert len(fake_gmail.requests_for("drafts.send")) == 2


def test_single_drop_after_effect_on_messages_send_duplicates_the_mail(
    fake_gmail: FakeGmail,
) -> None:
    fake_gmail.script("messages.send", Fault.drop_after_effect())
    plain_build(fake_gmail).users().messages().send(userId="me", body={"raw": b64(RAW)}).execute()
    assert len(fake_gmail.sent) == 2  # the silent httplib2 resend sent it again


def test_single_drop_after_effect_on_drafts_send_surfaces_as_404(fake_gmail: FakeGmail) -> None:
    service = plain_build(fake_gmail)
    draft = create_draft(service)
    fake_gmail.script("drafts.send", Fault.drop_after_effect())
    with pytest.raises(HttpError) as ei:
        service.users().drafts().send(userId="me", body={"id": draft["id"]}).execute()
    assert ei.value.resp.status == 404  # the resend finds the draft already gone...
    assert [s["draft_id"] for s in fake_gmail.sent] == [draft["id"]]  # ...because it WAS sent


def test_two_drop_after_effect_raise_remote_disconnected_with_effect(fake_gmail: FakeGmail) -> None:
    service = plain_build(fake_gmail)
    draft = create_draft(service)
    fake_gmail.script("drafts.send", Fault.drop_after_effect(), Fault.drop_after_effect())
    with pytest.raises(http.client.RemoteDisconnected):
        service.users().drafts().send(userId="me", body={"id": draft["id"]}).execute()
    assert [s["draft_id"] for s in fake_gmail.sent] == [draft["id"]]


def test_stall_times_out_with_timeouterror(fake_gmail: FakeGmail) -> None:
    service = fake_gmail.build_service(timeout=0.3)
    fake_gmail.script("drafts.create", Fault.stall(30))
    with pytest.raises(TimeoutError):  # socket.timeout is TimeoutError since 3.10
        create_draft(service)
    assert fake_gmail.drafts == {}
    create_draft(service)  # same Http object recovers (httplib2 reconnects)
    assert len(fake_gmail.drafts) == 1


def test_connection_refused_is_connectionrefusederror() -> None:
    with FakeGmail() as fake:
        service = fake.build_service()
    with pytest.raises(ConnectionRefusedError):
        create_draft(service)


def test_execute_num_retries_retries_5xx(fake_gmail: FakeGmail) -> None:
    fake_gmail.script("drafts.create", Fault.status(503), Fault.status(429, "rateLimitExceeded"))
    req = (
        plain_build(fake_gmail)
        .users()
        .drafts()
        .create(userId="me", body={"message": {"raw": b64(RAW)}})
    )
    sleeps: list[float] = []
    req._sleep = sleeps.append  # googleapiclient's back-off sleep
    req.execute(num_retries=2)
    assert len(sleeps) == 2 and len(fake_gmail.requests_for("drafts.create")) == 3


def test_faults_are_consumed_in_order_only_by_matching_authenticated_calls(
    fake_gmail: FakeGmail,
) -> None:
    service = plain_build(fake_gmail, fake_gmail.credentials(token="stale"))
    fake_gmail.script("drafts.create", Fault.status(500), Fault.status(503))
    with pytest.raises(HttpError) as ei:  # 401 -> refresh -> retry consumes the 500
        create_draft(service)
    assert ei.value.resp.status == 500
    service.users().messages().send(userId="me", body={"raw": b64(RAW)}).execute()
    assert fake_gmail.pending_faults("drafts.create") == [Fault.status(503)]
    with pytest.raises(ValueError):
        fake_gmail.script("drafts.patch", Fault.drop())


def test_script_is_thread_safe(fake_gmail: FakeGmail) -> None:
    service_factory = fake_gmail.build_service
    fake_gmail.script("messages.send", *[Fault.status(500)] * 10)
    errors: list[int] = []

    def worker() -> None:
        service = service_factory()
        for _ in range(5):
            try:
                service.users().messages().send(userId="me", body={"raw": b64(RAW)}).execute()
            except HttpError as e:
                errors.append(e.resp.status)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == [500] * 10
    assert len(fake_gmail.sent) == 10


# ---------------------------------------------------------------- installed-app consent flow


class _LineQueue(io.TextIOBase):
    def __init__(self) -> None:
        self.lines: queue.Queue[str] = queue.Queue()

    def write(self, s: str) -> int:
        for line in s.splitlines():
            if line.strip():
                self.lines.put(line.strip())
        return len(s)


def _run_flow_in_thread(
    flow: InstalledAppFlow, result: dict[str, Any], **kwargs: Any
) -> threading.Thread:
    def run() -> None:
        try:
            result["creds"] = flow.run_local_server(port=0, timeout_seconds=5, **kwargs)
        except BaseException as exc:  # noqa: BLE001
            result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_consent_flow_end_to_end_from_printed_url(
    fake_gmail: FakeGmail, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # auth_uri/token_uri are http://
    flow = InstalledAppFlow.from_client_config(
        fake_gmail.client_config(), scopes=[GMAIL_COMPOSE_SCOPE]
    )
    out = _LineQueue()
    result: dict[str, Any] = {}
    with contextlib.redirect_stdout(out):
        thread = _run_flow_in_thread(
            flow, result, open_browser=False, authorization_prompt_message="Visit: {url}"
        )
        line = out.lines.get(timeout=5)
    url = line.removeprefix("Visit: ")
    assert url.startswith(f"{fake_gmail.url}/auth?")
    drive_consent(url)
    thread.join(5)
    assert "error" not in result, result.get("error")
    creds = result["creds"]
    assert creds.token == "access-2" and creds.refresh_token == "refresh-2"
    assert creds.token_uri == f"{fake_gmail.url}/token"

    (auth,) = fake_gmail.auth_requests
    assert auth["code_challenge_method"] == "S256"
    assert auth["redirect_uri"].startswith("http://localhost:")
    form = fake_gmail.requests_for("token")[0].form
    assert form is not None
    assert form["grant_type"] == "authorization_code"
    assert pkce_s256(form["code_verifier"]) == auth["code_challenge"]

    create_draft(plain_build(fake_gmail, creds))  # the minted credentials work
    assert fake_gmail.requests[-1].headers["authorization"] == "Bearer access-2"


def test_consent_flow_needs_insecure_transport_env(
    fake_gmail: FakeGmail, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
    flow = InstalledAppFlow.from_client_config(
        fake_gmail.client_config(), scopes=[GMAIL_COMPOSE_SCOPE]
    )
    with pytest.raises(InsecureTransportError):
        flow.authorization_url()


def test_auto_consent_with_open_browser(
    fake_gmail: FakeGmail, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    fake_gmail.auto_consent(monkeypatch)
    flow = InstalledAppFlow.from_client_config(
        fake_gmail.client_config(), scopes=[GMAIL_COMPOSE_SCOPE]
    )
    creds = flow.run_local_server(
        port=0, open_browser=True, authorization_prompt_message="", timeout_seconds=5
    )
    assert creds.token == "access-2"
    assert fake_gmail.consent_errors == []


def test_consent_denied(fake_gmail: FakeGmail, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    fake_gmail.consent_error = "access_denied"
    fake_gmail.auto_consent(monkeypatch)
    flow = InstalledAppFlow.from_client_config(
        fake_gmail.client_config(), scopes=[GMAIL_COMPOSE_SCOPE]
    )
    with pytest.raises(AccessDeniedError):
        flow.run_local_server(
            port=0, open_browser=False, authorization_prompt_message="", timeout_seconds=5
        )
    assert fake_gmail.requests_for("token") == []
