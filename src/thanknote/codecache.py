"""Compiled template code kept between runs, as Jinja2's bytecode cache keeps it.

Compiling a template (Jinja2's lexer, parser and code generator, then Python's
``compile``) takes longer than rendering three notes with it. A template that
compiled once is kept in the user cache directory as its two code objects
(subject and body, :mod:`marshal`), in a file named by a SHA-256 of everything
the code depends on: the template's path and text, the Jinja2 and Python
versions and :data:`FORMAT` (thanknote's own part, the environment's settings).
A changed template, another Jinja2 or another interpreter reads a different
name, so a file is never stale; only a template that compiled without error is
kept.

The cache is an optimisation and never a source of errors: a file that is
missing, unreadable, truncated or of the wrong shape is compiled again, and a
cache that cannot be written is skipped. Since the code in it runs, it is used
only in a directory this user owns that no one else may write to (mode 0700
when thanknote creates it), and each file is written whole (0600) or not at all.
"""

from __future__ import annotations

import marshal
import os
import stat
import sys
from pathlib import Path
from types import CodeType

FORMAT = 1
"""Raise when the Jinja2 environment's settings (template.py ``_environment``) change."""

SUFFIX = ".jinja-code"


def directory() -> Path:
    """Where the compiled templates are kept: ``templates`` in the user cache directory.

    On Linux that is platformdirs' rule (``$XDG_CACHE_HOME``, else ``~/.cache``) written
    out, since importing platformdirs costs 3 ms of a 3-note preview (a test compares the
    two); elsewhere platformdirs decides.
    """
    if sys.platform.startswith("linux") and "ANDROID_DATA" not in os.environ:
        base = os.environ.get("XDG_CACHE_HOME", "")
        if not base.strip():
            base = os.path.expanduser("~/.cache")
        return Path(base) / "thanknote" / "templates"
    import platformdirs

    return Path(platformdirs.user_cache_dir("thanknote", appauthor=False)) / "templates"


def key(path: Path, source: str) -> str:
    import hashlib  # only when a template is compiled: `log` and `followups` never need it

    import jinja2

    digest = hashlib.sha256()
    for part in (
        str(FORMAT),
        sys.implementation.cache_tag or "",  # the code objects' format
        sys.version,
        jinja2.__version__,
        str(path),
        source,
    ):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def load(path: Path, source: str) -> tuple[CodeType, CodeType] | None:
    """The subject's and body's code compiled earlier from this text, or None."""
    folder = directory()
    if not _trusted(folder):
        return None
    try:
        data = (folder / (key(path, source) + SUFFIX)).read_bytes()
        code = marshal.loads(data)  # noqa: S302 - our own file, in a directory only we may write
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if type(code) is tuple and len(code) == 2 and all(isinstance(part, CodeType) for part in code):
        return code[0], code[1]
    return None


def store(path: Path, source: str, subject: CodeType, body: CodeType) -> None:
    """Keep the code for the next run; silently skipped when the cache cannot be written."""
    from thanknote.atomic_file import PRIVATE, write_atomic

    folder = directory()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _trusted(folder):
            return
        write_atomic(
            folder / (key(path, source) + SUFFIX),
            marshal.dumps((subject, body)),
            mode=PRIVATE,
            make_parents=False,
        )
    except (OSError, ValueError):
        return


def _trusted(folder: Path) -> bool:
    """A directory of this user's that no other user may write into."""
    try:
        status = folder.lstat()
    except OSError:
        return False
    if not stat.S_ISDIR(status.st_mode) or status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False
    getuid = getattr(os, "getuid", None)
    return getuid is None or status.st_uid == getuid()
