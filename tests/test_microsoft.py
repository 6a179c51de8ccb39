"""Microsoft accounts: the real msal against a local identity platform, XOAUTH2 over SMTP.

The fake identity platform (tests/microsoft_server.py) speaks HTTPS with a certificate from a
test CA that this process and the ``thanknote`` processes trust through REQUESTS_CA_BUNDLE;
``THANKNOTE_MICROSOFT_AUTHORITY`` points msal at it.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import thanknote_executable
from tests.helpers import write_interview
from tests.microsoft_server import CLIENT_ID, SMTP_SCOPE, FakeMicrosoft
from tests.xoauth2_server import XOAuth2Server
from thanknote.accounts import microsoft
from thanknote.errors import AuthRequired, BadInput
from thanknote.senders.smtp.connection_settings import settings_from_options

GRACE = "grace@analytical.example"
ALAN = "alan@analytical.example"
TIMEOUT = 60


def token_file() -> Path:
    return Path(os.environ["THANKNOTE_MICROSOFT_TOKEN"])


def sign_in(fake: FakeMicrosoft) -> None:
    """The whole device-code flow in this process; the 'user' approves the printed code."""

    def user_reads(line: str) -> None:
        match = re.search(r"enter the code (\S+)", line)
        assert match, line
        fake.approve(match.group(1))

    microsoft.sign_in(CLIENT_ID, "common", browser=False, echo=user_reads)


def expire_access_token() -> None:
    """Make the cached access token look expired, as it is an hour after sign-in."""
    record = json.loads(token_file().read_text())
    cache = json.loads(record["msal_cache"])
    for entry in cache["AccessToken"].values():
        entry["expires_on"] = entry["extended_expires_on"] = str(int(time.time()) - 60)
    record["msal_cache"] = json.dumps(cache)
    token_file().write_text(json.dumps(record))


def send_command(server: XOAuth2Server, file: Path, *extra: str) -> list[str]:
    return [
        thanknote_executable(),
        "send",
        str(file),
        "--via",
        "smtp",
        "--yes",
        "--smtp-host",
        server.host,
        "--smtp-port",
        str(server.port),
        "--smtp-security",
        "starttls",
        "--smtp-cafile",
        str(server.cert),
        "--smtp-auth",
        "oauth",
        *extra,
    ]


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=TIMEOUT,
        check=False,
    )
    assert "ms-access-" not in done.stdout + done.stderr
    assert "ms-refresh-" not in done.stdout + done.stderr
    return done


def secrets_in_file() -> set[str]:
    return set(re.findall(r"ms-(?:access|refresh)-\d+", token_file().read_text()))


# -- signing in ------------------------------------------------------------------------------


@pytest.mark.slow
def test_device_code_sign_in_end_to_end(fake_microsoft: FakeMicrosoft) -> None:
    """`thanknote auth --provider microsoft` prints the code, waits, saves a 0600 cache."""
    process = subprocess.Popen(
        [thanknote_executable(), "auth", "--provider", "microsoft", "--client-id", CLIENT_ID],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        # With umask 0 a carelessly created file would be world-readable.
        preexec_fn=lambda: os.umask(0),
    )  # noqa: PLW1509
    assert process.stdout is not None
    first = process.stdout.readline()
    code = re.search(r"open the page (\S+) and enter the code (\S+)", first)
    assert code, first
    assert code.group(1) == f"{fake_microsoft.url}/devicelogin"
    fake_microsoft.approve(code.group(2))
    out, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, err
    assert "signed in as ada@example.com" in out
    assert "ms-access-" not in out + err and "ms-refresh-" not in out + err
    assert stat.S_IMODE(token_file().stat().st_mode) == 0o600
    record = json.loads(token_file().read_text())
    assert record["client_id"] == CLIENT_ID and record["username"] == "ada@example.com"
    asked = [form for _, path, form in fake_microsoft.requests if path.endswith("/devicecode")]
    assert asked[0]["scope"].split()[0] == SMTP_SCOPE
    assert set(asked[0]["scope"].split()) == {SMTP_SCOPE, "offline_access", "openid", "profile"}


def test_browser_sign_in(
    fake_microsoft: FakeMicrosoft,
    smtp_certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--browser: msal's local redirect flow, with PKCE; the 'browser' follows the redirect."""
    import html
    import ssl
    import threading
    import urllib.parse
    import urllib.request
    import webbrowser

    trusted = ssl.create_default_context(cafile=str(smtp_certificate[0]))
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=trusted)
    )
    opened: list[str] = []

    def follow(url: str) -> None:
        page = opener.open(url, timeout=TIMEOUT).read().decode()
        target = html.unescape(re.search(r'action="([^"]+)"', page).group(1))  # type: ignore[union-attr]
        fields = {
            html.unescape(k): html.unescape(v)
            for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', page)
        }
        opener.open(target, data=urllib.parse.urlencode(fields).encode(), timeout=TIMEOUT).read()

    def browser(url: str, *args: object, **kwargs: object) -> bool:
        opened.append(url)
        threading.Thread(target=follow, args=(url,), daemon=True).start()
        return True

    monkeypatch.setattr(webbrowser, "open", browser)
    shown: list[str] = []
    signed = microsoft.sign_in(CLIENT_ID, "consumers", browser=True, echo=shown.append)
    assert signed.username == "ada@example.com" and signed.tenant == "consumers"
    assert opened[0].startswith(f"{fake_microsoft.url}/consumers/oauth2/v2.0/authorize?")
    assert "code_challenge=" in opened[0] and "redirect_uri=http%3A%2F%2Flocalhost" in opened[0]
    assert fake_microsoft.grants("authorization_code") == 1
    assert stat.S_IMODE(token_file().stat().st_mode) == 0o600
    assert microsoft.access_token().username == "ada@example.com"


def test_the_token_lasts_and_is_reused(fake_microsoft: FakeMicrosoft) -> None:
    sign_in(fake_microsoft)
    token = microsoft.access_token()
    assert token.access_token in fake_microsoft.valid_access_tokens
    assert token.scopes == (SMTP_SCOPE,) and not token.refreshed
    assert fake_microsoft.grants("refresh_token") == 0
    assert "ms-access" not in repr(token)


def test_an_expired_token_is_refreshed_and_saved_back(fake_microsoft: FakeMicrosoft) -> None:
    sign_in(fake_microsoft)
    before = secrets_in_file()
    expire_access_token()
    token = microsoft.access_token()
    assert token.refreshed and fake_microsoft.grants("refresh_token") == 1
    assert token.access_token in fake_microsoft.valid_access_tokens
    assert secrets_in_file().isdisjoint(before)  # the rotated refresh token was kept
    assert stat.S_IMODE(token_file().stat().st_mode) == 0o600
    assert microsoft.access_token().access_token == token.access_token  # no second refresh
    assert fake_microsoft.grants("refresh_token") == 1


def test_an_app_without_public_client_flows_is_explained(fake_microsoft: FakeMicrosoft) -> None:
    fake_microsoft.public_client = False
    with pytest.raises(BadInput) as caught:
        sign_in(fake_microsoft)
    assert "AADSTS7000218" in caught.value.message
    assert caught.value.hint and "Allow public client flows" in caught.value.hint
    assert not token_file().exists()


def test_a_sign_in_without_smtp_send_saves_nothing(fake_microsoft: FakeMicrosoft) -> None:
    fake_microsoft.granted_scope = "openid profile"
    with pytest.raises(BadInput, match="did not grant https://outlook.office.com/SMTP.Send"):
        sign_in(fake_microsoft)
    assert not token_file().exists()


def test_no_sign_in_says_how(fake_microsoft: FakeMicrosoft) -> None:
    with pytest.raises(AuthRequired) as caught:
        microsoft.access_token()
    assert caught.value.exit_code == 2
    assert caught.value.hint and "thanknote auth --provider microsoft" in caught.value.hint


def test_a_readable_cache_is_made_private_with_a_warning(
    fake_microsoft: FakeMicrosoft, capsys: pytest.CaptureFixture[str]
) -> None:
    sign_in(fake_microsoft)
    token_file().chmod(0o644)
    assert microsoft.access_token().access_token in fake_microsoft.valid_access_tokens
    assert stat.S_IMODE(token_file().stat().st_mode) == 0o600
    warned = capsys.readouterr().err
    assert "was readable by other users (mode 0644); it is now 0600" in warned
    assert "account.live.com/consent/Manage" in warned


@pytest.mark.parametrize("value", ["http://127.0.0.1:1", "login.example", "https://"])
def test_the_authority_override_must_be_https(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THANKNOTE_MICROSOFT_AUTHORITY", value)
    with pytest.raises(BadInput, match="THANKNOTE_MICROSOFT_AUTHORITY must be an https URL"):
        microsoft.authority("common")


@pytest.mark.parametrize(
    ("host", "security", "port", "auth"),
    [
        ("smtp-mail.outlook.com", None, 587, "oauth"),
        ("SMTP.Office365.com", None, 587, "oauth"),
        ("smtp.gmail.com", None, 465, "password"),
    ],
)
def test_microsoft_hosts_default_to_starttls_and_oauth(
    host: str, security: str | None, port: int, auth: str
) -> None:
    settings = settings_from_options(
        host=host, port=None, security=security, user=None, cafile=None
    )
    assert (settings.port, settings.auth) == (port, auth)
    assert settings.security == ("starttls" if auth == "oauth" else "ssl")


def test_oauth_can_be_turned_off_for_a_microsoft_host() -> None:
    settings = settings_from_options(
        host="smtp.office365.com", port=None, security=None, user=None, cafile=None, auth="password"
    )
    assert settings.auth == "password" and settings.port == 587
    with pytest.raises(BadInput, match="--smtp-auth must be one of password, oauth"):
        settings_from_options(
            host="smtp.office365.com",
            port=None,
            security=None,
            user=None,
            cafile=None,
            auth="kerberos",
        )


# -- sending with XOAUTH2 ----------------------------------------------------------------------


@pytest.mark.slow
def test_send_logs_in_with_xoauth2(
    fake_microsoft: FakeMicrosoft, xoauth2_server: XOAuth2Server, tmp_path: Path
) -> None:
    sign_in(fake_microsoft)
    done = run(send_command(xoauth2_server, write_interview(tmp_path)))
    assert done.returncode == 0, done.stderr
    assert [m.rcpt_tos for m in xoauth2_server.messages] == [[GRACE], [ALAN]]
    assert {m.username for m in xoauth2_server.messages} == {"ada@example.com"}
    assert xoauth2_server.logins == 1 and xoauth2_server.failed_logins == 0


@pytest.mark.slow
def test_send_refreshes_an_expired_token(
    fake_microsoft: FakeMicrosoft, xoauth2_server: XOAuth2Server, tmp_path: Path
) -> None:
    sign_in(fake_microsoft)
    expire_access_token()
    with fake_microsoft.lock:
        fake_microsoft.valid_access_tokens.clear()  # the old token no longer works
    done = run(send_command(xoauth2_server, write_interview(tmp_path)))
    assert done.returncode == 0, done.stderr
    assert fake_microsoft.grants("refresh_token") == 1
    assert len(xoauth2_server.messages) == 2 and xoauth2_server.failed_logins == 0


@pytest.mark.slow
def test_a_revoked_sign_in_stops_before_connecting(
    fake_microsoft: FakeMicrosoft, xoauth2_server: XOAuth2Server, tmp_path: Path
) -> None:
    sign_in(fake_microsoft)
    expire_access_token()
    fake_microsoft.revoke()
    done = run(send_command(xoauth2_server, write_interview(tmp_path)))
    assert done.returncode == 2, done.stderr
    assert "Microsoft no longer accepts the saved sign-in for ada@example.com" in done.stderr
    assert "AADSTS70000" in done.stderr and "Trace ID" not in done.stderr
    assert "hint: run `thanknote auth --provider microsoft` to sign in again" in done.stderr
    assert xoauth2_server.connections == 0 and not xoauth2_server.messages


@pytest.mark.slow
def test_a_refused_token_is_a_refused_login(
    fake_microsoft: FakeMicrosoft, smtp_certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    sign_in(fake_microsoft)
    cert, key = smtp_certificate
    with XOAuth2Server("starttls", cert, key, bearer_tokens=set) as server:
        done = run(send_command(server, write_interview(tmp_path)))
    assert done.returncode == 1
    assert "refused the login for ada@example.com: 535" in done.stderr
    assert "Authenticated SMTP" in done.stderr
    assert server.failed_logins == 1 and not server.messages


@pytest.mark.slow
def test_the_environment_chooses_oauth(
    fake_microsoft: FakeMicrosoft,
    xoauth2_server: XOAuth2Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sign_in(fake_microsoft)
    monkeypatch.setenv("THANKNOTE_SMTP_AUTH", "oauth")
    command = [
        part
        for part in send_command(xoauth2_server, write_interview(tmp_path))
        if part not in ("--smtp-auth", "oauth")
    ]
    done = run(command)
    assert done.returncode == 0, done.stderr
    assert xoauth2_server.logins == 1 and len(xoauth2_server.messages) == 2


def test_the_sign_in_waits_while_the_user_has_not_entered_the_code(
    fake_microsoft: FakeMicrosoft,
) -> None:
    """msal polls; Microsoft answers authorization_pending until the code is entered."""
    import threading

    def user_is_slow(line: str) -> None:
        code = re.search(r"enter the code (\S+)", line)
        assert code

        def later() -> None:
            while fake_microsoft.grants("urn:ietf:params:oauth:grant-type:device_code") < 1:
                threading.Event().wait(0.01)
            fake_microsoft.approve(code.group(1))

        threading.Thread(target=later, daemon=True).start()

    signed = microsoft.sign_in(CLIENT_ID, "common", browser=False, echo=user_is_slow)
    assert signed.username == "ada@example.com"
    assert fake_microsoft.grants("urn:ietf:params:oauth:grant-type:device_code") == 2
