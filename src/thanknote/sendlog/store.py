"""The send log's store: its interviews and notes, read and written (see Connection).

A note's row is written *before* the network call (status ``sending``) and
updated after it, so a crash in between leaves a row that reads ``unknown``
("it may have gone out") rather than a lie either way. Claiming a note is a
write transaction (``BEGIN IMMEDIATE``), so two runs on one database cannot
both send it.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from thanknote import claimant, rules
from thanknote.model import Interview
from thanknote.render import Note
from thanknote.sendlog import queries
from thanknote.sendlog.connection import Connection, translated
from thanknote.sendlog.records import (
    AttemptRow,
    Claim,
    ListedInterview,
    LoggedInterview,
    Record,
    interview_from_row,
    iso,
    latest_of,
)
from thanknote.values import Channel, Kind, Purpose, Status

if TYPE_CHECKING:
    pass


class SendLog(Connection):
    """The send log at ``path``, its interviews and its notes; ``read_only`` for commands
    that never write (log, followups, preview), which take no lock.

    Kinds, channels, purposes and statuses are :mod:`thanknote.values` members; the
    methods also take their plain strings (``Note.kind`` is still one) and store the
    same text either way. What they hand back carries the members.
    """

    # -- interviews ------------------------------------------------------------------------

    @translated
    def find_interview_id(self, interview: Interview) -> int | None:
        """The interview's id in the log, or None when it has none. Never writes."""
        row = self.db.execute(
            "SELECT id FROM interviews WHERE company = ? AND role = ? AND starts_at = ?",
            interview.key,
        ).fetchone()
        return None if row is None else int(row[0])

    @translated
    def add_interview(self, interview: Interview, source: Path | None = None) -> int:
        """The interview's id, entering it in the log when it is not there yet.

        A logged interview takes the file's follow-up date, recipient, end and timezone
        as they are now (the file may have moved its follow-up date or added a
        recruiter); ``source`` is the interview file, remembered for ``followups``.
        """
        company, role, starts_at = interview.key
        source_path = str(source.resolve()) if source else None
        existing = self.find_interview_id(interview)
        with self._write() as db:
            if existing is not None:
                db.execute(
                    "UPDATE interviews SET follow_up_on = ?, follow_up_with = ?, "
                    "ends_at = ?, timezone = ?, source_path = coalesce(?, source_path) "
                    "WHERE id = ?",
                    (
                        interview.follow_up_on.isoformat(),
                        interview.follow_up_with,
                        iso(interview.ends_at),
                        interview.timezone_name,
                        source_path,
                        existing,
                    ),
                )
                return existing
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
                    iso(interview.ends_at),
                    interview.follow_up_on.isoformat(),
                    interview.follow_up_with,
                    source_path,
                ),
            )
            return int(cursor.fetchone()[0])

    @translated
    def interviews(self) -> list[LoggedInterview]:
        rows = self.db.execute("SELECT * FROM interviews ORDER BY follow_up_on, starts_at")
        return [interview_from_row(row) for row in rows]

    @translated
    def find_interview(self, interview: Interview) -> LoggedInterview | None:
        row = self.db.execute(
            "SELECT * FROM interviews WHERE company = ? AND role = ? AND starts_at = ?",
            interview.key,
        ).fetchone()
        return interview_from_row(row) if row else None

    @translated
    def mark_done(self, interview_id: int, when: datetime) -> None:
        with self._write() as db:
            db.execute("UPDATE interviews SET done_at = ? WHERE id = ?", (iso(when), interview_id))

    @translated
    def mark_open(self, interview_id: int) -> None:
        """Undo :meth:`mark_done` (``followups --reopen``)."""
        with self._write() as db:
            db.execute("UPDATE interviews SET done_at = NULL WHERE id = ?", (interview_id,))

    # -- reading notes ---------------------------------------------------------------------

    @translated
    def records(
        self,
        *,
        interview_id: int | None = None,
        latest_only: bool = False,
        kind: Kind | str | None = None,
    ) -> list[Record]:
        return list(
            self.iter_records(interview_id=interview_id, latest_only=latest_only, kind=kind)
        )

    def iter_records(
        self,
        *,
        interview_id: int | None = None,
        latest_only: bool = False,
        kind: Kind | str | None = None,
    ) -> Iterator[Record]:
        """The records one by one, ordered by interview then attempt: memory stays flat."""
        return self._streamed(queries.iter_records(self.db, interview_id, latest_only, kind))

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
        yield from self._streamed(queries.attempts_by_interview(self.db, interview_id))

    def agenda_rows(self) -> Generator[tuple[LoggedInterview, list[queries.NoteRow]]]:
        """Every interview (by id) with its rows that did not fail, without their text:
        what ``thanknote followups`` reads, one interview at a time."""
        yield from self._streamed(queries.agenda_rows(self.db))

    @translated
    def history(self, interview: Interview, kind: Kind | str) -> list[Record]:
        """The newest row of each note of this interview that may have reached its recipient."""
        interview_id = self.find_interview_id(interview)
        if interview_id is None:
            return []
        return [
            r
            for r in self.records(interview_id=interview_id, latest_only=True, kind=kind)
            if r.status != Status.FAILED
        ]

    @translated
    def notes_of_look_alike_interviews(
        self, interview: Interview, kind: Kind | str
    ) -> list[Record]:
        """Notes that may have reached someone, for an interview that may be this one edited
        (see :func:`thanknote.rules.look_alike`)."""
        return [
            record
            for other in queries.look_alike_ids(self.db, interview.key)
            for record in self.records(interview_id=other, latest_only=True, kind=kind)
            if record.status != Status.FAILED
        ]

    # -- claiming and recording notes ------------------------------------------------------

    @translated
    def claim(
        self,
        interview_id: int,
        note: Note,
        *,
        via: Channel | str,
        purpose: Purpose | str,
        message_id: str,
        resend: bool,
        now: datetime,
    ) -> Claim | rules.Skip:
        """Atomically decide whether this run may deliver ``note``, and record that it is."""
        recipient = note.to.casefold()
        with self._write() as db:
            latest = queries.newest(db, interview_id, note.kind, recipient)
            decision = rules.decide(
                latest_of(latest) if latest is not None else None,
                note,
                via=via,
                purpose=purpose,
                resend=resend,
            )
            if isinstance(decision, rules.Skip):
                return decision
            gmail_id, resumed_status = decision.gmail_id, decision.resumed_status
            strays: tuple[str, ...] = ()
            if decision.strays:
                strays = queries.stray_message_ids(db, interview_id, note.kind, recipient)
            subject, body = note.subject, note.body
            thread_id, in_reply_to = note.thread_id, note.in_reply_to
            references = " ".join(note.references) or None
            if gmail_id is not None and latest is not None:
                # The draft holds what was logged with it: record that, not a new render.
                subject, body, message_id = latest["subject"], latest["body"], latest["message_id"]
                thread_id, in_reply_to = latest["thread_id"], latest["in_reply_to"]
                references = latest["reference_ids"]
            stamp = iso(now)
            claimed_by, started = claimant.current()
            cursor = db.execute(
                "INSERT INTO notes (interview_id, kind, recipient, address, name, title, subject, "
                "body, status, via, message_id, gmail_id, created_at, updated_at, claimed_by, "
                "claimant_started, thread_id, in_reply_to, reference_ids) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    interview_id,
                    note.kind,
                    recipient,
                    note.to,
                    note.name,
                    note.title,
                    subject,
                    body,
                    Status.SENDING,
                    via,
                    message_id,
                    gmail_id if resumed_status in (Status.SENDING, Status.UNKNOWN) else None,
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

    @translated
    def set_gmail_id(self, row_id: int, gmail_id: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE notes SET gmail_id = ?, updated_at = ? WHERE id = ?",
                (gmail_id, iso(datetime.now(UTC)), row_id),
            )

    @translated
    def finish(
        self,
        row_id: int,
        status: Status | str,
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
                    iso(now),
                    iso(now) if status == Status.SENT else None,
                    thread_id,
                    row_id,
                ),
            )
