"""One Gmail API request, executed exactly once, within a deadline, its failure sorted.

``drafts.send`` is never given to the client library's own retries
(``execute(num_retries=...)``), and the HTTP layer does not silently re-send a
POST whose answer was lost (see :func:`thanknote.senders.gmail.transport.new_http`):
every repetition is the caller's decision, made from the failure's kind.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from typing import Any

from thanknote.senders.gmail.credentials import auth_required, scrub, secrets_of
from thanknote.senders.gmail.failures import (
    AUTH,
    LOST,
    UNREACHABLE,
    CallFailed,
    Stop,
    http_failure,
)
from thanknote.senders.gmail.transport import HTTP_TIMEOUT_SECONDS, AnswerLost

TIMEOUTS_BEFORE_STOP = 2
CALL_SECONDS = 90.0


class Watchdog:
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


class Calls:
    """Executes the batch's API requests; counts its timeouts (the second stops the batch)."""

    def __init__(
        self, *, timeout: float = HTTP_TIMEOUT_SECONDS, call_seconds: float = CALL_SECONDS
    ) -> None:
        self.timeout = timeout
        self.call_seconds = call_seconds
        """The longest one API call may take in all, however slowly its answer trickles."""
        self.http: Any = None
        """The ``httplib2.Http`` the requests go through (the watchdog shuts its sockets)."""
        self.credentials: Any = None
        """What is scrubbed from every message (the token, the refresh token, the secret)."""
        self.timeouts = 0

    def execute(self, request: Any, what: str) -> Any:
        """Execute ``request`` exactly once (no library retries); raise CallFailed."""
        import http.client

        import google.auth.exceptions
        import httplib2
        from googleapiclient.errors import HttpError

        watchdog = Watchdog(self.call_seconds, self.http)
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
            raise http_failure(error, what) from None
        except google.auth.exceptions.RefreshError as error:
            required = auth_required(error, self.credentials)
            raise CallFailed(
                AUTH, f"{required.message}; {required.hint}", reason="refresh"
            ) from None
        except google.auth.exceptions.TransportError as error:
            # Raised while refreshing the token, before the call itself was made.
            raise CallFailed(
                UNREACHABLE,
                f"{what}: cannot reach Google to refresh the token ({self.scrub(str(error))})",
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
                f"({self.scrub(str(error)) or type(error).__name__})",
            ) from None
        except TimeoutError as error:
            self.timeouts += 1
            words = f"{what}: {error or f'no answer within {self.timeout:g} s'}"
            if self.timeouts >= TIMEOUTS_BEFORE_STOP:
                raise Stop(
                    f"Gmail timed out {self.timeouts} times ({words})", not_done=False
                ) from None
            raise CallFailed(LOST, words) from None
        except AnswerLost:
            raise CallFailed(LOST, f"{what}: the connection closed before Gmail answered") from None
        except (OSError, httplib2.HttpLib2Error, http.client.HTTPException) as error:
            raise CallFailed(
                LOST,
                f"{what}: the connection failed ({self.scrub(str(error)) or type(error).__name__})",
            ) from None

    def scrub(self, text: str) -> str:
        return scrub(text, *secrets_of(self.credentials))
