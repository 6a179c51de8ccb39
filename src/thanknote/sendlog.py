"""The send log: an SQLite record of every note drafted or sent, and when.

A note's row is written *before* the network call (status ``sending``) and
updated after it, so a crash in between leaves a row that reads ``unknown``
("it may have gone out") rather than a lie either way. Claiming a note is a
write transaction (``BEGIN IMMEDIATE``), so two runs on one database cannot
both send it.

Every delivery attempt is its own row; a note's state is its newest row. The
schema is versioned by named migrations, applied in order and recorded in
``migrations``.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from thanknote import claimant, logfile
from thanknote.errors import BadInput
from thanknote.model import ON_TIME_HOURS as ON_TIME_HOURS
from thanknote.model import Interview
from thanknote.render import Note
from thanknote.status import DRAFTED as DRAFTED
from thanknote.status import FAILED as FAILED
from thanknote.status import SENDING as SENDING
from thanknote.status import SENT as SENT
from thanknote.status import UNKNOWN as UNKNOWN

if TYPE_CHECKING:
    import sqlite3


def _run_script(db: sqlite3.Connection, script: str) -> None:
    """Run each statement of ``script`` inside the caller's transaction.

    Not ``executescript``: it COMMITs the open transaction first, so a migration
    would not be atomic and the migration's own COMMIT would then fail.
    """
    import sqlite3

    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in a migration: {statement.strip()!r}")


def _migration_001_initial(db: sqlite3.Connection) -> None:
    _run_script(
        db,
        """
        CREATE TABLE interviews (
            id INTEGER PRIMARY KEY,
            company TEXT NOT NULL,
            role TEXT NOT NULL,
            starts_at TEXT NOT NULL,          -- UTC, ISO 8601: part of the identity
            starts_at_local TEXT NOT NULL,    -- as written, with its offset, for display
            timezone TEXT,                    -- IANA name when the file gave one
            ends_at TEXT NOT NULL,
            follow_up_on TEXT NOT NULL,
            follow_up_with TEXT NOT NULL,
            source_path TEXT,
            done_at TEXT,
            UNIQUE (company, role, starts_at)
        );
        CREATE TABLE notes (
            id INTEGER PRIMARY KEY,
            interview_id INTEGER NOT NULL REFERENCES interviews (id),
            kind TEXT NOT NULL CHECK (kind IN ('thank-you', 'follow-up')),
            recipient TEXT NOT NULL,          -- case-folded address
            address TEXT NOT NULL,            -- as written
            name TEXT NOT NULL,
            title TEXT,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            status TEXT NOT NULL
                CHECK (status IN ('sending', 'sent', 'drafted', 'failed', 'unknown')),
            via TEXT NOT NULL CHECK (via IN ('smtp', 'gmail')),
            message_id TEXT NOT NULL,
            gmail_id TEXT,
            error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            sent_at TEXT
        );
        CREATE INDEX notes_by_note ON notes (interview_id, kind, recipient, id);
    """,
    )


def _migration_002_claimed_by(db: sqlite3.Connection) -> None:
    # Which process claimed a note ("host:pid"), so that a run can tell a send in
    # progress elsewhere from one a crash interrupted.
    db.execute("ALTER TABLE notes ADD COLUMN claimed_by TEXT")


def _migration_003_threads(db: sqlite3.Connection) -> None:
    # What a follow-up needs to be a reply: the Message-ID it answers, the References
    # chain it carries, and Gmail's thread (from drafts.create / drafts.send answers).
    db.execute("ALTER TABLE notes ADD COLUMN thread_id TEXT")
    db.execute("ALTER TABLE notes ADD COLUMN in_reply_to TEXT")
    db.execute("ALTER TABLE notes ADD COLUMN reference_ids TEXT")  # space-separated


def _migration_004_claimant_started(db: sqlite3.Connection) -> None:
    # When the claimant process started (see thanknote.claimant): a process id
    # reused after a reboot must not pass for the run that claimed the note.
    db.execute("ALTER TABLE notes ADD COLUMN claimant_started TEXT")


MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("001_initial", _migration_001_initial),
    ("002_claimed_by", _migration_002_claimed_by),
    ("003_threads", _migration_003_threads),
    ("004_claimant_started", _migration_004_claimant_started),
]


def claim_is_live(claimed_by: str | None, claimant_started: str | None = None) -> bool:
    """Whether the process that claimed a note is still running on this machine."""
    return claimant.is_live(claimed_by, claimant_started)


@dataclass(frozen=True)
class LoggedInterview:
    id: int
    company: str
    role: str
    starts_at: datetime
    ends_at: datetime
    display_timezone: tzinfo
    follow_up_on: date
    follow_up_with: str
    source_path: str | None
    done_at: datetime | None


@dataclass(frozen=True)
class Record:
    """One row of the log, as ``thanknote log`` shows it."""

    id: int
    interview: LoggedInterview
    kind: str
    to: str
    name: str
    title: str | None
    subject: str
    body: str
    status: str
    via: str
    message_id: str
    gmail_id: str | None
    error: str | None
    created_at: datetime
    sent_at: datetime | None
    claimed_by: str | None = None
    claimant_started: str | None = None
    thread_id: str | None = None
    """Gmail's thread id (null for SMTP, and for notes logged before migration 003)."""
    in_reply_to: str | None = None
    """The Message-ID this note answers (a follow-up's thank-you or first follow-up)."""
    references: tuple[str, ...] = ()

    @property
    def shown_status(self) -> str:
        # A row still 'sending' was interrupted (or is being sent right now):
        # nobody can say whether it went out.
        return UNKNOWN if self.status == SENDING else self.status

    @property
    def hours_after_interview(self) -> float | None:
        if self.sent_at is None:
            return None
        return (self.sent_at - self.interview.starts_at).total_seconds() / 3600

    @property
    def hours_after_end(self) -> float | None:
        """Hours from the interview's end: the figure every human-readable line shows."""
        if self.sent_at is None:
            return None
        return (self.sent_at - self.interview.ends_at).total_seconds() / 3600

    @property
    def on_time(self) -> bool | None:
        # The 24-hour rule is the thank-you note's; a follow-up has its own date.
        if self.sent_at is None or self.kind != "thank-you":
            return None
        return self.sent_at <= self.interview.ends_at + timedelta(hours=ON_TIME_HOURS)

    def as_json(self) -> dict[str, object]:
        zone = self.interview.display_timezone
        hours = self.hours_after_interview
        return {
            "to": self.to,
            "name": self.name,
            "status": self.shown_status,
            "via": self.via,
            "kind": self.kind,
            "company": self.interview.company,
            "role": self.interview.role,
            "subject": self.subject,
            "interview_at": self.interview.starts_at.astimezone(zone).isoformat(),
            "sent_at": self.sent_at.astimezone(zone).isoformat() if self.sent_at else None,
            "hours_after_interview": round(hours, 2) if hours is not None else None,
            "hours_after_end": round(after, 2)
            if (after := self.hours_after_end) is not None
            else None,
            "on_time": self.on_time,
            "message_id": self.message_id,
            "gmail_id": self.gmail_id,
            "thread_id": self.thread_id,
            "in_reply_to": self.in_reply_to,
            "error": self.error,
        }


class Attempt(NamedTuple):
    """One attempt as ``thanknote log`` lists it (see :meth:`SendLog.attempts_by_interview`,
    which hands over plain tuples in this order)."""

    interview_id: int
    code: int
    """What the row shows, in one small number (one column instead of four): the shown
    status (``STATUS_CODES``; a row still ``sending`` reads ``unknown``) plus ``GMAIL``,
    ``FOLLOW_UP_NOTE`` and ``TIMED`` (a sent thank-you note: its hours are shown)."""
    at: str
    """When it was sent, or tried when it was not (ISO 8601, UTC, as stored)."""
    name: str
    to: str
    error: str | None
    id: int


AttemptRow = tuple[int, int, str, str, str, str | None, int]

TIMED, FOLLOW_UP_NOTE, GMAIL = 1, 2, 4
STATUS_CODES = {SENT: 0, DRAFTED: 8, FAILED: 16, UNKNOWN: 24}
"""A status in ``Attempt.code`` (``code & ~7``); from FAILED up, the row needs a why-line."""


class ListedInterview(NamedTuple):
    """An interview's heading in ``thanknote log``."""

    id: int
    company: str
    role: str
    starts_at: datetime
    ends_at: datetime
    display_timezone: tzinfo


# What ``thanknote log`` reads: the notes with only the columns it shows (in Attempt's
# order; the schema's CHECKs allow only these statuses, channels and kinds), thank-you
# notes before follow-ups; and, walked alongside,
# the interviews that have notes, in the same order. The whole log is read in the
# table's own order and sorted (NOT INDEXED): walking the note index would visit the
# rows out of order, which costs more than the sort.
_LISTED_NOTES = (
    "SELECT n.interview_id, "
    "CASE n.status WHEN 'sent' THEN 0 WHEN 'drafted' THEN 8 WHEN 'failed' THEN 16 ELSE 24 END "
    "+ (n.via = 'gmail') * 4 + (n.kind != 'thank-you') * 2 "
    "+ (n.sent_at IS NOT NULL AND n.kind = 'thank-you'), "
    "coalesce(nullif(n.sent_at, ''), n.created_at), n.name, n.address, n.error, n.id "
    "FROM notes n NOT INDEXED JOIN interviews i ON i.id = n.interview_id WHERE 1 "
    "ORDER BY i.starts_at, i.id, n.kind != 'thank-you', n.id"
)
_LISTED_INTERVIEWS = (
    "SELECT i.id, i.company, i.role, i.starts_at, i.starts_at_local, i.timezone, i.ends_at "
    "FROM interviews i WHERE 1 AND EXISTS (SELECT 1 FROM notes n WHERE n.interview_id = i.id) "
    "ORDER BY i.starts_at, i.id"
)


def _listed(row: tuple[Any, ...]) -> ListedInterview:
    number, company, role, starts_at, local, timezone, ends_at = row
    zone: tzinfo = ZoneInfo(timezone) if timezone else datetime.fromisoformat(local).tzinfo or UTC
    return ListedInterview(
        number,
        company,
        role,
        datetime.fromisoformat(starts_at),
        datetime.fromisoformat(ends_at),
        zone,
    )


@dataclass(frozen=True)
class Claim:
    """The right to deliver one note: its row, and a Gmail draft it may resume from."""

    row_id: int
    gmail_id: str | None
    resumed_status: str | None = None
    """The state of the row ``gmail_id`` came from: ``sending``/``unknown`` (an interrupted
    send handed that draft to Gmail), or ``drafted``/``failed`` (thanknote never sent it)."""
    stray_message_ids: tuple[str, ...] = ()
    """Message-IDs whose unsent Gmail drafts an interrupted run may have left (see Resume)."""


@dataclass(frozen=True)
class Skip:
    reason: str
    status: str


def unknown_reason(status: str, address: str, detail: str | None = None) -> str:
    """Why a note that may have gone out is skipped, and what the user can do."""
    advice = f"check your Sent folder, then use --resend {address} to send it again"
    if status != SENDING and detail:
        return f"unknown: {detail.rstrip('.')}. Before sending again, {advice}"
    why = (
        "an earlier run stopped while sending it"
        if status == SENDING
        else "the answer to an earlier attempt was lost"
    )
    return f"unknown: {why}, so it may have gone out; {advice}"


def live_reason(pid: int | None) -> str:
    """Why a note another running thanknote is sending right now is skipped."""
    who = f"process {pid}" if pid is not None else "another thanknote run"
    return f"being sent by {who}; run again when it finishes"


@dataclass(frozen=True)
class Latest:
    """The newest row of a note: all that decides what a new run may do with it."""

    status: str
    via: str
    gmail_id: str | None
    subject: str
    body: str
    sent_at: str | None
    live: bool = False
    """Still being sent by a running process (a row in ``sending`` whose claimant lives)."""
    error: str | None = None
    """What the run that left the row said happened (for an ``unknown`` row: why)."""
    claimant_pid: int | None = None

    @classmethod
    def of(cls, row: sqlite3.Row | Record) -> Latest:
        if isinstance(row, Record):
            sent = row.sent_at.isoformat() if row.sent_at else None
            return cls(
                row.status,
                row.via,
                row.gmail_id,
                row.subject,
                row.body,
                sent,
                row.status == SENDING and claim_is_live(row.claimed_by, row.claimant_started),
                row.error,
                claimant.pid_of(row.claimed_by),
            )
        return cls(
            row["status"],
            row["via"],
            row["gmail_id"],
            row["subject"],
            row["body"],
            row["sent_at"],
            row["status"] == SENDING and claim_is_live(row["claimed_by"], row["claimant_started"]),
            row["error"],
            claimant.pid_of(row["claimed_by"]),
        )


@dataclass(frozen=True)
class Resume:
    """Deliver; through this Gmail draft, when one already holds the note."""

    gmail_id: str | None = None
    resumed_status: str | None = None
    strays: bool = False
    """Earlier Gmail attempts may have left drafts the log has no id for: look for them."""


def decide(
    latest: Latest | None, note: Note, *, via: str, purpose: str, resend: bool
) -> Skip | Resume:
    """What a run may do with a note, given its newest row: the one rule, for plan and claim."""
    if latest is None or resend:
        return Resume()
    status, earlier_via, draft = latest.status, latest.via, latest.gmail_id
    gmail_draft = via == "gmail" and earlier_via == "gmail" and draft is not None
    if status == SENT:
        when = (latest.sent_at or "")[:16].replace("T", " ")
        return Skip(f"already sent {when} UTC via {earlier_via}", SENT)
    if status in (SENDING, UNKNOWN):
        if latest.live:
            return Skip(live_reason(latest.claimant_pid), UNKNOWN)
        if gmail_draft:
            # Gmail sends go through a draft: the draft's fate says whether it went
            # out, so this run may safely finish the job.
            return Resume(draft, status)
        if status == SENDING and via == "gmail" == earlier_via:
            # drafts.send runs only once the draft's id is in the log: a Gmail run that
            # stopped before recording one did not send the note (it may have left a draft).
            return Resume(strays=True)
        return Skip(unknown_reason(status, note.to, latest.error), UNKNOWN)
    same_text = (latest.subject, latest.body) == (note.subject, note.body)
    if status == DRAFTED and purpose == "draft":
        hint = (
            ""
            if same_text
            else (
                f"; the file has changed since: --resend {note.to} makes "
                "a new draft (then delete the old one)"
            )
        )
        return Skip(f"already drafted (Gmail draft {draft}){hint}", DRAFTED)
    if status == DRAFTED and gmail_draft and not same_text:
        return Skip(
            f"its Gmail draft ({draft}) was made from an earlier version of the file; "
            f"send that draft from Gmail as it is, or use --resend {note.to} for a new "
            "one (then delete the old draft)",
            DRAFTED,
        )
    if status in (DRAFTED, FAILED) and gmail_draft and same_text:
        # A draft thanknote has not handed to drafts.send: reuse it rather than leave a
        # stray copy. The sender records it on the new row once it has seen that the
        # draft still exists; if it is gone, the user sent or deleted it.
        return Resume(draft, status)
    return Resume(strays=status == FAILED and via == "gmail" == earlier_via and draft is None)


def _folded(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip(".")


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


F = TypeVar("F", bound=Callable[..., Any])


def _translated(method: F) -> F:
    """SQLite's errors become a message naming the log and what is wrong with it."""

    @functools.wraps(method)
    def wrapper(self: SendLog, *args: Any, **kwargs: Any) -> Any:
        import sqlite3

        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as error:
            raise logfile.storage_error(self.path, error, waited=self.lock_timeout) from None

    return wrapper  # type: ignore[return-value]


class SendLog:
    """The log at ``path``; ``read_only`` for commands that never write (log, followups,
    preview): they take no lock and leave an older log's schema as it is on disk."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        import sqlite3  # only when a log is used: preview without a log never pays for it

        self.path = path
        self.read_only = read_only
        self.lock_timeout = logfile.lock_timeout()
        self.db = logfile.connect(path, write=not read_only)
        try:
            present = logfile.tables(self.db)
            logfile.refuse_foreign(path, present)
            if read_only:
                self._upgrade_in_memory(present)
                return
            if present:
                logfile.check_integrity(self.db, path)
            self.db.execute("PRAGMA foreign_keys = ON")
            # Every note costs two commits: the claim before the network call and the
            # outcome after. With a write-ahead log a commit is one fsync instead of a
            # rollback journal's several, and only the claim needs its own (see _write).
            self.db.execute("PRAGMA synchronous = FULL")
            # Another thanknote may hold the log (switching modes skips the busy
            # timeout): then it stays in its old mode, which only costs more fsyncs.
            with contextlib.suppress(sqlite3.OperationalError):
                self.db.execute("PRAGMA journal_mode = WAL")
            self._migrate()
        except BaseException as error:
            self.db.close()
            if isinstance(error, sqlite3.Error):
                raise logfile.storage_error(path, error, waited=self.lock_timeout) from None
            raise

    @classmethod
    def existing(cls, path: Path, *, read_only: bool = False) -> SendLog | None:
        """The log at ``path`` if there is one (preview never creates a log)."""
        logfile.refuse_non_file(path)
        return cls(path, read_only=read_only) if path.is_file() else None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> SendLog:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def _write(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction; ``durable=False`` skips its fsync (see ``finish``)."""
        if self.read_only:
            raise RuntimeError("a write to a send log opened read-only")
        self.db.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
        self._begin()
        try:
            yield self.db
        except BaseException:
            if self.db.in_transaction:  # SQLite rolls back itself after some errors (full)
                self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _begin(self) -> None:
        """BEGIN IMMEDIATE; when another run holds the log, say so before waiting for it."""
        import sqlite3

        timeout = f"PRAGMA busy_timeout = {int(self.lock_timeout * 1000)}"
        self.db.execute("PRAGMA busy_timeout = 0")
        try:
            self.db.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if not _busy(error):
                raise
        finally:
            self.db.execute(timeout)
        logfile.waiting_notice(self.path)
        self.db.execute("BEGIN IMMEDIATE")

    def _applied(self) -> set[str]:
        """The migrations the log records (refusing a log newer than this thanknote)."""
        names = [row[0] for row in self.db.execute("SELECT name FROM migrations")]
        if any(not isinstance(name, str) or not name for name in names):
            raise BadInput(
                f"the send log {self.path} has a migration with no name (NULL) in "
                "its migrations table, so thanknote cannot tell which version "
                "wrote it",
                hint="it was edited by hand or damaged; keep a copy of it, then "
                "remove that row (DELETE FROM migrations WHERE name IS NULL)",
            )
        done = set(names)
        newer = sorted(done - {name for name, _ in MIGRATIONS})
        if newer:
            raise BadInput(
                f"{self.path} was written by a newer thanknote (migrations "
                f"{', '.join(newer)}); upgrade thanknote to use it"
            )
        return done

    def _pending(self) -> list[tuple[str, Callable[[sqlite3.Connection], None]]]:
        done = self._applied() if "migrations" in logfile.tables(self.db) else set()
        return [(name, migrate) for name, migrate in MIGRATIONS if name not in done]

    def _migrate(self) -> None:
        if not self._pending():
            return  # the usual case: no write lock taken
        with self._write() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS migrations "
                "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            for name, migrate in self._pending():  # again, under the lock
                migrate(db)
                db.execute("INSERT INTO migrations VALUES (?, ?)", (name, _iso(datetime.now(UTC))))

    def _upgrade_in_memory(self, present: set[str]) -> None:
        """A read-only view of a log from an earlier release: its upgrade, in memory only."""
        import sqlite3

        if present and not self._pending():
            return
        memory = sqlite3.connect(":memory:", isolation_level=None)
        self.db.backup(memory)
        self.db.close()
        memory.row_factory = sqlite3.Row
        self.db = memory
        self.read_only = False  # the copy is private: migrating it writes nothing on disk
        self._migrate()
        self.read_only = True

    # -- interviews ------------------------------------------------------------------------

    @_translated
    def interview_id(
        self, interview: Interview, source: Path | None = None, *, create: bool = True
    ) -> int | None:
        company, role, starts_at = interview.key
        row = self.db.execute(
            "SELECT id FROM interviews WHERE company = ? AND role = ? AND starts_at = ?",
            (company, role, starts_at),
        ).fetchone()
        if row is not None:
            if create:
                # The file may have moved its follow-up date or added a recruiter.
                with self._write() as db:
                    db.execute(
                        "UPDATE interviews SET follow_up_on = ?, follow_up_with = ?, "
                        "ends_at = ?, timezone = ?, source_path = coalesce(?, source_path) "
                        "WHERE id = ?",
                        (
                            interview.follow_up_on.isoformat(),
                            interview.follow_up_with,
                            _iso(interview.ends_at),
                            interview.timezone_name,
                            str(source.resolve()) if source else None,
                            row[0],
                        ),
                    )
            return int(row[0])
        if not create:
            return None
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO interviews (company, role, starts_at, starts_at_local, timezone, "
                "ends_at, follow_up_on, follow_up_with, source_path) VALUES (?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (company, role, starts_at) DO UPDATE SET company = company "
                "RETURNING id",
                (
                    company,
                    role,
                    starts_at,
                    interview.local_start.isoformat(),
                    interview.timezone_name,
                    _iso(interview.ends_at),
                    interview.follow_up_on.isoformat(),
                    interview.follow_up_with,
                    str(source.resolve()) if source else None,
                ),
            )
            return int(cursor.fetchone()[0])

    def _interview_from_row(self, row: sqlite3.Row | Mapping[str, Any]) -> LoggedInterview:
        local = datetime.fromisoformat(row["starts_at_local"])
        zone: tzinfo = ZoneInfo(row["timezone"]) if row["timezone"] else local.tzinfo or UTC
        done = _time(row["done_at"])
        return LoggedInterview(
            id=row["id"],
            company=row["company"],
            role=row["role"],
            starts_at=datetime.fromisoformat(row["starts_at"]),
            ends_at=datetime.fromisoformat(row["ends_at"]),
            display_timezone=zone,
            follow_up_on=date.fromisoformat(row["follow_up_on"]),
            follow_up_with=row["follow_up_with"],
            source_path=row["source_path"],
            done_at=done,
        )

    @_translated
    def interviews(self) -> list[LoggedInterview]:
        rows = self.db.execute("SELECT * FROM interviews ORDER BY follow_up_on, starts_at")
        return [self._interview_from_row(row) for row in rows]

    @_translated
    def find_interview(self, interview: Interview) -> LoggedInterview | None:
        company, role, starts_at = interview.key
        row = self.db.execute(
            "SELECT * FROM interviews WHERE company = ? AND role = ? AND starts_at = ?",
            (company, role, starts_at),
        ).fetchone()
        return self._interview_from_row(row) if row else None

    @_translated
    def mark_done(self, interview_id: int, when: datetime) -> None:
        with self._write() as db:
            db.execute("UPDATE interviews SET done_at = ? WHERE id = ?", (_iso(when), interview_id))

    @_translated
    def mark_open(self, interview_id: int) -> None:
        """Undo :meth:`mark_done` (``followups --reopen``)."""
        with self._write() as db:
            db.execute("UPDATE interviews SET done_at = NULL WHERE id = ?", (interview_id,))

    # -- notes -----------------------------------------------------------------------------

    @_translated
    def records(
        self, *, interview_id: int | None = None, latest_only: bool = False, kind: str | None = None
    ) -> list[Record]:
        return list(
            self.iter_records(interview_id=interview_id, latest_only=latest_only, kind=kind)
        )

    def iter_records(
        self, *, interview_id: int | None = None, latest_only: bool = False, kind: str | None = None
    ) -> Iterator[Record]:
        """The records one by one, ordered by interview then attempt: memory stays flat."""
        import sqlite3

        try:
            yield from self._iter_records(interview_id, latest_only, kind)
        except sqlite3.Error as error:
            raise logfile.storage_error(self.path, error, waited=self.lock_timeout) from None

    def _iter_records(
        self, interview_id: int | None, latest_only: bool, kind: str | None
    ) -> Iterator[Record]:
        where: list[str] = []
        params: list[object] = []
        if interview_id is not None:
            where.append("n.interview_id = ?")
            params.append(interview_id)
        if kind is not None:
            where.append("n.kind = ?")
            params.append(kind)
        if latest_only:
            where.append(
                "n.id = (SELECT max(id) FROM notes m WHERE m.interview_id = "
                "n.interview_id AND m.kind = n.kind AND m.recipient = n.recipient)"
            )
        sql = (
            "SELECT n.*, i.company, i.role, i.starts_at, i.starts_at_local, i.timezone, "
            "i.ends_at, i.follow_up_on, i.follow_up_with, i.source_path, i.done_at, "
            "i.id AS interview_row FROM notes n JOIN interviews i ON i.id = n.interview_id"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY i.starts_at, i.id, n.id"
        # Rows come in interview order, so only the current interview is remembered.
        current: LoggedInterview | None = None
        for row in self.db.execute(sql, params):
            if current is None or current.id != row["interview_row"]:
                current = self._interview_from_row(_InterviewRow(row))
            yield Record(
                id=row["id"],
                interview=current,
                kind=row["kind"],
                to=row["address"],
                name=row["name"],
                title=row["title"],
                subject=row["subject"],
                body=row["body"],
                status=row["status"],
                via=row["via"],
                message_id=row["message_id"],
                gmail_id=row["gmail_id"],
                error=row["error"],
                created_at=datetime.fromisoformat(row["created_at"]),
                sent_at=_time(row["sent_at"]),
                claimed_by=row["claimed_by"],
                claimant_started=row["claimant_started"],
                thread_id=row["thread_id"],
                in_reply_to=row["in_reply_to"],
                references=tuple((row["reference_ids"] or "").split()),
            )

    def attempts_by_interview(
        self, *, interview_id: int | None = None
    ) -> Generator[tuple[ListedInterview, list[AttemptRow]]]:
        """Every attempt, one interview at a time (by start): what ``thanknote log`` lists.

        Per interview, its thank-you notes then its follow-ups, each in the order they
        were tried, as plain tuples in :class:`Attempt`'s field order. Only those columns
        are read, and the interview's columns once per interview (a second query over
        the same snapshot, walked alongside), so a log of 100,000 attempts lists in a
        fraction of a second and in flat memory.
        """
        import sqlite3

        notes = _LISTED_NOTES
        interviews = _LISTED_INTERVIEWS
        params: tuple[int, ...] = ()
        if interview_id is not None:
            notes = notes.replace(" NOT INDEXED", "").replace("WHERE 1", "WHERE n.interview_id = ?")
            interviews = interviews.replace("WHERE 1", "WHERE i.id = ?")
            params = (interview_id,)
        # Both queries read one snapshot: a run recording a note meanwhile cannot make
        # them disagree.
        began = not self.db.in_transaction
        try:
            if began:
                self.db.execute("BEGIN")
            heads = self.db.cursor()
            heads.row_factory = None
            heads.execute(interviews, params)
            rows = self.db.cursor()
            rows.row_factory = None  # plain tuples: a Row per attempt costs more than the rest
            # Grouped in C (groupby, itemgetter): per attempt, Python builds nothing but
            # the tuple SQLite hands over.
            for (number, group), head in zip(
                groupby(rows.execute(notes, params), key=itemgetter(0)), heads, strict=True
            ):
                if head[0] != number:
                    raise RuntimeError("the send log's interviews and notes disagree")
                yield _listed(head), list(group)
        except sqlite3.Error as error:
            raise logfile.storage_error(self.path, error, waited=self.lock_timeout) from None
        finally:
            # Read only: nothing to keep. (A log closed before its reader stopped, as
            # when the output pipe closed, has no transaction left to end.)
            with contextlib.suppress(sqlite3.ProgrammingError):
                if began and self.db.in_transaction:
                    self.db.execute("ROLLBACK")

    @_translated
    def history(self, interview: Interview, kind: str) -> list[Record]:
        """The newest row of each note of this interview that may have reached its recipient."""
        interview_id = self.interview_id(interview, create=False)
        if interview_id is None:
            return []
        return [
            r
            for r in self.records(interview_id=interview_id, latest_only=True, kind=kind)
            if r.status != FAILED
        ]

    @_translated
    def notes_of_look_alike_interviews(self, interview: Interview, kind: str) -> list[Record]:
        """Notes that may have reached someone, for an interview that may be this one edited.

        The log keys an interview by company, role and start instant, so correcting
        any of them in the file makes a new interview. Another interview looks like
        this one when its company and role match (ignoring case and spacing) at any
        start, or when it started at the same instant under another company or role.
        """
        company, role, starts_at = interview.key
        wanted = (_folded(company), _folded(role))
        others = [
            row["id"]
            for row in self.db.execute("SELECT id, company, role, starts_at FROM interviews")
            if (row["company"], row["role"], row["starts_at"]) != (company, role, starts_at)
            and (
                (_folded(row["company"]), _folded(row["role"])) == wanted
                or row["starts_at"] == starts_at
            )
        ]
        return [
            record
            for other in others
            for record in self.records(interview_id=other, latest_only=True, kind=kind)
            if record.status != FAILED
        ]

    @_translated
    def claim(
        self,
        interview_id: int,
        note: Note,
        *,
        via: str,
        purpose: str,
        message_id: str,
        resend: bool,
        now: datetime,
    ) -> Claim | Skip:
        """Atomically decide whether this run may deliver ``note``, and record that it is."""
        with self._write() as db:
            latest = db.execute(
                "SELECT * FROM notes WHERE interview_id = ? AND kind = ? AND recipient = ? "
                "ORDER BY id DESC LIMIT 1",
                (interview_id, note.kind, note.to.casefold()),
            ).fetchone()
            decision = decide(
                Latest.of(latest) if latest is not None else None,
                note,
                via=via,
                purpose=purpose,
                resend=resend,
            )
            if isinstance(decision, Skip):
                return decision
            gmail_id, resumed_status = decision.gmail_id, decision.resumed_status
            strays: tuple[str, ...] = ()
            if decision.strays:
                strays = tuple(
                    dict.fromkeys(
                        row[0]
                        for row in db.execute(
                            "SELECT message_id FROM notes WHERE interview_id = ? AND kind = ? AND "
                            "recipient = ? AND via = 'gmail' AND gmail_id IS NULL AND status IN "
                            "('sending', 'failed') ORDER BY id DESC LIMIT 5",
                            (interview_id, note.kind, note.to.casefold()),
                        )
                    )
                )
            subject, body = note.subject, note.body
            thread_id, in_reply_to = note.thread_id, note.in_reply_to
            references = " ".join(note.references) or None
            if gmail_id is not None and latest is not None:
                # The draft holds what was logged with it: record that, not a new render.
                subject, body, message_id = latest["subject"], latest["body"], latest["message_id"]
                thread_id, in_reply_to = latest["thread_id"], latest["in_reply_to"]
                references = latest["reference_ids"]
            stamp = _iso(now)
            claimed_by, started = claimant.current()
            cursor = db.execute(
                "INSERT INTO notes (interview_id, kind, recipient, address, name, title, subject, "
                "body, status, via, message_id, gmail_id, created_at, updated_at, claimed_by, "
                "claimant_started, thread_id, in_reply_to, reference_ids) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    interview_id,
                    note.kind,
                    note.to.casefold(),
                    note.to,
                    note.name,
                    note.title,
                    subject,
                    body,
                    SENDING,
                    via,
                    message_id,
                    gmail_id if resumed_status in (SENDING, UNKNOWN) else None,
                    stamp,
                    stamp,
                    claimed_by,
                    started,
                    thread_id,
                    in_reply_to,
                    references,
                ),
            )
            assert cursor.lastrowid is not None
            return Claim(
                row_id=cursor.lastrowid,
                gmail_id=gmail_id,
                resumed_status=resumed_status,
                stray_message_ids=strays,
            )

    @_translated
    def set_gmail_id(self, row_id: int, gmail_id: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE notes SET gmail_id = ?, updated_at = ? WHERE id = ?",
                (gmail_id, _iso(datetime.now(UTC)), row_id),
            )

    @_translated
    def finish(
        self,
        row_id: int,
        status: str,
        *,
        now: datetime,
        gmail_id: str | None = None,
        error: str | None = None,
        thread_id: str | None = None,
    ) -> None:
        # Not fsynced on its own: the next claim's fsync (or closing the log) makes it
        # durable. Lost to a power cut in between, the note reads 'unknown', never a lie.
        with self._write(durable=False) as db:
            db.execute(
                "UPDATE notes SET status = ?, gmail_id = coalesce(?, gmail_id), error = ?, "
                "updated_at = ?, sent_at = ?, thread_id = coalesce(?, thread_id) WHERE id = ?",
                (
                    status,
                    gmail_id,
                    error,
                    _iso(now),
                    _iso(now) if status == SENT else None,
                    thread_id,
                    row_id,
                ),
            )


def _busy(error: sqlite3.Error) -> bool:
    return ((getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF) in (5, 6)  # BUSY, LOCKED


class _InterviewRow(dict):  # type: ignore[type-arg]
    """Adapts a joined notes row to the interview columns (id is the interview's)."""

    def __init__(self, row: sqlite3.Row) -> None:
        super().__init__({key: row[key] for key in row.keys()})  # noqa: SIM118 - a Row iterates values
        self["id"] = row["interview_row"]
