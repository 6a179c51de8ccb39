"""Ctrl-C during a batch: acknowledged at once, honoured where it is safe.

While a batch runs, SIGINT does not interrupt the send log's writes: it says
"stopping…" straight away and raises ``KeyboardInterrupt`` only inside
:func:`interruptible` (which a sender wraps around its network calls, inside
its own ``try``), once. The sender turns that into :class:`Interrupted`, which
carries the true state of the note in hand (``failed`` when nothing was
handed over, ``unknown`` otherwise); the batch records it and stops, listing
the notes it did not try. So no Ctrl-C lands between a sender's answer and
the log's record of it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from thanknote.senders.base import Outcome

STOPPING = "stopping… (Ctrl-C)"


class Interrupted(KeyboardInterrupt):
    """Ctrl-C while a note was being delivered; ``outcome`` is that note's true state."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.detail)
        self.outcome = outcome


class NotStarted(KeyboardInterrupt):
    """Ctrl-C came before the interruptible code began: it did nothing."""


class Stopper:
    """Installed for the length of a batch (``with Stopper() as stopper``)."""

    def __init__(self) -> None:
        self.requested = False
        self._armed = False
        self._previous: Any = None
        self._installed = False

    def __enter__(self) -> Stopper:
        global _active
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
            _active = self
        return self

    def __exit__(self, *_: object) -> None:
        global _active
        if self._installed:
            previous = self._previous
            signal.signal(
                signal.SIGINT, signal.default_int_handler if previous is None else previous
            )
            self._installed = False
            _active = None

    def _handle(self, _signum: int, _frame: FrameType | None) -> None:
        first = not self.requested
        self.requested = True
        line = STOPPING if first else "stopping… (recording what happened; one moment)"
        with contextlib.suppress(OSError):  # no standard error: still stop
            os.write(2, f"\n{line}\n".encode())
        if first and self._armed:
            self._armed = False
            raise KeyboardInterrupt

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """Ctrl-C may interrupt the code inside (a network call); never the code outside."""
        self._armed = True
        if self.requested:  # pressed while disarmed, a moment ago
            self._armed = False
            raise NotStarted
        try:
            yield
        finally:
            self._armed = False


_active: Stopper | None = None


def interruptible() -> AbstractContextManager[None]:
    """Where Ctrl-C may interrupt (a sender's network calls). Without a batch's Stopper,
    Python's own handler applies: Ctrl-C interrupts anywhere."""
    return _active.interruptible() if _active is not None else contextlib.nullcontext()
