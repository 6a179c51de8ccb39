"""The candidate profile: `thanknote profile set/show`, and files without [candidate]."""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import thanknote_executable
from tests.helpers import interview_toml
from tests.smtp_server import SMTPTestServer
from thanknote.cli import app
from thanknote.example import EXAMPLE

runner = CliRunner()


def thanknote(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [thanknote_executable(), *args], capture_output=True, text=True, timeout=60
    )


def without_candidate_table(tmp_path: Path) -> Path:
    text = interview_toml()
    head, _, rest = text.partition("\n\n[interview]")
    assert head.startswith("[candidate]")
    path = tmp_path / "no-candidate.toml"
    path.write_text("[interview]" + rest, encoding="utf-8")
    return path


def set_profile(*extra: str) -> subprocess.CompletedProcess[str]:
    return thanknote(
        "profile", "set", "--name", "Mary Somerville", "--email", "mary@example.org", *extra
    )


def test_set_then_show_in_the_user_config_directory() -> None:
    result = set_profile("--signature", "Mary Somerville\\n+1 555 0199")
    assert result.returncode == 0, result.stderr
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "thanknote" / "profile.toml"
    assert f"saved the profile to {path}" in result.stdout
    assert tomllib.loads(path.read_text(encoding="utf-8")) == {
        "name": "Mary Somerville",
        "email": "mary@example.org",
        "signature": "Mary Somerville\n+1 555 0199",
    }
    shown = thanknote("profile", "show")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == [
        f"profile: {path}",
        "name:      Mary Somerville",
        "email:     mary@example.org",
        "signature: Mary Somerville",
        "           +1 555 0199",
    ]


def test_the_environment_variable_moves_the_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere" / "me.toml"
    monkeypatch.setenv("THANKNOTE_PROFILE", str(elsewhere))
    assert set_profile().returncode == 0
    assert tomllib.loads(elsewhere.read_text(encoding="utf-8"))["email"] == "mary@example.org"
    assert not (Path(os.environ["XDG_CONFIG_HOME"]) / "thanknote" / "profile.toml").exists()


def test_show_without_a_profile_says_how_to_set_one() -> None:
    result = runner.invoke(app, ["profile", "show"])
    assert result.exit_code == 2
    assert "no profile yet" in result.stderr
    assert "thanknote profile set, giving --name (your name" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "Mary Somerville", "--email", "not-an-address"], "not a valid email address"),
        (["--name", "Mary\x1bSomerville", "--email", "mary@example.org"], "control character"),
        (["--name", "  ", "--email", "mary@example.org"], "--name: must be a non-empty string"),
    ],
)
def test_set_refuses_bad_values_and_writes_nothing(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["profile", "set", *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (Path(os.environ["XDG_CONFIG_HOME"]) / "thanknote" / "profile.toml").exists()


def test_a_file_without_candidate_uses_the_profile(tmp_path: Path) -> None:
    assert set_profile().returncode == 0
    result = thanknote("preview", str(without_candidate_table(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert "notes from Mary Somerville <mary@example.org>" in result.stdout
    assert "Mary Somerville" in result.stdout.split("--- note 1")[1]  # the signature


def test_a_files_own_candidate_wins(tmp_path: Path) -> None:
    assert set_profile().returncode == 0
    path = tmp_path / "own.toml"
    path.write_text(interview_toml(), encoding="utf-8")
    result = thanknote("preview", str(path))
    assert result.returncode == 0, result.stderr
    assert "notes from Ada Lovelace <ada@example.com>" in result.stdout
    assert "mary@example.org" not in result.stdout


def test_no_candidate_and_no_profile_is_bad_input_with_the_hint(tmp_path: Path) -> None:
    path = without_candidate_table(tmp_path)
    result = thanknote("preview", str(path))
    assert result.returncode == 2
    assert f"{path}: [candidate]: missing, and there is no profile" in result.stderr
    assert (
        "hint: save yours once with: thanknote profile set, giving --name (your name, "
        "as you sign notes) and --email"
    ) in result.stderr
    # The hint shows no value to paste: a pasted example would be a placeholder name.
    assert "Your Name" not in result.stderr and "you@example.com" not in result.stderr


def test_a_broken_profile_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profile = tmp_path / "profile.toml"
    profile.write_text('name = "Mary Somerville"\nemial = "mary@example.org"\n')
    monkeypatch.setenv("THANKNOTE_PROFILE", str(profile))
    result = runner.invoke(app, ["preview", str(without_candidate_table(tmp_path))])
    assert result.exit_code == 2
    assert "unknown key 'emial' in the profile" in result.stderr


def test_init_leaves_candidate_out_when_a_profile_exists(tmp_path: Path) -> None:
    assert set_profile().returncode == 0
    target = tmp_path / "interview.toml"
    result = thanknote("init", str(target))
    assert result.returncode == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert "candidate" not in data
    assert data["interview"] == tomllib.loads(EXAMPLE)["interview"]
    assert data["interviewers"] == tomllib.loads(EXAMPLE)["interviewers"]
    assert "[candidate] comes from your profile" in text
    previewed = thanknote("preview", str(target))
    assert previewed.returncode == 0, previewed.stderr
    assert "notes from Mary Somerville <mary@example.org>" in previewed.stdout


def test_init_without_a_profile_writes_the_example_unchanged(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", "plain.toml"]).exit_code == 0
    # The example as it is, but for the file name in its preview hint.
    assert (tmp_path / "plain.toml").read_text(encoding="utf-8") == EXAMPLE.replace(
        "thanknote preview interview.toml", "thanknote preview plain.toml", 1
    )


@pytest.mark.parametrize(
    "option, value, shown",
    [
        ("--name", "<your name>", "'<your name>'"),
        ("--signature", "TODO", "'TODO'"),
        ("--signature", "...", "'...'"),
        ("--name", "Your Name", "'Your Name'"),
        ("--signature", "Best, [name]", "'[name]'"),
    ],
)
def test_set_refuses_placeholders_like_the_file_does(option: str, value: str, shown: str) -> None:
    values = {"--name": "Mary Somerville", "--email": "mary@example.org", option: value}
    result = thanknote("profile", "set", *[part for pair in values.items() for part in pair])
    assert result.returncode == 2, result.stdout
    assert f"thanknote: {option}: {shown} looks like a placeholder" in result.stderr
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "thanknote" / "profile.toml"
    assert not path.exists()


def test_placeholders_in_a_saved_profile_are_refused_by_the_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = tmp_path / "profile.toml"
    profile.write_text('name = "<your name>"\nemail = "ada@example.com"\n', encoding="utf-8")
    monkeypatch.setenv("THANKNOTE_PROFILE", str(profile))
    path = without_candidate_table(tmp_path)
    result = thanknote("preview", str(path))
    assert result.returncode == 2, result.stdout
    assert (
        f"thanknote: {profile}: name: '<your name>' looks like a placeholder, not the "
        "text for this note"
    ) in result.stderr
    profile.write_text(
        'name = "Ada Lovelace"\nemail = "ada@example.com"\nsignature = "TODO"\n', encoding="utf-8"
    )
    result = thanknote(
        "send",
        str(path),
        "--via",
        "smtp",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        "9",
        "--smtp-security",
        "none",
        "--yes",
    )
    assert result.returncode == 2, result.stdout
    assert f"thanknote: {profile}: signature: 'TODO' looks like a placeholder" in (result.stderr)


def test_log_and_done_read_only_the_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = without_candidate_table(tmp_path)
    assert set_profile().returncode == 0
    with SMTPTestServer("none", offer_auth=False) as server:
        sent = thanknote(
            "send",
            str(path),
            "--via",
            "smtp",
            "--smtp-host",
            server.host,
            "--smtp-port",
            str(server.port),
            "--smtp-security",
            "none",
            "--yes",
        )
        assert sent.returncode == 0, sent.stderr
    (Path(os.environ["XDG_CONFIG_HOME"]) / "thanknote" / "profile.toml").unlink()
    assert thanknote("preview", str(path)).returncode == 2  # a note still needs a candidate
    shown = thanknote("log", str(path), "--json")
    assert shown.returncode == 0, shown.stderr
    assert sorted(row["to"] for row in json.loads(shown.stdout)) == [
        "alan@analytical.example",
        "grace@analytical.example",
    ]
    done = thanknote("followups", "--done", str(path))
    assert done.returncode == 0, done.stderr
    assert "closed Analytical Engines Ltd / Senior Backend Engineer" in done.stdout
    reopened = thanknote("followups", "--reopen", str(path))
    assert reopened.returncode == 0, reopened.stderr
    assert "reopened Analytical Engines Ltd / Senior Backend Engineer" in reopened.stdout
