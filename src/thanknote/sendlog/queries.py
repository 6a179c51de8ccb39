"""The send log's reads that stream: each walks the log once, in flat memory.

Functions of an open connection; :class:`thanknote.sendlog.SendLog` calls them
and turns SQLite's errors into its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from thanknote import rules
from thanknote.sendlog.records import (
    AttemptRow,
    InterviewRow,
    ListedInterview,
    LoggedInterview,
    Record,
    interview_from_row,
    listed,
    logged_interview,
    record_from_row,
)
from thanknote.values import Kind

if TYPE_CHECKING:
    import sqlite3

# What ``thanknote log`` reads: the notes with only the columns it shows (in Attempt's
# order; the schema's CHECKs allow only these statuses, channels and kinds), thank-you
# notes before follow-ups; and, walked alongside,
# the interviews that have notes, in the same order. The whole log is read in the
# table's own order and sorted (NOT INDEXED): walking the note index would visit the
# rows out of order, which costs more than the sort.
LISTED_NOTES = (
    "SELECT n.interview_id, "
    "CASE n.status WHEN 'sent' THEN 0 WHEN 'drafted' THEN 8 WHEN 'failed' THEN 16 ELSE 24 END "
    "+ (n.via = 'gmail') * 4 + (n.kind != 'thank-you') * 2 "
    "+ (n.sent_at IS NOT NULL AND n.kind = 'thank-you'), "
    "coalesce(nullif(n.sent_at, ''), n.created_at), n.name, n.address, n.error, n.id "
    "FROM notes n NOT INDEXED JOIN interviews i ON i.id = n.interview_id WHERE 1 "
    "ORDER BY i.starts_at, i.id, n.kind != 'thank-you', n.id"
)
LISTED_INTERVIEWS = (
    "SELECT i.id, i.company, i.role, i.starts_at, i.starts_at_local, i.timezone, i.ends_at "
    "FROM interviews i WHERE 1 AND EXISTS (SELECT 1 FROM notes n WHERE n.interview_id = i.id) "
    "ORDER BY i.starts_at, i.id"
)

# What the follow-up agenda reads: every interview (by id, its columns in the order
# of LoggedInterview), and walked alongside, each one's rows that did not fail, without
# their text (subject, body), oldest first.
AGENDA_INTERVIEWS = (
    "SELECT id, company, role, starts_at, starts_at_local, timezone, ends_at, follow_up_on, "
    "follow_up_with, source_path, done_at FROM interviews ORDER BY id"
)
AGENDA_NOTES = (
    "SELECT interview_id, id, kind, address, name, status, via, "
    "CASE kind WHEN 'thank-you' THEN '' ELSE message_id END, created_at, "
    "sent_at FROM notes NOT INDEXED WHERE status != 'failed' ORDER BY interview_id, id"
)
NoteRow = tuple[int, int, str, str, str, str, str, str, str, str | None]
"""A row of AGENDA_NOTES: interview id, id, kind, address, name, status, via, message_id
(empty for a thank-you note: the agenda tells follow-ups apart by it, and a string per
row costs), created_at, sent_at (ISO 8601, UTC, as stored)."""


def iter_records(
    db: sqlite3.Connection,
    interview_id: int | None,
    latest_only: bool,
    kind: Kind | str | None,
) -> Iterator[Record]:
    """The records one by one, ordered by interview then attempt."""
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
    for row in db.execute(sql, params):
        if current is None or current.id != row["interview_row"]:
            current = interview_from_row(InterviewRow(row))
        yield record_from_row(row, current)


def newest(db: sqlite3.Connection, interview_id: int, kind: Kind | str, recipient: str) -> Any:
    """A note's newest row (a ``sqlite3.Row``), or None."""
    return db.execute(
        "SELECT * FROM notes WHERE interview_id = ? AND kind = ? AND recipient = ? "
        "ORDER BY id DESC LIMIT 1",
        (interview_id, kind, recipient),
    ).fetchone()


def stray_message_ids(
    db: sqlite3.Connection, interview_id: int, kind: Kind | str, recipient: str
) -> tuple[str, ...]:
    """Message-IDs of Gmail attempts that may have left a draft the log has no id for."""
    return tuple(
        dict.fromkeys(
            row[0]
            for row in db.execute(
                "SELECT message_id FROM notes WHERE interview_id = ? AND kind = ? AND "
                "recipient = ? AND via = 'gmail' AND gmail_id IS NULL AND status IN "
                "('sending', 'failed') ORDER BY id DESC LIMIT 5",
                (interview_id, kind, recipient),
            )
        )
    )


def look_alike_ids(db: sqlite3.Connection, key: tuple[str, str, str]) -> list[int]:
    """The logged interviews that look like the interview ``key`` (see rules.look_alike)."""
    return [
        row[0]
        for row in db.execute("SELECT id, company, role, starts_at FROM interviews")
        if rules.look_alike(key, (row[1], row[2], row[3]))
    ]


def walked_alongside(
    db: sqlite3.Connection, heads_sql: str, rows_sql: str, params: tuple[Any, ...] = ()
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """Each row of ``heads_sql`` with its group of ``rows_sql`` (grouped by the first column,
    in the heads' order; a head without rows gets an empty list), in one read snapshot."""
    began = not db.in_transaction
    try:
        if began:
            db.execute("BEGIN")
        heads = db.cursor()
        heads.row_factory = None
        heads.execute(heads_sql, params)
        rows = db.cursor()
        rows.row_factory = None  # plain tuples: a Row per attempt costs more than the rest
        # Grouped in C (groupby, itemgetter): per row, Python builds nothing but the
        # tuple SQLite hands over.
        groups = groupby(rows.execute(rows_sql, params), key=itemgetter(0))
        number, group = next(groups, (None, iter(())))
        for head in heads:
            if head[0] != number:
                yield head, []
                continue
            yield head, list(group)
            number, group = next(groups, (None, iter(())))
        if number is not None:
            raise RuntimeError("the send log's interviews and notes disagree")
    finally:
        # Read only: nothing to keep. (A log closed before its reader stopped, as
        # when the output pipe closed, has no transaction left to end.)
        import sqlite3

        with contextlib.suppress(sqlite3.ProgrammingError):
            if began and db.in_transaction:
                db.execute("ROLLBACK")


def attempts_by_interview(
    db: sqlite3.Connection, interview_id: int | None
) -> Iterator[tuple[ListedInterview, list[AttemptRow]]]:
    """Every attempt, one interview at a time (by start): what ``thanknote log`` lists."""
    notes, interviews = LISTED_NOTES, LISTED_INTERVIEWS
    params: tuple[int, ...] = ()
    if interview_id is not None:
        notes = notes.replace(" NOT INDEXED", "").replace("WHERE 1", "WHERE n.interview_id = ?")
        interviews = interviews.replace("WHERE 1", "WHERE i.id = ?")
        params = (interview_id,)
    for head, group in walked_alongside(db, interviews, notes, params):
        yield listed(head), group


def agenda_rows(
    db: sqlite3.Connection,
) -> Iterator[tuple[LoggedInterview, list[NoteRow]]]:
    """Every interview, each with its rows that did not fail (no text), oldest first."""
    for head, group in walked_alongside(db, AGENDA_INTERVIEWS, AGENDA_NOTES):
        yield logged_interview(head), group
