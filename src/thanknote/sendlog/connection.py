"""The send log's connection: opening it (migrating its schema), and its transactions.

Opening for writing checks the log's integrity and applies the named migrations it
lacks (:mod:`thanknote.sendlog.schema`) under the write lock; opening read-only leaves
the file as it is and upgrades an earlier release's log in memory only.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TypeVar

from thanknote import logfile
from thanknote.sendlog import schema

if TYPE_CHECKING:
    import sqlite3

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def translated(method: F) -> F:
    """SQLite's errors become a message naming the log and what is wrong with it."""

    @functools.wraps(method)
    def wrapper(self: Connection, *args: Any, **kwargs: Any) -> Any:
        import sqlite3

        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as error:
            raise logfile.storage_error(self.path, error, waited=self.lock_timeout) from None

    return wrapper  # type: ignore[return-value]


def _busy(error: sqlite3.Error) -> bool:
    return ((getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF) in (5, 6)  # BUSY, LOCKED


class Connection:
    """An open send log at ``path``; ``read_only`` for commands that never write: they
    take no lock and leave an older log's schema as it is on disk."""

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
    def existing(cls, path: Path, *, read_only: bool = False) -> Self | None:
        """The log at ``path`` if there is one (preview never creates a log)."""
        logfile.refuse_non_file(path)
        return cls(path, read_only=read_only) if path.is_file() else None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- transactions and the schema ------------------------------------------------------

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

    def _pending(self) -> list[tuple[str, schema.Migrate]]:
        return schema.pending(self.db, self.path, logfile.tables(self.db))

    def _migrate(self) -> None:
        if not self._pending():
            return  # the usual case: no write lock taken
        with self._write() as db:
            schema.apply(db, self._pending())  # again, under the lock

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

    def _streamed(self, rows: Iterator[T]) -> Iterator[T]:
        """A generator of rows whose SQLite errors name the log, like every method's."""
        import sqlite3

        try:
            yield from rows
        except sqlite3.Error as error:
            raise logfile.storage_error(self.path, error, waited=self.lock_timeout) from None
