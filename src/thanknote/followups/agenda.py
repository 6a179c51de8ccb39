"""The agenda: every interview of the send log with where it stands, as text and as JSON.

"Today" is the day in each interview's own timezone ("today" in New York is not
"today" in UTC at 9 p.m.). The default listing shows what needs action today
(``due`` and ``second-due``); ``--all`` adds every other interview not closed by
``--done``. Text and JSON are built from the same list, so they name the same
interviews with the same states.

The log is read one interview at a time, only the rows that did not fail and
without their text (:meth:`SendLog.agenda_rows`), so a log of 100,000 records
lists without building an object per row. ``write_text`` also keeps memory flat: it
ranks the interviews' blocks in a temporary database, not in a list.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from thanknote.followups.entry import FollowUp as FollowUp
from thanknote.followups.entry import day as day
from thanknote.followups.entry import follow_up
from thanknote.followups.entry import followup_command as followup_command
from thanknote.followups.entry import relative as relative
from thanknote.paths import send_log_path
from thanknote.rules import NEEDS_ACTION, State
from thanknote.sendlog import LoggedInterview, SendLog

if TYPE_CHECKING:
    from thanknote.model import Interview


@dataclass(frozen=True)
class Agenda:
    items: tuple[FollowUp, ...]
    """Every interview of the log, the soonest (or longest overdue) next action first."""
    log_path: Path

    @property
    def open(self) -> tuple[FollowUp, ...]:
        return tuple(item for item in self.items if item.state is not State.CLOSED)

    def listed(self, *, show_all: bool) -> tuple[FollowUp, ...]:
        """What a listing names: what needs action today, or (``--all``) all not --done."""
        if show_all:
            return tuple(item for item in self.items if item.interview.done_at is None)
        return tuple(item for item in self.items if item.state in NEEDS_ACTION)

    def not_listed(self, *, show_all: bool) -> dict[str, int]:
        """How many interviews the listing leaves out, by state (closed by --done never count)."""
        shown = {id(item) for item in self.listed(show_all=show_all)}
        counts = Counter(
            str(item.state)
            for item in self.items
            if id(item) not in shown and item.interview.done_at is None
        )
        return {str(state): counts[str(state)] for state in State if counts[str(state)]}

    def as_json(self, *, show_all: bool) -> dict[str, object]:
        return {
            "interviews": [item.as_json() for item in self.listed(show_all=show_all)],
            "not_listed": self.not_listed(show_all=show_all),
        }

    def as_text(self, *, show_all: bool) -> str:
        if not self.listed(show_all=True):
            return (
                f"no open interviews in the send log ({self.log_path}); 'thanknote draft' "
                "and 'thanknote send' add them"
            )
        listed = self.listed(show_all=show_all)
        action = [item for item in listed if item.state in NEEDS_ACTION]
        others = [item for item in listed if item.state not in NEEDS_ACTION]
        lines = [
            f"needs a follow-up today ({len(action)}):" if action else "no follow-ups due today"
        ]
        for number, item in enumerate(action):
            lines += ([""] if number else []) + item.as_text()
        if others:
            lines += ["", f"nothing to send today ({len(others)}):"]
            for number, item in enumerate(others):
                lines += ([""] if number else []) + item.as_text()
        left_out = self.not_listed(show_all=show_all)
        if left_out:
            counts = ", ".join(f"{count} {state}" for state, count in left_out.items())
            lines.append(f"({counts}; --all lists them)")
        lines += ["", "when you hear back: thanknote followups --done FILE"]
        return "\n".join(lines)


def agenda(log: SendLog | None, now: datetime, *, log_path: Path) -> Agenda:
    """Every interview of the log and where it stands as of ``now``."""
    if log is None:
        return Agenda((), log_path)
    ranked = sorted(follow_ups(log, now), key=itemgetter(0))
    return Agenda(tuple(item for _, item in ranked), log_path)


Rank = tuple[date, int, date, int]
"""Where an interview comes in the agenda: the soonest (or longest overdue) next action
first, then by start (in microseconds since 1970), then as the log lists interviews (by the
logged follow-up date, then as entered)."""


def follow_ups(log: SendLog, now: datetime) -> Iterator[tuple[Rank, FollowUp]]:
    """Each interview of the log where it stands, with its rank, one at a time."""
    files: dict[str, Interview | None] = {}
    for logged, rows in log.agenda_rows():
        interview = as_filed(logged, files)
        item = follow_up(interview, rows, now.astimezone(interview.display_timezone).date())
        first = item.next_on or item.closed_on or interview.follow_up_on
        start = (interview.starts_at - _EPOCH) // _MICROSECOND
        yield (first, start, logged.follow_up_on, logged.id), item


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class _Ranked:
    """The listed interviews' blocks, ranked in a private temporary database (SQLite keeps a
    few pages of it in memory and the rest on disk), and the counts the listing reports."""

    def __init__(
        self, log: SendLog | None, now: datetime, show_all: bool, render: Callable[[FollowUp], str]
    ) -> None:
        import sqlite3

        self.left_out: Counter[str] = Counter()
        """Interviews not listed (and not --done), by state."""
        self.shown = Counter[bool]()
        """Listed interviews: needing action today (False), the others (True)."""
        self.open = 0
        self.db = sqlite3.connect("")  # a temporary database, deleted on close
        self.db.execute(
            "CREATE TABLE blocks (later INTEGER, due TEXT, starts INTEGER, logged TEXT, "
            "id INTEGER, block TEXT)"
        )
        rows = []
        for (first, start, logged_on, number), item in (
            follow_ups(log, now) if log is not None else ()
        ):
            done = item.interview.done_at is not None
            self.open += not done
            state = item.standing.state
            if (show_all and not done) or state in NEEDS_ACTION:
                later = state not in NEEDS_ACTION
                self.shown[later] += 1
                row = (later, first.isoformat(), start, logged_on.isoformat(), number, render(item))
                rows.append(row)
                if len(rows) >= 1024:
                    self._insert(rows)
                    rows.clear()
            elif not done:
                self.left_out[str(state)] += 1
        self._insert(rows)

    def _insert(self, rows: list[tuple[bool, str, int, str, int, str]]) -> None:
        self.db.executemany("INSERT INTO blocks VALUES (?,?,?,?,?,?)", rows)

    def blocks(self, *, by_section: bool) -> Iterator[tuple[bool, str]]:
        """(later, block) in the agenda's order (``by_section``: those needing action first)."""
        order = "later, " if by_section else ""
        yield from self.db.execute(
            f"SELECT later, block FROM blocks ORDER BY {order}due, starts, logged, id"  # noqa: S608
        )

    def not_listed(self) -> dict[str, int]:
        return {
            str(state): self.left_out[str(state)] for state in State if self.left_out[str(state)]
        }

    def close(self) -> None:
        self.db.close()


def write_text(
    log: SendLog | None,
    now: datetime,
    out: TextIO,
    *,
    log_path: Path,
    show_all: bool,
    unless_none_open: bool = False,
) -> None:
    """The listing ``followups`` prints (:meth:`Agenda.as_text` and a newline), streamed in
    flat memory however long the log. ``unless_none_open``: print nothing when no interview
    is open."""
    ranked = _Ranked(log, now, show_all, FollowUp.block)
    try:
        if not ranked.open:
            if not unless_none_open:
                out.write(Agenda((), log_path).as_text(show_all=show_all) + "\n")
            return
        action, others = ranked.shown[False], ranked.shown[True]
        chunks = [f"needs a follow-up today ({action}):" if action else "no follow-ups due today"]
        size = 0
        for number, (later, block) in enumerate(ranked.blocks(by_section=True)):
            if later and number == action:
                chunks.append(f"\nnothing to send today ({others}):")
            elif number:
                chunks.append("")
            chunks.append(block)
            size += len(block)
            if size > 65536:
                out.write("\n".join(chunks) + "\n")
                chunks, size = [], 0
        if left_out := ranked.not_listed():
            chunks.append(
                "("
                + ", ".join(f"{count} {state}" for state, count in left_out.items())
                + "; --all lists them)"
            )
        chunks += ["", "when you hear back: thanknote followups --done FILE"]
        out.write("\n".join(chunks) + "\n")
    finally:
        ranked.close()


def write_json(log: SendLog | None, now: datetime, out: TextIO, *, show_all: bool) -> None:
    """``followups --json`` (:meth:`Agenda.as_json` as ``json.dumps(..., indent=2)`` prints it,
    and a newline), streamed: each interview is encoded on its own, indented to its depth."""
    import gc
    import json

    # json's indenting encoder makes a cycle of closures per call: with the collector off
    # (as the CLI runs), each would stay until exit. Collect them as we go.
    collecting = gc.isenabled()
    gc.enable()

    def encoded(item: FollowUp) -> str:
        text = json.dumps(item.as_json(), indent=2, ensure_ascii=False)
        return "\n".join("    " + line for line in text.split("\n"))  # JSON keeps no raw \n

    ranked = _Ranked(log, now, show_all, encoded)
    try:
        chunks, size = ['{\n  "interviews": ['], 0
        for number, (_, block) in enumerate(ranked.blocks(by_section=False)):
            chunks.append(("\n" if number == 0 else ",\n") + block)
            size += len(block)
            if size > 65536:
                out.write("".join(chunks))
                chunks, size = [], 0
        chunks.append("\n  ]" if ranked.shown.total() else "]")
        left_out = json.dumps(ranked.not_listed(), indent=2, ensure_ascii=False)
        chunks.append(',\n  "not_listed": ' + left_out.replace("\n", "\n  ") + "\n}\n")
        out.write("".join(chunks))
    finally:
        ranked.close()
        if not collecting:
            gc.disable()


def as_filed(
    interview: LoggedInterview, files: dict[str, Interview | None] | None = None
) -> LoggedInterview:
    """The logged interview with the follow-up date and recipient its file gives now.

    ``followup FILE`` goes by the file as it is now, so the agenda (and the calendar) do
    too: a ``follow_up_on`` moved after the notes went out moves the reminder. The logged
    values stay when the file is gone, does not load, or now names another interview.
    ``files``: the files read so far in this run, by path (each is read once).
    """
    if interview.source_path is None:
        return interview
    files = {} if files is None else files
    path = interview.source_path
    if path not in files:
        if len(files) >= 256:
            files.clear()  # a few files shared by many interviews are worth keeping
        files[path] = _load(Path(path))
    current = files[path]
    if current is None:
        return interview
    key = (interview.company, interview.role, interview.starts_at.astimezone(UTC).isoformat())
    if current.key != key:
        return interview
    return replace(
        interview, follow_up_on=current.follow_up_on, follow_up_with=current.follow_up_with
    )


def _load(path: Path) -> Interview | None:
    from thanknote import loader
    from thanknote.errors import ThanknoteError

    try:
        return loader.load_interview(path)
    except ThanknoteError:
        return None


def print_agenda(
    db: Path | None,
    now: datetime,
    out: TextIO,
    *,
    show_all: bool,
    as_json: bool = False,
    unless_none_open: bool = False,
) -> None:
    """``thanknote followups [--json]``: the listing of the log at ``db``, written to ``out``
    as it is made (see :func:`write_text`, :func:`write_json`); never creates a log."""
    path = send_log_path(db)
    log = SendLog.existing(path, read_only=True)
    try:
        if as_json:
            write_json(log, now, out, show_all=show_all)
        else:
            write_text(
                log, now, out, log_path=path, show_all=show_all, unless_none_open=unless_none_open
            )
    finally:
        if log is not None:
            log.close()


def load_agenda(db: Path | None, now: datetime) -> Agenda:
    """The agenda of the log at ``db`` (the default log without it); never creates a log."""
    path = send_log_path(db)
    log = SendLog.existing(path, read_only=True)
    if log is None:
        return agenda(None, now, log_path=path)
    with log:
        return agenda(log, now, log_path=path)
