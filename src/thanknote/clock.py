"""The one place thanknote asks what time it is.

``THANKNOTE_NOW`` (an ISO 8601 date-time with offset) pins the clock: tests
use it to put a run before the interview, on time, late, or on a follow-up
date without sleeping, and a user can rehearse a run the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime

from thanknote.errors import BadInput
from thanknote.settings import Variable, read


def now() -> datetime:
    pinned = read(Variable.NOW)
    if not pinned:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(pinned)
    except ValueError:
        raise BadInput(f"THANKNOTE_NOW={pinned!r} is not an ISO 8601 date-time") from None
    if value.tzinfo is None:
        raise BadInput(f"THANKNOTE_NOW={pinned!r} needs an offset, e.g. 2026-11-25T16:00:00-05:00")
    return value.astimezone(UTC)
