"""Mailboxes in header values: a display name and address written safely, and read back.

Writing: ``name <address>`` as the email package writes it when the name is plain
ASCII words, else as RFC 2047 encoded words short enough for any line. Reading
back (for :func:`thanknote.message.verify`): the (name, address) pairs a value
holds, and a value unfolded and decoded as a mail client shows it.
"""

from __future__ import annotations

import base64
import functools
import re
import unicodedata
from email.header import decode_header, make_header
from email.utils import formataddr, getaddresses

LONGEST_HEADER_WORD = 69
"""Plain-ASCII header lines fold at spaces at 78 characters ("Subject: " and a 69-character
word fill the first line); a longer word would be split
(encoded non-ASCII subjects are split into encoded words, which decoders join back)."""

_LONGEST_ENCODED_WORD = 70
"""RFC 2047 allows 75; 70 keeps a line holding "From: " and one encoded word within
its 76 characters."""
_Q_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!*+-/")
"""The characters an encoded word in a display name may carry as themselves (RFC 2047 5(3))."""


@functools.lru_cache(maxsize=4096)  # the sender's name repeats in every message
def mailbox(name: str, address: str) -> str:
    """The value of a From or To header: ``name <address>``, safe to fold at any length.

    A name of printable ASCII words short enough for a line, one space apart, is written
    as the email package writes it (quoted when it needs quotes) and folds at its spaces.
    Any other name (non-ASCII, a word too long for a line, runs of spaces) becomes a
    run of RFC 2047 encoded words of at most 70 characters each, separated by spaces,
    so no line can outgrow the limits however long the name is; decoders join adjacent
    encoded words back into the name.
    """
    if not name:
        return address
    if name.isascii() and name.isprintable():
        plain = formataddr((name, address))
        phrase = plain[: -len(address) - 3]
        if phrase.split() == phrase.split(" ") and all(
            len(word) <= LONGEST_HEADER_WORD for word in phrase.split()
        ):
            return plain
    return f"{' '.join(_encoded_words(name))} <{address}>"


def _encoded_words(text: str) -> list[str]:
    """``text`` as UTF-8 encoded words, Q or B (whichever is shorter).

    Words are cut between characters, never inside one (RFC 2047 section 5), and where
    it can be helped after a space of the name and never between a letter and the
    combining marks that follow it: a decoder that wrongly keeps the white space
    between encoded words (Python's own modern parser before gh-128110 is one) then
    shows at worst a double space, not a broken word.
    """
    data = text.encode("utf-8")
    q_length = sum(1 if byte in _Q_SAFE or byte == 0x20 else 3 for byte in data)
    use_q = q_length <= 4 * -(-len(data) // 3)
    prefix = "=?utf-8?q?" if use_q else "=?utf-8?b?"
    budget = _LONGEST_ENCODED_WORD - len(prefix) - 2
    limit = budget if use_q else budget // 4 * 3  # Q: encoded characters; B: raw bytes
    chunks: list[list[str]] = []
    current: list[str] = []
    size = 0
    for cluster in _clusters(text):
        for part in (cluster,) if _cost(cluster, use_q) <= limit else tuple(cluster):
            cost = _cost(part, use_q)
            if current and size + cost > limit:
                cut = max(
                    (i + 1 for i, kept in enumerate(current) if kept == " "), default=len(current)
                )
                chunks.append(current[:cut])
                current = current[cut:]
                size = sum(_cost(kept, use_q) for kept in current)
            current.append(part)
            size += cost
    if current:
        chunks.append(current)
    if use_q:
        return [prefix + "".join(map(_q, chunk)) + "?=" for chunk in chunks]
    return [
        prefix + base64.b64encode("".join(chunk).encode("utf-8")).decode("ascii") + "?="
        for chunk in chunks
    ]


def _clusters(text: str) -> list[str]:
    """``text`` cut before each character that does not attach to the one before it."""
    clusters: list[str] = []
    for char in text:
        if clusters and (
            unicodedata.combining(char)
            or char in "\u200c\u200d"
            or "\ufe00" <= char <= "\ufe0f"
            or clusters[-1][-1] == "\u200d"
        ):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def _cost(text: str, use_q: bool) -> int:
    return sum(len(_q(char)) for char in text) if use_q else len(text.encode("utf-8"))


@functools.lru_cache(maxsize=4096)
def _q(char: str) -> str:
    return "".join(
        "_" if byte == 0x20 else chr(byte) if byte in _Q_SAFE else f"={byte:02X}"
        for byte in char.encode("utf-8")
    )


_ATOMS = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
PLAIN_MAILBOX = re.compile(
    rf"(?P<name>{_ATOMS}(?: {_ATOMS})*)"
    rf" <(?P<address>{_ATOMS}(?:\.{_ATOMS})*@{_ATOMS}(?:\.{_ATOMS})*)>"
)
"""``Name Words <local@domain>`` with atoms only: a mailbox that every parser reads alike."""


@functools.lru_cache(maxsize=4096)
def mailboxes(value: str) -> tuple[tuple[str, str], ...]:
    """The (raw name, address) pairs a header value names (cached: From repeats).

    A display name of plain atoms one space apart before a dot-atom address has one
    reading (RFC 5322 3.4), the one ``getaddresses`` gives; it is read here directly,
    since ``getaddresses`` costs a fifth of building a message. Anything else
    (quotes, encoded words, commas, comments, a bare address) goes to ``getaddresses``.
    """
    if (plain := PLAIN_MAILBOX.fullmatch(value)) is not None:
        return ((plain["name"], plain["address"]),)
    return tuple(getaddresses([value]))


def unfolded(value: str) -> str:
    return value.replace("\r\n", "").replace("\n", "")


@functools.lru_cache(maxsize=4096)
def decoded(value: str) -> str:
    """A raw header value unfolded and with its encoded words decoded."""
    text = unfolded(value)
    if "=?" not in text:
        return text
    return str(make_header(decode_header(text)))
