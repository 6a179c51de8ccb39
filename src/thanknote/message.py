"""Building the RFC 5322 message for a note, and proving it carries only what it should.

Header values are checked before the message is built (see
:mod:`thanknote.addresses`); after building, the message is serialised,
parsed back with the strict policy, and must carry exactly the expected
headers with exactly one recipient. Both halves are needed: the first gives a
clear error naming the field, the second catches whatever the first missed.
"""

from __future__ import annotations

import email.policy
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.utils import format_datetime, getaddresses, make_msgid

from thanknote.addresses import check_header_value, is_valid_address
from thanknote.errors import BadInput
from thanknote.render import Note

EXPECTED_HEADERS = frozenset({
    "from", "to", "subject", "date", "message-id", "mime-version", "content-type",
    "content-transfer-encoding",
})


@dataclass(frozen=True)
class Prepared:
    """A note ready to go: the message, its serialised bytes, and its one recipient."""

    note: Note
    message: EmailMessage
    message_id: str
    recipient: str
    raw: bytes
    """The serialised message (CRLF line endings): exactly the bytes that were verified."""

    def as_bytes(self) -> bytes:
        return self.raw


def build(note: Note, *, sender_name: str, sender_address: str, date: datetime,
          message_id: str | None = None) -> Prepared:
    for what, value in (("the sender's name", sender_name), ("the sender's address", sender_address),
                        (f"the name of {note.to}", note.name), ("the recipient's address", note.to),
                        (f"the subject of the note to {note.to}", note.subject)):
        check_header_value(what, value)
    for what, value in (("sender", sender_address), ("recipient", note.to)):
        if not is_valid_address(value):
            raise BadInput(f"the {what} address {value!r} is not a valid email address")
    domain = sender_address.rpartition("@")[2]
    message_id = message_id or make_msgid(domain=domain)
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = Address(display_name=sender_name, addr_spec=sender_address)
    message["To"] = Address(display_name=note.name, addr_spec=note.to)
    message["Subject"] = note.subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    body = note.body
    if body.isascii() and all(len(line) <= 998 for line in body.splitlines()):
        message.set_content(body, charset="us-ascii", cte="7bit")
    else:
        message.set_content(body, charset="utf-8", cte="quoted-printable")
    raw = message.as_bytes(policy=email.policy.SMTP)
    verify(raw, note=note, sender_address=sender_address)
    return Prepared(note=note, message=message, message_id=message_id, recipient=note.to, raw=raw)


def verify(raw: bytes, *, note: Note, sender_address: str) -> None:
    """Parse the serialised message back; refuse anything but the expected headers and recipient.

    The headers are read back as a mail client would: raw lines (compat32, which
    keeps whatever a serialiser produced, so a smuggled ``Bcc:`` line shows up as
    a header), then addresses with ``getaddresses`` and text with RFC 2047
    decoding. The structured modern policy would do the same checks at about
    five times the cost per header, which matters for a thousand notes.
    """
    parsed = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    items = [(name.lower(), value) for name, value in parsed.items()]
    names = [name for name, _ in items]
    headers = dict(items)
    problems = []
    unexpected = sorted(set(names) - EXPECTED_HEADERS)
    if unexpected:
        problems.append(f"unexpected header(s) {', '.join(unexpected)}")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        problems.append(f"repeated header(s) {', '.join(repeated)}")
    recipients = [address for _, address in getaddresses([_decoded(headers.get("to", ""))])]
    if [r.casefold() for r in recipients] != [note.to.casefold()]:
        problems.append(f"recipients {recipients!r} instead of exactly {note.to!r}")
    senders = [address for _, address in getaddresses([_decoded(headers.get("from", ""))])]
    if [s.casefold() for s in senders] != [sender_address.casefold()]:
        problems.append(f"sender {senders!r} instead of {sender_address!r}")
    for name in ("to", "from", "subject"):
        value = _decoded(headers.get(name, ""))
        if any(char in value for char in "\r\n\u2028\u2029"):
            problems.append(f"the {name} header decodes to more than one line")
    if _decoded(headers.get("subject", "")) != note.subject:
        problems.append("the subject does not read back as written")
    if problems:
        raise BadInput(f"the message to {note.to} failed its header check: {'; '.join(problems)}")


def _decoded(value: str) -> str:
    """A raw header value unfolded and with its encoded words decoded."""
    unfolded = value.replace("\r\n", "").replace("\n", "")
    return str(make_header(decode_header(unfolded)))
