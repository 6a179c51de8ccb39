"""The send log's schema: named migrations, applied in order and recorded in ``migrations``.

Each migration is a function registered with :func:`migration`, in the order of
this file; its name (``m001_initial`` registers ``001_initial``) is what the log's
``migrations`` table records. A log from an earlier release lacks the newest names
and is upgraded in place; a log that records a name this release does not know was
written by a newer thanknote and is refused.

Issue 10 (follow-ups) owns ``003_...``; issue 13 (faults) ``004_...``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from thanknote.errors import BadInput

if TYPE_CHECKING:
    import sqlite3

Migrate = Callable[["sqlite3.Connection"], None]

MIGRATIONS: list[tuple[str, Migrate]] = []
"""Every migration, oldest first: (name, function)."""


def migration(function: Migrate) -> Migrate:
    """Register ``function`` as the next migration, named after it without its ``m``."""
    MIGRATIONS.append((function.__name__.removeprefix("m"), function))
    return function


def run_script(db: sqlite3.Connection, script: str) -> None:
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


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    run_script(
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


@migration
def m002_claimed_by(db: sqlite3.Connection) -> None:
    # Which process claimed a note ("host:pid"), so that a run can tell a send in
    # progress elsewhere from one a crash interrupted.
    db.execute("ALTER TABLE notes ADD COLUMN claimed_by TEXT")


@migration
def m003_threads(db: sqlite3.Connection) -> None:
    # What a follow-up needs to be a reply: the Message-ID it answers, the References
    # chain it carries, and Gmail's thread (from drafts.create / drafts.send answers).
    db.execute("ALTER TABLE notes ADD COLUMN thread_id TEXT")
    db.execute("ALTER TABLE notes ADD COLUMN in_reply_to TEXT")
    db.execute("ALTER TABLE notes ADD COLUMN reference_ids TEXT")  # space-separated


@migration
def m004_claimant_started(db: sqlite3.Connection) -> None:
    # When the claimant process started (see thanknote.claimant): a process id
    # reused after a reboot must not pass for the run that claimed the note.
    db.execute("ALTER TABLE notes ADD COLUMN claimant_started TEXT")


def applied(db: sqlite3.Connection, path: Path) -> set[str]:
    """The migrations the log at ``path`` records (refusing a log newer than this thanknote)."""
    names = [row[0] for row in db.execute("SELECT name FROM migrations")]
    if any(not isinstance(name, str) or not name for name in names):
        raise BadInput(
            f"the send log {path} has a migration with no name (NULL) in "
            "its migrations table, so thanknote cannot tell which version "
            "wrote it",
            hint="it was edited by hand or damaged; keep a copy of it, then "
            "remove that row (DELETE FROM migrations WHERE name IS NULL)",
        )
    done = set(names)
    newer = sorted(done - {name for name, _ in MIGRATIONS})
    if newer:
        raise BadInput(
            f"{path} was written by a newer thanknote (migrations "
            f"{', '.join(newer)}); upgrade thanknote to use it"
        )
    return done


def pending(db: sqlite3.Connection, path: Path, tables: set[str]) -> list[tuple[str, Migrate]]:
    """The migrations the log lacks, in order (``tables``: the tables it has)."""
    done = applied(db, path) if "migrations" in tables else set()
    return [(name, migrate) for name, migrate in MIGRATIONS if name not in done]


def apply(db: sqlite3.Connection, migrations: list[tuple[str, Migrate]]) -> None:
    """Run ``migrations`` and record each, inside the caller's write transaction."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    for name, migrate in migrations:
        migrate(db)
        db.execute("INSERT INTO migrations VALUES (?, ?)", (name, datetime.now(UTC).isoformat()))
