"""Where Gmail API requests go and how they travel: the endpoint, and an HTTP that never re-sends.

``THANKNOTE_GMAIL_ENDPOINT`` moves the API root (a test double on this machine);
:func:`new_http` is the one HTTP connection pool a batch uses. httplib2 loads on
first use, not at import.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlsplit

from thanknote.errors import BadInput
from thanknote.settings import Variable

ENDPOINT_VARIABLE = Variable.GMAIL_ENDPOINT
HTTP_TIMEOUT_SECONDS = 60.0
"""Each socket operation's timeout (a whole call's is the sender's ``call_seconds``)."""


def check_endpoint(endpoint: str) -> str:
    """The API root override must be https, or http on this machine (a test double)."""
    from thanknote.senders.smtp.connection_settings import is_loopback

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


def new_http(timeout: float = HTTP_TIMEOUT_SECONDS) -> Any:
    """An ``httplib2.Http`` that never silently re-sends a request that may have had an effect.

    httplib2 treats a connection closed without an answer as a stale keep-alive and sends
    the request again, even a POST: a ``drafts.send`` whose answer was lost would be sent
    twice (the second finds the draft gone and answers 404), and a ``drafts.create`` could
    leave two drafts. Here a POST whose answer is lost raises :class:`AnswerLost` instead,
    and the sender decides (for ``drafts.send``, by asking whether the draft still exists).
    Setting ``httplib2.RETRIES = 1`` would not help: the stale-connection resend ignores it.
    """
    return _http_class()(timeout=timeout)


class AnswerLost(ConnectionResetError):
    """The server closed the connection after the request was sent, without answering."""


@functools.cache
def _http_class() -> Any:
    """httplib2.Http with connections that raise AnswerLost (built once, on first use)."""
    import http.client

    import httplib2

    class OneShot:
        """Mix-in for httplib2's connections: a lost answer to a POST is not a stale socket."""

        _thanknote_method = "GET"

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> None:
            self._thanknote_method = method.upper()
            super().request(method, url, *args, **kwargs)  # type: ignore[misc]

        def getresponse(self) -> Any:
            try:
                return super().getresponse()  # type: ignore[misc]
            except http.client.BadStatusLine as error:
                if self._thanknote_method in ("GET", "HEAD"):
                    raise  # harmless to repeat: let httplib2 retry a stale keep-alive
                # Not a BadStatusLine: httplib2 passes it on instead of re-sending.
                raise AnswerLost(
                    f"the server closed the connection without answering ({type(error).__name__})"
                ) from error

    class HTTPConnection(OneShot, httplib2.HTTPConnectionWithTimeout):  # type: ignore[misc]
        pass

    class HTTPSConnection(OneShot, httplib2.HTTPSConnectionWithTimeout):  # type: ignore[misc]
        pass

    connections = {"http": HTTPConnection, "https": HTTPSConnection}

    class Http(httplib2.Http):  # type: ignore[misc]
        def request(
            self,
            uri: str,
            method: str = "GET",
            body: Any = None,
            headers: Any = None,
            redirections: int = httplib2.DEFAULT_MAX_REDIRECTS,
            connection_type: Any = None,
        ) -> Any:
            if connection_type is None:
                connection_type = connections.get(uri.partition(":")[0].lower())
            return super().request(uri, method, body, headers, redirections, connection_type)

    return Http
