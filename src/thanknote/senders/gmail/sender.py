"""Gmail delivery through the Gmail API: drafts, and sends that go through a draft.

``draft`` creates one draft per note. ``send`` creates the draft, has the send log
record its id, and only then calls ``drafts.send``: the draft is the note's
identity at Google. When Gmail's answer to ``drafts.send`` is unclear, ``drafts.get``
decides (see :mod:`thanknote.senders.gmail.drafts`), so a retry never sends a
note twice, and neither does a rerun after a crash (the log hands the draft's id
back).

``drafts.send`` is called only once the send log has recorded the draft's id, so a
run killed before that did not send the note: the rerun sends it, first deleting
any draft that run left, found by the note's Message-ID (``drafts.list`` with
``rfc822msgid:``). Ctrl-C, a second timeout, a rate limit longer than thanknote
waits and an unreachable API stop the batch with the note in hand recorded as
it truly is (``failed`` while no ``drafts.send`` may have happened).

Google's client libraries are imported inside :meth:`GmailSender.open`:
importing this module costs nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import Any

from thanknote.errors import BadInput
from thanknote.interrupt import Interrupted, interruptible
from thanknote.paths import gmail_token_path
from thanknote.retry import Backoff
from thanknote.senders.base import (
    FatalSenderError,
    Outcome,
    Outgoing,
)
from thanknote.senders.gmail.calls import CALL_SECONDS, Calls
from thanknote.senders.gmail.credentials import load_credentials, save_credentials
from thanknote.senders.gmail.drafts import DraftRequests, Stage, reply, stray_warning
from thanknote.senders.gmail.failures import CallFailed, Stop, fatal
from thanknote.senders.gmail.transport import (
    ENDPOINT_VARIABLE,
    HTTP_TIMEOUT_SECONDS,
    check_endpoint,
    new_http,
)
from thanknote.settings import read
from thanknote.values import Status

SENDING_STATES = frozenset({Status.SENDING, Status.UNKNOWN})


class GmailSender:
    via = "gmail"

    def __init__(
        self,
        purpose: str,
        *,
        token_path: Path | None = None,
        endpoint: str | None = None,
        backoff: Backoff | None = None,
        timeout: float = HTTP_TIMEOUT_SECONDS,
        call_seconds: float = CALL_SECONDS,
    ) -> None:
        if purpose not in ("draft", "send"):
            raise ValueError(f"purpose must be draft or send, not {purpose!r}")
        self.purpose = purpose
        self.token_path = token_path or gmail_token_path()
        self.endpoint = check_endpoint(endpoint) if endpoint else None
        self.backoff = backoff or Backoff()
        self.calls = Calls(timeout=timeout, call_seconds=call_seconds)
        self.credentials: Any = None
        self.service: Any = None
        self.drafts: Any = None
        """The ``users().drafts()`` resource, built once per batch."""
        self.requests: DraftRequests | None = None
        self._stage = Stage()
        self._http: Any = None
        self._saved_token: str | None = None

    @classmethod
    def from_environment(cls, purpose: str) -> GmailSender:
        return cls(purpose, endpoint=read(ENDPOINT_VARIABLE))

    def open(self) -> None:
        """Load (and if need be refresh) the token and build the client; nothing is sent.

        Opening twice is opening once: the CLI opens early to find a missing or
        revoked token before it asks the user to confirm.
        """
        if self.service is not None:
            return
        import google_auth_httplib2
        from googleapiclient.discovery import build

        self._http = new_http(self.calls.timeout)
        self.credentials = load_credentials(self.token_path, http=self._http)
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
        self.calls.http, self.calls.credentials = self._http, self.credentials
        self.requests = DraftRequests(self.drafts, self.calls, self.backoff, self._stage)

    def close(self) -> None:
        """Save a token refreshed during the batch; never raises."""
        credentials = self.credentials
        if credentials is not None and credentials.token != self._saved_token:
            try:
                save_credentials(credentials, self.token_path)
                self._saved_token = credentials.token
            except BadInput:
                pass  # the next run refreshes the token again
        if self._http is not None:
            with contextlib.suppress(OSError):
                self._http.close()  # httplib2: closes the kept-alive connections
        self._http = None
        self.service = None
        self.drafts = None
        self.requests = None

    def deliver(self, outgoing: Outgoing) -> Outcome:
        if self.service is None:
            self.open()
        self._stage.at("create")
        try:
            with interruptible():
                return self._deliver(outgoing)
        except KeyboardInterrupt:
            raise Interrupted(self._stopped("interrupted (Ctrl-C)")) from None
        except Stop as stop:
            raise FatalSenderError(
                f"stopped: {stop.words}", self._stopped(stop.words, not_done=stop.not_done)
            ) from None

    @property
    def _drafts(self) -> DraftRequests:
        if self.requests is None:
            raise RuntimeError("GmailSender: deliver before open")
        return self.requests

    def _stopped(self, why: str, *, not_done: bool = False) -> Outcome:
        """The true state of the note in hand when the batch stops at this point."""
        stage = self._stage
        draft_id = stage.draft_id
        if stage.step == "create":
            return Outcome(
                Status.FAILED,
                f"{why} before Gmail confirmed a draft; nothing was sent (a "
                "rerun deletes a draft left behind and sends the note)",
            )
        if stage.step == "created" or (stage.step == "check" and not stage.in_flight):
            return Outcome(
                Status.FAILED, f"{why}; Gmail draft {draft_id} was not sent", gmail_id=draft_id
            )
        if stage.step == "send" and not_done:
            return Outcome(
                Status.FAILED,
                f"{why}; Gmail draft {draft_id} was not sent and is still in your drafts",
                gmail_id=draft_id,
            )
        return Outcome(
            Status.UNKNOWN,
            f"{why} while Gmail draft {draft_id} was being sent; a rerun "
            "checks the draft and sends it only if it is still there",
            gmail_id=draft_id,
        )

    def _deliver(self, outgoing: Outgoing) -> Outcome:
        if outgoing.gmail_id:
            return self._resume(outgoing, outgoing.gmail_id)
        cleared = self._drafts.clear_strays(outgoing.stray_message_ids)
        if cleared:  # said now: a sent note's detail is not printed
            self.backoff.announce(f"note: {outgoing.prepared.recipient}{cleared}")
        created = self._drafts.create(outgoing)
        if isinstance(created, Outcome):
            return created
        self._stage.at("created", created.draft_id)
        if cleared:
            created = dataclasses.replace(created, cleared=cleared)
        if self.purpose == "draft":
            detail = f"Gmail draft {created.draft_id}{created.cleared}"
            if created.maybe_stray:
                detail += f"; {stray_warning()}"
            return Outcome(
                Status.DRAFTED,
                detail,
                gmail_id=created.draft_id,
                attempts=created.attempts,
                thread_id=created.thread_id,
            )
        # The log must know the draft before it is sent: a crash from here on is resumable.
        outgoing.record_gmail_id(created.draft_id)
        outcome = self._drafts.send(created.draft_id, reply(outgoing))
        if outcome.status == Status.SENT and (created.maybe_stray or created.cleared):
            warning = f"; {stray_warning()}" if created.maybe_stray else ""
            outcome = Outcome(
                Status.SENT,
                f"{outcome.detail}{created.cleared}{warning}",
                gmail_id=outcome.gmail_id,
                attempts=outcome.attempts,
                thread_id=outcome.thread_id,
            )
        if outcome.thread_id is None and created.thread_id is not None:
            outcome = dataclasses.replace(outcome, thread_id=created.thread_id)
        return outcome

    def _resume(self, outgoing: Outgoing, draft_id: str) -> Outcome:
        """Continue from a draft the log already knows (made by `draft`, or an interrupted send)."""
        # Which log state the id came from. A draft handed to drafts.send by an interrupted
        # run ("in flight") that is now gone was sent by that run; one made by `thanknote
        # draft` (or left by a failed send) that is gone was sent or deleted by the user.
        # Batch code that does not say (no resumed_status) gets the spec's rule: gone = sent.
        resumed_status = outgoing.resumed_status
        in_flight = resumed_status is None or resumed_status in SENDING_STATES
        to = outgoing.prepared.recipient
        self._stage.at("check", draft_id, in_flight=in_flight)
        try:
            exists = self._drafts.exists(draft_id)
        except CallFailed as failure:  # AUTH
            raise fatal(failure, Status.UNKNOWN if in_flight else Status.FAILED, draft_id) from None
        if exists is None:
            words = f"could not check Gmail draft {draft_id}; nothing was sent this time"
            if in_flight:
                return Outcome(
                    Status.UNKNOWN,
                    f"{words}, and an interrupted run may have sent it; a rerun checks again",
                    gmail_id=draft_id,
                    attempts=0,
                )
            return Outcome(
                Status.FAILED, f"{words}; a rerun checks again", gmail_id=draft_id, attempts=0
            )
        if not exists:
            if in_flight:
                return Outcome(
                    Status.SENT,
                    f"Gmail draft {draft_id} from an interrupted run is gone: that run sent it",
                    gmail_id=draft_id,
                    attempts=0,
                )
            return Outcome(
                Status.UNKNOWN,
                f"Gmail draft {draft_id} is no longer in Gmail: it was sent "
                "or deleted there, so thanknote does not send a second copy; check "
                f"your Sent folder, then use --resend {to} for a fresh one",
                attempts=0,
            )
        self._stage.at("created", draft_id)
        if not in_flight:
            # From here on a crash must resume this draft as a send in progress.
            outgoing.record_gmail_id(draft_id)
        if self.purpose == "draft":
            return Outcome(
                Status.DRAFTED, f"Gmail draft {draft_id} (kept)", gmail_id=draft_id, attempts=0
            )
        return self._drafts.send(draft_id)
