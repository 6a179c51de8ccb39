"""Bounded exponential backoff with jitter: the one retry helper every sender uses.

Every wait is announced before it starts ("waiting 4 s (rate limited by Gmail)"),
and no wait is longer than ``max_wait_seconds``: a server that asks for more
(``Retry-After: 3600``) is not waited for; the sender stops the batch instead
(see :class:`RateLimitTooLong`).

Tests switch the sleeping off with :func:`set_testing` (subprocesses with
``THANKNOTE_NO_BACKOFF=1``): :meth:`Backoff.delay` and the announcement still
run, and each wait is recorded in :data:`waits` instead of slept.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from thanknote.settings import Variable, is_on

DEFAULT_ATTEMPTS = 4
MAX_WAIT_SECONDS = 60.0
"""The longest single wait, Retry-After included."""

_testing: bool | None = None
"""Set by :func:`set_testing`; None: as ``THANKNOTE_NO_BACKOFF`` says when a wait comes."""
waits: list[tuple[float, str]] = []
"""In testing mode, every wait that would have been slept: (seconds, why)."""


def set_testing(on: bool = True) -> None:
    """Record waits instead of sleeping them (stamina's ``set_testing`` idea)."""
    global _testing
    _testing = on
    waits.clear()


def is_testing() -> bool:
    return is_on(Variable.NO_BACKOFF) if _testing is None else _testing


def _announce(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class RateLimitTooLong(Exception):
    """The server asks to wait longer than thanknote waits: stop the batch."""

    def __init__(self, seconds: float, cap: float) -> None:
        super().__init__(
            f"asked to wait {seconds:.0f} s, more than the {cap:.0f} s thanknote waits"
        )
        self.seconds = seconds


@dataclass(frozen=True)
class Backoff:
    attempts: int = DEFAULT_ATTEMPTS
    base_seconds: float = 1.0
    cap_seconds: float = 30.0
    max_wait_seconds: float = MAX_WAIT_SECONDS
    announce: Callable[[str], None] = field(default=_announce, compare=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (attempt counts from 1).

        Raises RateLimitTooLong when ``retry_after`` is over ``max_wait_seconds``.
        """
        if retry_after is not None:
            if retry_after > self.max_wait_seconds:
                raise RateLimitTooLong(retry_after, self.max_wait_seconds)
            return max(retry_after, 0.0)
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security

    def sleep(self, attempt: int, retry_after: float | None = None, *, why: str) -> float:
        """Announce the wait (``why`` says what is waited for), then wait; return its length."""
        seconds = self.delay(attempt, retry_after)
        shown = f"{seconds:.0f}" if seconds >= 1 else f"{seconds:.1f}"
        self.announce(f"waiting {shown} s ({why})")
        if is_testing():
            waits.append((seconds, why))
        else:
            time.sleep(seconds)
        return seconds
