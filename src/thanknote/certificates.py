"""``--smtp-cafile``: checked as bad input before anything connects.

A key file, a file of garbage or a directory given as the CA bundle is the
user's mistake, not the server's: it is reported naming the file and what is
wrong with it (exit 2), rather than as a failed connection.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from thanknote.errors import BadInput

OPTION = "--smtp-cafile"


def check_cafile(path: Path) -> None:
    """Raise BadInput unless ``path`` holds at least one certificate that SSL can load."""
    where = f"{OPTION} {path}"
    if path.is_dir():
        raise BadInput(f"{where}: is a directory; give the CA certificate file (PEM) itself")
    try:
        head = path.read_bytes()[:65536]
    except FileNotFoundError:
        raise BadInput(f"{where}: no such file") from None
    except OSError as error:
        raise BadInput(f"{where}: cannot read it: {error.strerror}") from None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # empty: loads only this file
    try:
        context.load_verify_locations(cafile=str(path))
    except (ssl.SSLError, ValueError, OSError):
        raise BadInput(
            f"{where}: {_what_is_wrong(head)}",
            hint="it must be the certificate of the CA that signed the server's "
            "certificate, in PEM form (-----BEGIN CERTIFICATE-----)",
        ) from None


def _what_is_wrong(head: bytes) -> str:
    if b"PRIVATE KEY-----" in head:
        return "is a private key, not a CA certificate (and a key should not leave its server)"
    if not head.strip():
        return "is empty"
    if b"-----BEGIN" in head:
        return "holds no certificate SSL can read"
    return "is not a PEM certificate file"
