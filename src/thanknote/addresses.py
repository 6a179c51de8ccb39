"""Email addresses and header values: the checks every header value passes.

Python 3.11's email package refuses raw CR/LF in a header but happily carries
an RFC 2047 encoded word (``=?utf-8?q?...=0ABcc:...?=``) that a later decoder
turns back into a line break, so thanknote checks header values itself.

Addresses go out in ASCII. An internationalised domain (``bücher.example``) is
sent in its IDNA form (``xn--bcher-kva.example``), which every mail server
routes; a non-ASCII local part would need the SMTPUTF8 extension end to end,
which many servers still lack, so it is refused rather than bounced later.
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
_LOCAL_PART = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")

ENCODED_WORD = re.compile(r"=\?[^?]*\?[bBqQ]\?.*?\?=")
"""What a lenient RFC 2047 decoder (Python's ``decode_header`` among them) decodes,
wherever in a header it stands."""

_INVALID = "is not a valid email address"


@functools.lru_cache(maxsize=4096)
def address_problem(value: str) -> str | None:
    """Why thanknote will not send to ``value`` (a sentence's predicate), or None.

    ``=?`` is legal in an address (``!#$%&'*+-/=?^_`.{|}~@example.tld`` is valid) and
    RFC 2047 forbids decoding encoded words inside one, but lenient decoders do it
    anyway; so only an address holding a whole encoded word is refused.
    """
    local, at, domain = value.rpartition("@")
    if not at or not local:
        return _INVALID
    if not local.isascii():
        return (
            "has a non-ASCII part before the @: delivering to it needs the SMTPUTF8 "
            "extension at every server on the way, which many mail servers do not "
            "support, so it could bounce; ask for an ASCII address"
        )
    if _LOCAL_PART.fullmatch(local) is None or len(local) > 64:
        return _INVALID
    if ENCODED_WORD.search(local):
        return (
            "contains an RFC 2047 encoded word (=?...?=), which some mail clients "
            "would decode into other text, even a header line"
        )
    if not domain.isascii():
        try:
            domain = _idna(domain)
        except ValueError as error:
            return f"has a domain that is not a valid internationalised domain name ({error})"
    if _DOMAIN.fullmatch(domain) is None or len(local) + 1 + len(domain) > 254:
        return _INVALID
    return None


def is_valid_address(value: str) -> bool:
    """True for an address thanknote sends to as it stands (ASCII, IDNA domain)."""
    return value.isascii() and address_problem(value) is None


def ascii_address(value: str) -> str:
    """``value`` with its domain in IDNA (ASCII) form; ``value`` must have no problem."""
    if value.isascii():
        return value
    local, _, domain = value.rpartition("@")
    return f"{local}@{_idna(domain)}"


def as_sent(value: str) -> str:
    """The address as thanknote sends and logs it, for comparing what a user typed
    (``--only user@bücher.example``); ``value`` itself when it is not an address."""
    return value if address_problem(value) is not None else ascii_address(value)


def unicode_form(address: str) -> str | None:
    """The address as its owner writes it, when its domain has IDNA labels; else None."""
    local, _, domain = address.rpartition("@")
    if "xn--" not in domain.lower():
        return None
    import idna  # only for addresses that need it: its tables cost ~10 ms to load

    try:
        return f"{local}@{idna.decode(domain)}"
    except idna.IDNAError:
        return None


def _idna(domain: str) -> str:
    """The IDNA 2008 form of a domain, mapped as browsers do (UTS #46, non-transitional)."""
    import idna

    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as error:  # a subclass of UnicodeError, a ValueError
        raise ValueError(str(error)) from None


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
        if category == "Cs":
            return f"contains the unpaired surrogate U+{ord(char):04X}, which is not text"
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
