"""The command line, through Typer's CliRunner and through the installed console script."""

from __future__ import annotations

import email.policy
import json
import os
import re
import subprocess
import sys
from email.parser import BytesParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import EXAMPLE, ROOT, thanknote_executable
from tests.helpers import CONVERSATION_POINTS, write_interview
from thanknote.cli import app
from thanknote.example import EXAMPLE as INIT_TEXT

runner = CliRunner()


def invoke(*args: str, **kwargs):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), **kwargs)


def test_init_writes_an_example_that_previews(tmp_path: Path) -> None:
    result = invoke("init")
    assert result.exit_code == 0, result.output
    written = tmp_path / "interview.toml"
    assert written.read_text() == INIT_TEXT == EXAMPLE.read_text()
    assert invoke("preview", str(written)).exit_code == 0


def test_init_at_another_path_names_that_file_in_its_preview_hint(tmp_path: Path) -> None:
    result = subprocess.run(
        [thanknote_executable(), "init", "plain.toml"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "plain.toml").read_text()
    assert "#     thanknote preview plain.toml\n" in written
    assert "thanknote preview interview.toml" not in written


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "mine.toml"
    target.write_text("keep me")
    result = invoke("init", str(target))
    assert result.exit_code == 2
    assert "already exists" in result.stderr
    assert target.read_text() == "keep me"


def test_preview_shows_each_note_and_each_check() -> None:
    result = invoke("preview", str(EXAMPLE))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "To:      Grace Hopper <grace@analytical.example>" in out
    assert "To:      Alan Turing <alan@analytical.example>" in out
    for check in (
        "header safety",
        "identical bodies",
        "name-swapped bodies",
        "near-identical bodies",
        "send log",
    ):
        assert f"ok       {check}" in out


def test_preview_json_shape() -> None:
    result = invoke("preview", str(EXAMPLE), "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [n["to"] for n in data["notes"]] == [
        "grace@analytical.example",
        "alan@analytical.example",
        "tomas@analytical.example",
    ]
    for item in data["notes"]:
        assert set(item) == {"to", "name", "subject", "body", "relation", "words", "personal_share"}
        assert item["body"].startswith(f"Dear {item['name'].split()[0]},")
        assert item["words"] == len(re.findall(r"\w+(?:['’-]\w+)*", item["body"]))
        assert 0.35 <= item["personal_share"] <= 1
    assert [n["relation"] for n in data["notes"]] == ["hiring-manager", "interviewer", "recruiter"]


def test_preview_out_writes_strictly_parseable_eml(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("preview", str(EXAMPLE), "--out", str(out))
    assert result.exit_code == 0, result.output
    files = sorted(out.glob("*.eml"))
    assert len(files) == 3
    for path in files:
        parsed = BytesParser(policy=email.policy.strict).parsebytes(path.read_bytes())
        assert len(parsed["to"].addresses) == 1
        assert parsed["from"].addresses[0].addr_spec == "ada@example.com"
        assert parsed["message-id"] and parsed["date"]
        assert "Thank you for " in parsed.get_content()


def test_bad_input_is_exit_2_with_one_clear_line(tmp_path: Path) -> None:
    path = write_interview(tmp_path, interview={"starts_at": "2026-11-25T14:00:00"})
    result = invoke("preview", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"thanknote: {path}:")
    assert "Traceback" not in result.output + result.stderr


def test_guard_refusal_is_exit_3_and_writes_nothing(tmp_path: Path) -> None:
    same = CONVERSATION_POINTS[0]
    path = write_interview(
        tmp_path,
        interviewers=[
            {
                "name": "Grace Hopper",
                "email": "grace@analytical.example",
                "conversation_point": same,
            },
            {"name": "Alan Turing", "email": "alan@analytical.example", "conversation_point": same},
        ],
    )
    out = tmp_path / "out"
    result = invoke("preview", str(path), "--out", str(out))
    assert result.exit_code == 3
    assert "name-swapped bodies: Grace Hopper <grace@analytical.example> and Alan Turing" in (
        result.stderr
    )
    assert not out.exists()


def test_near_identical_refused_unless_allowed(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path,
        interviewers=[
            {
                "name": "Grace Hopper",
                "email": "grace@analytical.example",
                "conversation_point": "your plan to move billing onto an event log",
            },
            {
                "name": "Alan Turing",
                "email": "alan@analytical.example",
                "conversation_point": "your plan to move payments onto an event log",
            },
        ],
    )
    refused = invoke("preview", str(path))
    assert refused.exit_code == 3 and "near-identical bodies" in refused.stderr
    assert "similarity 0.90" in refused.stderr
    assert invoke("preview", str(path), "--allow-similar").exit_code == 0
    assert invoke("preview", str(path), "--max-similarity", "0.95").exit_code == 0


def test_preview_warns_about_timing_but_succeeds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THANKNOTE_NOW", "2026-11-25T10:00:00-05:00")
    result = invoke("preview", str(EXAMPLE))
    assert result.exit_code == 0
    assert "send would refuse now: the interview has not ended yet" in result.stdout
    monkeypatch.setenv("THANKNOTE_NOW", "2026-11-28T10:00:00-05:00")
    result = invoke("preview", str(EXAMPLE))
    assert result.exit_code == 0
    assert "if sent now, it would be 66.5 h after the interview ended" in result.stdout


def test_preview_creates_no_send_log(tmp_path: Path) -> None:
    assert invoke("preview", str(EXAMPLE)).exit_code == 0
    assert not (tmp_path / "sends.sqlite3").exists()


def test_send_without_terminal_needs_yes_and_leaves_no_trace(tmp_path: Path) -> None:
    result = invoke("send", str(EXAMPLE), "--via", "smtp")
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    # Refused before anything was claimed: no log, so no interview waiting in followups.
    assert not (tmp_path / "sends.sqlite3").exists()
    listed = invoke("followups", "--all", "--json")
    assert listed.exit_code == 0
    assert json.loads(listed.stdout) == {"interviews": [], "not_listed": {}}


def test_unknown_option_is_usage_error() -> None:
    assert invoke("preview", str(EXAMPLE), "--frobnicate").exit_code == 2


@pytest.mark.parametrize(
    ("args", "env", "words"),
    [
        (["--via", "fax"], {}, "Invalid value for '--via': 'fax' is not one of 'smtp', 'gmail'"),
        (["--via", "SMTP"], {}, "'SMTP' is not one of 'smtp', 'gmail'"),  # the case counts
        (
            ["--via", "smtp", "--smtp-auth", "token"],
            {},
            "'token' is not one of 'password', 'oauth'",
        ),
        (
            ["--via", "smtp"],
            {"THANKNOTE_SMTP_SECURITY": "tls"},
            "'tls' is not one of 'ssl', 'starttls', 'none'",
        ),
    ],
)
def test_closed_sets_are_choices_refused_with_exit_2(
    tmp_path: Path, args: list[str], env: dict[str, str], words: str
) -> None:
    result = invoke(
        "send", str(EXAMPLE), "--yes", "--db", str(tmp_path / "log.sqlite3"), *args, env=env
    )
    assert result.exit_code == 2, result.output
    assert words in result.stderr
    assert not (tmp_path / "log.sqlite3").exists()


def test_help_lists_the_choices() -> None:
    shown = invoke("send", "--help", env={"COLUMNS": "80"}).stdout
    assert "--via <smtp|gmail>" in shown
    assert "--smtp-security <ssl|starttls|none>" in shown
    assert "--smtp-auth <password|oauth>" in shown
    doctor = invoke("doctor", "--help", env={"COLUMNS": "80"}).stdout
    assert "--via <smtp|gmail>" in doctor and "--smtp-cafile" in doctor


# -- the installed console script -----------------------------------------------------------


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [thanknote_executable(), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=os.environ.copy(),
        timeout=60,
    )


def test_installed_script_previews_the_example() -> None:
    result = run("preview", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    assert "Grace Hopper <grace@analytical.example>" in result.stdout


def test_installed_script_exit_codes(tmp_path: Path) -> None:
    assert run("preview", str(tmp_path / "missing.toml")).returncode == 2
    shown = run("--help")
    assert shown.returncode == 0
    # The entry point registers only the command being run; --help must still list all.
    for command in ("init", "preview", "draft", "send", "auth", "log", "followups", "followup"):
        assert f"  {command} " in shown.stdout
    assert "--smtp-cafile" in run("send", "--help").stdout
    assert "thanknote" in run("--version").stdout


ONE_MODULE = """
import sys
from thanknote.cli import main
sys.argv = ["thanknote", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print('CLI:' + ','.join(sorted(m for m in sys.modules if m.startswith('thanknote.cli.'))))
"""


def test_a_run_loads_only_the_module_of_its_command() -> None:
    def loaded(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", ONE_MODULE, *args], capture_output=True, text=True, timeout=60
        )
        return done.stdout.strip().splitlines()[-1]

    helpers = "thanknote.cli.options,thanknote.cli.output"
    assert loaded("preview", str(EXAMPLE)) == f"CLI:thanknote.cli.notes,{helpers}"
    assert loaded("log", "--help") == f"CLI:thanknote.cli.history,{helpers}"
    # Without a send log, preview needs neither the log's module nor any sender.
    delivery_half = ONE_MODULE.replace(
        "m.startswith('thanknote.cli.')",
        "m.split('.')[:2] in (['thanknote', 'sendlog'], ['thanknote', 'senders'], "
        "['thanknote', 'delivery'], ['thanknote', 'session'])",
    )
    done = subprocess.run(
        [sys.executable, "-c", delivery_half, "preview", str(EXAMPLE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip().splitlines()[-1] == "CLI:"
    everything = loaded("--help")
    for module in ("history", "identity", "notes", "onboarding"):
        assert f"thanknote.cli.{module}" in everything


def test_python_dash_m() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "thanknote", "preview", str(EXAMPLE), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and json.loads(result.stdout)["notes"]


LAZY_CHECK = """
import sys
from thanknote.cli import app
try:
    app(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.split('.')[0] in
               ('googleapiclient', 'google', 'google_auth_oauthlib', 'httplib2', 'icalendar',
                'msal', 'keyring', 'requests'))
print('HEAVY:' + ','.join(heavy))
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["preview", str(EXAMPLE)],
        ["send", "--help"],
        ["preview", str(EXAMPLE), "--json"],
        ["init", "--help"],
        ["init", "plain.toml"],
        ["profile", "show"],
        ["preview", str(EXAMPLE), "--follow-up"],
        ["auth", "--help"],
        ["login", "--help"],
        ["doctor", "--help"],
    ],
)
def test_preview_and_help_do_not_import_google(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", LAZY_CHECK, *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "HEAVY:"


@pytest.mark.slow
def test_templates_ship_in_the_wheel(tmp_path: Path) -> None:
    """Install the built wheel (not the editable checkout) and preview from it."""
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("thanknote-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(target))
    code = (
        "import thanknote, thanknote.render as r; print(thanknote.__file__); "
        "print(r.default_template()); print(r.default_template('follow-up'))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=env,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    assert all(line.startswith(str(target)) for line in shown), shown
    result = subprocess.run(
        [sys.executable, "-m", "thanknote", "preview", str(EXAMPLE)],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
