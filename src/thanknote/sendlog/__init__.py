"""The send log: an SQLite record of every note drafted or sent, and when.

Every delivery attempt is its own row; a note's state is its newest row.

- :mod:`~thanknote.sendlog.schema`: the named migrations, in order;
- :mod:`~thanknote.sendlog.records`: the values it hands out (Record, LoggedInterview,
  Attempt, ListedInterview, Claim);
- :mod:`~thanknote.sendlog.queries`: the reads that stream, in flat memory;
- :mod:`~thanknote.sendlog.store`: :class:`SendLog`, the connection, its transactions and
  every write.

Whether a logged note may be delivered again is a rule, not storage:
:func:`thanknote.rules.decide` (re-exported here with its values while other modules
still import it from here).
"""

from thanknote.rules import (
    ON_TIME_HOURS,
    Latest,
    Resume,
    Skip,
    decide,
    live_reason,
    unknown_reason,
)
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
from thanknote.values import Status

SENDING, SENT, DRAFTED, FAILED, UNKNOWN = (
    Status.SENDING,
    Status.SENT,
    Status.DRAFTED,
    Status.FAILED,
    Status.UNKNOWN,
)

__all__ = [
    "DRAFTED",
    "FAILED",
    "FOLLOW_UP_NOTE",
    "GMAIL",
    "MIGRATIONS",
    "ON_TIME_HOURS",
    "SENDING",
    "SENT",
    "STATUS_CODES",
    "TIMED",
    "UNKNOWN",
    "Attempt",
    "AttemptRow",
    "Claim",
    "Latest",
    "ListedInterview",
    "LoggedInterview",
    "NoteRow",
    "Record",
    "Resume",
    "SendLog",
    "Skip",
    "decide",
    "latest_of",
    "live_reason",
    "unknown_reason",
]
