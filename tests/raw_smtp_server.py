"""A misbehaving SMTP server on a raw socket, for the faults aiosmtpd will not commit.

It speaks enough SMTP for smtplib (greeting, EHLO, MAIL, RCPT, DATA, RSET,
NOOP, QUIT; no AUTH and no TLS, so the client runs with
``--smtp-security none``), and misbehaves in one chosen way:

* ``normal`` -- answers properly (250 after the data);
* ``garbage_after_data`` -- answers the end of the data with a line that is no reply;
* ``slow_data`` -- never answers the end of the data (holds the connection);
* ``slow_mail`` -- never answers MAIL FROM (nothing handed over yet);
* ``drop_mail`` -- closes the connection at MAIL FROM (on every session);
* ``stream_ehlo`` / ``stream_after_data`` -- answers with ``250-`` lines that never end;
* ``no_greeting`` -- accepts the connection and says nothing.

Everything is bounded: each connection thread stops when the client goes away,
when the server closes, or after ``stream_limit`` bytes of streamed reply; every
wait ends when the server closes. Loopback only.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

BEHAVIOURS = frozenset(
    {
        "normal",
        "garbage_after_data",
        "slow_data",
        "slow_mail",
        "drop_mail",
        "stream_ehlo",
        "stream_after_data",
        "no_greeting",
    }
)


class RawSmtpServer:
    """``with RawSmtpServer("slow_data") as server:`` ... ``server.port`` ..."""

    def __init__(
        self,
        behaviour: str = "normal",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        stream_limit: int = 64 * 1024 * 1024,
        close_after: int | None = None,
    ) -> None:
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}")
        self.behaviour = behaviour
        self.stream_limit = stream_limit
        self.close_after = close_after
        """After this many messages, drop every connection and stop accepting new ones."""
        self.received: list[bytes] = []
        """Every message whose final dot arrived (whatever the server then answered)."""
        self.data_started = threading.Event()
        """Set when a message's data has been read to its final dot."""
        self.streamed = 0
        """Bytes of never-ending reply sent, over all connections."""
        self.connections = 0
        self.lock = threading.Lock()
        self._closing = threading.Event()
        self._clients: set[socket.socket] = set()
        self._listener = socket.create_server((host, port))
        self._listener.settimeout(0.1)
        self.host, self.port = self._listener.getsockname()[:2]
        self._thread = threading.Thread(target=self._accept, name="RawSmtp", daemon=True)

    def __enter__(self) -> RawSmtpServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._closing.set()
        self.stop_accepting()
        with self.lock:
            clients = list(self._clients)
        for client in clients:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)

    def stop_accepting(self) -> None:
        """Close the listening socket: new connections are refused (a stopped server)."""
        with contextlib.suppress(OSError):
            self._listener.close()

    # -- plumbing ---------------------------------------------------------------------------

    def _accept(self) -> None:
        workers = []
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break  # the listener was closed
            with self.lock:
                self.connections += 1
                self._clients.add(client)
            worker = threading.Thread(target=self._serve, args=(client,), daemon=True)
            worker.start()
            workers.append(worker)
        for worker in workers:
            worker.join(timeout=5)

    def _hold(self) -> None:
        self._closing.wait(60)

    def _serve(self, client: socket.socket) -> None:
        reader = client.makefile("rb")
        try:
            self._dialogue(client, reader)
        except OSError:
            pass
        finally:
            with self.lock:
                self._clients.discard(client)
            with contextlib.suppress(OSError):
                reader.close()
                client.close()

    def _stream(self, client: socket.socket) -> None:
        line = b"250-" + b"x" * 70 + b"\r\n"
        while self.streamed < self.stream_limit and not self._closing.is_set():
            client.sendall(line * 100)
            with self.lock:
                self.streamed += len(line) * 100

    def _dialogue(self, client: socket.socket, reader: Any) -> None:
        def say(text: str) -> None:
            client.sendall(text.encode() + b"\r\n")

        if self.behaviour == "no_greeting":
            self._hold()
            return
        say("220 raw.test ESMTP misbehaving test server")
        while not self._closing.is_set():
            line = reader.readline(4096)
            if not line:
                return
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb in (b"EHLO", b"HELO"):
                if self.behaviour == "stream_ehlo":
                    self._stream(client)
                    return
                say("250-raw.test\r\n250 8BITMIME")
            elif verb == b"MAIL":
                if self.behaviour == "slow_mail":
                    self._hold()
                    return
                if self.behaviour == "drop_mail":
                    return
                say("250 sender ok")
            elif verb == b"RCPT":
                say("250 recipient ok")
            elif verb == b"DATA":
                say("354 end with <CRLF>.<CRLF>")
                data = b""
                while not data.endswith(b"\r\n.\r\n"):
                    chunk = reader.readline(1 << 20)
                    if not chunk:
                        return
                    data += chunk
                with self.lock:
                    self.received.append(data[:-5])
                self.data_started.set()
                if self.close_after is not None and len(self.received) >= self.close_after:
                    say("250 queued")
                    self.stop_accepting()
                    return  # and drop this connection: the server went away
                if self.behaviour == "garbage_after_data":
                    client.sendall(b"\x16\x03\x01 not an SMTP reply\r\n")
                elif self.behaviour == "slow_data":
                    self._hold()
                    return
                elif self.behaviour == "stream_after_data":
                    self._stream(client)
                    return
                else:
                    say("250 queued")
            elif verb in (b"RSET", b"NOOP"):
                say("250 ok")
            elif verb == b"QUIT":
                say("221 bye")
                return
            else:
                say("502 not implemented")
