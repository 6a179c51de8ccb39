"""The public API (``import thanknote``): a real send with no command line.

The notes go over SMTP (STARTTLS and AUTH) to tests/smtp_server.py's aiosmtpd on
127.0.0.1; the test checks what the server received and what the send log holds,
and that a second ``deliver`` of the same plan sends nothing.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import thanknote
from tests.helpers import CONVERSATION_POINTS, write_interview
from tests.smtp_server import DEFAULT_PASSWORD, DEFAULT_USERNAME, SMTPTestServer

GRACE = "grace@analytical.example"
ALAN = "alan@analytical.example"


def test_all_is_pinned() -> None:
    # The public names, pinned: adding one is a decision, not an accident.
    assert thanknote.__all__ == [
        "BadInput",
        "GuardOptions",
        "GuardRefusal",
        "InterviewFile",
        "Plan",
        "Question",
        "SessionResult",
        "SmtpSettings",
        "ThanknoteError",
        "__version__",
        "deliver",
        "load",
        "plan",
        "smtp_settings",
    ]
    for name in thanknote.__all__:
        value = getattr(thanknote, name)
        assert name == "__version__" or value.__doc__, f"{name} has no documentation"
    with pytest.raises(AttributeError):
        thanknote.no_such_name  # noqa: B018 - the attribute access is the test


def test_importing_thanknote_loads_none_of_the_library() -> None:
    code = (
        "import sys, thanknote\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('thanknote.'))\n"
        "heavy = sorted(m for m in ('typer', 'sqlite3', 'pathlib') if m in sys.modules)\n"
        "print(loaded, heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[] []"


def _interview(tmp_path: Path) -> Path:
    return write_interview(
        tmp_path,
        interviewers=[
            {"name": "Grace Hopper", "email": GRACE, "conversation_point": CONVERSATION_POINTS[0]},
            {"name": "Alan Turing", "email": ALAN, "conversation_point": CONVERSATION_POINTS[1]},
        ],
    )


def test_a_script_sends_through_the_public_api(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    assert server.cert is not None
    db = tmp_path / "api.sqlite3"
    asked: list[str] = []

    def password(user: str) -> str:
        asked.append(user)
        return DEFAULT_PASSWORD

    interview = thanknote.load(_interview(tmp_path))
    assert [person.email for person in interview.interviewers] == [GRACE, ALAN]
    plan = thanknote.plan(interview, via="smtp", db=db)
    assert [item.action for item in plan.planned] == ["deliver", "deliver"]
    assert not db.exists()  # planning only reads the log, and there is none yet
    smtp = thanknote.smtp_settings(
        server.host, port=server.port, security="starttls", cafile=server.cert
    )

    result = thanknote.deliver(plan, smtp=smtp, password=password)

    assert result.summary == "2 sent" and result.exit_code == 0
    assert result.log_path == db
    assert asked == [DEFAULT_USERNAME]  # the candidate's address, asked once
    assert server.logins == 1
    assert sorted(m.rcpt_tos[0] for m in server.messages) == [ALAN, GRACE]
    assert all(m.tls and m.username == DEFAULT_USERNAME for m in server.messages)
    by_to = {m.rcpt_tos[0]: m.parsed() for m in server.messages}
    assert "Grace" in by_to[GRACE].get_content() and "Alan" in by_to[ALAN].get_content()
    with sqlite3.connect(db) as log:
        rows = log.execute("SELECT address, status, via FROM notes ORDER BY address").fetchall()
    assert rows == [(ALAN, "sent", "smtp"), (GRACE, "sent", "smtp")]

    # The same plan again, and a fresh plan: the log says both went, so nothing goes.
    for again in (plan, thanknote.plan(interview.path, via="smtp", db=db)):
        repeat = thanknote.deliver(again, smtp=smtp, password=password)
        assert repeat.batch.count("sent") == 0 and repeat.exit_code == 0
    assert len(server.messages) == 2
    with sqlite3.connect(db) as log:
        assert log.execute("SELECT count(*) FROM notes").fetchone() == (2,)


def test_a_declined_question_sends_nothing_and_opens_no_log(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    server = smtp_starttls_server
    db = tmp_path / "api.sqlite3"
    questions: list[thanknote.Question] = []

    def decline(question: thanknote.Question) -> bool:
        questions.append(question)
        return False

    plan = thanknote.plan(_interview(tmp_path), via="smtp", db=db)
    smtp = thanknote.smtp_settings(server.host, port=server.port, security="starttls")
    asked: list[str] = []

    def password(user: str) -> str:
        asked.append(user)
        return DEFAULT_PASSWORD

    result = thanknote.deliver(plan, smtp=smtp, confirm=decline, password=password)
    assert result.declined and result.exit_code == 0
    assert asked == []  # the SMTP password is asked only after yes
    (question,) = questions
    assert question.text == "Send these 2 note(s) via smtp?"
    assert [label for label, _subject, _notice in question.notes] == [
        f"Grace Hopper <{GRACE}>",
        f"Alan Turing <{ALAN}>",
    ]
    assert server.connections == 0 and not db.exists()


def test_refusals_are_the_commands(tmp_path: Path) -> None:
    path = _interview(tmp_path)
    with pytest.raises(thanknote.BadInput, match="--only nobody@example.com: not an address"):
        thanknote.plan(str(path), via="smtp", only=["nobody@example.com"])
    path.write_text(path.read_text().replace("duration_minutes = 90", 'duration_minutes = "x"'))
    with pytest.raises(thanknote.BadInput, match="duration_minutes"):
        thanknote.load(path)
    with pytest.raises(thanknote.BadInput, match="--smtp-security none"):
        thanknote.smtp_settings("smtp.example.com", security="none")


# -- the layers ------------------------------------------------------------------------------

SOURCE = Path(thanknote.__file__).parent
LIBRARY_BELOW_PLANNING = (
    "thanknote.sendlog",
    "thanknote.senders",
    "thanknote.loader",
    "thanknote.render",
    "thanknote.message",
    "thanknote.guards",
    "thanknote.model",
    "thanknote.accounts",
    "thanknote.rules",
    "thanknote.checks",
    "thanknote.followups",
)
ABOVE = ("thanknote.planning", "thanknote.session", "thanknote.preview", "thanknote.cli")


def _imports() -> dict[str, set[str]]:
    """Every module of the package and the thanknote modules it imports (at any depth)."""
    import ast

    found: dict[str, set[str]] = {}
    for file in SOURCE.rglob("*.py"):
        parts = file.relative_to(SOURCE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        imported: set[str] = set()
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module)
                imported |= {f"{node.module}.{alias.name}" for alias in node.names}
        found[name] = {m for m in imported if m.startswith("thanknote.")}
    return found


def _reaches(imported: set[str], prefixes: tuple[str, ...]) -> set[str]:
    return {m for m in imported if any(m == p or m.startswith(p + ".") for p in prefixes)}


def test_the_layers_are_walked_downwards_only() -> None:
    imports = _imports()
    assert "thanknote.planning" in imports and "thanknote.cli.notes" in imports
    for module, imported in imports.items():
        if module.startswith(LIBRARY_BELOW_PLANNING):
            assert not _reaches(imported, ABOVE), module
        if not module.startswith("thanknote.cli") and module != "thanknote.launch":
            assert not _reaches(imported, ("thanknote.cli",)), module
    # The pipeline plans; only the session delivers, and neither knows the terminal.
    assert not _reaches(imports["thanknote.planning"], ("thanknote.session", "thanknote.delivery"))
    assert not _reaches(imports["thanknote.session"], ("thanknote.preview", "thanknote.cli"))
