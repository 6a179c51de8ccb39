"""Header safety and message building: one recipient, only the expected headers, any name."""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import re
from datetime import UTC, datetime
from email.parser import BytesParser
from email.utils import formataddr
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import CONVERSATION_POINTS, write_interview
from thanknote.errors import BadInput
from thanknote.loader import load
from thanknote.message import EXPECTED_HEADERS, build, verify
from thanknote.render import Note

NOW = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)


def make(
    name: str = "Grace Hopper",
    to: str = "grace@analytical.example",
    subject: str = "Thank you",
    body: str = "Dear Grace,\n\nThank you.\n",
) -> Note:
    return Note(
        kind="thank-you", to=to, name=name, title=None, subject=subject, body=body, template="t"
    )


def built(note: Note, sender_name: str = "Ada Lovelace"):  # type: ignore[no-untyped-def]
    prepared = build(note, sender_name=sender_name, sender_address="ada@example.com", date=NOW)
    return BytesParser(policy=email.policy.strict).parsebytes(prepared.as_bytes()), prepared


_ENCODED_WORD = re.compile(r"=\?utf-8\?([qb])\?([^?]*)\?=")


def display_name(raw: bytes, header: str) -> str:
    """The display name of a From or To header, decoded as RFC 2047 reads it.

    Written here, apart from thanknote's own read-back, so the two check each other.
    White space between adjacent encoded words is ignored (RFC 2047 6.2), as mail
    clients do; Python 3.11's modern parser keeps it in a display name (CPython
    gh-128110), so it only judges names without encoded words.
    """
    value = email.message_from_bytes(raw)[header]
    phrase = re.sub(r"\r?\n", "", value).rpartition(" <")[0]
    if "=?" not in phrase:
        parsed = BytesParser(policy=email.policy.strict).parsebytes(raw)
        return str(parsed[header].addresses[0].display_name)
    text = ""
    for word in phrase.split(" "):
        match = _ENCODED_WORD.fullmatch(word)
        assert match is not None, f"{word!r} is not one encoded word"
        assert len(word) <= 75  # RFC 2047 2
        kind, encoded = match.groups()
        data = (
            base64.b64decode(encoded, validate=True)
            if kind == "b"
            else binascii.a2b_qp(encoded, header=True)
        )
        text += data.decode("utf-8")  # each word holds whole characters (RFC 2047 5)
    return text


def test_message_headers_and_recipient() -> None:
    parsed, prepared = built(make())
    assert {k.lower() for k in parsed} == EXPECTED_HEADERS
    assert [a.addr_spec for a in parsed["to"].addresses] == ["grace@analytical.example"]
    assert parsed["from"].addresses[0].addr_spec == "ada@example.com"
    assert parsed["message-id"] == prepared.message_id
    assert prepared.message_id.endswith("@example.com>")
    assert parsed["date"].datetime == NOW
    assert "cc" not in parsed and "bcc" not in parsed


@pytest.mark.parametrize(
    "subject",
    [
        "Thank you " * 20,
        "Merci pour notre conversation sur le rôle d'ingénieur backend senior " * 3,
        "山田さん、本日はお時間をいただきありがとうございました。" * 3,
    ],
)
def test_long_subjects_and_names_fold_and_read_back(subject: str) -> None:
    name = "Zoë Ångström-Østergaard de la Fuente y Núñez " * 2
    parsed, prepared = built(make(subject=subject.strip(), name=name.strip()))
    assert str(parsed["subject"]) == subject.strip()
    assert display_name(prepared.as_bytes(), "To") == name.strip()
    assert all(len(line) <= 78 for line in prepared.as_bytes().split(b"\r\n"))


def test_message_ids_are_unique() -> None:
    ids = {built(make())[1].message_id for _ in range(200)}
    assert len(ids) == 200


@pytest.mark.parametrize(
    "name",
    [
        "Zoë Ångström",
        "山田 太郎",
        "Siobhán O'Brien",
        "José (Pepe) Núñez",
        "Müller, Hans",
        "O'Brien, Seán",
    ],
)
def test_non_ascii_names_survive(name: str) -> None:
    body = f"Dear {name},\n\nThank you. Grüße, 山田.\n"
    parsed, prepared = built(
        make(name=name, body=body, subject=f"Thank you, {name}"), sender_name=name
    )
    assert parsed["to"].addresses[0].display_name == name  # one encoded word at most
    assert parsed["from"].addresses[0].display_name == name
    assert display_name(prepared.as_bytes(), "To") == name
    assert str(parsed["subject"]) == f"Thank you, {name}"
    assert parsed.get_content().replace("\r\n", "\n") == body


@pytest.mark.parametrize(
    ("field", "value"),
    [
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
    ],
)
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
    two = raw.replace(
        b"<grace@analytical.example>", b"<grace@analytical.example>, all@analytical.example", 1
    )
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


@given(body=st.text(st.characters(codec="utf-8", exclude_characters="\r\x00"), max_size=300))
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


@given(
    value=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=90),
    name=st.sampled_from(["To", "Message-ID", "Subject", "From"]),
)
def test_the_wire_policy_folds_exactly_as_compat32(name: str, value: str) -> None:
    """The short-ASCII fast path and the cache change speed, never bytes."""
    from email._policybase import Compat32

    from thanknote.message import _WIRE

    assert _WIRE.fold_binary(name, value) == Compat32(linesep="\r\n").fold_binary(name, value)


def lines(raw: bytes) -> list[bytes]:
    return raw.split(b"\r\n")


@pytest.mark.parametrize(
    "name",
    [
        "A" * 1000,  # one ASCII word: it cannot be folded at a space
        "Zoë Ångström-Østergaard " * 40,  # 1,000 UTF-8 bytes
        "山田" * 130,  # 780 UTF-8 bytes, no space anywhere
        "e\u0301" * 300,  # a letter and its combining mark, 300 times
        "Grace " + "H" * 900 + " Hopper",
    ],
)
def test_a_long_display_name_folds_into_short_lines(name: str) -> None:
    """Before: one 1,000-octet To line, which servers answer with 500 Line too long."""
    parsed, prepared = built(make(name=name.strip()), sender_name=name.strip())
    raw = prepared.as_bytes()
    assert max(len(line) for line in lines(raw)) <= 78
    assert [a.addr_spec for a in parsed["to"].addresses] == ["grace@analytical.example"]
    assert display_name(raw, "To") == name.strip()
    assert display_name(raw, "From") == name.strip()


display_names = st.one_of(
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=1200),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=1100),
    st.lists(
        st.sampled_from(
            [
                "Zoë",
                "Ångström",
                "山田",
                "de",
                "la",
                "O'Brien,",
                "(Pepe)",
                "x" * 80,
                "e\u0301\u0301",
                "👩\u200d💻",
                '"q"',
                "a\\b",
                "",
            ]
        ),
        min_size=1,
        max_size=120,
    ).map(" ".join),
)


@given(name=display_names)
def test_any_display_name_gives_short_lines_one_recipient_and_reads_back(name: str) -> None:
    try:
        parsed, prepared = built(make(name=name or "x"), sender_name=name or "x")
    except BadInput as error:  # refused up front (a control character, '=?'), never later
        assert "cannot go into an email header" in str(error)
        return
    raw = prepared.as_bytes()
    assert max(len(line) for line in lines(raw)) <= 78
    assert {k.lower() for k in parsed} == EXPECTED_HEADERS
    assert [a.addr_spec for a in parsed["to"].addresses] == ["grace@analytical.example"]
    assert [a.addr_spec for a in parsed["from"].addresses] == ["ada@example.com"]
    assert display_name(raw, "To") == (name or "x")
    assert display_name(raw, "From") == (name or "x")


@given(subject=st.text(st.characters(codec="utf-8"), min_size=1, max_size=1200))
def test_a_subject_of_any_length_gives_short_lines_or_is_refused_up_front(subject: str) -> None:
    subject = subject.strip() or "x"  # as rendered
    try:
        parsed, prepared = built(make(subject=subject))
    except BadInput as error:
        assert "cannot go into an email header" in str(
            error
        ) or "a word longer than 69 characters" in str(error)
        return
    assert max(len(line) for line in lines(prepared.as_bytes())) <= 78
    assert str(parsed["subject"]) == subject


def test_the_read_back_refuses_a_line_over_998_octets() -> None:
    """A To line as the email package writes a long name by itself: one encoded word."""
    name = "é" * 400
    _, prepared = built(make(name=name))
    raw = prepared.as_bytes()
    start = raw.index(b"\r\nTo: ") + 2
    end = raw.index(b"\r\n", raw.index(b"<grace@analytical.example>", start))
    one_word = formataddr((name, "grace@analytical.example"), charset="utf-8")
    unfolded = raw[:start] + f"To: {one_word}".encode("ascii") + raw[end:]
    assert max(len(line) for line in lines(unfolded)) == 1111
    # It reads back as written, one recipient: only its length is wrong.
    with pytest.raises(BadInput, match=r"check: a line of 1111 octets \(the limit is 998\)$"):
        verify(
            unfolded,
            note=make(name=name),
            sender_address="ada@example.com",
            sender_name="Ada Lovelace",
        )


def test_the_read_back_refuses_a_name_that_reads_back_otherwise() -> None:
    _, prepared = built(make(name="Zoë Ångström"))
    raw = prepared.as_bytes()
    other = raw.replace(b"=?utf-8?b?Wm/DqyDDhW5nc3Ryw7Zt?=", b"=?utf-8?q?Zo=C3=AB?=", 1)
    assert other != raw
    with pytest.raises(BadInput, match="the name in the to header does not read back"):
        verify(other, note=make(name="Zoë Ångström"), sender_address="ada@example.com")


def test_a_nul_in_a_body_is_bad_input_naming_the_note() -> None:
    """A NUL cannot travel in a 7bit body: refused whatever put it there (a template too)."""
    with pytest.raises(BadInput, match=r"note to grace@analytical.example contains a NUL"):
        built(make(body="Dear Grace,\n\nThank you.\x00\n"))


@pytest.mark.parametrize(
    ("table", "key", "label"),
    [
        ("interview", "fit", "interview.fit"),
        ("interview", "new_information", "interview.new_information"),
        ("interviewer", "conversation_point", "[[interviewers]] #1 conversation_point"),
        ("interviewer", "fit", "[[interviewers]] #1 fit"),
        ("interviewer", "new_information", "[[interviewers]] #1 new_information"),
        ("interviewer", "title", "[[interviewers]] #1 title"),
        ("candidate", "signature", "candidate.signature"),
    ],
)
def test_a_nul_in_a_body_field_is_bad_input_naming_the_field(
    tmp_path: Path, table: str, key: str, label: str
) -> None:
    """Before: the NUL went out raw in a 7bit body."""
    value = "Five years of Postgres\x00 in payments."
    person = {
        "name": "Grace Hopper",
        "email": "grace@analytical.example",
        "conversation_point": CONVERSATION_POINTS[0],
    }
    if table == "interviewer":
        person[key] = value
    path = write_interview(
        tmp_path,
        interviewers=[person],
        interview={key: value} if table == "interview" else None,
        candidate={key: value} if table == "candidate" else None,
    )
    path.write_text(path.read_text().replace("\x00", "\\u0000"))  # TOML's own escape
    with pytest.raises(BadInput) as caught:
        load(path)
    assert caught.value.exit_code == 2
    line = next(
        number
        for number, text in enumerate(path.read_text().splitlines(), 1)
        if text.startswith(f"{key} = ") and "\\u0000" in text
    )
    assert caught.value.message.startswith(f"{path}:{line}: {label}")
    assert "NUL character (U+0000" in caught.value.message


@pytest.mark.slow
def test_preview_refuses_a_nul_in_a_body_field_with_exit_2(tmp_path: Path) -> None:
    import os
    import subprocess

    from tests.conftest import thanknote_executable

    path = write_interview(tmp_path, interview={"fit": "Postgres\x00 in payments."})
    path.write_text(path.read_text().replace("\x00", "\\u0000"))
    done = subprocess.run(
        [thanknote_executable(), "preview", str(path)],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "interview.fit" in done.stderr and "NUL character (U+0000" in done.stderr
    assert done.stdout == ""


_ATEXT = "abcXYZ019!#$%&'*+/=?^_`{|}~-"
_MAILBOX_TEXT = st.text(alphabet=_ATEXT + ' .@<>,;:"()[]\\\t', max_size=40)


def _plain_mailboxes() -> st.SearchStrategy[str]:
    from thanknote.mailbox import PLAIN_MAILBOX

    return st.from_regex(PLAIN_MAILBOX, fullmatch=True)


@given(
    st.one_of(
        _plain_mailboxes(),
        _MAILBOX_TEXT,
        st.builds(
            lambda name, local, domain: f"{name} <{local}@{domain}>",
            _MAILBOX_TEXT,
            _MAILBOX_TEXT,
            _MAILBOX_TEXT,
        ),
    )
)
def test_the_plain_mailbox_shortcut_reads_as_getaddresses_does(value: str) -> None:
    from email.utils import getaddresses

    from thanknote.mailbox import PLAIN_MAILBOX, mailboxes

    expected = tuple(getaddresses([value]))
    assert mailboxes(value) == expected
    if PLAIN_MAILBOX.fullmatch(value) is not None:  # the shortcut's own answer
        assert len(expected) == 1 and expected[0][1] in value


_ASCII_TEXT = st.text(st.characters(min_codepoint=1, max_codepoint=127), max_size=300)


@given(
    body=st.one_of(_ASCII_TEXT, st.lists(_ASCII_TEXT, max_size=5).map("\r\n".join)),
    subject=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=120),
    name=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60),
    reply=st.booleans(),
)
def test_the_plain_serialiser_writes_the_email_packages_bytes(
    body: str, subject: str, name: str, reply: bool
) -> None:
    """The shortcut for US-ASCII bodies changes speed, never bytes."""
    from email.charset import Charset

    from thanknote.mailbox import mailbox
    from thanknote.message import _email_message, _plain_message

    headers = [
        ("From", mailbox("Ada Lovelace", "ada@example.com")),
        ("To", mailbox(name, "grace@analytical.example")),
        ("Subject", subject),
        ("Date", "Wed, 25 Nov 2026 18:00:00 -0500"),
        ("Message-ID", "<1.2.3@example.com>"),
    ]
    if reply:
        headers += [("In-Reply-To", "<0.1@example.com>"), ("References", "<0.1@example.com>")]
    headers.append(("MIME-Version", "1.0"))
    assert _plain_message(headers, body) == _email_message(headers, body, Charset("us-ascii"))


_HEADER_LINE = st.one_of(
    st.builds(
        lambda name, value: f"{name}:{value}",
        st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12),
        st.text(st.characters(min_codepoint=1, max_codepoint=127), max_size=40),
    ),
    st.builds(
        lambda value: f" {value}",
        st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
    ),
    st.text(st.characters(min_codepoint=1, max_codepoint=255), max_size=30),
)


@given(st.lists(_HEADER_LINE, max_size=8))
def test_header_fields_reads_what_the_email_package_reads(lines: list[str]) -> None:
    """Where the strict reading accepts a header, the email package's parser agrees."""
    from email.parser import BytesHeaderParser

    from thanknote.message import header_fields

    block = "".join(f"{line}\r\n" for line in lines).encode("latin-1") + b"\r\n"
    fields, malformed = header_fields(block)
    if malformed is None:
        assert fields == list(BytesHeaderParser().parsebytes(block).items())


@given(
    name=st.text(max_size=60).filter(lambda s: s.strip() == s and "\x00" not in s),
    subject=st.text(min_size=1, max_size=150).filter(lambda s: s.strip() == s and s.isprintable()),
)
def test_every_built_message_has_a_well_formed_header(name: str, subject: str) -> None:
    from email.parser import BytesHeaderParser

    from thanknote.message import header_fields

    note = Note(
        kind="thank-you",
        to="grace@analytical.example",
        name=name,
        title=None,
        subject=subject,
        body="Dear Grace,\n\nThank you.\n",
        template="t",
    )
    try:
        raw = build(
            note,
            sender_name="Ada Lovelace",
            sender_address="ada@example.com",
            date=datetime(2026, 11, 25, 23, 0, tzinfo=UTC),
        ).raw
    except BadInput:
        return  # refused before building: nothing to read back
    block = raw[: raw.index(b"\r\n\r\n") + 2]
    fields, malformed = header_fields(block)
    assert malformed is None
    assert fields == list(BytesHeaderParser().parsebytes(block).items())
