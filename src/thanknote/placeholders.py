"""What a note must not carry as written: a placeholder left to fill in, or a NUL.

The one check for every text a note carries: the interview file's values (by
:mod:`thanknote.loader`), the profile's, and a template's own text (by
:mod:`thanknote.template`).
"""

from __future__ import annotations

import functools
import re


def text_problem(value: str, *, prose: bool = True) -> str | None:
    """Why ``value`` (stripped, not empty) cannot go into a note as written, or None: a NUL
    character, or (in ``prose``, not an address) a placeholder.

    The one check for every text a note carries: the file's and the profile's.
    """
    if "\x00" in value:  # it would go out raw in a 7bit body, or end a C string early
        return (
            "contains a NUL character (U+0000, often \\u0000 in TOML), which an email "
            "cannot carry; remove it"
        )
    # An address has its own rules: "{x}@example.com" is a real one.
    if prose and (found := placeholder(value)) is not None:
        return (
            f"{found!r} looks like a placeholder, not the text for this note; write what "
            "you mean to send"
        )
    return None


# What a template or an example leaves behind for the writer to fill in. Each
# alternative is something no finished note says: angle, square or curly
# brackets around words (an address or a link in angle brackets is real text),
# the editor's markers in capitals, a run of x's, filler Latin, an instruction.
_PLACEHOLDER = (
    r"^[.…\s]+$"
    r"|<(?![^<>]*(?:@|://))[^<>\n]*>"
    r"|\[[^\[\]\n]*\]"
    r"|\{[^{}\n]*\}"
    r"|\b(?:TODO|TBD|TK|FIXME)\b"
    r"|(?i:\bx{2,}\b)"
    r"|(?i:\blorem\s+ipsum\b)"
    r"|(?im:(?:^|(?<=[.!?:;(] ))insert\b[^.!?\n]{0,60}?\bhere\b)"
    r"|(?i:\byour\s+name\b)"
)


@functools.cache
def _placeholder_pattern() -> re.Pattern[str]:
    # Compiled when first needed: most runs never get past the substring tests below.
    return re.compile(_PLACEHOLDER)


def placeholder(value: str) -> str | None:
    """The part of ``value`` that is a placeholder ('...', 'TODO', '<fill in>'), if any.

    A note is read by a hiring manager: '...' copied from an example must not
    go out as the candidate's "why I fit", nor "[describe the project]" as
    their conversation.
    """
    # Most text has none of the markers: a few substring tests (in C) spare the
    # full pattern, which a thousand-note batch would otherwise run on every body.
    lowered = value.lower()
    if (
        value.strip(".… \t\r\n")
        and "<" not in value
        and "[" not in value
        and "{" not in value
        and _MARKERS.search(lowered) is None
        and not ("your" in lowered and "name" in lowered)
    ):
        return None
    match = _placeholder_pattern().search(value)
    return match.group(0).strip() or value if match else None


_MARKERS = re.compile("todo|tbd|tk|fixme|xx|lorem|insert")
"""Substrings (lower case) of the pattern's words: one search instead of seven ``in`` tests."""
