"""A note's states (kept for existing imports; the type is :class:`thanknote.values.Status`)."""

from thanknote.values import Status

SENDING = Status.SENDING
SENT = Status.SENT
DRAFTED = Status.DRAFTED
FAILED = Status.FAILED
UNKNOWN = Status.UNKNOWN
