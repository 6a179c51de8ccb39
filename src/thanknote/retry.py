"""Bounded exponential backoff with jitter, shared by every sender.

``THANKNOTE_NO_BACKOFF=1`` removes the sleeps (tests set it; the attempts and
their order stay the same).
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass

DEFAULT_ATTEMPTS = 4


@dataclass(frozen=True)
class Backoff:
    attempts: int = DEFAULT_ATTEMPTS
    base_seconds: float = 1.0
    cap_seconds: float = 30.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (attempt counts from 1)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.cap_seconds * 4)
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security

    def sleep(self, attempt: int, retry_after: float | None = None) -> None:
        if os.environ.get("THANKNOTE_NO_BACKOFF") == "1":
            return
        time.sleep(self.delay(attempt, retry_after))
