"""Writing a file whole or not at all, and keeping the private ones private.

:func:`write_atomic` is the one way thanknote writes a file it may later read
back: the tokens, the profile, interview files and the follow-up calendar. The
text goes to a temporary file in the same directory, is flushed to the disk,
and only then takes the file's name, so no reader (and no crash) ever sees half
a file. A private file (:data:`PRIVATE`) is mode 0600 from the moment it exists.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

PRIVATE = 0o600
"""Only the owner may read or write: the mode of token files."""


def write_atomic(
    path: Path,
    data: str | bytes,
    *,
    mode: int | None = None,
    exclusive: bool = False,
    make_parents: bool = True,
) -> None:
    """Write ``data`` (text is UTF-8) to ``path`` atomically; raise OSError on failure.

    ``mode``: the file's permissions, set before it takes its name (the temporary
    file is 0600 from its creation); None gives what ``open()`` would, 0666 less
    the umask. ``exclusive``: never replace a file; an existing ``path`` raises
    FileExistsError, decided atomically. ``make_parents``: create a missing parent
    directory, 0700 for a :data:`PRIVATE` file (an existing one is left as it is).
    """
    directory = path.parent
    if make_parents and not directory.exists():
        directory.mkdir(mode=0o700 if mode == PRIVATE else 0o777, parents=True)
    # mkstemp opens with O_CREAT | O_EXCL and mode 0600: private before a byte is written.
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as stream:
            if hasattr(os, "fchmod"):
                os.fchmod(stream.fileno(), _default_mode() if mode is None else mode)
            stream.write(data.encode("utf-8") if isinstance(data, str) else data)
            stream.flush()
            os.fsync(stream.fileno())
        if exclusive:
            _link(temporary, path, data)
        else:
            os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _link(temporary: str, path: Path, data: str | bytes) -> None:
    """Give the written file ``path``'s name unless a file has it (FileExistsError)."""
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError:
        # A file system without hard links: an exclusive create, written in place.
        with path.open("xb") as stream:
            stream.write(data.encode("utf-8") if isinstance(data, str) else data)
            stream.flush()
            os.fsync(stream.fileno())


def _default_mode() -> int:
    """0666 less the umask: what ``open()`` gives a new file."""
    # Reading the umask means setting it; 077 meanwhile errs on the private side.
    umask = os.umask(0o077)
    os.umask(umask)
    return 0o666 & ~umask


def loose_mode(path: Path) -> int | None:
    """The file's mode when users other than its owner may read or change it, else None."""
    if os.name != "posix":
        return None
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    return mode if mode & 0o077 else None
