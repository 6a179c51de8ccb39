"""Header safety and message building: one recipient, only the expected headers, any name."""

from __future__ import annotations

import email.policy
from datetime import UTC, datetime
from email.parser import BytesParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from thanknote.errors import BadInput
from thanknote.message import EXPECTED_HEADERS, build, verify
from thanknote.render import Note

NOW = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)


def make(name: str = "Grace Hopper", to: str = "grace@analytical.example",
         subject: str = "Thank you", body: str = "Dear Grace,\n\nThank you.\n") -> Note:
    return Note(kind="thank-you", to=to, name=name, title=None, subject=subject, body=body,
                template="t")


def built(note: Note, sender_name: str = "Ada Lovelace"):  # type: ignore[no-untyped-def]
    prepared = build(note, sender_name=sender_name, sender_address="ada@example.com", date=NOW)
    return BytesParser(policy=email.policy.strict).parsebytes(prepared.as_bytes()), prepared


def test_message_headers_and_recipient() -> None:
    parsed, prepared = built(make())
    assert {k.lower() for k in parsed} == EXPECTED_HEADERS
    assert [a.addr_spec for a in parsed["to"].addresses] == ["grace@analytical.example"]
    assert parsed["from"].addresses[0].addr_spec == "ada@example.com"
    assert parsed["message-id"] == prepared.message_id
    assert prepared.message_id.endswith("@example.com>")
    assert parsed["date"].datetime == NOW
    assert "cc" not in parsed and "bcc" not in parsed


@pytest.mark.parametrize("subject", [
    "Thank you " * 20,
    "Merci pour notre conversation sur le rôle d'ingénieur backend senior " * 3,
    "山田さん、本日はお時間をいただきありがとうございました。" * 3,
])
def test_long_subjects_and_names_fold_and_read_back(subject: str) -> None:
    name = "Zoë Ångström-Østergaard de la Fuente y Núñez " * 2
    parsed, prepared = built(make(subject=subject.strip(), name=name.strip()))
    assert str(parsed["subject"]) == subject.strip()
    assert parsed["to"].addresses[0].display_name == name.strip()
    assert all(len(line) <= 998 for line in prepared.as_bytes().split(b"\r\n"))


def test_message_ids_are_unique() -> None:
    ids = {built(make())[1].message_id for _ in range(200)}
    assert len(ids) == 200


@pytest.mark.parametrize("name", ["Zoë Ångström", "山田 太郎", "Siobhán O'Brien",
                                  "José (Pepe) Núñez", "Müller, Hans", "O'Brien, Seán"])
def test_non_ascii_names_survive(name: str) -> None:
    body = f"Dear {name},\n\nThank you. Grüße, 山田.\n"
    parsed, _ = built(make(name=name, body=body, subject=f"Thank you, {name}"), sender_name=name)
    assert parsed["to"].addresses[0].display_name == name
    assert parsed["from"].addresses[0].display_name == name
    assert str(parsed["subject"]) == f"Thank you, {name}"
    assert parsed.get_content().replace("\r\n", "\n") == body


@pytest.mark.parametrize(("field", "value"), [
    ("subject", "Thanks\r\nBcc: everyone@analytical.example"),
    ("subject", "Thanks\nBcc: everyone@analytical.example"),
    ("subject", "Thanks\u2028Bcc: everyone@analytical.example"),
    ("subject", "Thanks\u2029more"),
    ("subject", "Thanks\x00"),
    ("subject", "Thanks\x1b[31m"),
    ("subject", "=?utf-8?q?x=0D=0ABcc=3A_everyone=40analytical.example?="),
    ("name", "Grace =?utf-8?q?=0ABcc:_everyone@analytical.example?="),
    ("name", "Grace\rHopper"),
    ("name", "Grace\u202eHopper"),
])
def test_unsafe_header_values_are_bad_input(field: str, value: str) -> None:
    with pytest.raises(BadInput) as caught:
        built(make(**{field: value}))
    assert caught.value.exit_code == 2


def test_encoded_word_smuggling_is_stopped() -> None:
    """Python's email package carries an encoded word that decodes to a header break.

    The first half shows the hole: a display name holding an RFC 2047 encoded
    word is accepted by the email package, and a decoder then sees a Bcc line.
    The second half shows thanknote refusing the same value, both in its
    up-front check and in the parse-back check that stands behind it.
    """
    smuggled = "=?utf-8?q?Grace=0D=0ABcc=3A_everyone=40analytical=2Eexample?="
    message = email.message.EmailMessage(policy=email.policy.SMTP)
    message["From"] = "ada@example.com"
    message["To"] = "grace@analytical.example"
    message["Subject"] = smuggled
    raw = message.as_bytes()
    assert b"\r\nBcc: everyone@analytical.example\r\n" in raw  # the hole: a real Bcc line
    assert BytesParser(policy=email.policy.default).parsebytes(raw)["bcc"] is not None

    with pytest.raises(BadInput, match="encoded word"):
        built(make(subject=smuggled))
    with pytest.raises(BadInput, match="encoded word"):
        built(make(name=smuggled))
    # Even with the up-front check bypassed, the parse-back check refuses it.
    with pytest.raises(BadInput, match="header check"):
        verify(raw, note=make(subject=smuggled), sender_address="ada@example.com")


def test_verify_refuses_a_second_recipient_or_extra_header() -> None:
    _, prepared = built(make())
    raw = prepared.as_bytes()
    with_cc = raw.replace(b"Subject:", b"Cc: boss@analytical.example\r\nSubject:", 1)
    with pytest.raises(BadInput, match="unexpected header"):
        verify(with_cc, note=make(), sender_address="ada@example.com")
    two = raw.replace(b"<grace@analytical.example>",
                      b"<grace@analytical.example>, all@analytical.example", 1)
    with pytest.raises(BadInput, match="recipients"):
        verify(two, note=make(), sender_address="ada@example.com")


header_text = st.text(st.characters(codec="utf-8"), min_size=1, max_size=120)


@given(name=header_text, subject=header_text)
def test_no_generated_value_yields_an_extra_header_or_recipient(name: str, subject: str) -> None:
    note = make(name=name.strip() or "x", subject=subject.strip() or "x")
    try:
        parsed, _ = built(note, sender_name=name.strip() or "x")
    except BadInput:
        return
    assert {k.lower() for k in parsed} == EXPECTED_HEADERS
    assert len(parsed["to"].addresses) == 1
    assert parsed["to"].addresses[0].addr_spec == "grace@analytical.example"
    assert str(parsed["subject"]) == note.subject


@given(body=st.text(st.characters(codec="utf-8", exclude_characters="\r"), max_size=300))
def test_any_body_round_trips(body: str) -> None:
    text = body + "\n"
    parsed, _ = built(make(body=text))
    assert parsed.get_content().replace("\r\n", "\n") == text.replace("\r\n", "\n")


def test_an_unbreakable_subject_word_is_bad_input_not_a_mangled_header() -> None:
    with pytest.raises(BadInput, match="a word longer than 69 characters"):
        built(make(subject="Thanks, see https://example.com/" + "x" * 80))
    with pytest.raises(BadInput, match="a word longer than 69 characters"):
        built(make(subject="y" * 70))
    parsed, _ = built(make(subject="y" * 69))  # exactly fills "Subject: " + 69 = 78
    assert str(parsed["subject"]) == "y" * 69


@given(value=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=90),
       name=st.sampled_from(["To", "Message-ID", "Subject", "From"]))
def test_the_wire_policy_folds_exactly_as_compat32(name: str, value: str) -> None:
    """The short-ASCII fast path and the cache change speed, never bytes."""
    from email._policybase import Compat32

    from thanknote.message import _WIRE

    assert _WIRE.fold_binary(name, value) == Compat32(linesep="\r\n").fold_binary(name, value)
