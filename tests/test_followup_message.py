"""A follow-up's reply headers, as built and checked by :mod:`thanknote.message`."""

from __future__ import annotations

import email.policy
from dataclasses import replace
from datetime import UTC, datetime
from email.parser import BytesParser

import pytest

from thanknote.errors import BadInput
from thanknote.message import build, verify
from thanknote.render import FOLLOW_UP, Note

THANK_YOU_ID = "<179566122565.32021.1700356144220140081@example.com>"
FIRST_ID = "<179566999999.32021.1700356144220149999@example.com>"
NOTE = Note(
    kind=FOLLOW_UP,
    to="grace@analytical.example",
    name="Grace Hopper",
    title=None,
    subject="Re: Thank you for our conversation",
    body="Dear Grace,\n\nA reply.\n",
    template="test",
    in_reply_to=FIRST_ID,
    references=(THANK_YOU_ID, FIRST_ID),
)


def built(note: Note) -> bytes:
    return build(
        note,
        sender_name="Ada Lovelace",
        sender_address="ada@example.com",
        date=datetime(2026, 12, 8, 15, tzinfo=UTC),
    ).raw


def test_reply_headers_read_back_strictly() -> None:
    message = BytesParser(policy=email.policy.strict).parsebytes(built(NOTE))
    assert message["In-Reply-To"] == FIRST_ID
    assert message["References"].split() == [THANK_YOU_ID, FIRST_ID]
    assert message["Subject"] == "Re: Thank you for our conversation"


def test_a_note_without_a_reply_has_no_reply_headers() -> None:
    raw = built(replace(NOTE, in_reply_to=None, references=()))
    assert b"In-Reply-To" not in raw and b"References" not in raw


@pytest.mark.parametrize(
    "bad", ["<a@x>\r\nBcc: someone@example.net", "<a@x>\u2028", "=?utf-8?q?=0D=0ABcc=3A_x=40y?="]
)
def test_a_smuggled_header_in_a_reference_is_bad_input(bad: str) -> None:
    with pytest.raises(BadInput):
        built(replace(NOTE, in_reply_to=bad, references=(bad,)))


def test_reply_headers_on_a_note_that_answers_nothing_are_refused() -> None:
    raw = built(NOTE)
    with pytest.raises(BadInput, match="unexpected header"):
        verify(
            raw,
            note=replace(NOTE, in_reply_to=None, references=()),
            sender_address="ada@example.com",
        )
    with pytest.raises(BadInput, match="In-Reply-To does not read back"):
        verify(raw, note=replace(NOTE, in_reply_to=THANK_YOU_ID), sender_address="ada@example.com")
