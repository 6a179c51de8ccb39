"""Benchmark: ``thanknote log`` and ``thanknote followups`` over a large send log.

Builds a send log through the library (``SendLog.add_interview``, ``claim`` and
``finish``, the calls a real batch makes), then times whole processes, the
way a user waits for them:

    python bench/log.py [--records 100000 10000] [--runs 5] [--keep DIR]

For each size it prints the median wall time (and CPU time) of ``thanknote log`` (plain
text, as when piped), ``thanknote log --json``, ``thanknote followups`` and
``thanknote followups --all`` (``--commands log`` for fewer), each with its peak memory
(the child's maximum resident set size). First it times two quiet references in the
same way, ``python -c pass`` and ``thanknote --help``: on a shared, loaded machine
the wall times of one run are only comparable with the references of that run.
Memory that stays flat from the smaller log to the larger one shows that the
command streams its rows. Goals (issue 9): ``log`` over
100,000 records under 1 s, ``followups`` under 0.5 s. A plain script, not a
test: it reports figures and asserts nothing; it exits non-zero only when a
timed command fails.

The log holds a realistic mix: interviews of four notes each (one every six hours,
so most follow-up dates are long past), nearly all sent, with some late, failed,
drafted and unknown notes, and a follow-up for every fifth interview. The
build commits each claim and each outcome as a real run does; its syncs are
made cheap by building in a temporary directory, ideally on a RAM disk
(``--keep /dev/shm/thanknote-bench`` reuses one between runs).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from thanknote.model import Interview  # noqa: E402 - needs src/ on sys.path
from thanknote.render import FOLLOW_UP, THANK_YOU, Note  # noqa: E402
from thanknote.sendlog import SendLog  # noqa: E402

NOTES_PER_INTERVIEW = 4
NOW = "2026-12-01T09:00:00+00:00"
FIRST = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
NAMES = [
    "Grace Hopper",
    "Alan Turing",
    "Edsger Dijkstra",
    "Barbara Liskov",
    "Frances Allen",
    "Zoë Müller-Lüdenscheidt",
    "Ken Thompson",
    "Radia Perlman",
]


def build(path: Path, records: int) -> None:
    """A send log of about ``records`` rows, written through the library."""
    log = SendLog(path)
    written = 0
    number = 0
    try:
        while written < records:
            starts = FIRST - timedelta(hours=6 * number)
            interview = Interview(
                company=f"Company {number:06d} Analytical Engines",
                role="Senior Backend Engineer",
                starts_at=starts,
                display_timezone=UTC,
                timezone_name="UTC",
                duration_minutes=60,
                follow_up_on=(starts + timedelta(days=10)).date(),
                follow_up_with=f"recruiter{number}@example.com",
                fit=None,
                new_information=None,
            )
            interview_id = log.add_interview(interview, ROOT / "interview.toml")
            assert interview_id is not None
            for seat in range(NOTES_PER_INTERVIEW):
                if written >= records:
                    break
                name = NAMES[(number + seat) % len(NAMES)]
                to = f"{name.split()[0].lower()}.{number}@company{number}.example"
                note = Note(
                    kind=THANK_YOU,
                    to=to,
                    name=name,
                    title=None,
                    subject=f"Thank you, {name.split()[0]}",
                    body=f"Dear {name.split()[0]},\n\nThank you for note {written}.\n",
                    template="thank-you.txt",
                )
                _deliver(log, interview_id, note, starts, written)
                written += 1
            if number % 5 == 0 and written < records:
                note = Note(
                    kind=FOLLOW_UP,
                    to=interview.follow_up_with,
                    name="",
                    title=None,
                    subject="Re: Thank you",
                    template="follow-up.txt",
                    body=f"Hello,\n\nFollowing up on interview {number}.\n",
                )
                _deliver(log, interview_id, note, starts + timedelta(days=10), written)
                written += 1
            number += 1
    finally:
        log.close()


def _deliver(log: SendLog, interview_id: int, note: Note, starts: datetime, written: int) -> None:
    late = written % 17 == 0
    when = starts + timedelta(hours=50 if late else 3, minutes=written % 60)
    claim = log.claim(
        interview_id,
        note,
        via="gmail" if written % 7 == 0 else "smtp",
        purpose="send",
        message_id=f"<{written}@bench.example>",
        resend=False,
        now=when,
    )
    assert not hasattr(claim, "reason"), claim
    outcome = written % 97
    if outcome == 1:
        log.finish(
            claim.row_id,
            "failed",
            now=when,
            error="smtp.example.com answered 550 5.1.1 mailbox unavailable: no such user here",
        )
    elif outcome == 2:
        log.finish(
            claim.row_id,
            "unknown",
            now=when,
            error="the connection to "
            "smtp.example.com:465 was lost after the message was sent but before the "
            "server confirmed it",
        )
    elif outcome == 3:
        pass  # left 'sending': a run that was killed
    elif outcome == 4 and written % 7 == 0:
        log.finish(claim.row_id, "drafted", now=when, gmail_id=f"r{written}")
    else:
        log.finish(
            claim.row_id, "sent", now=when, gmail_id=f"m{written}" if written % 7 == 0 else None
        )


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall time and CPU time (user + system) in seconds, and peak resident memory in MiB.

    On a shared machine the wall time includes waiting for a CPU; the CPU time is
    what the command itself costs.
    """
    start = time.perf_counter()
    child = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        assert child.stderr is not None
        sys.exit(
            f"{' '.join(command)} failed ({child.returncode}): "
            f"{child.stderr.read().decode(errors='replace')}"
        )
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024


COMMANDS = {
    "log": ["log"],
    "log --json": ["log", "--json"],
    "followups": ["followups"],
    "followups --all": ["followups", "--all"],
}


def _report(count: str, label: str, runs: list[tuple[float, float, int]]) -> None:
    times = [elapsed for elapsed, _, _ in runs]
    print(
        f"{count:>8}  {label:<16} {statistics.median(times):>7.3f}s "
        f"{min(times):>7.3f}s {max(times):>7.3f}s "
        f"{statistics.median(cpu for _, cpu, _ in runs):>7.3f}s "
        f"{max(peak for _, _, peak in runs):>6} MiB",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[100_000, 10_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the logs here and reuse them")
    parser.add_argument(
        "--commands",
        nargs="+",
        default=list(COMMANDS),
        choices=list(COMMANDS),
        help="which commands to time (default: all)",
    )
    arguments = parser.parse_args()
    scratch = None
    if arguments.keep is None:
        ram_disk = Path("/dev/shm")  # noqa: S108 - mkdtemp makes a private directory in it
        scratch = tempfile.TemporaryDirectory(
            prefix="thanknote-bench-log-", dir=ram_disk if ram_disk.is_dir() else None
        )
        directory = Path(scratch.name)
    else:
        directory = arguments.keep
        directory.mkdir(parents=True, exist_ok=True)
    thanknote = str(Path(sys.executable).parent / "thanknote")
    print(
        f"{'records':>8}  {'command':<16} {'median':>8} {'min':>8} {'max':>8} "
        f"{'CPU med':>8} {'peak RSS':>9}"
    )
    for label, command in (
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("--help", [thanknote, "--help"]),
    ):
        _report("-", label, [timed(command, dict(os.environ)) for _ in range(arguments.runs)])
    for count in arguments.records:
        path = directory / f"sends-{count}.sqlite3"
        if not path.exists():
            began = time.perf_counter()
            build(path, count)
            print(
                f"# built {path.name}: {count:,} records in {time.perf_counter() - began:.1f} s",
                flush=True,
            )
        env = {**os.environ, "THANKNOTE_DB": str(path), "THANKNOTE_NOW": NOW, "COLUMNS": "80"}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for label in arguments.commands:
            command = [thanknote, *COMMANDS[label]]
            timed(command, env)  # warm-up: page cache and bytecode
            _report(f"{count:,}", label, [timed(command, env) for _ in range(arguments.runs)])
    if scratch is not None:
        scratch.cleanup()


if __name__ == "__main__":
    main()
