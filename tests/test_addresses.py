"""Addresses: internationalised domains go out in IDNA form, local parts stay ASCII, and
``=?`` in an addr-spec is accepted unless it makes an encoded word."""

from __future__ import annotations

import email.policy
import json
import os
import smtplib
import subprocess
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import thanknote_executable
from tests.gmail_helpers import invoke, write_token
from tests.gmail_helpers import recipients as gmail_recipients
from tests.gmail_server import FakeGmail
from tests.helpers import CONVERSATION_POINTS, write_interview
from tests.smtp_server import DEFAULT_PASSWORD, SMTPTestServer
from tests.test_message import built, display_name, make
from thanknote.addresses import (
    ENCODED_WORD,
    address_problem,
    as_sent,
    ascii_address,
    is_valid_address,
    unicode_form,
)
from thanknote.errors import BadInput
from thanknote.loader import load
from thanknote.message import verify

SPECIALS = "!#$%&'*+-/=?^_`.{|}~@example.tld"  # every atext special; valid RFC 5322


@pytest.mark.parametrize(
    ("written", "sent"),
    [
        ("lena@bücher.example", "lena@xn--bcher-kva.example"),
        ("wen@臺網中心.example", "wen@xn--fiqq24b10vi0d.example"),
        ("Lena@Bücher.Example", "Lena@xn--bcher-kva.example"),  # the local part is left alone
        ("ada@faß.example", "ada@xn--fa-hia.example"),  # IDNA 2008: ß is a letter, not "ss"
        ("wen@臺網中心。example", "wen@xn--fiqq24b10vi0d.example"),  # an ideographic full stop
        ("grace@analytical.example", "grace@analytical.example"),
        (SPECIALS, SPECIALS),
    ],
)
def test_an_accepted_address_goes_out_in_ascii(written: str, sent: str) -> None:
    assert address_problem(written) is None
    assert ascii_address(written) == sent == as_sent(written)
    assert is_valid_address(sent)
    assert is_valid_address(written) is written.isascii()  # build wants the sent form
    if written.isascii():
        assert unicode_form(sent) is None
    else:
        assert unicode_form(sent) == written.split("@")[0] + "@" + written.split("@")[
            1
        ].lower().replace("。", ".")


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("jürgen@example.com", "SMTPUTF8"),
        ("用户@例子.example", "SMTPUTF8"),
        ("lena@bü_cher.example", "not a valid internationalised domain name"),
        ("lena@-bücher.example", "not a valid internationalised domain name"),
        ("=?utf-8?q?x?=@x.example", "encoded word"),
        ("=?utf-8?q?x=0D=0ABcc=3A_all=40x.example?=@x.example", "encoded word"),
        ("a=?x?B?eA==?=@x.example", "encoded word"),
        ("a=??q?x?=@x.example", "encoded word"),
        ("grace@", "not a valid email address"),
        ("grace@localhost", "not a valid email address"),
        ("a b@x.example", "not a valid email address"),
        ("@x.example", "not a valid email address"),
        ("x" * 65 + "@x.example", "not a valid email address"),
    ],
)
def test_a_refused_address_says_why(address: str, why: str) -> None:
    problem = address_problem(address)
    assert problem is not None and why in problem
    assert not is_valid_address(address)
    assert as_sent(address) == address


def test_a_non_ascii_local_part_is_refused_saying_smtputf8_is_not_everywhere() -> None:
    problem = address_problem("jürgen@example.com")
    assert problem is not None
    assert "SMTPUTF8" in problem and "many mail servers do not support" in problem


def interviewers(*addresses: str) -> list[dict[str, str]]:
    names = ["Lena Vogt", "Wen Liang", "Grace Hopper"]
    return [
        {"name": name, "email": address, "conversation_point": point}
        for name, address, point in zip(names, addresses, CONVERSATION_POINTS, strict=False)
    ]


def test_the_loader_keeps_every_address_in_the_form_it_is_sent(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path,
        candidate={"email": "ada@faß.example"},
        interview={"follow_up_with": "wen@臺網中心.example"},
        interviewers=interviewers("lena@bücher.example", "wen@臺網中心.example", SPECIALS),
    )
    loaded = load(path)
    assert loaded.candidate.email == "ada@xn--fa-hia.example"
    assert [i.email for i in loaded.interviewers] == [
        "lena@xn--bcher-kva.example",
        "wen@xn--fiqq24b10vi0d.example",
        SPECIALS,
    ]
    assert loaded.interview.follow_up_with == "wen@xn--fiqq24b10vi0d.example"


def test_the_loader_refuses_a_non_ascii_local_part_naming_the_field(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path, interviewers=interviewers("grace@analytical.example", "jürgen@example.com")
    )
    with pytest.raises(BadInput) as caught:
        load(path)
    message = caught.value.message
    assert caught.value.exit_code == 2
    assert message.startswith(f"{path}:")
    assert "[[interviewers]] #2 email" in message and "SMTPUTF8" in message


def test_two_spellings_of_one_internationalised_address_are_one_interviewer(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path, interviewers=interviewers("lena@bücher.example", "lena@xn--bcher-kva.example")
    )
    with pytest.raises(BadInput, match="also interviewer #1's address"):
        load(path)


def test_an_address_with_equals_question_mark_is_one_recipient() -> None:
    parsed, prepared = built(make(to=SPECIALS))
    assert [a.addr_spec for a in parsed["to"].addresses] == [SPECIALS]
    raw_to = email.message_from_bytes(prepared.as_bytes())["To"]
    assert getaddresses([raw_to]) == [("Grace Hopper", SPECIALS)]
    assert str(make_header(decode_header(raw_to))) == f"Grace Hopper <{SPECIALS}>"
    assert smtplib.quoteaddr(SPECIALS) == f"<{SPECIALS}>"  # the SMTP envelope, unchanged
    assert prepared.recipient == SPECIALS


atext_pieces = st.sampled_from(
    [*"Aa0!#$%&'*+/=?^_`{|}~-", "=?", "?=", "=?utf-8?q?", "?q?", "?b?", "=0D=0A", "Bcc=3A"]
)
local_parts = st.lists(
    st.lists(atext_pieces, min_size=1, max_size=10).map("".join), min_size=1, max_size=3
).map(".".join)
header_text = st.text(st.characters(codec="utf-8"), min_size=1, max_size=120)


@given(local=local_parts, name=header_text)
def test_no_generated_address_yields_a_second_recipient_or_a_changed_one(
    local: str, name: str
) -> None:
    address = f"{local}@analytical.example"
    problem = address_problem(address)
    if problem is not None:  # refused only for an encoded word, or a local part too long
        assert ENCODED_WORD.search(local) or len(local) > 64, problem
        return
    try:
        parsed, prepared = built(make(to=address, name=name), sender_name=name)
    except BadInput as error:  # only the name may be refused, and only up front
        assert "cannot go into an email header" in str(error)
        return
    assert {k.lower() for k in parsed} >= {"to", "from"}
    assert [a.addr_spec for a in parsed["to"].addresses] == [address]
    raw_to = email.message_from_bytes(prepared.as_bytes())["To"].replace("\r\n", "")
    assert [found for _, found in getaddresses([raw_to])] == [address]
    assert "\n" not in str(make_header(decode_header(raw_to)))
    assert display_name(prepared.as_bytes(), "To") == name
    assert smtplib.quoteaddr(address) == f"<{address}>"


def test_an_encoded_word_smuggled_in_an_address_is_caught_by_the_read_back() -> None:
    """The email package writes such an address as it is, and a lenient decoder then
    reads a Bcc line in the To header; the up-front check and the read-back refuse it."""
    smuggled = "=?utf-8?q?x=0D=0ABcc=3A_all=40analytical.example?=@analytical.example"
    assert ENCODED_WORD.search(smuggled)
    message = Message()
    message["From"] = "Ada Lovelace <ada@example.com>"
    message["To"] = f"Grace Hopper <{smuggled}>"
    message["Subject"] = "Thank you"
    raw = message.as_bytes(policy=email.policy.compat32.clone(linesep="\r\n"))
    decoded = str(make_header(decode_header(email.message_from_bytes(raw)["To"])))
    assert "\r\nBcc: all@analytical.example" in decoded  # the hole
    with pytest.raises(BadInput, match="holds an RFC 2047 encoded word"):
        verify(raw, note=make(to=smuggled, subject="Thank you"), sender_address="ada@example.com")
    with pytest.raises(BadInput, match="encoded word"):
        built(make(to=smuggled))


def test_build_wants_the_sent_form_of_an_address() -> None:
    """The loader converts; a Unicode domain reaching build (a path that forgot) is refused,
    so the envelope, the To header and the send log can never disagree."""
    with pytest.raises(BadInput, match="not in its ASCII"):
        built(make(to="lena@bücher.example"))


# -- through the installed thanknote ---------------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [thanknote_executable(), *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
        env={**os.environ, "THANKNOTE_SMTP_PASSWORD": DEFAULT_PASSWORD},
    )


LONG_WORD = "Vogt" * 250  # one ASCII word of 1,000 characters
LONG_NAME = "Zoë Ångström-Østergaard " * 34  # 816 UTF-8 bytes


@pytest.mark.slow
def test_preview_says_an_internationalised_domain_goes_out_in_idna_form(tmp_path: Path) -> None:
    path = write_interview(
        tmp_path, interviewers=interviewers("lena@bücher.example", "wen@臺網中心.example")
    )
    done = run("preview", str(path))
    assert done.returncode == 0, done.stderr
    assert (
        "To:      Lena Vogt <lena@xn--bcher-kva.example>\n"
        "         (the IDNA form of lena@bücher.example: mail servers route domains in "
        "ASCII)\n"
    ) in done.stdout
    assert "(the IDNA form of wen@臺網中心.example:" in done.stdout
    assert "ok       header safety" in done.stdout
    notes = json.loads(run("preview", str(path), "--json").stdout)["notes"]
    assert [n["to"] for n in notes] == [
        "lena@xn--bcher-kva.example",
        "wen@xn--fiqq24b10vi0d.example",
    ]


@pytest.mark.slow
def test_preview_refuses_a_non_ascii_local_part(tmp_path: Path) -> None:
    path = write_interview(tmp_path, interviewers=interviewers("jürgen@example.com"))
    done = run("preview", str(path))
    assert done.returncode == 2
    assert "SMTPUTF8" in done.stderr and "[[interviewers]] #1 email" in done.stderr


@pytest.mark.slow
def test_long_names_and_idn_addresses_are_sent_and_accepted(
    smtp_starttls_server: SMTPTestServer, tmp_path: Path
) -> None:
    """Before: "500 Line too long" from the server for the 1,000-character name."""
    server = smtp_starttls_server
    people = interviewers("lena@bücher.example", "wen@臺網中心.example", SPECIALS)
    people[0]["name"] = LONG_WORD
    people[1]["name"] = LONG_NAME.strip()
    path = write_interview(tmp_path, interviewers=people, candidate={"name": LONG_NAME.strip()})
    smtp = [
        "--via",
        "smtp",
        "--smtp-host",
        server.host,
        "--smtp-port",
        str(server.port),
        "--smtp-security",
        "starttls",
        "--smtp-cafile",
        str(server.cert),
    ]
    preview = run("preview", str(path))
    assert preview.returncode == 0, preview.stderr
    dry = run("send", str(path), *smtp, "--dry-run", "--only", "lena@BÜCHER.example")
    assert dry.returncode == 0, dry.stderr
    done = run("send", str(path), *smtp, "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    received = {m.rcpt_tos[0]: m for m in server.messages}
    assert sorted(received) == sorted(
        ["lena@xn--bcher-kva.example", "wen@xn--fiqq24b10vi0d.example", SPECIALS]
    )
    for address, name in (
        ("lena@xn--bcher-kva.example", LONG_WORD),
        ("wen@xn--fiqq24b10vi0d.example", LONG_NAME.strip()),
        (SPECIALS, "Grace Hopper"),
    ):
        message = received[address]
        assert message.rcpt_tos == [address]
        assert max(len(line) for line in message.data.split(b"\r\n")) <= 78
        assert display_name(message.data, "To") == name
        assert display_name(message.data, "From") == LONG_NAME.strip()
        parsed = BytesParser(policy=email.policy.strict).parsebytes(message.data)
        assert [a.addr_spec for a in parsed["to"].addresses] == [address]
    log = json.loads(run("log", "--json").stdout)
    assert sorted((r["to"], r["status"]) for r in log) == sorted(
        (address, "sent") for address in received
    )


def test_long_names_and_idn_addresses_go_through_gmail(
    fake_gmail: FakeGmail, tmp_path: Path
) -> None:
    write_token(fake_gmail)
    people = interviewers("lena@bücher.example", "wen@臺網中心.example")
    people[0]["name"] = LONG_WORD
    people[1]["name"] = LONG_NAME.strip()
    path = write_interview(tmp_path, interviewers=people)
    result = invoke("send", str(path), "--via", "gmail", "--yes", fake=fake_gmail)
    assert result.exit_code == 0, result.output
    sent = {gmail_recipients(item["raw"])[0]: item["raw"] for item in fake_gmail.sent}
    assert sorted(sent) == ["lena@xn--bcher-kva.example", "wen@xn--fiqq24b10vi0d.example"]
    assert display_name(sent["lena@xn--bcher-kva.example"], "To") == LONG_WORD
    assert display_name(sent["wen@xn--fiqq24b10vi0d.example"], "To") == LONG_NAME.strip()
    assert all(max(len(line) for line in raw.split(b"\r\n")) <= 78 for raw in sent.values())
