#!/usr/bin/env python3
"""How long ``thanknote preview`` takes, next to ``mailmerge --dry-run --no-limit``.

Run it with the project's interpreter (``mailmerge`` comes with the ``bench``
extra)::

    .venv/bin/python bench/preview.py [--runs N] [--profile]

It writes an interview file with N interviewers (and, for mailmerge, a CSV
database and a template that produce comparable bodies) to a temporary
directory, then times both tools as whole processes, because start-up is what
a user waits for at 3 notes and the per-note work is what they wait for at
1,000. The goals, from the project's plan:

1. at 3 notes, thanknote takes at most 0.8 times as long as mailmerge;
2. at 1,000 notes, thanknote takes at most 1.2 times as long as mailmerge
   (it does more per note: it parses every message back and runs the guards).

``--profile`` adds where thanknote's time goes at 1,000 notes: cProfile of one
in-process ``thanknote.preview.preview(...)`` call, and ``-X importtime`` of
the whole command, so the cost of imports and of the per-note work can be told
apart. See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# bench/ is on sys.path when this script runs, as for faults.py and smtp.py.
from preview_inputs import NOW, check_vocabulary, interviewers, write_interview, write_mailmerge

BIN = Path(sys.executable).parent
THANKNOTE = BIN / "thanknote"
MAILMERGE = BIN / "mailmerge"

SIZES = (3, 1000)
DEFAULT_RUNS = {3: 7, 1000: 5}
FLOOR_RUNS = 7
SLOWER_ALLOWED = {3: 0.8, 1000: 1.2}  # the goals: thanknote / mailmerge at most this

# -- timing -------------------------------------------------------------------------------


def run_once(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(
            f"bench: {' '.join(command)} exited {done.returncode}\n"
            f"{done.stderr.decode(errors='replace')}"
        )
    return elapsed


def median_times(
    commands: dict[str, list[str]], env: dict[str, str], runs: int
) -> dict[str, float]:
    """The median wall time of each command; runs are interleaved so drift hits all alike."""
    for command in commands.values():
        run_once(command, env)  # warm-up: bytecode caches, page cache
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            samples[name].append(run_once(command, env))
    return {name: statistics.median(times) for name, times in samples.items()}


def bench_env(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    # A send log that does not exist: preview then reads no real history.
    env["THANKNOTE_DB"] = str(folder / "no-such-sends.sqlite3")
    env["THANKNOTE_NOW"] = NOW
    # An installed wheel has its bytecode compiled; an editable checkout run
    # with PYTHONDONTWRITEBYTECODE (as in CI and these sandboxes) recompiles
    # thanknote's sources on every start, about 20 ms that no user pays. A
    # private bytecode cache, filled by the warm-up run, gives every command
    # (mailmerge too) compiled modules without writing into the checkout.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def prepare(folder: Path, n: int) -> tuple[Path, list[str]]:
    """Write both tools' inputs for n notes; return the interview file and mailmerge's command."""
    sub = folder / f"n{n}"
    sub.mkdir()
    people = interviewers(n)
    interview = sub / "interview.toml"
    write_interview(interview, people)
    template, database, config = write_mailmerge(sub, people)
    mailmerge = [
        str(MAILMERGE),
        "--dry-run",
        "--no-limit",
        "--template",
        str(template),
        "--database",
        str(database),
        "--config",
        str(config),
    ]
    return interview, mailmerge


def count_mailmerge_messages(command: list[str], env: dict[str, str]) -> int:
    """mailmerge stops quietly at a bad CSV row; make sure it rendered every message."""
    out = subprocess.run(
        command + ["--output-format", "text"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=env,
        check=True,
    ).stdout.decode()
    return len(re.findall(r"^>>> message \d+ sent$", out, flags=re.MULTILINE))


# -- profile ------------------------------------------------------------------------------


def profile(interview: Path, env: dict[str, str], folder: Path) -> None:
    os.environ.update({"THANKNOTE_DB": env["THANKNOTE_DB"], "THANKNOTE_NOW": NOW})
    from thanknote.checks import GuardOptions
    from thanknote.preview import preview

    profiler = cProfile.Profile()
    start = time.perf_counter()
    # Cold, as in the CLI: the first call also pays for the imports preview defers.
    profiler.runcall(preview, interview, template=None, db=None, options=GuardOptions())
    elapsed = time.perf_counter() - start
    print(
        f"\n== cProfile: thanknote.preview.preview() in-process, {interview.parent.name[1:]} "
        f"notes: {elapsed * 1000:.0f} ms (with profiler overhead)"
    )
    for order in ("cumulative", "tottime"):
        print(f"\n-- top 15 by {order}")
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream)
        stats.strip_dirs().sort_stats(order).print_stats(15)
        # Drop pstats' preamble; the table is what matters.
        text = stream.getvalue()
        print(text[text.index("   ncalls") :].rstrip())

    log = folder / "importtime.txt"
    with log.open("wb") as stderr:
        subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "thanknote", "preview", str(interview)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=env,
            check=True,
        )
    rows = []
    for line in log.read_text().splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match:
            rows.append((int(match.group(2)), len(match.group(3)), match.group(4)))
    top_level = sorted((r for r in rows if r[1] == 1), reverse=True)
    total = sum(r[0] for r in top_level)
    print(
        f"\n== -X importtime: thanknote preview imports {len(rows)} modules, "
        f"{total / 1000:.0f} ms cumulative at top level; the 15 costliest top-level imports:"
    )
    for cumulative, _, name in top_level[:15]:
        print(f"  {cumulative / 1000:7.1f} ms  {name}")
    names = {r[2] for r in rows}

    def loaded(*packages: str) -> bool:
        return any(n == p or n.startswith(p + ".") for n in names for p in packages)

    # The families the CLI is meant to import only in the commands that need them.
    families = {
        "google": loaded("google", "googleapiclient", "google_auth_oauthlib"),
        "rich": loaded("rich"),
        "pydantic": loaded("pydantic"),
        "email": loaded("email"),
        "sqlite3": loaded("sqlite3"),
        "smtplib/ssl": loaded("smtplib", "ssl"),
        "platformdirs": loaded("platformdirs"),
        "icalendar": loaded("icalendar"),
    }
    print("  loaded: " + ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in families.items()))


# -- main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--runs",
        type=int,
        default=None,
        help="timed runs per command (default: 7 at 3 notes, 5 at 1,000)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile thanknote at 1,000 notes (cProfile and -X importtime)",
    )
    args = parser.parse_args()
    for tool in (THANKNOTE, MAILMERGE):
        if not tool.exists():
            raise SystemExit(
                f"bench: {tool} not found; install the project with its 'bench' "
                "extra into this interpreter's environment"
            )
    check_vocabulary()

    with tempfile.TemporaryDirectory(prefix="thanknote-bench-") as tmp:
        folder = Path(tmp)
        env = bench_env(folder)
        print(
            f"thanknote preview vs mailmerge --dry-run --no-limit; median wall time of whole "
            f"processes; python {sys.version.split()[0]}, {os.cpu_count()} CPU(s)\n"
        )

        floor_runs = args.runs or FLOOR_RUNS
        floors = median_times(
            {
                "python -c pass": [sys.executable, "-c", "pass"],
                "python -c 'import typer, jinja2'": [sys.executable, "-c", "import typer, jinja2"],
                "thanknote --help": [str(THANKNOTE), "--help"],
                "mailmerge --help": [str(MAILMERGE), "--help"],
            },
            env,
            floor_runs,
        )
        print(f"floor ({floor_runs} runs)")
        for name, seconds in floors.items():
            print(f"  {name:<34} {seconds * 1000:8.1f} ms")

        print(
            f"\n{'notes':>6} {'runs':>5} {'thanknote':>11} {'mailmerge':>11} {'ratio':>7}"
            f" {'goal':>7}  verdict"
        )
        verdicts = []
        interviews = {}
        for n in SIZES:
            interview, mailmerge = prepare(folder, n)
            interviews[n] = interview
            rendered = count_mailmerge_messages(mailmerge, env)
            if rendered != n:
                raise SystemExit(f"bench: mailmerge rendered {rendered} of {n} messages")
            runs = args.runs or DEFAULT_RUNS[n]
            times = median_times(
                {"thanknote": [str(THANKNOTE), "preview", str(interview)], "mailmerge": mailmerge},
                env,
                runs,
            )
            ratio = times["thanknote"] / times["mailmerge"]
            ok = ratio <= SLOWER_ALLOWED[n]
            verdicts.append(ok)
            print(
                f"{n:>6} {runs:>5} {times['thanknote'] * 1000:>8.1f} ms "
                f"{times['mailmerge'] * 1000:>8.1f} ms {ratio:>6.2f}x "
                f"{SLOWER_ALLOWED[n]:>5.1f}x  {'PASS' if ok else 'MISS'}"
            )

        print()
        print(
            f"goal 1 (3 notes: thanknote <= {SLOWER_ALLOWED[3]}x mailmerge): "
            f"{'PASS' if verdicts[0] else 'MISS'}"
        )
        print(
            f"goal 2 (1,000 notes: thanknote <= {SLOWER_ALLOWED[1000]}x mailmerge): "
            f"{'PASS' if verdicts[1] else 'MISS'}"
        )

        if args.profile:
            profile(interviews[max(SIZES)], env, folder)


if __name__ == "__main__":
    main()
