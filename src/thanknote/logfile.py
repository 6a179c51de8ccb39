"""The send log's file: opening it for reading or writing, and naming what goes wrong.

A user who sees "is not a thanknote send log" for a log that is merely locked,
full or read-only may start a new one and lose the record of what was sent.
So every SQLite error is named for what it is (locked by which process, the
disk is full, read-only, damaged, not a send log), and no hint here ever
suggests a new log.

Commands that only read (``log``, ``followups``, ``preview``) open the file
read-only and take no lock a writer waits on; a log from an earlier release is
upgraded in a private in-memory copy for them, and on disk only when a command
writes to it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from thanknote.errors import BadInput, DeliveryError, ThanknoteError
from thanknote.settings import Variable, read

if TYPE_CHECKING:
    import sqlite3

DEFAULT_LOCK_TIMEOUT = 30.0
"""Seconds a run waits for a log another run holds (``THANKNOTE_LOCK_TIMEOUT``)."""

_KEEP_A_COPY = (
    "keep a copy of it before anything else: it is the record of what was "
    "sent, and a new log would send every note again"
)

# SQLite's primary result codes (the low byte of an extended code).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26
# Where SQLite takes its POSIX locks: the database's lock bytes (rollback journal)
# and the write lock of the WAL index.
_PENDING_BYTE = 0x40000000
_SHARED_SIZE = 510
_WAL_WRITE_LOCK = 120
_NEARLY_FULL = 64 * 1024  # bytes: less room than a few pages


class SendLogError(DeliveryError):
    """The send log cannot be used right now (locked, the disk is full): try again later."""


class LogLocked(SendLogError):
    """Another process holds the log for longer than thanknote waits."""


def lock_timeout() -> float:
    value = read(Variable.LOCK_TIMEOUT)
    if not value:
        return DEFAULT_LOCK_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86400:
        raise BadInput(f"THANKNOTE_LOCK_TIMEOUT={value!r} is not a number of seconds (0 to 86400)")
    return seconds


def lock_holder(path: Path) -> int | None:
    """The process holding a write lock on the log, when the system says (Linux).

    Read from ``/proc/locks``: asking with ``fcntl`` would mean opening and
    closing the file, and closing any descriptor of a file drops every POSIX
    lock this process holds on it, SQLite's own included.
    """
    if not sys.platform.startswith("linux"):
        return None
    wanted = {}
    for file, first, last in (
        (Path(f"{path}-shm"), _WAL_WRITE_LOCK, _WAL_WRITE_LOCK),
        (path, _PENDING_BYTE, _PENDING_BYTE + 1 + _SHARED_SIZE),
    ):
        try:
            status = file.stat()
        except OSError:
            continue
        device = f"{os.major(status.st_dev):02x}:{os.minor(status.st_dev):02x}"
        wanted[(device, status.st_ino)] = (first, last)
    try:
        lines = Path("/proc/locks").read_text(encoding="ascii").splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        # "1: POSIX  ADVISORY  WRITE 4120 00:2f:123456 120 120" ("->" marks a waiter)
        if len(fields) != 8 or fields[1] != "POSIX" or fields[3] != "WRITE":
            continue
        major, minor, inode = fields[5].split(":")
        span = wanted.get((f"{major}:{minor}", int(inode)))
        if span is None or not fields[4].isdigit() or int(fields[4]) == os.getpid():
            continue
        end = int(fields[7]) if fields[7].isdigit() else _PENDING_BYTE * 4  # EOF
        if int(fields[6]) <= span[1] and end >= span[0]:
            return int(fields[4])
    return None


def held_by(path: Path) -> str:
    holder = lock_holder(path)
    return f"process {holder}" if holder else "another process"


def waiting_notice(path: Path) -> None:
    """Said before a lock wait, so that a run never waits in silence."""
    holder = lock_holder(path)
    who = f", process {holder}" if holder else ""
    print(
        f"thanknote: waiting for the send log {path} (held by another run{who})",
        file=sys.stderr,
        flush=True,
    )


def storage_error(
    path: Path, error: sqlite3.Error, *, waited: float | None = None
) -> ThanknoteError:
    """An SQLite error on the log at ``path``, named for what it is."""
    code = (getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF
    detail = str(error)
    if code in (_BUSY, _LOCKED):
        wait = f" (waited {waited:g} s for it)" if waited is not None else ""
        return LogLocked(
            f"the send log {path} is locked by {held_by(path)}{wait}",
            hint="let that run finish (or stop it), then run again; "
            "THANKNOTE_LOCK_TIMEOUT sets how long thanknote waits",
        )
    if code == _FULL or (code == _IOERR and _disk_full(path)):
        return SendLogError(
            f"the disk holding the send log {path} is full",
            hint="free some space on it, then run again; the log still "
            "holds every note recorded so far",
        )
    if code == _READONLY or (code == _CANTOPEN and path.exists() and not _writable(path)):
        return BadInput(
            f"the send log {path} is read-only, so thanknote cannot record what it sends",
            hint=f"make it (and its folder) writable for this user, e.g. chmod u+w "
            f"{path}; {_KEEP_A_COPY}",
        )
    if code in (_CORRUPT, _NOTADB):
        return BadInput(
            f"the send log {path} is damaged or not a send log: {detail}", hint=_KEEP_A_COPY
        )
    if code == _CANTOPEN:
        return BadInput(f"cannot open the send log {path}: {detail}")
    if code == _IOERR:
        return SendLogError(
            f"the send log {path} could not be read or written: {detail} "
            "(a disk or file-system error)",
            hint=_KEEP_A_COPY,
        )
    return SendLogError(f"the send log {path}: {detail}")


def _disk_full(path: Path) -> bool:
    """Whether the file system holding ``path`` has (next to) no room left.

    SQLite reports some writes that fail for want of space as plain I/O errors
    (growing the WAL index, for one); the file system says why.
    """
    try:
        room = os.statvfs(path.parent)
    except OSError:
        return False
    return room.f_bavail * room.f_frsize < _NEARLY_FULL


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def refuse_non_file(path: Path) -> None:
    if path.exists() and not path.is_file():
        kind = "a directory" if path.is_dir() else "not a regular file"
        raise BadInput(
            f"the send log {path} is {kind}",
            hint="point --db / THANKNOTE_DB at the log file (sends.sqlite3)",
        )


def connect(path: Path, *, write: bool) -> sqlite3.Connection:
    """A connection to the log at ``path``: read-write (created if missing) or read-only."""
    import sqlite3

    refuse_non_file(path)
    try:
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, timeout=lock_timeout(), isolation_level=None)
        else:
            db = _connect_read_only(path)
    except OSError as error:
        raise BadInput(f"cannot open the send log {path}: {error.strerror or error}") from None
    except sqlite3.Error as error:
        raise storage_error(path, error) from None
    db.row_factory = sqlite3.Row
    db.execute(f"PRAGMA busy_timeout = {int(lock_timeout() * 1000)}")
    return db


def _connect_read_only(path: Path) -> sqlite3.Connection:
    import sqlite3

    uri = f"file:{quote(str(path.absolute()))}?mode=ro"
    db = sqlite3.connect(uri, uri=True, timeout=lock_timeout(), isolation_level=None)
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as error:
        if (error.sqlite_errorcode & 0xFF) not in (_CANTOPEN, _READONLY):
            db.close()
            raise
        # A write-ahead log with no index file beside it, in a folder this user may not
        # write to: nobody here can be writing it, so read the file as it stands.
        db.close()
        db = sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return db


def tables(db: sqlite3.Connection) -> set[str]:
    return {
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    }


def refuse_foreign(path: Path, present: set[str]) -> None:
    """Refuse, before writing anything, a database that is not a thanknote send log."""
    if present and "migrations" not in present:
        shown = ", ".join(sorted(present)[:5]) + (", ..." if len(present) > 5 else "")
        raise BadInput(
            f"{path} is an SQLite database but not a thanknote send log (it has "
            f"tables {shown} and no thanknote migrations); thanknote leaves it "
            "untouched",
            hint="point --db / THANKNOTE_DB at the send log (sends.sqlite3), or at "
            "a file that does not exist yet to start one",
        )


def check_integrity(db: sqlite3.Connection, path: Path) -> None:
    """SQLite's own integrity check: a damaged index would make a sent note look unsent."""
    problems = [row[0] for row in db.execute("PRAGMA integrity_check(20)")]
    if problems != ["ok"]:
        shown = "; ".join(problems[:3]) + (
            f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
        )
        raise BadInput(
            f"the send log {path} is damaged (SQLite's integrity check: {shown}); "
            "nothing was sent, since it can no longer say what was",
            hint=f"{_KEEP_A_COPY}. `sqlite3 {path} .recover | sqlite3 "
            "repaired.sqlite3` rebuilds what it can; read that with `thanknote log "
            "--db repaired.sqlite3` before you send with it",
        )
