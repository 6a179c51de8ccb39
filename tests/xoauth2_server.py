"""The test SMTP server of tests/smtp_server.py, also offering ``AUTH XOAUTH2``.

XOAUTH2 is how Outlook.com, Microsoft 365 and Gmail take an OAuth 2.0 access token over
SMTP: the client sends ``base64("user=" user "\\x01auth=Bearer " token "\\x01\\x01")``. A
bad token gets a ``334`` challenge carrying a JSON error, the client answers with an empty
line, and the server replies ``535``. The bearer tokens accepted are those the fake
identity platform (tests/microsoft_server.py) currently considers valid.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from tests.microsoft_server import FakeMicrosoft
from tests.smtp_server import DEFAULT_USERNAME, Mode, SMTPTestServer, _Handler


class _OAuthHandler(_Handler):
    owner: XOAuth2Server

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:  # noqa: N802
        if len(args) == 1:
            blob = await server.challenge_auth("")
            if not isinstance(blob, bytes):
                return AuthResult(success=False, handled=True)
        else:
            try:
                blob = base64.b64decode(args[1], validate=True)
            except binascii.Error:
                await server.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False, handled=True)
        fields = dict(
            part.split("=", 1)
            for part in blob.decode("utf-8", "replace").split("\x01")
            if "=" in part
        )
        user = fields.get("user", "")
        scheme, _, token = fields.get("auth", "").partition(" ")
        ok = (
            user == self.owner.username
            and scheme == "Bearer"
            and token in self.owner.bearer_tokens()
        )
        with self.owner._lock:
            if ok:
                self.owner._logins += 1
            else:
                self.owner._failed_logins += 1
                self.owner.refused_tokens.append(token)
        if not ok:
            error = json.dumps({"status": "401", "schemes": "bearer", "scope": "SMTP.Send"})
            await server.challenge_auth(error)  # the client answers with an empty line
            return AuthResult(
                success=False, handled=False, message="535 5.7.3 Authentication unsuccessful"
            )
        return AuthResult(success=True, auth_data=LoginPassword(user.encode(), b""))


class XOAuth2Server(SMTPTestServer):
    """``AUTH LOGIN PLAIN XOAUTH2``; XOAUTH2 succeeds with a token from ``bearer_tokens()``."""

    def __init__(
        self,
        mode: Mode,
        cert: Path | None,
        key: Path | None,
        *,
        bearer_tokens: Callable[[], Collection[str]],
        username: str = DEFAULT_USERNAME,
        **kwargs: Any,
    ) -> None:
        super().__init__(mode, cert, key, username=username, **kwargs)
        self.bearer_tokens = bearer_tokens
        self.refused_tokens: list[str] = []
        self._handler = _OAuthHandler(self)


@pytest.fixture
def xoauth2_server(
    smtp_certificate: tuple[Path, Path], fake_microsoft: FakeMicrosoft
) -> Iterator[XOAuth2Server]:
    """A STARTTLS server (port 587 style) that takes the fake Microsoft's access tokens."""
    cert, key = smtp_certificate

    def valid() -> set[str]:
        with fake_microsoft.lock:
            return set(fake_microsoft.valid_access_tokens)

    with XOAuth2Server("starttls", cert, key, bearer_tokens=valid) as server:
        yield server
