"""The send log: an SQLite record of every note drafted or sent, and when.

Every delivery attempt is its own row; a note's state is its newest row.

- :mod:`~thanknote.sendlog.schema`: the named migrations, in order;
- :mod:`~thanknote.sendlog.records`: the values it hands out (Record, LoggedInterview,
  Attempt, ListedInterview, Claim);
- :mod:`~thanknote.sendlog.queries`: the reads that stream, in flat memory;
- :mod:`~thanknote.sendlog.store`: :class:`SendLog`, the connection, its transactions and
  every write.

Whether a logged note may be delivered again is a rule, not storage:
:func:`thanknote.rules.decide`.
"""

from thanknote.sendlog.queries import NoteRow
from thanknote.sendlog.records import (
    FOLLOW_UP_NOTE,
    GMAIL,
    STATUS_CODES,
    TIMED,
    Attempt,
    AttemptRow,
    Claim,
    ListedInterview,
    LoggedInterview,
    Record,
    latest_of,
)
from thanknote.sendlog.schema import MIGRATIONS
from thanknote.sendlog.store import SendLog

__all__ = [
    "FOLLOW_UP_NOTE",
    "GMAIL",
    "MIGRATIONS",
    "STATUS_CODES",
    "TIMED",
    "Attempt",
    "AttemptRow",
    "Claim",
    "ListedInterview",
    "LoggedInterview",
    "NoteRow",
    "Record",
    "SendLog",
    "latest_of",
]
