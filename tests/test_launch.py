"""The console entry point's exit: teardown skipped only when nothing is lost by it.

Each test runs ``thanknote.launch.main`` in a child interpreter whose ``__main__``
holds an object that prints when Python's teardown frees it: the line appears
after a normal exit and not after the shortcut, so the tests can tell the two
apart without timing anything.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLE

TEARDOWN = "teardown ran"


def run_entry_point(arguments: list[str], before: str = "") -> subprocess.CompletedProcess[str]:
    code = (
        "import sys\n"
        "class Sentinel:\n"
        "    def __del__(self):\n"
        f"        sys.stderr.write({TEARDOWN!r})\n"
        "sentinel = Sentinel()\n"
        f"{before}"
        "from thanknote.launch import main\n"
        "main()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_preview_skips_teardown_with_all_its_output_and_status() -> None:
    done = run_entry_point(["preview", str(EXAMPLE)])
    whole = subprocess.run(
        [sys.executable, "-m", "thanknote", "preview", str(EXAMPLE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert TEARDOWN not in done.stderr
    assert done.stdout == whole.stdout  # every line, flushed before the process ended
    assert "--- checks" in done.stdout


def test_an_error_keeps_its_exit_status_and_message(tmp_path: Path) -> None:
    done = run_entry_point(["preview", str(tmp_path / "missing.toml")])
    assert done.returncode == 2
    assert "missing.toml" in done.stderr and TEARDOWN not in done.stderr


def test_a_registered_atexit_callback_still_runs() -> None:
    done = run_entry_point(
        ["--help"], before="import atexit\natexit.register(print, 'atexit ran')\n"
    )
    assert done.returncode == 0
    assert done.stdout.rstrip().endswith("atexit ran")
    assert TEARDOWN in done.stderr


def test_a_command_that_loaded_the_send_log_driver_exits_normally() -> None:
    done = run_entry_point(["--help"], before="import sqlite3\n")
    assert done.returncode == 0
    assert TEARDOWN in done.stderr


def test_a_running_thread_is_waited_for() -> None:
    done = run_entry_point(
        ["--help"],
        before=(
            "import threading, time\n"
            "threading.Thread(target=lambda: (time.sleep(0.2), print('thread done'))).start()\n"
        ),
    )
    assert done.returncode == 0
    assert "thread done" in done.stdout
