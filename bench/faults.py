"""Fault campaign: random SIGKILL and Ctrl-C (SIGINT) during real batches, then compare.

For each channel (SMTP, Gmail) it starts the tests' own server on 127.0.0.1
(aiosmtpd with STARTTLS and AUTH from tests/smtp_server.py; the fake Gmail API
from tests/gmail_server.py) and plays rounds. A round is one batch of notes to
fresh addresses with a fresh send log:

1. run the real ``thanknote send`` as a process and kill it at a random
   moment (SIGKILL, or SIGINT as a Ctrl-C): mostly while it delivers, sometimes
   while it is still starting;
2. sometimes kill the first rerun too (the resume path);
3. rerun once undisturbed, as a user would after a crash, then again until
   every note's newest log row is ``sent`` or ``unknown`` (at most four reruns);
4. compare what the server received with the log, note by note.

It prints exactly one line on standard output::

    duplicates=N lost=N sent_not_delivered=N

* duplicates: copies the server received beyond the first, for any note;
* lost: notes the server received that the log does not record as ``sent`` or
  ``unknown``, and notes the reruns never completed;
* sent_not_delivered: notes logged ``sent`` that the server never received.

It exits 1 if any of them is not zero, if a Ctrl-C'd run printed a traceback
from thanknote's code (one from Python's own start-up or the installer-generated
``thanknote`` script, before any of thanknote's code runs, is counted apart),
took more than 5 s to exit or exited with another code than 130 (or the code of
a run that finished first), or if a Gmail draft was left behind; the details go
to standard error. Bounded: ``--kills`` per channel and ``--max-seconds`` in all;
loopback only.

    python bench/faults.py --kills 200          # the campaign
    python bench/faults.py --kills 8 --seed 1   # the CI run
"""

from __future__ import annotations

import argparse
import email
import logging
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The invented names and words of the SMTP benchmark (bench/smtp.py, beside this script).
from smtp import _word  # noqa: E402
from tests.gmail_server import GMAIL_COMPOSE_SCOPE, FakeGmail  # noqa: E402
from tests.smtp_server import DEFAULT_PASSWORD, SMTPTestServer, start_server  # noqa: E402

NOW = "2026-11-25T17:00:00-05:00"  # just after the interview below ended
NOTES = 5
BOUND = 30.0  # seconds: any one process
INTERRUPT_LIMIT = 5.0  # seconds from Ctrl-C to exit
SETTLED = ("sent", "unknown")
OWN_FRAME = re.compile(r'File "[^"]*[/\\]thanknote[/\\][^"]+\.py"')
"""A traceback frame in thanknote's own package (not the installer's ``thanknote`` script)."""


def write_interview(directory: Path, round_number: int) -> tuple[Path, list[str]]:
    """An interview with NOTES interviewers at addresses used in this round only."""
    lines = [
        "[candidate]",
        'name = "Ada Example"',
        'email = "ada@example.com"',
        "",
        "[interview]",
        'company = "Analytical Engines Ltd"',
        'role = "Backend Engineer"',
        "starts_at = 2026-11-25T14:00:00-05:00",
        "duration_minutes = 90",
        'fit = "Five years running Postgres for a payments company map onto your ledger work."',
        'new_information = "I also maintain an open-source library for idempotent webhooks."',
    ]
    addresses = []
    for index in range(NOTES):
        words = " ".join(_word(index * 8 + k + 1) for k in range(8))
        address = f"p{index}.r{round_number}@analytical.example"
        addresses.append(address)
        lines += [
            "",
            "[[interviewers]]",
            f'name = "{_word(10_000 + index).title()} {_word(20_000 + index).title()}"',
            f'email = "{address}"',
            f'conversation_point = "the {words} project"',
        ]
    path = directory / "interview.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, addresses


# -- channels ---------------------------------------------------------------------------------


class Channel:
    name = ""

    def command(self, interview: Path) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return {}

    def activity(self) -> int:
        """A counter that moves when the server is spoken to."""
        raise NotImplementedError

    def received(self, addresses: list[str]) -> Counter[str]:
        raise NotImplementedError

    def strays(self, addresses: list[str]) -> int:
        return 0

    def close(self) -> None:
        pass


class SmtpChannel(Channel):
    name = "smtp"

    def __init__(self, work: Path) -> None:
        # A client killed mid-handshake is this campaign's point: aiosmtpd need not log it.
        logging.getLogger("mail.log").setLevel(logging.CRITICAL)
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        self.server: SMTPTestServer = start_server("starttls", work / "cert")

    def command(self, interview: Path) -> list[str]:
        return [
            "send",
            str(interview),
            "--via",
            "smtp",
            "--smtp-host",
            self.server.host,
            "--smtp-port",
            str(self.server.port),
            "--smtp-security",
            "starttls",
            "--smtp-cafile",
            str(self.server.cert),
            "--yes",
        ]

    def environment(self) -> dict[str, str]:
        return {"THANKNOTE_SMTP_PASSWORD": DEFAULT_PASSWORD}

    def activity(self) -> int:
        return self.server.connections

    def received(self, addresses: list[str]) -> Counter[str]:
        wanted = set(addresses)
        return Counter(
            r.casefold() for m in self.server.messages for r in m.rcpt_tos if r.casefold() in wanted
        )

    def close(self) -> None:
        self.server.stop()


class GmailChannel(Channel):
    name = "gmail"

    def __init__(self, work: Path) -> None:
        self.fake = FakeGmail().start()
        # A client killed mid-request is this campaign's point: the server need not print it.
        self.fake._server.handle_error = lambda *_: None  # type: ignore[union-attr]
        self.token = work / "gmail-token.json"

    def write_token(self) -> None:
        from datetime import UTC, datetime, timedelta

        from google.oauth2.credentials import Credentials

        credentials = Credentials(  # the fake's own test credentials
            token="access-1",
            refresh_token="refresh-1",  # noqa: S106
            token_uri=f"{self.fake.url}/token",
            client_id="cid",
            client_secret="csecret",
            scopes=[GMAIL_COMPOSE_SCOPE],  # noqa: S106
            expiry=(datetime.now(UTC) + timedelta(hours=6)).replace(tzinfo=None),
        )
        self.token.write_text(credentials.to_json(), encoding="utf-8")
        self.token.chmod(0o600)

    def command(self, interview: Path) -> list[str]:
        return ["send", str(interview), "--via", "gmail", "--yes"]

    def environment(self) -> dict[str, str]:
        return {"THANKNOTE_GMAIL_ENDPOINT": self.fake.url, "THANKNOTE_GMAIL_TOKEN": str(self.token)}

    def activity(self) -> int:
        with self.fake.lock:
            return len(self.fake.requests)

    @staticmethod
    def _to(raw: bytes) -> str:
        return str(email.message_from_bytes(raw).get("To", "")).rpartition("<")[2].rstrip(">")

    def received(self, addresses: list[str]) -> Counter[str]:
        wanted = set(addresses)
        with self.fake.lock:
            sent = [self._to(s["raw"]).casefold() for s in self.fake.sent]
        return Counter(to for to in sent if to in wanted)

    def strays(self, addresses: list[str]) -> int:
        wanted = set(addresses)
        with self.fake.lock:
            return sum(1 for raw in self.fake.drafts.values() if self._to(raw).casefold() in wanted)

    def close(self) -> None:
        self.fake.close()


# -- one round ----------------------------------------------------------------------------------


@dataclass
class Tally:
    kills: int = 0
    sigints: int = 0
    rounds: int = 0
    duplicates: int = 0
    lost: int = 0
    sent_not_delivered: int = 0
    unknown_delivered: int = 0
    unknown_not_delivered: int = 0
    strays: int = 0
    wrapper_tracebacks: int = 0
    problems: list[str] = field(default_factory=list)
    moments: Counter[str] = field(default_factory=Counter)


class Campaign:
    def __init__(self, channel: Channel, work: Path, rng: random.Random) -> None:
        self.channel = channel
        self.work = work
        self.rng = rng
        self.executable = str(Path(sys.executable).parent / "thanknote")
        self.window = 0.5  # seconds of delivery; calibrated below
        self.startup = 0.3

    def env(self, round_dir: Path) -> dict[str, str]:
        home = round_dir / "home"
        home.mkdir(exist_ok=True)
        env = {key: value for key, value in os.environ.items() if not key.startswith("THANKNOTE_")}
        env.update(
            HOME=str(home),
            XDG_DATA_HOME=str(home / "data"),
            XDG_CONFIG_HOME=str(home / "config"),
            XDG_CACHE_HOME=str(home / "cache"),
            THANKNOTE_DB=str(round_dir / "sends.sqlite3"),
            THANKNOTE_NOW=NOW,
            THANKNOTE_NO_BACKOFF="1",
            **self.channel.environment(),
        )
        return env

    def calibrate(self) -> None:
        """Time one undisturbed batch: how long starting takes, and delivering."""
        round_dir = Path(tempfile.mkdtemp(prefix="calibrate-", dir=self.work))
        interview, addresses = write_interview(round_dir, 10_000)
        before = self.channel.activity()
        started = time.monotonic()
        process = subprocess.Popen(
            [self.executable, *self.channel.command(interview)],
            env=self.env(round_dir),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        first = None
        while process.poll() is None:
            if first is None and self.channel.activity() != before:
                first = time.monotonic()
            time.sleep(0.002)
        ended = time.monotonic()
        if process.returncode != 0 or sum(self.channel.received(addresses).values()) != NOTES:
            raise SystemExit(
                f"calibration run failed ({process.returncode}): "
                f"{process.stderr.read() if process.stderr else ''}"
            )
        first = first or ended
        self.startup = first - started
        self.window = max(ended - first, 0.05) * 1.2

    def run_killed(self, interview: Path, env: dict[str, str], tally: Tally) -> None:
        """Start a send and signal it at a random moment."""
        use_sigint = self.rng.random() < 0.3
        before = self.channel.activity()
        started = time.monotonic()
        process = subprocess.Popen(
            [self.executable, *self.channel.command(interview)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if self.rng.random() < 0.15:
            moment = "starting"
            due = started + self.rng.uniform(0, self.startup)
        else:
            moment = "delivering"
            deadline = started + BOUND
            while self.channel.activity() == before and process.poll() is None:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.001)
            due = time.monotonic() + self.rng.uniform(0, self.window)
        while time.monotonic() < due and process.poll() is None:
            time.sleep(0.001)
        finished_first = process.poll() is not None
        signalled = time.monotonic()
        process.send_signal(signal.SIGINT if use_sigint else signal.SIGKILL)
        try:
            _, err = process.communicate(timeout=BOUND)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate()
            tally.problems.append(f"{self.channel.name}: a signalled run did not end in {BOUND} s")
        took = time.monotonic() - signalled
        tally.kills += 1
        tally.moments[("sigint " if use_sigint else "sigkill ") + moment] += 1
        if use_sigint:
            tally.sigints += 1
            if "Traceback" in err and not OWN_FRAME.search(err):
                # Still in the installer's script (its `import re`), before any of
                # thanknote's code: Python's own report, which thanknote cannot catch.
                tally.wrapper_tracebacks += 1
            elif "Traceback" in err:
                tally.problems.append(
                    f"{self.channel.name}: Ctrl-C ({moment}) printed a traceback:\n{err}"
                )
            # -SIGINT: the signal came before Python set up its handler (a shell shows 130).
            if not finished_first and process.returncode not in (130, -signal.SIGINT, 0, 1):
                tally.problems.append(
                    f"{self.channel.name}: Ctrl-C exit {process.returncode}: {err.strip()[-300:]}"
                )
            if not finished_first and took > INTERRUPT_LIMIT:
                tally.problems.append(f"{self.channel.name}: Ctrl-C took {took:.1f} s to end it")

    def latest(self, round_dir: Path, addresses: list[str]) -> dict[str, str | None]:
        path = round_dir / "sends.sqlite3"
        states: dict[str, str | None] = dict.fromkeys(addresses)
        if not path.exists():
            return states
        with sqlite3.connect(path, timeout=30) as db:
            try:
                rows = db.execute(
                    "SELECT recipient, status FROM notes n WHERE id = (SELECT "
                    "max(id) FROM notes m WHERE m.recipient = n.recipient)"
                )
            except sqlite3.OperationalError:  # killed before the first migration committed
                return states
            for recipient, status in rows:
                if recipient in states:
                    states[recipient] = "unknown" if status == "sending" else status
        return states

    def round(self, round_number: int, tally: Tally) -> None:
        round_dir = self.work / f"{self.channel.name}-{round_number}"
        round_dir.mkdir()
        interview, addresses = write_interview(round_dir, round_number)
        env = self.env(round_dir)
        self.run_killed(interview, env, tally)
        if self.rng.random() < 0.35:
            self.run_killed(interview, env, tally)  # the rerun, interrupted too
        for rerun in range(4):
            # At least one undisturbed rerun, as a user runs again after a crash: a Gmail
            # note left 'sending' resumes only then; then until every note is settled.
            states = self.latest(round_dir, addresses)
            if rerun and all(state in SETTLED for state in states.values()):
                break
            subprocess.run(
                [self.executable, *self.channel.command(interview)],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=BOUND,
                check=False,
            )
        self.judge(round_dir, addresses, tally)
        tally.rounds += 1

    def judge(self, round_dir: Path, addresses: list[str], tally: Tally) -> None:
        states = self.latest(round_dir, addresses)
        received = self.channel.received(addresses)
        where = f"{self.channel.name} {round_dir.name}"
        for address in addresses:
            copies, state = received[address], states[address]
            if copies > 1:
                tally.duplicates += copies - 1
                tally.problems.append(f"{where}: {address} received {copies} times ({state})")
            if state == "sent" and copies == 0:
                tally.sent_not_delivered += 1
                tally.problems.append(f"{where}: {address} logged sent, never received")
            if state not in SETTLED:
                tally.lost += 1
                tally.problems.append(f"{where}: {address} ends {state} (received {copies} times)")
            if state == "unknown":
                if copies:
                    tally.unknown_delivered += 1
                else:
                    tally.unknown_not_delivered += 1
        strays = self.channel.strays(addresses)
        if strays:
            tally.strays += strays
            tally.problems.append(f"{where}: {strays} Gmail draft(s) left behind")
        if tally.problems and tally.problems[-1].startswith(where):
            tally.problems.append(self.history(round_dir))

    @staticmethod
    def history(round_dir: Path) -> str:
        """Every row of the round's log, for the report of a problem."""
        with sqlite3.connect(round_dir / "sends.sqlite3", timeout=30) as db:
            rows = db.execute(
                "SELECT id, recipient, status, gmail_id, message_id, error FROM notes ORDER BY id"
            ).fetchall()
        return "\n".join(f"    {row}" for row in rows)


def campaign(
    channel_factory: Callable[[Path], Channel],
    kills: int,
    work: Path,
    rng: random.Random,
    deadline: float,
) -> Tally:
    channel = channel_factory(work)
    tally = Tally()
    try:
        if isinstance(channel, GmailChannel):
            channel.write_token()
        runner = Campaign(channel, work, rng)
        runner.calibrate()
        print(
            f"{channel.name}: start {runner.startup * 1000:.0f} ms, delivery window "
            f"{runner.window * 1000:.0f} ms",
            file=sys.stderr,
        )
        number = 0
        while tally.kills < kills and time.monotonic() < deadline:
            runner.round(number, tally)
            number += 1
    finally:
        channel.close()
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=200, help="signals per channel")
    parser.add_argument("--channels", default="smtp,gmail")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=3600.0,
        help="stop starting rounds after this long (all channels)",
    )
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    factories: dict[str, Callable[[Path], Channel]] = {"smtp": SmtpChannel, "gmail": GmailChannel}
    started = time.monotonic()
    deadline = started + args.max_seconds
    total = Tally()
    with tempfile.TemporaryDirectory(prefix="thanknote-faults-") as work:
        for name in args.channels.split(","):
            channel_started = time.monotonic()
            channel_dir = Path(work) / name
            channel_dir.mkdir()
            tally = campaign(factories[name], args.kills, channel_dir, rng, deadline)
            print(
                f"{name}: {tally.kills} kills ({tally.sigints} Ctrl-C; "
                f"{dict(sorted(tally.moments.items()))}) over {tally.rounds} rounds of "
                f"{NOTES} notes in {time.monotonic() - channel_started:.0f} s: "
                f"duplicates={tally.duplicates} lost={tally.lost} "
                f"sent_not_delivered={tally.sent_not_delivered}; unknown and delivered "
                f"{tally.unknown_delivered}, unknown and not delivered "
                f"{tally.unknown_not_delivered}; stray drafts {tally.strays}; Ctrl-C "
                f"tracebacks from the installer's script {tally.wrapper_tracebacks}",
                file=sys.stderr,
            )
            if tally.kills < args.kills:
                print(
                    f"{name}: stopped at --max-seconds after {tally.kills} kills", file=sys.stderr
                )
            for field_name in ("duplicates", "lost", "sent_not_delivered", "strays", "kills"):
                setattr(total, field_name, getattr(total, field_name) + getattr(tally, field_name))
            total.problems += tally.problems
    for problem in total.problems:
        print(f"problem: {problem}", file=sys.stderr)
    print(
        f"seed {seed}; {total.kills} kills in {time.monotonic() - started:.0f} s", file=sys.stderr
    )
    print(
        f"duplicates={total.duplicates} lost={total.lost} "
        f"sent_not_delivered={total.sent_not_delivered}"
    )
    return 1 if total.problems else 0


if __name__ == "__main__":
    sys.exit(main())
