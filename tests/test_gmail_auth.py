# ruff: noqa: S105, S106 -- fake credentials, by design
"""`thanknote auth` and the token file: consent against the fake's OAuth endpoints, 0600 files."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from tests.gmail_helpers import SECRETS, invoke, token_path, write_token
from tests.gmail_server import GMAIL_COMPOSE_SCOPE, FakeGmail, pkce_s256
from thanknote.errors import AuthRequired, BadInput
from thanknote.senders.gmail import consent
from thanknote.senders.gmail import credentials as gmail_token


@pytest.fixture
def consenting(fake_gmail: FakeGmail, monkeypatch: pytest.MonkeyPatch) -> FakeGmail:
    """The fake, playing the user's browser: every consent URL is followed and allowed."""
    # The fake's auth and token URIs are plain http; oauthlib refuses those unless told.
    # (The product never sets this: Google's endpoints are https.)
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    fake_gmail.auto_consent(monkeypatch)
    return fake_gmail


def client_secrets(fake: FakeGmail, path: Path) -> Path:
    path.write_text(json.dumps(fake.client_config()), encoding="utf-8")
    return path


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# -- consent ----------------------------------------------------------------------------------


def test_auth_no_browser_writes_a_0600_token_with_only_the_compose_scope(
    consenting: FakeGmail, tmp_path: Path
) -> None:
    secrets = client_secrets(consenting, tmp_path / "client.json")
    result = invoke("auth", "--client-secrets", str(secrets), "--no-browser")
    assert result.exit_code == 0, result.output
    assert consenting.consent_errors == []
    assert f"{consenting.url}/auth?" in result.stdout  # the URL to open elsewhere
    assert "ssh -L" in result.stdout

    path = token_path()
    assert mode(path) == 0o600
    saved = json.loads(path.read_text())
    assert saved["scopes"] == [GMAIL_COMPOSE_SCOPE]
    assert saved["token"] == "access-2" and saved["refresh_token"] == "refresh-2"
    assert saved["client_id"] == "cid" and saved["token_uri"] == f"{consenting.url}/token"
    from google.oauth2.credentials import Credentials

    restored = Credentials.from_authorized_user_info(saved)  # type: ignore[no-untyped-call]
    assert restored.refresh_token == "refresh-2"

    (consent,) = consenting.auth_requests
    assert consent["scope"] == GMAIL_COMPOSE_SCOPE
    assert consent["code_challenge_method"] == "S256"  # PKCE
    assert consent["access_type"] == "offline"
    exchange = consenting.requests_for("token")[0].form
    assert exchange is not None
    assert pkce_s256(exchange["code_verifier"]) == consent["code_challenge"]
    for secret in ("access-2", "refresh-2", "csecret"):
        assert secret not in result.output


def test_the_token_from_auth_drafts_without_a_refresh(
    consenting: FakeGmail, tmp_path: Path
) -> None:
    from tests.helpers import write_interview

    client_secrets(consenting, tmp_path / "credentials.json")  # found in the working directory
    assert invoke("auth", "--no-browser").exit_code == 0
    result = invoke("draft", str(write_interview(tmp_path)), fake=consenting)
    assert result.exit_code == 0, result.output
    assert {r.headers["authorization"] for r in consenting.requests_for("drafts.create")} == {
        "Bearer access-2"
    }


def test_auth_opens_a_browser_by_default(consenting: FakeGmail, tmp_path: Path) -> None:
    secrets = client_secrets(consenting, tmp_path / "client.json")
    result = invoke("auth", "--client-secrets", str(secrets))
    assert result.exit_code == 0, result.output
    assert "Opening your browser" in result.stdout
    assert mode(token_path()) == 0o600


def test_auth_port_option_fixes_the_redirect_port(consenting: FakeGmail, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    secrets = client_secrets(consenting, tmp_path / "client.json")
    result = invoke(
        "auth",
        "--client-secrets",
        str(secrets),
        "--no-browser",
        env={"THANKNOTE_OAUTH_PORT": str(port)},
    )
    assert result.exit_code == 0, result.output
    assert consenting.auth_requests[0]["redirect_uri"] == f"http://localhost:{port}/"
    assert f"ssh -L {port}:127.0.0.1:{port}" in result.stdout


def test_auth_replaces_a_token_without_widening_it(consenting: FakeGmail, tmp_path: Path) -> None:
    path = token_path()
    path.write_text("old")
    path.chmod(0o644)
    secrets = client_secrets(consenting, tmp_path / "client.json")
    assert invoke("auth", "--client-secrets", str(secrets), "--no-browser").exit_code == 0
    assert mode(path) == 0o600 and json.loads(path.read_text())["token"] == "access-2"


def test_consent_refused_in_the_browser(consenting: FakeGmail, tmp_path: Path) -> None:
    consenting.consent_error = "access_denied"
    secrets = client_secrets(consenting, tmp_path / "client.json")
    result = invoke("auth", "--client-secrets", str(secrets), "--no-browser")
    assert result.exit_code == 2
    assert "consent was refused" in result.stderr
    assert not token_path().exists()


def test_missing_client_secrets_explains_how_to_make_them(tmp_path: Path) -> None:
    result = invoke("auth", "--no-browser")
    assert result.exit_code == 2
    err = result.stderr
    assert "no OAuth client secrets file" in err
    for step in (
        "Gmail API",
        "OAuth consent screen",
        "Create credentials",
        "Desktop app",
        "credentials.json",
        "credentials.example.json",
    ):
        assert step in err
    assert "Traceback" not in result.output


def test_missing_client_secrets_option_names_the_path(tmp_path: Path) -> None:
    result = invoke("auth", "--client-secrets", str(tmp_path / "nope.json"))
    assert result.exit_code == 2 and "nope.json" in result.stderr


@pytest.mark.parametrize(
    "content, words",
    [
        ("{not json", "is not JSON"),
        ('{"web": {"client_id": "x"}}', "Desktop app"),
        ('{"installed": {"client_id": "x"}}', "lacks client_secret, auth_uri, token_uri"),
        ("[]", "not a Google OAuth client secrets file"),
    ],
)
def test_bad_client_secrets(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "client.json"
    path.write_text(content)
    result = invoke("auth", "--client-secrets", str(path))
    assert result.exit_code == 2
    assert words in result.stderr


def test_the_example_file_is_refused_as_a_placeholder() -> None:
    example = Path(__file__).resolve().parents[1] / "credentials.example.json"
    config = json.loads(example.read_text())
    installed = config["installed"]
    assert installed["client_id"] == "YOUR_CLIENT_ID.apps.googleusercontent.com"
    assert installed["client_secret"] == "YOUR_CLIENT_SECRET"
    assert installed["redirect_uris"] == ["http://localhost"]
    assert {"project_id", "auth_uri", "token_uri", "auth_provider_x509_cert_url"} <= set(installed)
    result = invoke("auth", "--client-secrets", str(example))
    assert result.exit_code == 2 and "placeholders" in result.stderr


# -- the token file ---------------------------------------------------------------------------


def test_a_world_readable_token_is_made_private_with_a_warning(
    fake_gmail: FakeGmail, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_token(fake_gmail, mode=0o644)
    gmail_token.load_credentials(path)
    assert mode(path) == 0o600
    err = capsys.readouterr().err
    assert "readable by other users" in err and "0644" in err
    for secret in SECRETS:
        assert secret not in err


def test_a_token_that_is_not_json_asks_for_auth(tmp_path: Path) -> None:
    path = token_path()
    path.write_text("gAN9cQAu")  # what a pickled token might look like
    path.chmod(0o600)
    with pytest.raises(AuthRequired, match="not a Gmail token") as caught:
        gmail_token.load_credentials(path)
    assert "thanknote auth" in (caught.value.hint or "")


def test_a_token_for_another_scope_asks_for_auth(fake_gmail: FakeGmail) -> None:
    path = write_token(fake_gmail, scopes=["https://www.googleapis.com/auth/gmail.readonly"])
    with pytest.raises(AuthRequired, match="does not grant"):
        gmail_token.load_credentials(path)


def test_an_expired_token_without_refresh_token_asks_for_auth(fake_gmail: FakeGmail) -> None:
    path = write_token(fake_gmail, expires_in=-timedelta(hours=1), refresh_token=None)
    with pytest.raises(AuthRequired, match="no refresh token"):
        gmail_token.load_credentials(path)
    assert fake_gmail.requests == []


def test_a_revoked_refresh_token_names_the_testing_expiry(fake_gmail: FakeGmail) -> None:
    path = write_token(fake_gmail, expires_in=-timedelta(hours=1))
    fake_gmail.valid_refresh_tokens.clear()
    with pytest.raises(AuthRequired) as caught:
        gmail_token.load_credentials(path)
    text = f"{caught.value.message} {caught.value.hint}"
    assert "invalid_grant" in text and "7 days" in text and "thanknote auth" in text
    for secret in SECRETS:
        assert secret not in text
    assert json.loads(path.read_text())["token"] == "access-1"  # left as it was


def test_refresh_when_google_is_unreachable_is_a_delivery_error(fake_gmail: FakeGmail) -> None:
    from thanknote.errors import DeliveryError

    path = write_token(fake_gmail, expires_in=-timedelta(hours=1))
    fake_gmail.close()
    with pytest.raises(DeliveryError, match="cannot reach Google") as caught:
        gmail_token.load_credentials(path)
    for secret in SECRETS:
        assert secret not in str(caught.value)


def test_token_uri_off_this_machine_is_not_trusted(fake_gmail: FakeGmail) -> None:
    path = write_token(fake_gmail)
    data = json.loads(path.read_text())
    data["token_uri"] = "https://attacker.example/token"
    path.write_text(json.dumps(data))
    credentials = gmail_token.load_credentials(path)
    assert credentials.token_uri == gmail_token.GOOGLE_TOKEN_URI


def test_bad_oauth_port_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THANKNOTE_OAUTH_PORT", "http")
    with pytest.raises(BadInput, match="THANKNOTE_OAUTH_PORT"):
        consent.consent_port()
    monkeypatch.setenv("THANKNOTE_OAUTH_PORT", "8765")
    assert consent.consent_port() == 8765
    assert consent.consent_port(9000) == 9000


def test_gmail_modules_import_no_google_library() -> None:
    code = (
        "import sys, pkgutil, importlib, thanknote.senders.gmail as gmail\n"
        "for module in pkgutil.iter_modules(gmail.__path__):\n"
        "    importlib.import_module(f'thanknote.senders.gmail.{module.name}')\n"
        "gmail.GmailSender\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('googleapiclient', 'google', 'google_auth_oauthlib', 'google_auth_httplib2', "
        "'httplib2', 'oauthlib')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
