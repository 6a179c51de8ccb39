"""Email addresses and header values: the checks every header value passes.

Python 3.11's email package refuses raw CR/LF in a header but happily carries
an RFC 2047 encoded word (``=?utf-8?q?...=0ABcc:...?=``) that a later decoder
turns back into a line break, so thanknote checks header values itself.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from thanknote.errors import BadInput

# A conservative addr-spec: dot-atom local part, a domain of dot-separated
# labels with at least one dot. Quoted local parts and address literals are
# legal RFC 5322 but no interviewer needs them, and they are where parsers differ.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")


def is_valid_address(value: str) -> bool:
    return (
        len(value) <= 254
        and _ADDRESS.fullmatch(value) is not None
        and len(value.partition("@")[0]) <= 64
        and "=?" not in value
    )


@functools.lru_cache(maxsize=4096)  # the sender's name and address repeat in every message
def header_problem(value: str) -> str | None:
    """Why ``value`` may not go into a header, or None when it may."""
    if "=?" in value:
        return "contains '=?', the start of an RFC 2047 encoded word"
    for char in value:
        category = unicodedata.category(char)
        if char in "\r\n":
            return "contains a line break"
        if category == "Cc":
            return f"contains the control character U+{ord(char):04X}"
        if category in ("Zl", "Zp"):
            return f"contains the line or paragraph separator U+{ord(char):04X}"
        # Bidirectional overrides (U+202E and friends) can disguise an address
        # or subject in a mail client. Other format characters (the zero-width
        # joiners some scripts and emoji need) stay allowed.
        if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
            return f"contains the bidirectional control character U+{ord(char):04X}"
    return None


def check_header_value(what: str, value: str) -> None:
    problem = header_problem(value)
    if problem is not None:
        raise BadInput(f"{what} {value!r} {problem}; it cannot go into an email header")
