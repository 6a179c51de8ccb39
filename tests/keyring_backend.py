"""A keyring back end for tests, selected the way keyring selects any back end:
``PYTHON_KEYRING_BACKEND=tests.keyring_backend.FileKeyring``.

It keeps entries in the JSON file named by ``THANKNOTE_TEST_KEYRING`` so that a test and the
``thanknote`` process it starts see the same keyring. A plain file is exactly what thanknote
must never use for a real password; this one holds test passwords in a temporary directory.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

BACKEND = "tests.keyring_backend.FileKeyring"


class FileKeyring(KeyringBackend):
    priority = 1

    @property
    def name(self) -> str:
        return "the test keyring"

    @staticmethod
    def _path() -> Path:
        return Path(os.environ["THANKNOTE_TEST_KEYRING"])

    def _entries(self) -> dict[str, str]:
        path = self._path()
        return json.loads(path.read_text()) if path.exists() else {}

    def _write(self, entries: dict[str, str]) -> None:
        self._path().write_text(json.dumps(entries, indent=1))

    def get_password(self, service: str, username: str) -> str | None:
        return self._entries().get(f"{service}\x00{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._entries()
        entries[f"{service}\x00{username}"] = password
        self._write(entries)

    def delete_password(self, service: str, username: str) -> None:
        entries = self._entries()
        if entries.pop(f"{service}\x00{username}", None) is None:
            raise PasswordDeleteError("no such password")
        self._write(entries)

    def stored(self) -> dict[str, str]:
        return self._entries()
