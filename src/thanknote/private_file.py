"""Files only their owner may read: tokens, written 0600 from the moment they exist."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from thanknote.errors import BadInput


def write_private(path: Path, text: str, *, what: str = "the token") -> None:
    """Replace ``path`` with ``text`` atomically; the file is mode 0600 from its creation.

    A private temporary file in the same directory is renamed over the old one, so no
    reader ever sees a half-written or world-readable file. A new parent directory is
    created 0700; an existing one is left as it is (the user may keep other files there).
    """
    directory = path.parent
    try:
        if not directory.exists():
            directory.mkdir(mode=0o700, parents=True)
        # mkstemp opens with O_CREAT | O_EXCL and mode 0600: private before a byte is written.
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as error:
        raise BadInput(f"cannot write {what} to {path}: {error.strerror}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            if hasattr(os, "fchmod"):
                os.fchmod(stream.fileno(), 0o600)
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise BadInput(f"cannot write {what} to {path}: {error.strerror}") from None


def loose_mode(path: Path) -> int | None:
    """The file's mode when users other than its owner may read or change it, else None."""
    if os.name != "posix":
        return None
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    return mode if mode & 0o077 else None
