"""What a failed Gmail API call means: Google's errors sorted into kinds, and thanknote's.

The kind decides what may be done next: repeat, ask Gmail whether the call took
effect, fail the note, or stop the batch. This is the one table from Google's
answers (status, ``reason`` codes, ``Retry-After``) to thanknote's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from thanknote.senders.base import FatalSenderError, Outcome
from thanknote.senders.gmail.credentials import RUN_AUTH, TESTING_EXPIRY
from thanknote.values import Status

RATE_REASONS = frozenset({"ratelimitexceeded", "userratelimitexceeded"})
SCOPE_REASONS = frozenset({"insufficientpermissions", "accesstokenscopeinsufficient"})

# How a call went wrong, which decides what may be done next.
RATE = "rate"  # 429 / 403 rate limit: not done; wait (Retry-After) and repeat
BUSY = "busy"  # 5xx: may or may not have been done
LOST = "lost"  # no answer (timeout, connection lost): may or may not have been done
UNREACHABLE = "unreachable"  # the request never left (refused, DNS, refresh unreachable)
REFUSED = "refused"  # a definite answer: 400, 403, 404, ...; not done
AUTH = "auth"  # the token is no longer accepted: no call can succeed


class CallFailed(Exception):
    """One Gmail API call that did not succeed, sorted by what may be done next."""

    def __init__(
        self,
        kind: str,
        words: str,
        *,
        status: int | None = None,
        reason: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(words)
        self.kind = kind
        self.words = words
        self.status = status
        self.reason = reason
        self.retry_after = retry_after

    @property
    def unclear(self) -> bool:
        """The call may have taken effect: only asking Gmail can tell."""
        return self.kind in (BUSY, LOST)


class Stop(Exception):
    """No further note can go out now (timeouts, a long rate limit, the API unreachable)."""

    def __init__(self, words: str, *, not_done: bool) -> None:
        super().__init__(words)
        self.words = words
        self.not_done = not_done
        """The last call certainly had no effect (a rate limit; the API unreachable)."""


def fatal(failure: CallFailed, status: str, draft_id: str | None) -> FatalSenderError:
    """The login itself is refused: the batch stops, the note in hand recorded as ``status``."""
    message = failure.words
    if failure.reason != "refresh":
        message = (
            f"Gmail no longer accepts the saved token ({failure.words}); "
            f"{RUN_AUTH}. Note: {TESTING_EXPIRY}"
        )
    detail = message
    if status == Status.UNKNOWN and draft_id:
        detail = (
            f"{message}. Whether Gmail draft {draft_id} was sent is not known; after "
            "`thanknote auth`, a rerun checks it and sends it only if it is still a "
            "draft"
        )
    return FatalSenderError(message, Outcome(status, detail, gmail_id=draft_id), needs_auth=True)


def http_failure(error: Any, what: str) -> CallFailed:
    status = int(error.resp.status)
    reasons, message = google_reasons(error)
    reason = reasons[0] if reasons else ""
    folded = {r.replace("_", "").lower() for r in reasons}
    words = f"{what}: HTTP {status}"
    if reason:
        words += f" {reason}"
    if message:
        words += f": {message}"
    if status == 401:
        return CallFailed(AUTH, words, status=status, reason=reason)
    if status == 429 or (status == 403 and folded & RATE_REASONS):
        return CallFailed(
            RATE, words, status=status, reason=reason, retry_after=retry_after(error.resp)
        )
    if status == 403 and folded & SCOPE_REASONS:
        words += " (the saved token lacks the gmail.compose permission: run `thanknote auth`)"
    if status >= 500:
        return CallFailed(
            BUSY, words, status=status, reason=reason, retry_after=retry_after(error.resp)
        )
    return CallFailed(REFUSED, words, status=status, reason=reason)


def google_reasons(error: Any) -> tuple[list[str], str]:
    """The ``reason`` codes and message of a Google API error body."""
    try:
        body = json.loads(
            error.content.decode("utf-8") if isinstance(error.content, bytes) else error.content
        )
        payload = body["error"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return [], ""
    reasons: list[str] = []
    if isinstance(payload, dict):
        for item in list(payload.get("errors") or []) + list(payload.get("details") or []):
            if isinstance(item, dict) and isinstance(item.get("reason"), str):
                reasons.append(item["reason"])
        message = payload.get("message")
        return reasons, message if isinstance(message, str) else ""
    return reasons, str(payload)


def retry_after(response: Any) -> float | None:
    value = response.get("retry-after") if response is not None else None
    if not value:
        return None
    value = str(value).strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)
