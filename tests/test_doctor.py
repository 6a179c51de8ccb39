"""`thanknote doctor` against real peers: healthy and broken SMTP servers, the Gmail fake,
the Microsoft fake. Each case asserts its line and the exit code; nothing is ever sent."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import thanknote_executable
from tests.gmail_helpers import SECRETS, token_path, write_token
from tests.gmail_server import GMAIL_COMPOSE_SCOPE, FakeGmail
from tests.helpers import write_interview
from tests.microsoft_server import FakeMicrosoft
from tests.smtp_server import DEFAULT_PASSWORD, SMTPTestServer
from tests.test_microsoft import expire_access_token, sign_in
from tests.xoauth2_server import XOAuth2Server
from thanknote.doctor import Status, Subject
from thanknote.doctor.gmail import trap
from thanknote.senders.gmail import consent
from thanknote.senders.gmail import credentials as token_file

pytestmark = pytest.mark.slow

NOW = dt.datetime(2026, 11, 25, 22, 0, tzinfo=dt.UTC)  # THANKNOTE_NOW of the isolation fixture
READONLY = "https://www.googleapis.com/auth/gmail.readonly"


def doctor(
    *args: str, password: str | None = DEFAULT_PASSWORD, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "THANKNOTE_SMTP_PASSWORD"}
    if password is not None:
        environment["THANKNOTE_SMTP_PASSWORD"] = password
    environment.update(env)
    done = subprocess.run(
        [thanknote_executable(), "doctor", *args],
        capture_output=True,
        text=True,
        env=environment,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    for secret in (DEFAULT_PASSWORD, "wrong-password", *SECRETS, "ms-access-", "ms-refresh-"):
        assert secret not in done.stdout + done.stderr
    return done


def smtp_args(server: SMTPTestServer, *extra: str, cafile: bool = True) -> list[str]:
    return [
        "--via",
        "smtp",
        "--smtp-host",
        server.host,
        "--smtp-port",
        str(server.port),
        "--smtp-security",
        "starttls",
        *(["--smtp-cafile", str(server.cert)] if cafile else []),
        *extra,
    ]


def lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    return done.stdout.splitlines()


# -- SMTP ------------------------------------------------------------------------------------


def test_a_healthy_smtp_server(smtp_starttls_server: SMTPTestServer, tmp_path: Path) -> None:
    server = smtp_starttls_server
    done = doctor(str(write_interview(tmp_path)), *smtp_args(server))
    assert done.returncode == 0, done.stdout + done.stderr
    out = lines(done)
    assert out[0].startswith("ok       address: From: Ada Lovelace <ada@example.com>")
    assert [line.split(":")[0] for line in out[1:6]] == [
        "ok       smtp resolve",
        "ok       smtp connect",
        "ok       smtp tls",
        "ok       smtp login",
        "ok       smtp quit",
    ]
    assert (
        f"ok       smtp login: ada@example.com logged in at 127.0.0.1:{server.port} "
        "(password from THANKNOTE_SMTP_PASSWORD)" in out
    )
    assert out[-1] == "0 problem(s), 0 warning(s): all well: a send would work now"
    assert server.logins == 1 and not server.messages


def test_json(smtp_starttls_server: SMTPTestServer, tmp_path: Path) -> None:
    done = doctor(str(write_interview(tmp_path)), *smtp_args(smtp_starttls_server), "--json")
    assert done.returncode == 0
    report = json.loads(done.stdout)
    assert report["ok"] is True and report["problems"] == 0
    assert [c["check"] for c in report["checks"]] == [
        "address",
        "smtp resolve",
        "smtp connect",
        "smtp tls",
        "smtp login",
        "smtp quit",
    ]
    assert {c["status"] for c in report["checks"]} == {"ok"}


def test_a_wrong_password(smtp_starttls_server: SMTPTestServer, tmp_path: Path) -> None:
    server = smtp_starttls_server
    done = doctor(str(write_interview(tmp_path)), *smtp_args(server), password="wrong-password")
    assert done.returncode == 1
    assert (
        f"problem  smtp login: 127.0.0.1:{server.port} refused the login for "
        "ada@example.com: 535 5.7.8 Authentication credentials invalid" in lines(done)
    )
    assert not any("smtp quit" in line for line in lines(done))
    assert server.failed_logins == 1  # one attempt, one mechanism


def test_an_untrusted_certificate(smtp_starttls_server: SMTPTestServer, tmp_path: Path) -> None:
    server = smtp_starttls_server
    done = doctor(str(write_interview(tmp_path)), *smtp_args(server, cafile=False), "--json")
    assert done.returncode == 1
    tls = [c for c in json.loads(done.stdout)["checks"] if c["check"] == "smtp tls"]
    assert tls[0]["status"] == "problem"
    assert tls[0]["detail"].startswith(f"the certificate of 127.0.0.1:{server.port} is not trusted")
    assert "--smtp-cafile" in tls[0]["fix"]
    assert server.logins == server.failed_logins == 0  # no password went to an unknown server


def test_a_refused_connection(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    done = doctor(
        str(write_interview(tmp_path)),
        "--via",
        "smtp",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(port),
        "--smtp-security",
        "starttls",
    )
    assert done.returncode == 1
    assert f"problem  smtp connect: 127.0.0.1:{port} refused the connection" in lines(done)
    assert "fix: check --smtp-port and --smtp-security" in done.stdout
    assert "smtp tls" not in done.stdout


def test_no_password_anywhere(smtp_starttls_server: SMTPTestServer, tmp_path: Path) -> None:
    done = doctor(str(write_interview(tmp_path)), *smtp_args(smtp_starttls_server), password=None)
    assert done.returncode == 1
    assert "problem  smtp login: no SMTP password: set THANKNOTE_SMTP_PASSWORD" in done.stdout
    assert "fix: store it with `thanknote login smtp --smtp-host 127.0.0.1" in done.stdout


def test_a_local_relay_without_auth_needs_no_password(tmp_path: Path) -> None:
    path = str(write_interview(tmp_path))
    with SMTPTestServer("none", offer_auth=False) as server:
        options = [
            "--via",
            "smtp",
            "--smtp-host",
            server.host,
            "--smtp-port",
            str(server.port),
            "--smtp-security",
            "none",
        ]
        done = doctor(path, *options, password=None)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "ok       smtp login: no login (none asked)" in lines(done)
        assert not [line for line in lines(done) if line.startswith("problem")]
        assert "ok       smtp quit: the server closed the session (221)" in lines(done)
        # ...which is what a send with the same options does.
        environment = {k: v for k, v in os.environ.items() if k != "THANKNOTE_SMTP_PASSWORD"}
        sent = subprocess.run(
            [thanknote_executable(), "send", path, *options, "--yes"],
            capture_output=True,
            text=True,
            env=environment,
            timeout=60,
            check=False,
        )
        assert sent.returncode == 0, sent.stderr
        assert len(server.messages) == 2 and server.logins == 0


def test_a_local_relay_offering_auth_without_a_password_warns(
    smtp_plain_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_plain_server
    done = doctor(
        str(write_interview(tmp_path)),
        "--via",
        "smtp",
        "--smtp-host",
        server.host,
        "--smtp-port",
        str(server.port),
        "--smtp-security",
        "none",
        password=None,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        f"warning  smtp login: no login: 127.0.0.1:{server.port} offers AUTH, but with "
        "--smtp-security none and no THANKNOTE_SMTP_PASSWORD a send does not log in"
    ) in lines(done)
    with_password = doctor(
        str(write_interview(tmp_path)),
        "--via",
        "smtp",
        "--smtp-host",
        server.host,
        "--smtp-port",
        str(server.port),
        "--smtp-security",
        "none",
    )
    assert with_password.returncode == 0, with_password.stdout
    assert "ok       smtp login: ada@example.com logged in" in with_password.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--via", "fax"], "Invalid value for '--via': 'fax' is not one of 'smtp', 'gmail'"),
        (["--via", "smtp"], "doctor needs the SMTP login"),
        (["missing.toml"], "missing.toml"),
        (
            [
                "--via",
                "smtp",
                "--smtp-user",
                "a@example.com",
                "--smtp-security",
                "none",
                "--smtp-host",
                "smtp.example.com",
            ],
            "--smtp-security none",
        ),
    ],
)
def test_bad_input_is_exit_2(args: list[str], words: str) -> None:
    done = doctor(*args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert words in done.stderr


def test_nothing_set_up(tmp_path: Path) -> None:
    done = doctor(str(write_interview(tmp_path)))
    assert done.returncode == 1
    assert (
        "problem  delivery: nothing to deliver with: no Gmail token, and no SMTP server "
        "given" in lines(done)
    )


# -- Microsoft over SMTP -----------------------------------------------------------------------


def test_a_healthy_microsoft_sign_in(
    fake_microsoft: FakeMicrosoft, xoauth2_server: XOAuth2Server, tmp_path: Path
) -> None:
    sign_in(fake_microsoft)
    done = doctor(
        str(write_interview(tmp_path)),
        *smtp_args(xoauth2_server, "--smtp-auth", "oauth"),
        password=None,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = lines(done)
    assert any(
        line.startswith("ok       microsoft token: ") and "signed in as ada@example.com" in line
        for line in out
    )
    assert (
        "ok       microsoft refresh: the refresh token works: a new access token for 60 "
        "minutes" in out
    )
    assert "ok       microsoft scope: https://outlook.office.com/SMTP.Send" in out
    assert any(
        line.startswith("ok       smtp login: ada@example.com logged in")
        and line.endswith("(an OAuth token)")
        for line in out
    )
    assert fake_microsoft.grants("refresh_token") == 1 and xoauth2_server.logins == 1


def test_a_revoked_microsoft_sign_in(
    fake_microsoft: FakeMicrosoft, xoauth2_server: XOAuth2Server, tmp_path: Path
) -> None:
    sign_in(fake_microsoft)
    expire_access_token()
    fake_microsoft.revoke()
    done = doctor(
        str(write_interview(tmp_path)),
        *smtp_args(xoauth2_server, "--smtp-auth", "oauth"),
        password=None,
    )
    assert done.returncode == 1
    assert (
        "problem  microsoft refresh: Microsoft no longer accepts the saved sign-in for "
        "ada@example.com" in done.stdout
    )
    assert "fix: run `thanknote auth --provider microsoft` to sign in again" in done.stdout
    assert xoauth2_server.connections == 0


def test_a_readable_microsoft_sign_in(
    fake_microsoft: FakeMicrosoft, xoauth2_server: XOAuth2Server, tmp_path: Path
) -> None:
    sign_in(fake_microsoft)
    Path(os.environ["THANKNOTE_MICROSOFT_TOKEN"]).chmod(0o640)
    done = doctor(
        str(write_interview(tmp_path)),
        *smtp_args(xoauth2_server, "--smtp-auth", "oauth"),
        password=None,
    )
    assert done.returncode == 1
    assert "is readable by other users (mode 0640)" in done.stdout
    assert fake_microsoft.grants("refresh_token") == 0


def test_no_microsoft_sign_in(
    fake_microsoft: FakeMicrosoft, xoauth2_server: XOAuth2Server, tmp_path: Path
) -> None:
    done = doctor(
        str(write_interview(tmp_path)),
        *smtp_args(xoauth2_server, "--smtp-auth", "oauth"),
        password=None,
    )
    assert done.returncode == 1
    assert "problem  microsoft token: no Microsoft sign-in at" in done.stdout


# -- Gmail -----------------------------------------------------------------------------------


def gmail_token(
    fake: FakeGmail,
    *,
    signed_in: dt.datetime | None = NOW,
    expires: dt.timedelta | None = None,
    **kwargs: Any,
) -> Path:
    path = write_token(fake, **kwargs)
    info = json.loads(path.read_text())
    if signed_in is not None:
        info[token_file.SIGNED_IN_AT] = signed_in.isoformat()
        if expires is not None:
            info[token_file.REFRESH_TOKEN_EXPIRES_AT] = (signed_in + expires).isoformat()
    path.write_text(json.dumps(info))
    return path


def gmail_doctor(fake: FakeGmail, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return doctor(
        str(write_interview(tmp_path)), "--via", "gmail", *extra, THANKNOTE_GMAIL_ENDPOINT=fake.url
    )


def test_a_healthy_gmail_token(fake_gmail: FakeGmail, tmp_path: Path) -> None:
    gmail_token(fake_gmail)
    done = gmail_doctor(fake_gmail, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    out = lines(done)
    assert f"ok       gmail token: {token_path()} (mode 0600)" in out
    assert (
        "ok       gmail refresh: the refresh token works: Google issued a new access token" in out
    )
    assert "ok       gmail scope: gmail.compose only (create drafts and send them)" in out
    assert "ok       gmail api: users.getProfile answered for ada@example.com" in out
    assert (
        "ok       gmail follow-up: signed in 2026-11-25; nothing suggests the token "
        "expires before the follow-up on 2026-12-05" in out
    )
    assert not fake_gmail.sent and not fake_gmail.drafts
    # the refreshed token was saved, with its sign-in record
    assert json.loads(token_path().read_text())[token_file.SIGNED_IN_AT].startswith("2026-11-25")


def test_a_revoked_gmail_token(fake_gmail: FakeGmail, tmp_path: Path) -> None:
    gmail_token(fake_gmail)
    fake_gmail.valid_refresh_tokens.clear()
    done = gmail_doctor(fake_gmail, tmp_path)
    assert done.returncode == 1
    assert (
        "problem  gmail refresh: Google no longer accepts the saved Gmail token "
        "(invalid_grant: Token has been expired or revoked.)" in lines(done)
    )
    assert "fix: run `thanknote auth` to sign in to Gmail again" in done.stdout


def test_a_gmail_token_with_an_extra_scope(fake_gmail: FakeGmail, tmp_path: Path) -> None:
    gmail_token(fake_gmail, scopes=[GMAIL_COMPOSE_SCOPE, READONLY])
    done = gmail_doctor(fake_gmail, tmp_path)
    assert done.returncode == 0
    assert (
        f"warning  gmail scope: the token grants more than thanknote needs: {READONLY} "
        "besides gmail.compose" in lines(done)
    )


def test_an_old_testing_token_before_a_late_follow_up(
    fake_gmail: FakeGmail, tmp_path: Path
) -> None:
    gmail_token(
        fake_gmail, signed_in=NOW - dt.timedelta(days=1), expires=dt.timedelta(seconds=604799)
    )
    done = gmail_doctor(fake_gmail, tmp_path, "--json")
    assert done.returncode == 0  # a warning: today's notes would go out
    (check,) = [c for c in json.loads(done.stdout)["checks"] if c["check"] == "gmail follow-up"]
    assert check["status"] == "warning"
    assert check["detail"] == (
        "the follow-up on 2026-12-05 is 11 days after the sign-in, and "
        "Google gave its refresh token a life until 2026-12-01, as it "
        'does for an OAuth client in "Testing"'
    )
    assert "Publish app" in check["fix"]


def test_a_readable_gmail_token(fake_gmail: FakeGmail, tmp_path: Path) -> None:
    gmail_token(fake_gmail, mode=0o644)
    done = gmail_doctor(fake_gmail, tmp_path)
    assert done.returncode == 1
    assert "is readable by other users (mode 0644)" in done.stdout
    assert not [r for r in fake_gmail.requests if r.endpoint == "token"]


def test_doctor_checks_the_gmail_token_it_finds(fake_gmail: FakeGmail, tmp_path: Path) -> None:
    """Without --via: the channels that are set up (here Gmail, and no SMTP host given)."""
    gmail_token(fake_gmail)
    done = doctor(str(write_interview(tmp_path)), THANKNOTE_GMAIL_ENDPOINT=fake_gmail.url)
    assert done.returncode == 0
    assert "gmail api" in done.stdout and "smtp" not in done.stdout


def test_consent_records_a_testing_token(
    fake_gmail: FakeGmail, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    fake_gmail.auto_consent(monkeypatch)
    fake_gmail.testing_client = True
    secrets = tmp_path / "client.json"
    secrets.write_text(json.dumps(fake_gmail.client_config()))
    consent.run_consent(secrets, open_browser=False, echo=lambda _: None)
    saved = json.loads(token_path().read_text())
    assert saved[token_file.SIGNED_IN_AT] == "2026-11-25T22:00:00+00:00"
    assert saved[token_file.REFRESH_TOKEN_EXPIRES_AT] == "2026-12-02T21:59:59+00:00"


# -- the 7-day trap, case by case --------------------------------------------------------------

DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(seconds=604799)


@pytest.mark.parametrize(
    ("signed_in_ago", "lifetime", "follow_up_after", "status", "words"),
    [
        (0 * DAY, None, 10, Status.OK, "nothing suggests"),  # a published client
        (0 * DAY, WEEK, 10, Status.WARNING, 'as it does for an OAuth client in "Testing"'),
        (0 * DAY, WEEK, 7, Status.OK, "nothing suggests"),  # follow-up in time
        (6.5 * DAY, None, 10, Status.WARNING, "the token is 6 days old"),
        (6.5 * DAY, None, 7, Status.OK, "nothing suggests"),
        (8 * DAY, None, 10, Status.OK, "still refreshes: its client is not in Testing"),
        (2 * DAY, WEEK, None, Status.WARNING, "a life until"),  # no file: the token alone
        (2 * DAY, None, None, Status.OK, "pass the interview FILE"),
    ],
)
def test_the_seven_day_trap(
    signed_in_ago: dt.timedelta,
    lifetime: dt.timedelta | None,
    follow_up_after: int | None,
    status: Status,
    words: str,
    tmp_path: Path,
) -> None:
    signed_in = NOW - signed_in_ago
    record = {token_file.SIGNED_IN_AT: signed_in.isoformat()}
    if lifetime is not None:
        record[token_file.REFRESH_TOKEN_EXPIRES_AT] = (signed_in + lifetime).isoformat()
    follow_up = (
        None if follow_up_after is None else signed_in.date() + dt.timedelta(days=follow_up_after)
    )
    check = trap(record, tmp_path, Subject(None, None, follow_up), NOW, refreshed=True)
    assert check.status == status, check
    assert words in check.detail


def test_without_a_file_the_profile_gives_the_address(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    profile = tmp_path / "profile.toml"
    profile.write_text('name = "Ada Lovelace"\nemail = "ada@example.com"\n')
    server = smtp_starttls_server
    done = doctor(*smtp_args(server), THANKNOTE_PROFILE=str(profile))
    assert done.returncode == 0, done.stdout + done.stderr
    assert lines(done)[0] == (
        f"ok       address: From: Ada Lovelace <ada@example.com> (the "
        f"profile {profile}); pass FILE to check its follow-up date too"
    )
    assert "ok       smtp login: ada@example.com logged in" in done.stdout  # the profile's login
