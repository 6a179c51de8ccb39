"""Building the RFC 5322 message for a note, and proving it carries only what it should.

Header values are checked before the message is built (see
:mod:`thanknote.addresses`); after building, the message is serialised,
parsed back, and must carry exactly the expected headers with exactly one
recipient. Both halves are needed: the first gives a clear error naming the
field, the second catches whatever the first missed.

Messages are built with the email package's compat32 API (``Message``,
``formataddr`` for plain names, ``Header`` for RFC 2047 subjects, ``Charset`` for
the body); other display names become encoded words here (see :mod:`thanknote.mailbox`). The
modern ``EmailMessage`` API parses every header again on assignment and costs
about ten times as much per note; for a thousand notes that is a second of
waiting for the same bytes. A US-ASCII body skips even the ``Message``: its
bytes are written directly, header by header through the same folding policy
(``_plain_message``; tests compare it with the email package's output). Tests
parse the result with the strict modern policy to prove it is well formed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime
from email._policybase import Compat32  # the class behind email.message's default policy
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING

from thanknote.addresses import (
    ENCODED_WORD,
    address_problem,
    check_header_value,
    is_valid_address,
)
from thanknote.errors import BadInput
from thanknote.mailbox import LONGEST_HEADER_WORD, decoded, mailbox, mailboxes, unfolded
from thanknote.render import Note

if TYPE_CHECKING:  # imported where used: a US-ASCII note needs neither
    from email.charset import Charset
    from email.message import EmailMessage

EXPECTED_HEADERS = frozenset(
    {
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    }
)
REPLY_HEADERS = frozenset({"in-reply-to", "references"})
"""Also expected on a note that answers another (a follow-up): they thread it."""


class _WirePolicy(Compat32):
    """compat32 with CRLF line ends that remembers how each header value folds.

    Every message of a batch repeats From, Subject, Date and the MIME headers;
    folding (RFC 2047 encoding and line wrapping, done by email.header) is
    most of the cost of serialising a message, so each distinct value is
    folded once. compat32 is used, not email.policy's modern policies, which
    cost ten times as much per header and 10 ms to import.
    """

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one module-level instance
    def _fold_cached(self, name: str, value: str) -> bytes:
        return super().fold_binary(name, value)

    def fold_binary(self, name: str, value: object) -> bytes:
        if isinstance(value, str):
            limit = self.max_line_length or 0
            if value.isascii() and value.isprintable() and len(name) + 2 + len(value) <= limit:
                # What Header.encode returns for a short printable ASCII value: the
                # value itself (the To and Message-ID of every message take this path).
                return f"{name}: {value}{self.linesep}".encode("ascii")
            return self._fold_cached(name, value)
        return super().fold_binary(name, value)  # type: ignore[arg-type]


_WIRE = _WirePolicy(linesep="\r\n")


@functools.cache
def _utf8_qp() -> Charset:
    from email.charset import QP, Charset

    charset = Charset("utf-8")
    charset.body_encoding = QP  # readable in any client's "show original", unlike base64
    return charset


@dataclass(frozen=True)
class Prepared:
    """A note ready to go: the message, its serialised bytes, and its one recipient."""

    note: Note
    message_id: str
    recipient: str
    raw: bytes
    """The serialised message (CRLF line endings): exactly the bytes that were verified."""

    def as_bytes(self) -> bytes:
        return self.raw

    @property
    def message(self) -> EmailMessage:
        """The message parsed back with the modern API (for display and tests)."""
        from email.parser import BytesParser
        from email.policy import default

        return BytesParser(policy=default).parsebytes(self.raw)


def build(
    note: Note,
    *,
    sender_name: str,
    sender_address: str,
    date: datetime,
    message_id: str | None = None,
) -> Prepared:
    for what, value in (
        ("the sender's name", sender_name),
        (f"the name of {note.to}", note.name),
        (f"the subject of the note to {note.to}", note.subject),
        *(
            (f"the Message-ID the note to {note.to} answers", value)
            for value in filter(None, (note.in_reply_to, *note.references))
        ),
    ):
        check_header_value(what, value)
    if note.subject.isascii() and any(
        len(word) > LONGEST_HEADER_WORD for word in note.subject.split()
    ):
        raise BadInput(
            f"the subject of the note to {note.to} has a word longer than "
            f"{LONGEST_HEADER_WORD} characters, which a mail header cannot carry "
            "unbroken; shorten it (a link belongs in the body)"
        )
    for what, value in (("sender", sender_address), ("recipient", note.to)):
        if not is_valid_address(value):  # the loader gives addresses in their ASCII form
            raise BadInput(
                f"the {what} address {value!r} "
                f"{address_problem(value) or 'is not in its ASCII (IDNA) form'}"
            )
    if "\x00" in note.body:  # a NUL cannot travel in a 7bit body (RFC 2045)
        raise BadInput(
            f"the note to {note.to} contains a NUL character (U+0000) in its body; "
            "remove it from the interview file or the template"
        )
    domain = sender_address.rpartition("@")[2]
    message_id = message_id or note.message_id or make_msgid(domain=domain)
    headers = [
        ("From", mailbox(sender_name, sender_address)),
        ("To", mailbox(note.name, note.to)),
        ("Subject", note.subject),
        ("Date", format_datetime(date)),
        ("Message-ID", message_id),
    ]
    if note.in_reply_to:
        headers.append(("In-Reply-To", note.in_reply_to))
        headers.append(("References", " ".join(note.references or (note.in_reply_to,))))
    headers.append(("MIME-Version", "1.0"))
    body = note.body
    if body.isascii() and all(len(line) <= 998 for line in body.splitlines()):
        raw = _plain_message(headers, body)
    else:
        raw = _email_message(headers, body, _utf8_qp())
    verify(raw, note=note, sender_address=sender_address, sender_name=sender_name)
    return Prepared(note=note, message_id=message_id, recipient=note.to, raw=raw)


def _email_message(headers: list[tuple[str, str]], body: str, charset: Charset) -> bytes:
    """The message as the email package serialises it (compat32, CRLF)."""
    from email.message import Message

    message = Message()
    for name, value in headers:
        message[name] = value
    message.set_payload(body, charset)
    return message.as_bytes(policy=_WIRE)


_LINE_END = re.compile(r"\r\n|\r|\n")  # what the email package's generator ends lines at


def _plain_message(headers: list[tuple[str, str]], body: str) -> bytes:
    """``_email_message(headers, body, us-ascii)``'s bytes, without building a ``Message``.

    For a 7bit US-ASCII body the generator writes each header folded by the
    policy, a blank line, and the body with every line end made CRLF; so does
    this, at a fraction of the cost (tests compare the two on generated messages).
    """
    written = [_WIRE.fold_binary(name, value) for name, value in headers]
    written.append(b'Content-Type: text/plain; charset="us-ascii"\r\n')
    written.append(b"Content-Transfer-Encoding: 7bit\r\n\r\n")
    written.append("\r\n".join(_LINE_END.split(body)).encode("ascii") if body else b"")
    return b"".join(written)


_FIELD_NAME = re.compile(r"[\x21-\x39\x3b-\x7e]+")  # printable ASCII but ":" (RFC 5322 3.6.8)


def header_fields(block: bytes) -> tuple[list[tuple[str, str]], str | None]:
    """The (name, raw value) of each header field in ``block``, and what is malformed, if any.

    A strict reading of RFC 5322 2.2: CRLF-separated lines of US-ASCII, each a
    ``name:value`` line or a continuation (starting with a space or a tab) of the
    field before it. Where that grammar holds, every parser reads the same
    fields, and this reads them as the email package's compat32 parser does (a
    value keeps its continuation lines, CRLF-joined); anything else (a bare CR or
    LF, an 8-bit octet, a line that is neither) is reported, since parsers
    disagree about it. Written out because the parser costs a third of building
    a message, a thousand times over; tests compare the two readings.
    """
    try:
        text = block.decode("ascii")
    except UnicodeDecodeError:
        return [], "an octet that is not US-ASCII in the header"
    fields: list[tuple[str, list[str]]] = []
    for line in text.split("\r\n"):
        if not line:
            break  # the blank line that ends the header (or the end of the block)
        if "\r" in line or "\n" in line:
            return [], "a bare CR or LF in the header"
        if line[0] in " \t":
            if not fields:
                return [], "the header starts with a continuation line"
            fields[-1][1].append(line)
            continue
        name, colon, value = line.partition(":")
        if not colon or _FIELD_NAME.fullmatch(name) is None:
            return [], f"a header line that is not a field: {line[:40]!r}"
        fields.append((name, [value.lstrip(" \t")]))
    return [(name, "\r\n".join(parts)) for name, parts in fields], None


def verify(raw: bytes, *, note: Note, sender_address: str, sender_name: str | None = None) -> None:
    """Parse the serialised message back; refuse anything but the expected headers and recipient.

    The headers are read back as a mail client would: raw lines (see
    :func:`header_fields`, so a smuggled ``Bcc:`` line shows up as a header), then
    addresses with ``getaddresses`` and text with RFC 2047 decoding. The
    structured modern policy would do the same checks at about five times the
    cost per header, which matters for a thousand notes.
    """
    problems = []
    longest = max(map(len, raw.split(b"\r\n")))
    if longest > _LONGEST_LINE:  # RFC 5322 2.1.1; servers answer "500 Line too long"
        problems.append(f"a line of {longest} octets (the limit is {_LONGEST_LINE})")
    end = raw.find(b"\r\n\r\n")
    header_block = raw if end < 0 else raw[: end + 2]  # the body cannot add a header line
    items, malformed = header_fields(header_block)
    if malformed is not None:
        problems.append(malformed)
    items = [(name.lower(), value) for name, value in items]
    names = [name for name, _ in items]
    raw_values = {name: unfolded(value) for name, value in items}
    headers = {name: decoded(value) for name, value in items if name in ("to", "from", "subject")}
    unexpected = sorted(
        set(names) - EXPECTED_HEADERS - (REPLY_HEADERS if note.in_reply_to else frozenset())
    )
    if unexpected:
        problems.append(f"unexpected header(s) {', '.join(unexpected)}")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        problems.append(f"repeated header(s) {', '.join(repeated)}")
    # Addresses are parsed before encoded words are decoded, as a mail client does:
    # a decoded display name such as "Müller, Hans" is one name, not two addresses.
    for header, address, name in (
        ("to", note.to, note.name),
        ("from", sender_address, sender_name),
    ):
        named = mailboxes(raw_values.get(header, ""))
        found = [mailbox_address for _, mailbox_address in named]
        if [a.casefold() for a in found] != [address.casefold()]:
            what = "recipients" if header == "to" else "sender"
            problems.append(f"{what} {found!r} instead of exactly {address!r}")
        elif ENCODED_WORD.search(found[0]):
            problems.append(f"the {header} address holds an RFC 2047 encoded word")
        elif name is not None and decoded(named[0][0]) != name:
            problems.append(f"the name in the {header} header does not read back as written")
    for name in ("to", "from", "subject"):
        value = headers.get(name, "")
        if any(char in value for char in "\r\n\u2028\u2029"):
            problems.append(f"the {name} header decodes to more than one line")
    if headers.get("subject", "") != note.subject:
        problems.append("the subject does not read back as written")
    if note.in_reply_to and raw_values.get("in-reply-to", "").strip() != note.in_reply_to:
        problems.append("In-Reply-To does not read back as written")
    if problems:
        raise BadInput(f"the message to {note.to} failed its header check: {'; '.join(problems)}")


_LONGEST_LINE = 998
