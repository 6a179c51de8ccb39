"""Benchmark: what SQLite's integrity check costs ``send``, ``draft`` and ``followup``.

Each of them checks the whole send log before trusting it (a damaged index can
make a sent note look unsent). This builds logs of growing size through the
real ``SendLog`` (its migrations and index), fills them with sent notes of a
realistic length, and times ``PRAGMA integrity_check`` as thanknote runs it.

Run from the repository root with the package installed:

    python bench/integrity.py [--notes 100 10000 100000] [--runs 5]

It prints, for each size, the file size and the best wall time of the check.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from thanknote.sendlog import SendLog

BODY = "Dear Pat, thank you for the conversation about the billing pipeline. " * 8


def build(path: Path, notes: int) -> None:
    SendLog(path).close()
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO interviews (company, role, starts_at, starts_at_local, ends_at, "
            "follow_up_on, follow_up_with) VALUES ('Example Co', 'Engineer', "
            "'2026-01-01T15:00:00+00:00', '2026-01-01T10:00:00-05:00', "
            "'2026-01-01T16:00:00+00:00', '2026-01-11', 'pat@example.com')"
        )
        db.executemany(
            "INSERT INTO notes (interview_id, kind, recipient, address, name, subject, body, "
            "status, via, message_id, created_at, updated_at, sent_at) VALUES (1, 'thank-you', "
            "?, ?, 'Pat Example', 'Thank you', ?, 'sent', 'smtp', ?, "
            "'2026-01-01T17:00:00+00:00', '2026-01-01T17:00:00+00:00', "
            "'2026-01-01T17:00:00+00:00')",
            [
                (f"p{i}@example.com", f"p{i}@example.com", BODY, f"<{i}@example.com>")
                for i in range(notes)
            ],
        )
    db.close()


def check(path: Path) -> float:
    db = sqlite3.connect(path)
    try:
        started = time.perf_counter()
        result = db.execute("PRAGMA integrity_check(20)").fetchall()
        elapsed = time.perf_counter() - started
    finally:
        db.close()
    assert result == [("ok",)], result
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, nargs="+", default=[100, 10_000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        for notes in options.notes:
            path = Path(directory) / f"sends-{notes}.sqlite3"
            build(path, notes)
            best = min(check(path) for _ in range(options.runs))
            print(
                f"notes={notes:>7} size={path.stat().st_size // 1024:>6} KiB "
                f"integrity_check best of {options.runs}: {best * 1000:7.1f} ms"
            )


if __name__ == "__main__":
    main()
