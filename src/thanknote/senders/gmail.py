"""Gmail delivery through the Gmail API: drafts, and sends that go through a draft.

``draft`` creates one draft per note. ``send`` creates the draft, has the send log
record its id, and only then calls ``drafts.send``: the draft is the note's
identity at Google. When Gmail's answer to ``drafts.send`` is unclear (a timeout,
a lost connection, a 5xx, or a 404 for a draft that existed a moment ago),
``drafts.get`` decides: a draft that still exists was not sent, and is sent
again; a draft that is gone was sent. So a retry never sends a note twice, and
neither does a rerun after a crash (the log hands the draft's id back).

``drafts.send`` is called only once the send log has recorded the draft's id, so a
run killed before that did not send the note: the rerun sends it, first deleting
any draft that run left, found by the note's Message-ID (``drafts.list`` with
``rfc822msgid:``). Ctrl-C, a second timeout, a rate limit longer than thanknote
waits and an unreachable API stop the batch with the note in hand recorded as
it truly is (``failed`` while no ``drafts.send`` may have happened).

``drafts.send`` is never given to the client library's own retries
(``execute(num_retries=...)``), and the HTTP layer does not silently re-send a
POST whose answer was lost (see :func:`thanknote.gmail_auth.new_http`).

Google's client libraries are imported inside methods: importing this module
costs nothing.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import socket
import ssl
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from thanknote import gmail_auth
from thanknote.errors import BadInput
from thanknote.interrupt import Interrupted, interruptible
from thanknote.paths import gmail_token_path
from thanknote.retry import Backoff, RateLimitTooLong
from thanknote.senders.base import (
    DRAFTED,
    FAILED,
    SENT,
    UNKNOWN,
    FatalSenderError,
    Outcome,
    Outgoing,
)
from thanknote.settings import Variable, read
from thanknote.status import SENDING

ENDPOINT_VARIABLE = Variable.GMAIL_ENDPOINT
RATE_REASONS = frozenset({"ratelimitexceeded", "userratelimitexceeded"})
SCOPE_REASONS = frozenset({"insufficientpermissions", "accesstokenscopeinsufficient"})
SENDING_STATES = frozenset({SENDING, UNKNOWN})
TIMEOUTS_BEFORE_STOP = 2
CALL_SECONDS = 90.0

# How a call went wrong, which decides what may be done next.
RATE = "rate"  # 429 / 403 rate limit: not done; wait (Retry-After) and repeat
BUSY = "busy"  # 5xx: may or may not have been done
LOST = "lost"  # no answer (timeout, connection lost): may or may not have been done
UNREACHABLE = "unreachable"  # the request never left (refused, DNS, refresh unreachable)
REFUSED = "refused"  # a definite answer: 400, 403, 404, ...; not done
AUTH = "auth"  # the token is no longer accepted: no call can succeed


def check_endpoint(endpoint: str) -> str:
    """The API root override must be https, or http on this machine (a test double)."""
    from thanknote.senders.smtp import is_loopback

    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"{ENDPOINT_VARIABLE} must be an http(s) URL, not {endpoint!r}")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise BadInput(
            f"{ENDPOINT_VARIABLE}={endpoint} would send your Gmail token "
            "unencrypted; plain http is allowed only for a server on this machine "
            "(localhost, 127.0.0.1, ::1)"
        )
    return endpoint


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


class _Stop(Exception):
    """No further note can go out now (timeouts, a long rate limit, the API unreachable)."""

    def __init__(self, words: str, *, not_done: bool) -> None:
        super().__init__(words)
        self.words = words
        self.not_done = not_done
        """The last call certainly had no effect (a rate limit; the API unreachable)."""


class _Watchdog:
    """Shuts the HTTP connections' sockets once a call has run ``seconds`` (until stopped).

    httplib2's timeout bounds each socket operation, not the call: an answer that
    trickles in a byte at a time would never time out.
    """

    def __init__(self, seconds: float, http: Any) -> None:
        self.expired = False
        self._http = http
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(seconds,), daemon=True)
        self._thread.start()

    def _run(self, seconds: float) -> None:
        if self._done.wait(seconds):
            return
        self.expired = True
        while True:  # again and again: httplib2 reconnects once for a GET
            for connection in list(getattr(self._http, "connections", {}).values()):
                sock = getattr(connection, "sock", None)
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
            if self._done.wait(0.05):
                return

    def stop(self) -> None:
        self._done.set()


@dataclass
class _Stage:
    """Where the note in hand is: what a stop or a Ctrl-C leaves it as."""

    step: str = "create"
    """``create`` (no draft known), ``created`` (a draft, not yet sent), ``check`` (asking
    whether a known draft exists), ``send`` (drafts.send may have been called)."""
    draft_id: str | None = None
    in_flight: bool = False
    """``check`` of a draft an interrupted run handed to drafts.send."""


@dataclass
class _Created:
    draft_id: str
    attempts: int
    maybe_stray: bool
    """An earlier attempt's answer was lost: Gmail may hold a second copy of the draft."""
    thread_id: str | None = None
    cleared: str = ""
    """What was done about drafts an interrupted run left (for the outcome's detail)."""


class GmailSender:
    via = "gmail"

    def __init__(
        self,
        purpose: str,
        *,
        token_path: Path | None = None,
        endpoint: str | None = None,
        backoff: Backoff | None = None,
        timeout: float = gmail_auth.HTTP_TIMEOUT_SECONDS,
        call_seconds: float = CALL_SECONDS,
    ) -> None:
        if purpose not in ("draft", "send"):
            raise ValueError(f"purpose must be draft or send, not {purpose!r}")
        self.purpose = purpose
        self.token_path = token_path or gmail_token_path()
        self.endpoint = check_endpoint(endpoint) if endpoint else None
        self.backoff = backoff or Backoff()
        self.timeout = timeout
        self.call_seconds = call_seconds
        """The longest one API call may take in all, however slowly its answer trickles."""
        self.credentials: Any = None
        self.service: Any = None
        self.drafts: Any = None
        """The ``users().drafts()`` resource, built once per batch."""
        self.timeouts = 0
        self._stage = _Stage()
        self._http: Any = None
        self._saved_token: str | None = None

    @classmethod
    def from_environment(cls, purpose: str) -> GmailSender:
        return cls(purpose, endpoint=read(ENDPOINT_VARIABLE))

    # -- session ---------------------------------------------------------------------------

    def open(self) -> None:
        """Load (and if need be refresh) the token and build the client; nothing is sent.

        Opening twice is opening once: the CLI opens early to find a missing or
        revoked token before it asks the user to confirm.
        """
        if self.service is not None:
            return
        import google_auth_httplib2
        from googleapiclient.discovery import build

        self._http = gmail_auth.new_http(self.timeout)
        self.credentials = gmail_auth.load_credentials(self.token_path, http=self._http)
        self._saved_token = self.credentials.token
        authorized = google_auth_httplib2.AuthorizedHttp(self.credentials, http=self._http)
        options = {"api_endpoint": self.endpoint} if self.endpoint else None
        # The discovery document ships with the client: no network fetch, no cache file.
        self.service = build(
            "gmail",
            "v1",
            http=authorized,
            static_discovery=True,
            cache_discovery=False,
            client_options=options,
        )
        self.drafts = self.service.users().drafts()

    def close(self) -> None:
        """Save a token refreshed during the batch; never raises."""
        credentials = self.credentials
        if credentials is not None and credentials.token != self._saved_token:
            try:
                gmail_auth.save_credentials(credentials, self.token_path)
                self._saved_token = credentials.token
            except BadInput:
                pass  # the next run refreshes the token again
        if self._http is not None:
            with contextlib.suppress(OSError):
                self._http.close()  # httplib2: closes the kept-alive connections
        self.service = None
        self.drafts = None

    # -- delivery --------------------------------------------------------------------------

    def deliver(self, outgoing: Outgoing) -> Outcome:
        if self.service is None:
            self.open()
        self._stage = _Stage()
        try:
            with interruptible():
                return self._deliver(outgoing)
        except KeyboardInterrupt:
            raise Interrupted(self._stopped("interrupted (Ctrl-C)")) from None
        except _Stop as stop:
            raise FatalSenderError(
                f"stopped: {stop.words}", self._stopped(stop.words, not_done=stop.not_done)
            ) from None

    def _stopped(self, why: str, *, not_done: bool = False) -> Outcome:
        """The true state of the note in hand when the batch stops at this point."""
        stage = self._stage
        draft_id = stage.draft_id
        if stage.step == "create":
            return Outcome(
                FAILED,
                f"{why} before Gmail confirmed a draft; nothing was sent (a "
                "rerun deletes a draft left behind and sends the note)",
            )
        if stage.step == "created" or (stage.step == "check" and not stage.in_flight):
            return Outcome(FAILED, f"{why}; Gmail draft {draft_id} was not sent", gmail_id=draft_id)
        if stage.step == "send" and not_done:
            return Outcome(
                FAILED,
                f"{why}; Gmail draft {draft_id} was not sent and is still in your drafts",
                gmail_id=draft_id,
            )
        return Outcome(
            UNKNOWN,
            f"{why} while Gmail draft {draft_id} was being sent; a rerun "
            "checks the draft and sends it only if it is still there",
            gmail_id=draft_id,
        )

    def _deliver(self, outgoing: Outgoing) -> Outcome:
        if outgoing.gmail_id:
            return self._resume(outgoing, outgoing.gmail_id)
        cleared = self._clear_strays(outgoing.stray_message_ids)
        if cleared:  # said now: a sent note's detail is not printed
            self.backoff.announce(f"note: {outgoing.prepared.recipient}{cleared}")
        created = self._create(outgoing)
        if isinstance(created, Outcome):
            return created
        self._stage = _Stage("created", created.draft_id)
        if cleared:
            created = dataclasses.replace(created, cleared=cleared)
        if self.purpose == "draft":
            detail = f"Gmail draft {created.draft_id}{created.cleared}"
            if created.maybe_stray:
                detail += f"; {_stray_warning()}"
            return Outcome(
                DRAFTED,
                detail,
                gmail_id=created.draft_id,
                attempts=created.attempts,
                thread_id=created.thread_id,
            )
        # The log must know the draft before it is sent: a crash from here on is resumable.
        outgoing.record_gmail_id(created.draft_id)
        outcome = self._send(created.draft_id, _reply(outgoing))
        if outcome.status == SENT and (created.maybe_stray or created.cleared):
            warning = f"; {_stray_warning()}" if created.maybe_stray else ""
            outcome = Outcome(
                SENT,
                f"{outcome.detail}{created.cleared}{warning}",
                gmail_id=outcome.gmail_id,
                attempts=outcome.attempts,
                thread_id=outcome.thread_id,
            )
        if outcome.thread_id is None and created.thread_id is not None:
            outcome = dataclasses.replace(outcome, thread_id=created.thread_id)
        return outcome

    def _clear_strays(self, message_ids: tuple[str, ...]) -> str:
        """Delete the unsent drafts an interrupted run left for this note; say what was done.

        Such a run never called drafts.send (the log would hold the draft's id), so a
        draft with the note's Message-ID is an unsent copy: deleting it before creating
        the new draft leaves exactly one.
        """
        if not message_ids:
            return ""
        deleted = 0
        try:
            for message_id in message_ids:
                query = f"rfc822msgid:{message_id.strip('<>')}"
                answer = self._call(self.drafts.list(userId="me", q=query), "drafts.list")
                found = answer.get("drafts") if isinstance(answer, dict) else None
                for draft in found if isinstance(found, list) else []:
                    stray = draft.get("id") if isinstance(draft, dict) else None
                    if isinstance(stray, str) and stray:
                        self._call(self.drafts.delete(userId="me", id=stray), "drafts.delete")
                        deleted += 1
        except CallFailed as failure:
            if failure.kind == AUTH:
                raise self._fatal(failure, FAILED, None) from None
            return (
                f"; an interrupted run may have left an unsent copy of this draft, and "
                f"thanknote could not look for it ({failure.words}): delete it if you see "
                "one"
            )
        if not deleted:
            return ""
        return f"; deleted {deleted} unsent draft(s) an interrupted run had left"

    def _resume(self, outgoing: Outgoing, draft_id: str) -> Outcome:
        """Continue from a draft the log already knows (made by `draft`, or an interrupted send)."""
        # Which log state the id came from. A draft handed to drafts.send by an interrupted
        # run ("in flight") that is now gone was sent by that run; one made by `thanknote
        # draft` (or left by a failed send) that is gone was sent or deleted by the user.
        # Batch code that does not say (no resumed_status) gets the spec's rule: gone = sent.
        resumed_status = outgoing.resumed_status
        in_flight = resumed_status is None or resumed_status in SENDING_STATES
        to = outgoing.prepared.recipient
        self._stage = _Stage("check", draft_id, in_flight)
        try:
            exists = self._draft_exists(draft_id)
        except CallFailed as failure:  # AUTH
            raise self._fatal(failure, UNKNOWN if in_flight else FAILED, draft_id) from None
        if exists is None:
            words = f"could not check Gmail draft {draft_id}; nothing was sent this time"
            if in_flight:
                return Outcome(
                    UNKNOWN,
                    f"{words}, and an interrupted run may have sent it; a rerun checks again",
                    gmail_id=draft_id,
                    attempts=0,
                )
            return Outcome(FAILED, f"{words}; a rerun checks again", gmail_id=draft_id, attempts=0)
        if not exists:
            if in_flight:
                return Outcome(
                    SENT,
                    f"Gmail draft {draft_id} from an interrupted run is gone: that run sent it",
                    gmail_id=draft_id,
                    attempts=0,
                )
            return Outcome(
                UNKNOWN,
                f"Gmail draft {draft_id} is no longer in Gmail: it was sent "
                "or deleted there, so thanknote does not send a second copy; check "
                f"your Sent folder, then use --resend {to} for a fresh one",
                attempts=0,
            )
        self._stage = _Stage("created", draft_id)
        if not in_flight:
            # From here on a crash must resume this draft as a send in progress.
            outgoing.record_gmail_id(draft_id)
        if self.purpose == "draft":
            return Outcome(DRAFTED, f"Gmail draft {draft_id} (kept)", gmail_id=draft_id, attempts=0)
        return self._send(draft_id)

    def _create(self, outgoing: Outgoing) -> _Created | Outcome:
        body = {"message": _reply(outgoing) or {"raw": _raw(outgoing)}}
        maybe_stray = False
        last = ""
        attempts = self.backoff.attempts
        for attempt in range(1, attempts + 1):
            try:
                draft = self._call(self.drafts.create(userId="me", body=body), "drafts.create")
            except CallFailed as failure:
                if failure.kind == AUTH:
                    raise self._fatal(failure, FAILED, None) from None
                if failure.kind == REFUSED:
                    return Outcome(
                        FAILED, f"Gmail refused the draft: {failure.words}", attempts=attempt
                    )
                maybe_stray = maybe_stray or failure.unclear
                last = failure.words
                self._wait(attempt, failure)
                continue
            draft_id = draft.get("id") if isinstance(draft, dict) else None
            if not isinstance(draft_id, str) or not draft_id:
                return Outcome(
                    FAILED, "Gmail answered drafts.create without a draft id", attempts=attempt
                )
            message = draft.get("message")
            thread_id = message.get("threadId") if isinstance(message, dict) else None
            return _Created(
                draft_id,
                attempt,
                maybe_stray,
                thread_id if isinstance(thread_id, str) and thread_id else None,
            )
        detail = f"Gmail did not create the draft after {attempts} attempts ({last})"
        if maybe_stray:
            detail += f"; {_stray_warning()}"
        return Outcome(FAILED, detail, attempts=attempts)

    def _send(self, draft_id: str, message: dict[str, str] | None = None) -> Outcome:
        """Send the draft; ``message`` (its own raw bytes and thread) keeps a reply threaded."""
        attempts = self.backoff.attempts
        last = ""
        body: dict[str, Any] = {"id": draft_id, **({"message": message} if message else {})}
        for attempt in range(1, attempts + 1):
            self._stage = _Stage("send", draft_id)
            try:
                answer = self._call(self.drafts.send(userId="me", body=body), "drafts.send")
                thread_id = answer.get("threadId") if isinstance(answer, dict) else None
                return Outcome(
                    SENT,
                    f"sent Gmail draft {draft_id}",
                    gmail_id=draft_id,
                    attempts=attempt,
                    thread_id=thread_id if isinstance(thread_id, str) else None,
                )
            except CallFailed as failure:
                if failure.kind == AUTH:
                    # Refused before anything happened: the draft is still there.
                    raise self._fatal(failure, FAILED, draft_id) from None
                if failure.kind == REFUSED and failure.status != 404:
                    return Outcome(
                        FAILED,
                        f"Gmail refused to send draft {draft_id}: "
                        f"{failure.words}; the draft is still in your Gmail drafts",
                        gmail_id=draft_id,
                        attempts=attempt,
                    )
                last = failure.words
                if failure.unclear or failure.status == 404:
                    # A 404 for a draft that existed: typically an earlier attempt went through.
                    try:
                        exists = self._draft_exists(draft_id)
                    except CallFailed as auth_failure:
                        raise self._fatal(auth_failure, UNKNOWN, draft_id) from None
                    if exists is False:
                        return Outcome(
                            SENT,
                            f"Gmail did not confirm sending draft {draft_id} "
                            f"({failure.words}), but the draft is gone: it was sent",
                            gmail_id=draft_id,
                            attempts=attempt,
                        )
                    if exists is None:
                        return Outcome(
                            UNKNOWN,
                            f"Gmail did not confirm sending draft {draft_id} "
                            f"({failure.words}) and could not say whether it is still a draft; "
                            "a rerun checks the draft and sends it only if it is still there",
                            gmail_id=draft_id,
                            attempts=attempt,
                        )
                self._wait(attempt, failure)
        return Outcome(
            FAILED,
            f"not sent after {attempts} attempts ({last}); Gmail draft "
            f"{draft_id} is still in your drafts",
            gmail_id=draft_id,
            attempts=attempts,
        )

    def _draft_exists(self, draft_id: str) -> bool | None:
        """True / False when Gmail says so; None when it would not answer. Raises on AUTH.

        Only an answer that is the draft (its id) means it exists: anything else
        (an empty or unparseable body) is no answer, and is asked again.
        """
        attempts = self.backoff.attempts
        for attempt in range(1, attempts + 1):
            try:
                answer = self._call(
                    self.drafts.get(userId="me", id=draft_id, format="minimal"), "drafts.get"
                )
                if isinstance(answer, dict) and answer.get("id") == draft_id:
                    return True
                raise CallFailed(
                    LOST,
                    f"drafts.get: an answer that is not draft {draft_id} ({str(answer)[:80]!r})",
                )
            except CallFailed as failure:
                if failure.status == 404:
                    return False
                if failure.kind == AUTH:
                    raise
                if failure.kind == REFUSED:
                    return None
                self._wait(attempt, failure, effect_known=False)
        return None

    def _wait(self, attempt: int, failure: CallFailed, *, effect_known: bool = True) -> None:
        """Wait before the next attempt (announced, capped); stop the batch where waiting is
        pointless: after the last attempt when the API cannot be reached, or when Gmail asks
        for a longer wait than thanknote makes. ``effect_known``: the failed call is the
        note's own create or send (not a check), so RATE and UNREACHABLE mean "not done"."""
        if attempt >= self.backoff.attempts:
            if failure.kind == UNREACHABLE:
                raise _Stop(
                    f"the Gmail API cannot be reached ({failure.words})", not_done=effect_known
                )
            return
        why = (
            f"rate limited by Gmail: {failure.words}"
            if failure.kind == RATE
            else f"retrying: {failure.words}"
        )
        try:
            self.backoff.sleep(attempt, failure.retry_after, why=why)
        except RateLimitTooLong as too_long:
            raise _Stop(
                f"Gmail rate-limits this account ({too_long})",
                not_done=effect_known and failure.kind == RATE,
            ) from None

    # -- one call, and what its failure means ----------------------------------------------

    def _call(self, request: Any, what: str) -> Any:
        """Execute ``request`` exactly once (no library retries); raise CallFailed."""
        import http.client

        import google.auth.exceptions
        import httplib2
        from googleapiclient.errors import HttpError

        watchdog = _Watchdog(self.call_seconds, self._http)
        try:
            try:
                return request.execute(num_retries=0)
            except HttpError:
                raise
            except Exception:
                if watchdog.expired:  # the call's sockets were shut at its deadline
                    raise TimeoutError(f"no answer within {self.call_seconds:g} s") from None
                raise
            finally:
                watchdog.stop()
        except HttpError as error:
            raise _http_failure(error, what) from None
        except google.auth.exceptions.RefreshError as error:
            required = gmail_auth.auth_required(error, self.credentials)
            raise CallFailed(
                AUTH, f"{required.message}; {required.hint}", reason="refresh"
            ) from None
        except google.auth.exceptions.TransportError as error:
            # Raised while refreshing the token, before the call itself was made.
            raise CallFailed(
                UNREACHABLE,
                f"{what}: cannot reach Google to refresh the token ({self._scrub(str(error))})",
            ) from None
        except ssl.SSLCertVerificationError as error:
            raise CallFailed(
                UNREACHABLE,
                f"{what}: the certificate of the Gmail API server is "
                f"not trusted ({error.verify_message})",
            ) from None
        except (ConnectionRefusedError, httplib2.ServerNotFoundError) as error:
            raise CallFailed(
                UNREACHABLE,
                f"{what}: cannot connect to the Gmail API "
                f"({self._scrub(str(error)) or type(error).__name__})",
            ) from None
        except TimeoutError as error:
            self.timeouts += 1
            words = f"{what}: {error or f'no answer within {self.timeout:g} s'}"
            if self.timeouts >= TIMEOUTS_BEFORE_STOP:
                raise _Stop(
                    f"Gmail timed out {self.timeouts} times ({words})", not_done=False
                ) from None
            raise CallFailed(LOST, words) from None
        except gmail_auth.AnswerLost:
            raise CallFailed(LOST, f"{what}: the connection closed before Gmail answered") from None
        except (OSError, httplib2.HttpLib2Error, http.client.HTTPException) as error:
            raise CallFailed(
                LOST,
                f"{what}: the connection failed "
                f"({self._scrub(str(error)) or type(error).__name__})",
            ) from None

    def _scrub(self, text: str) -> str:
        return gmail_auth.scrub(text, *gmail_auth.secrets_of(self.credentials))

    def _fatal(self, failure: CallFailed, status: str, draft_id: str | None) -> FatalSenderError:
        message = failure.words
        if failure.reason != "refresh":
            message = (
                f"Gmail no longer accepts the saved token ({failure.words}); "
                f"{gmail_auth.RUN_AUTH}. Note: {gmail_auth.TESTING_EXPIRY}"
            )
        detail = message
        if status == UNKNOWN and draft_id:
            detail = (
                f"{message}. Whether Gmail draft {draft_id} was sent is not known; after "
                "`thanknote auth`, a rerun checks it and sends it only if it is still a "
                "draft"
            )
        return FatalSenderError(
            message, Outcome(status, detail, gmail_id=draft_id), needs_auth=True
        )


def _http_failure(error: Any, what: str) -> CallFailed:
    status = int(error.resp.status)
    reasons, message = _google_reasons(error)
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
            RATE, words, status=status, reason=reason, retry_after=_retry_after(error.resp)
        )
    if status == 403 and folded & SCOPE_REASONS:
        words += " (the saved token lacks the gmail.compose permission: run `thanknote auth`)"
    if status >= 500:
        return CallFailed(
            BUSY, words, status=status, reason=reason, retry_after=_retry_after(error.resp)
        )
    return CallFailed(REFUSED, words, status=status, reason=reason)


def _google_reasons(error: Any) -> tuple[list[str], str]:
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


def _retry_after(response: Any) -> float | None:
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


def _raw(outgoing: Outgoing) -> str:
    return base64.urlsafe_b64encode(outgoing.prepared.as_bytes()).decode("ascii")


def _reply(outgoing: Outgoing) -> dict[str, str] | None:
    """The message with the thread it answers, for a reply (a follow-up); else None.

    Gmail files a message in a thread only when the request names the thread and
    the message's References and Subject match it.
    """
    thread_id = outgoing.prepared.note.thread_id
    return {"raw": _raw(outgoing), "threadId": thread_id} if thread_id else None


def _stray_warning() -> str:
    return (
        "an earlier attempt's answer was lost, so Gmail may hold a second, unsent copy of "
        "this draft: delete it if you see one"
    )
