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

1. at 3 notes, thanknote is no slower than mailmerge;
2. at 1,000 notes, thanknote takes at most 1.5 times as long as mailmerge
   (it does more per note: it parses every message back and runs the guards).

``--profile`` adds where thanknote's time goes at 1,000 notes: cProfile of one
in-process ``thanknote.preview.preview(...)`` call, and ``-X importtime`` of
the whole command, so the cost of imports and of the per-note work can be told
apart. See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
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

BIN = Path(sys.executable).parent
THANKNOTE = BIN / "thanknote"
MAILMERGE = BIN / "mailmerge"

SIZES = (3, 1000)
DEFAULT_RUNS = {3: 7, 1000: 5}
FLOOR_RUNS = 7
SLOWER_ALLOWED = {3: 1.0, 1000: 1.5}  # the goals: thanknote / mailmerge at most this

# After the interview ended and within the 24 hours the protocol allows, so
# preview prints no timing warning and the run does not depend on today's date.
NOW = "2026-11-25T18:00:00-05:00"

CANDIDATE = ("Ada Lovelace", "ada@example.com")
COMPANY, ROLE = "Analytical Engines Ltd", "Senior Backend Engineer"
FIT = (
    "My five years running Postgres for a payments company map closely onto what you "
    "described: last year I led the move of our ledger to logical replication with zero "
    "downtime."
)
NEW_INFORMATION = (
    "I also maintain an open-source library for idempotent webhooks, which "
    "touches the retry problems you mentioned."
)

# -- realistic, distinct interviewers -------------------------------------------------------

FIRST_NAMES = (
    "Grace",
    "Alan",
    "Barbara",
    "Edsger",
    "Frances",
    "Donald",
    "Margaret",
    "Dennis",
    "Radia",
    "Ken",
    "Sophie",
    "Leslie",
    "Hedy",
    "Claude",
    "Katherine",
    "Niklaus",
    "Lynn",
    "Tony",
    "Adele",
    "Butler",
    "Jean",
    "Fernando",
    "Shafi",
    "Whitfield",
    "Karen",
    "Robin",
    "Ivan",
    "Evelyn",
    "Seymour",
    "Annie",
    "Vint",
    "Marian",
)
LAST_NAMES = (
    "Hopper",
    "Turing",
    "Liskov",
    "Dijkstra",
    "Allen",
    "Knuth",
    "Hamilton",
    "Ritchie",
    "Perlman",
    "Thompson",
    "Wilson",
    "Lamport",
    "Lamarr",
    "Shannon",
    "Johnson",
    "Wirth",
    "Conway",
    "Hoare",
    "Goldberg",
    "Lampson",
    "Sammet",
    "Corbato",
    "Goldwasser",
    "Diffie",
    "Sparck",
    "Milner",
    "Sutherland",
    "Berezin",
    "Papert",
    "Easley",
    "Cerf",
    "Croarken",
    "Engelbart",
    "Kahan",
)
TITLES = (
    "Engineering Manager",
    "Staff Engineer",
    "Principal Engineer",
    "Recruiter",
    "Director of Platform",
    "Tech Lead",
    None,
)

# A conversation point is a sentence with eight slots. Slot k of interviewer i
# holds word number (a + b*k + c*k^2) mod P of its own list, where (a, b, c) are
# the base-P digits of i: two different quadratics agree at two points at most,
# so any two interviewers differ in at least 8 - 2 = 6 slots, and since the
# lists share no word (nor any name or title word, which the guards mask) that
# is six words of its own per note: more than the five the default
# --max-similarity asks for, and few enough to stay a realistic sentence.
P = 11
SENTENCE = "your {0} to {1} the {2} {3} before the {4}, and how the {5} team would {6} it with {7}"
SLOTS = (
    "plan idea proposal push pilot roadmap experiment prototype spike rewrite overhaul",
    "move shard rebuild replicate partition archive compress stream throttle backfill deduplicate",
    "billing ledger invoicing payroll settlement refunds checkout search inventory "
    "shipping pricing",
    "database queue cache pipeline scheduler gateway service cluster index warehouse workers",
    "holidays launch audit freeze renewal offsite migration deadline rollout quarter summer",
    "data mobile security fraud growth analytics support finance compliance reliability tooling",
    "test verify monitor benchmark canary rehearse measure validate observe stage simulate",
    "replayed traffic, synthetic load, shadow reads, feature flags, chaos drills, "
    "golden files, property tests, contract tests, load generators, diff reports, "
    "traffic mirroring",
)
SLOT_WORDS = tuple(
    tuple(w.strip() for w in (s.split(",") if "," in s else s.split())) for s in SLOTS
)


def _check_vocabulary() -> None:
    """The distance argument above holds only if these hold; fail before timing anything."""
    seen: set[str] = set()
    reserved = {w.casefold() for w in FIRST_NAMES + LAST_NAMES}
    reserved |= {w.casefold() for t in TITLES if t for w in t.split()}
    for words in SLOT_WORDS:
        assert len(words) == P and len(set(words)) == P, words
        tokens = {t for w in words for t in re.findall(r"\w+", w.casefold())}
        assert not tokens & seen and not tokens & reserved, tokens & (seen | reserved)
        seen |= tokens


def conversation_point(i: int) -> str:
    a, b, c = i % P, i // P % P, i // (P * P)
    return SENTENCE.format(
        *(SLOT_WORDS[k][(a + b * k + c * k * k) % P] for k in range(len(SLOT_WORDS)))
    )


def interviewers(n: int) -> list[dict[str, str]]:
    if n > P**3 or n > len(FIRST_NAMES) * len(LAST_NAMES):
        raise SystemExit(
            f"bench: at most {min(P**3, len(FIRST_NAMES) * len(LAST_NAMES))} "
            "distinct interviewers can be generated"
        )
    people = []
    for i in range(n):
        # Walk first and last names at different strides so neighbours look unrelated.
        first = FIRST_NAMES[i % len(FIRST_NAMES)]
        last = LAST_NAMES[(i + i // len(FIRST_NAMES)) % len(LAST_NAMES)]
        person = {
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}.{i}@analytical.example",
            "conversation_point": conversation_point(i),
        }
        if (title := TITLES[i % len(TITLES)]) is not None:
            person["title"] = title
        people.append(person)
    return people


# -- inputs -------------------------------------------------------------------------------


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_interview(path: Path, people: list[dict[str, str]]) -> None:
    lines = [
        "[candidate]",
        f"name = {_toml_string(CANDIDATE[0])}",
        f"email = {_toml_string(CANDIDATE[1])}",
        "",
        "[interview]",
        f"company = {_toml_string(COMPANY)}",
        f"role = {_toml_string(ROLE)}",
        "starts_at = 2026-11-25T14:00:00-05:00",
        "follow_up_on = 2026-12-07",
        f"fit = {_toml_string(FIT)}",
        f"new_information = {_toml_string(NEW_INFORMATION)}",
    ]
    for person in people:
        lines += ["", "[[interviewers]]"]
        lines += [f"{key} = {_toml_string(value)}" for key, value in person.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# The same note as thanknote's default template (templates/thank-you.txt), as a
# mailmerge user would write it: the shared paragraphs and the interview's
# details typed into the template, the per-person fields in the CSV.
MAILMERGE_TEMPLATE = f"""\
TO: "{{{{name}}}}" <{{{{email}}}}>
SUBJECT: {ROLE} interview: thank you, {{{{first_name}}}}
FROM: {CANDIDATE[0]} <{CANDIDATE[1]}>

Dear {{{{first_name}}}},

Thank you for interviewing me on Wednesday for the {ROLE} role at {COMPANY}, and for our \
conversation about {{{{conversation_point}}}}.

{FIT}

{NEW_INFORMATION}

If I haven't heard back by Monday, December 7, I'll follow up then. In the meantime, please \
let me know if there is anything else I can share.

Best regards,
{CANDIDATE[0]}
"""

# mailmerge reads its server config even with --dry-run (a dry run returns
# before connecting). No security means no username and no password prompt,
# and a loopback discard port means nothing could leave the machine anyway.
MAILMERGE_CONFIG = """\
[smtp_server]
host = 127.0.0.1
port = 9
ratelimit = 0
"""


def write_mailmerge(folder: Path, people: list[dict[str, str]]) -> tuple[Path, Path, Path]:
    template, database, config = (
        folder / "mailmerge_template.txt",
        folder / "mailmerge_database.csv",
        folder / "mailmerge_server.conf",
    )
    template.write_text(MAILMERGE_TEMPLATE, encoding="utf-8")
    config.write_text(MAILMERGE_CONFIG, encoding="utf-8")
    buffer = io.StringIO()
    # Quote every field: mailmerge sniffs the dialect from the first kilobyte,
    # and the commas inside conversation points must not look like delimiters.
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(["email", "name", "first_name", "conversation_point"])
    for person in people:
        writer.writerow(
            [
                person["email"],
                person["name"],
                person["name"].split()[0],
                person["conversation_point"],
            ]
        )
    database.write_text(buffer.getvalue(), encoding="utf-8")
    return template, database, config


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
    _check_vocabulary()

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
        print(f"goal 1 (3 notes: thanknote <= mailmerge): {'PASS' if verdicts[0] else 'MISS'}")
        print(
            f"goal 2 (1,000 notes: thanknote <= 1.5x mailmerge): "
            f"{'PASS' if verdicts[1] else 'MISS'}"
        )

        if args.profile:
            profile(interviews[max(SIZES)], env, folder)


if __name__ == "__main__":
    main()
