"""Follow-ups: where each interview stands, calendar reminders, closing one, and the note.

The protocol's last step is a date: if nothing was heard by then, the candidate
writes once, as a reply to the thank-you note, and once more a week later, then
stops. The send log already knows every interview that had a note drafted or
sent, with its follow-up date and who to write to.

- :mod:`~thanknote.followups.states`: the states and dates, pure functions;
- :mod:`~thanknote.followups.thread`: what a follow-up answers, and the channel;
- :mod:`~thanknote.followups.agenda`: the listing (text and JSON);
- :mod:`~thanknote.followups.calendar`: the ``.ics`` writer;
- :mod:`~thanknote.followups.note`: the note: which one is next, to whom, when, in which
  thread (the render step of :mod:`thanknote.planning`);
- :mod:`~thanknote.followups.closing`: ``--done`` and ``--reopen``.
"""

from __future__ import annotations

from thanknote.followups.agenda import Agenda, FollowUp, agenda, load_agenda, print_agenda
from thanknote.followups.calendar import calendar_uid, write_calendar
from thanknote.followups.closing import Closed, Reopened, close, reopen
from thanknote.followups.note import (
    FollowUpOptions,
    FollowUpRequest,
    delivery_mode,
    render_follow_up,
)
from thanknote.rules import State

__all__ = [
    "Agenda",
    "Closed",
    "FollowUp",
    "FollowUpOptions",
    "FollowUpRequest",
    "Reopened",
    "State",
    "agenda",
    "calendar_uid",
    "close",
    "delivery_mode",
    "load_agenda",
    "print_agenda",
    "render_follow_up",
    "reopen",
    "write_calendar",
]
