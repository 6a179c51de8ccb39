"""Delivery through the Gmail API, in modules of one job each.

``sender``       GmailSender: open, deliver one note (draft or send), close
``drafts``       the draft calls of one note with their retries, and where the note is
``calls``        one API request, executed once within a deadline
``failures``     the table from Google's errors to thanknote's
``transport``    the API's endpoint, and an HTTP that never re-sends a POST
``credentials``  the token file: load, refresh, save (0600)
``consent``      ``thanknote auth``: Google's consent in the browser

Importing this package loads none of Google's libraries; :class:`GmailSender`
loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from thanknote.senders.gmail.transport import ENDPOINT_VARIABLE, check_endpoint

if TYPE_CHECKING:
    from thanknote.senders.gmail.sender import GmailSender

__all__ = ["ENDPOINT_VARIABLE", "GmailSender", "check_endpoint"]


def __getattr__(name: str) -> object:
    if name == "GmailSender":
        from thanknote.senders.gmail.sender import GmailSender

        return GmailSender
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
