"""Benchmark: thanknote's one-connection SMTP batch against mailmerge 2.3.

Both tools send the same 50 personal notes to a local aiosmtpd server that
requires STARTTLS and AUTH (tests/smtp_server.py), each as a fresh process,
the way a user runs them. mailmerge opens one connection (TCP, STARTTLS, AUTH)
per message; thanknote opens one for the whole batch, and also renders,
checks every pair of notes and journals each send in its SQLite log.

Run from the repository root with the bench (or test) extra installed:

    python bench/smtp.py [--notes 50] [--runs 5] [--rtt-ms 0 10]

It prints the median wall time of each tool, the ratio, and what the server
saw (messages, connections, logins) so a run that silently sent nothing
cannot look fast. ``--rtt-ms`` also measures through a relay that delays
every packet by half the given round-trip time each way: loopback has no
latency, so it hides what one connection saves against a real mail server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.smtp_server import (  # noqa: E402 - needs the repository root on sys.path
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    SMTPTestServer,
    start_server,
)

GOAL = 3.5
SENDER = DEFAULT_USERNAME
NOW = "2026-11-25T17:00:00-05:00"  # just after the interview below ended

# Pseudo-words built from syllables, so that every conversation point has words
# no other point has (thanknote refuses near-identical notes).
_ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z"]
_VOWELS = ["a", "e", "i", "o", "u"]


def _word(number: int) -> str:
    syllables = []
    for _ in range(3):
        number, onset = divmod(number, len(_ONSETS))
        number, vowel = divmod(number, len(_VOWELS))
        syllables.append(_ONSETS[onset] + _VOWELS[vowel])
    return "".join(syllables)


def people(count: int) -> list[dict[str, str]]:
    result = []
    for index in range(count):
        words = " ".join(_word(index * 8 + k + 1) for k in range(8))
        result.append(
            {
                "name": f"{_word(10_000 + index).title()} {_word(20_000 + index).title()}",
                "email": f"interviewer{index:03d}@analytical.example",
                "point": f"the {words} project",
            }
        )
    return result


FIT = (
    "My five years running Postgres for a payments company map closely onto what you "
    "described: last year I led the move of our ledger to logical replication."
)
NEW_INFORMATION = "I also maintain an open-source library for idempotent webhooks."


class LatencyRelay:
    """A TCP relay on 127.0.0.1 that holds every chunk for half the round-trip time, each way.

    Chunks keep their order and do not wait for each other, so it adds latency,
    not a bandwidth limit. TLS passes through untouched (the certificate names
    127.0.0.1, which is still the address dialled).
    """

    def __init__(self, target: tuple[str, int], rtt_seconds: float) -> None:
        self.target = target
        self.delay = rtt_seconds / 2
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> LatencyRelay:
        self._thread.start()
        server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", 0), self.loop
        ).result()
        self.port = server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *_: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)

    async def _handle(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        server_reader, server_writer = await asyncio.open_connection(*self.target)
        await asyncio.gather(
            self._pump(client_reader, server_writer), self._pump(server_reader, client_writer)
        )

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def forward() -> None:
            while True:
                due, data = await queue.get()
                await asyncio.sleep(max(0.0, due - self.loop.time()))
                if not data:
                    writer.close()
                    return
                writer.write(data)
                await writer.drain()

        forwarding = asyncio.ensure_future(forward())
        while True:
            try:
                data = await reader.read(65536)
            except ConnectionError:
                data = b""
            queue.put_nowait((self.loop.time() + self.delay, data))
            if not data:
                break
        await forwarding


def write_thanknote_input(directory: Path, persons: list[dict[str, str]]) -> Path:
    lines = [
        "[candidate]",
        'name = "Ada Lovelace"',
        f'email = "{SENDER}"',
        "",
        "[interview]",
        'company = "Analytical Engines Ltd"',
        'role = "Senior Backend Engineer"',
        "starts_at = 2026-11-25T14:00:00-05:00",
        "duration_minutes = 90",
        f'fit = "{FIT}"',
        f'new_information = "{NEW_INFORMATION}"',
    ]
    for person in persons:
        lines += [
            "",
            "[[interviewers]]",
            f'name = "{person["name"]}"',
            f'email = "{person["email"]}"',
            f'conversation_point = "{person["point"]}"',
        ]
    path = directory / "interview.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


MAILMERGE_TEMPLATE = f"""\
TO: {{{{name}}}} <{{{{email}}}}>
FROM: Ada Lovelace <{SENDER}>
SUBJECT: Thank you for our conversation about the Senior Backend Engineer role

Dear {{{{first_name}}}},

Thank you for taking the time to meet with me on Wednesday to discuss the Senior Backend \
Engineer role at Analytical Engines Ltd. I enjoyed our conversation and came away even \
more excited about the work your team is doing.

I especially appreciated our discussion of {{{{point}}}}. It has stayed with me since, and \
it is exactly the kind of problem I would love to work on.

{FIT}

One more thing I wish I had mentioned: {NEW_INFORMATION}

If I haven't heard back by Saturday, December 5, I'll follow up then. In the meantime, \
please let me know if there is anything else I can share.

Thank you again for your time.

Best regards,
Ada Lovelace
"""


def write_mailmerge_input(
    directory: Path, persons: list[dict[str, str]], address: tuple[str, int]
) -> None:
    (directory / "mailmerge_template.txt").write_text(MAILMERGE_TEMPLATE, encoding="utf-8")
    with (directory / "mailmerge_database.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["email", "name", "first_name", "point"])
        for person in persons:
            writer.writerow(
                [person["email"], person["name"], person["name"].split()[0], person["point"]]
            )
    (directory / "mailmerge_server.conf").write_text(
        "[smtp_server]\n"
        f"host = {address[0]}\n"
        f"port = {address[1]}\n"
        "security = STARTTLS\n"
        f"username = {DEFAULT_USERNAME}\n",
        encoding="utf-8",
    )


def executable(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        sys.exit(f"bench/smtp.py: {name} is not installed; pip install -e '.[bench]'")
    return found


def run_thanknote(
    work: Path, server: SMTPTestServer, address: tuple[str, int], interview: Path, run: int
) -> float:
    env = {
        **os.environ,
        "THANKNOTE_SMTP_PASSWORD": DEFAULT_PASSWORD,
        "THANKNOTE_NOW": NOW,
        "THANKNOTE_DB": str(work / f"sends-{run}.sqlite3"),
    }
    command = [
        executable("thanknote"),
        "send",
        str(interview),
        "--via",
        "smtp",
        "--yes",
        "--smtp-host",
        address[0],
        "--smtp-port",
        str(address[1]),
        "--smtp-security",
        "starttls",
        "--smtp-cafile",
        str(server.cert),
    ]
    started = time.perf_counter()
    done = subprocess.run(
        command,
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"thanknote failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return elapsed


def run_mailmerge(work: Path, server: SMTPTestServer) -> float:
    # mailmerge asks for the password with getpass: without a controlling
    # terminal (a new session) getpass reads it from standard input. Its
    # STARTTLS does not verify certificates (smtplib's default context);
    # SSL_CERT_FILE makes the comparison fair should a later version verify.
    env = {**os.environ, "SSL_CERT_FILE": str(server.cert)}
    command = [executable("mailmerge"), "--no-dry-run", "--no-limit", "--output-format", "raw"]
    started = time.perf_counter()
    done = subprocess.run(
        command,
        env=env,
        cwd=work,
        input=DEFAULT_PASSWORD + "\n",
        capture_output=True,
        text=True,
        start_new_session=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(
            f"mailmerge failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        )
    return elapsed


def measure(
    server: SMTPTestServer, base: Path, persons: list[dict[str, str]], runs: int, rtt_ms: float
) -> dict[str, tuple[list[float], tuple[int, int, int]]]:
    """Time both tools ``runs`` times each; return each tool's timings and what the server saw."""
    with contextlib.ExitStack() as stack:
        address = server.address
        if rtt_ms > 0:
            relay = stack.enter_context(LatencyRelay(server.address, rtt_ms / 1000))
            address = (server.host, relay.port)
        work = base / f"rtt-{rtt_ms:g}"
        thanknote_dir, mailmerge_dir = work / "thanknote", work / "mailmerge"
        thanknote_dir.mkdir(parents=True)
        mailmerge_dir.mkdir()
        interview = write_thanknote_input(thanknote_dir, persons)
        write_mailmerge_input(mailmerge_dir, persons, address)

        timings: dict[str, list[float]] = {"thanknote": [], "mailmerge": []}
        seen: dict[str, tuple[int, int, int]] = {}
        for run in range(runs):
            # Alternate which tool goes first so neither always gets a warm cache.
            order = ("thanknote", "mailmerge") if run % 2 == 0 else ("mailmerge", "thanknote")
            for tool in order:
                before = (len(server.messages), server.connections, server.logins)
                if tool == "thanknote":
                    elapsed = run_thanknote(thanknote_dir, server, address, interview, run)
                else:
                    elapsed = run_mailmerge(mailmerge_dir, server)
                after = (len(server.messages), server.connections, server.logins)
                delta = (after[0] - before[0], after[1] - before[1], after[2] - before[2])
                if delta[0] != len(persons):
                    sys.exit(f"{tool} delivered {delta[0]} messages, not {len(persons)}")
                seen[tool] = delta
                timings[tool].append(elapsed)
    return {tool: (timings[tool], seen[tool]) for tool in timings}


def report(
    notes: int,
    runs: int,
    rtt_ms: float,
    results: dict[str, tuple[list[float], tuple[int, int, int]]],
) -> None:
    where = "loopback" if rtt_ms == 0 else f"{rtt_ms:g} ms simulated round trip"
    print(
        f"\n{notes} notes to a local aiosmtpd (STARTTLS + AUTH), {where}; {runs} runs each, "
        "a fresh process (and, for thanknote, a fresh send log) per run"
    )
    print(
        f"{'tool':<12}{'median s':>10}{'min s':>9}{'max s':>9}{'msgs':>6}{'conns':>7}{'logins':>8}"
    )
    medians = {}
    for tool, (values, (messages, connections, logins)) in results.items():
        medians[tool] = statistics.median(values)
        print(
            f"{tool:<12}{medians[tool]:>10.3f}{min(values):>9.3f}{max(values):>9.3f}"
            f"{messages:>6}{connections:>7}{logins:>8}"
        )
    ratio = medians["mailmerge"] / medians["thanknote"]
    verdict = "meets" if ratio >= GOAL else "misses"
    print(f"thanknote is {ratio:.2f}x faster than mailmerge (median); goal {GOAL}x: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--notes", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--rtt-ms",
        type=float,
        nargs="+",
        default=[0.0],
        help="round-trip times to simulate, in ms (0: plain loopback)",
    )
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="thanknote-bench-") as temporary:
        base = Path(temporary)
        server = start_server("starttls", base / "cert")
        try:
            persons = people(arguments.notes)
            for rtt_ms in arguments.rtt_ms:
                results = measure(server, base, persons, arguments.runs, rtt_ms)
                report(arguments.notes, arguments.runs, rtt_ms, results)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
