"""Calendar reminders a calendar can take back: ``followups --ics FILE``.

One all-day VEVENT per open interview on its next action date (the follow-up
date, or the day a second follow-up is fair), with a UID fixed by the
interview's identity, so importing the file again moves the event instead of
adding a second one. An interview closed since (an answer came, or the second
follow-up went out) gets the same UID with ``STATUS:CANCELLED`` and a higher
``SEQUENCE``, so a calendar that imported its reminder removes it.

Which closed interviews get a cancellation: those the file being replaced
still had, and any closed in the last :data:`CANCEL_DAYS` days (for a
calendar fed from a file written elsewhere). The file is replaced atomically,
and only when thanknote wrote it (its PRODID says so) unless ``force``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from thanknote.atomic_file import write_atomic
from thanknote.errors import BadInput, GuardRefusal
from thanknote.followups.agenda import FollowUp, followup_command
from thanknote.model import Interview
from thanknote.rules import State
from thanknote.sendlog import LoggedInterview

PRODID = "-//thanknote//follow-up reminders//EN"
REMINDER_HOUR = 9
"""The calendar alarm rings at this local hour on the action date."""
CANCEL_DAYS = 30

_UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "thanknote.invalid")


def calendar_uid(interview: LoggedInterview | Interview) -> str:
    """A UID fixed by the interview's identity, so a re-import updates the event in place."""
    if isinstance(interview, Interview):
        company, role, starts_at = interview.key
    else:
        company, role = interview.company, interview.role
        starts_at = interview.starts_at.astimezone(UTC).isoformat()
    # The unit separator cannot occur in a header-safe company or role.
    return f"{uuid.uuid5(_UID_NAMESPACE, chr(31).join((company, role, starts_at)))}@thanknote"


@dataclass(frozen=True)
class Written:
    """An event as an earlier write left it."""

    sequence: int
    start: date | None
    cancelled: bool


@dataclass(frozen=True)
class CalendarFile:
    reminders: int
    cancellations: int


def _description(item: FollowUp) -> str:
    interview = item.interview
    lines = [
        f"Follow up with {interview.follow_up_with} about the {interview.role} role at "
        f"{interview.company} (interview {item.when(interview.starts_at)}).",
        f"State: {item.state_line()}",
        "",
    ]
    notes = item.note_lines()
    lines += (
        ["Notes:", *(f"- {line}" for line in notes)] if notes else ["Nothing drafted or sent yet."]
    )
    if interview.source_path:
        lines += [
            "",
            followup_command(interview.source_path, item.channel),
            f"thanknote followups --done {interview.source_path}  (when you hear back)",
        ]
    return "\n".join(lines)


def _sequence(base: int, start: date | None, cancelled: bool, before: Written | None) -> int:
    if before is None:
        return base
    changed = before.start != start or before.cancelled != cancelled
    return max(base, before.sequence + 1 if changed else before.sequence)


def calendar(
    items: Iterable[FollowUp], now: datetime, previous: dict[str, Written] | None = None
) -> tuple[bytes, CalendarFile]:
    """The iCalendar file: reminders for open interviews, cancellations for closed ones."""
    import icalendar

    previous = previous or {}
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "thanknote follow-ups")
    stamp = now.astimezone(UTC)
    reminders = cancellations = 0
    for item in items:
        uid, before = item.uid, previous.get(item.uid)
        event = icalendar.Event()
        event.add("uid", uid)
        event.add("dtstamp", stamp)
        event.add("summary", item.summary)
        event.add("transp", "TRANSPARENT")  # a reminder, not a meeting: the day stays free
        if item.state is State.CLOSED:
            closed_on = item.closed_on or item.today
            if before is None and (item.today - closed_on).days > CANCEL_DAYS:
                continue
            start = before.start if before and before.start else item.interview.follow_up_on
            event.add("dtstart", start)
            event.add("dtend", start + timedelta(days=1))
            event.add("status", "CANCELLED")
            event.add("sequence", _sequence(2, before.start if before else start, True, before))
            event.add("description", item.state_line())
            cal.add_component(event)
            cancellations += 1
            continue
        start = item.next_on or item.interview.follow_up_on
        base = 1 if item.state in (State.FOLLOWED_UP, State.SECOND_DUE) else 0
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(days=1))
        event.add("status", "CONFIRMED")
        event.add("sequence", _sequence(base, start, False, before))
        event.add("description", _description(item))
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", item.summary)
        # Relative to the start of an all-day event: that day, at this hour local time.
        alarm.add("trigger", timedelta(hours=REMINDER_HOUR))
        event.add_component(alarm)
        cal.add_component(event)
        reminders += 1
    return bytes(cal.to_ical()), CalendarFile(reminders, cancellations)


def read_previous(path: Path, *, force: bool) -> dict[str, Written]:
    """The events of the file about to be replaced; refuses a file thanknote did not write."""
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror or error}") from None
    import icalendar

    parsed: Any = None
    try:
        parsed = icalendar.Calendar.from_ical(content)
    except ValueError:
        parsed = None
    if parsed is None or str(parsed.get("PRODID", "")) != PRODID:
        if force:
            return {}
        raise GuardRefusal(
            f"refused: {path} exists and was not written by thanknote (its PRODID "
            f"is not {PRODID!r}); nothing was written. Pick another file, or "
            "pass --force to replace it"
        )
    written = {}
    for event in parsed.walk("VEVENT"):
        start = event.decoded("DTSTART", None)
        written[str(event.get("UID"))] = Written(
            sequence=int(event.get("SEQUENCE", 0)),
            start=start.date() if isinstance(start, datetime) else start,
            cancelled=str(event.get("STATUS", "")).upper() == "CANCELLED",
        )
    return written


def write_calendar(
    path: Path,
    items: Iterable[FollowUp],
    now: datetime,
    *,
    force: bool = False,
    log_path: Path | None = None,
) -> CalendarFile:
    """Write the calendar atomically: a calendar app never reads half a file.

    Refuses (unless ``force``) to drop reminders of interviews this send log does
    not know: the file was written from another log (``--db``), and replacing it
    would silently empty the calendar.
    """
    items = list(items)
    previous = read_previous(path, force=force)
    known = {item.uid for item in items}
    strangers = [uid for uid, event in previous.items() if uid not in known and not event.cancelled]
    if strangers and not force:
        log = f" {log_path}" if log_path else ""
        raise GuardRefusal(
            f"refused: {path} has reminders for {len(strangers)} interview(s) "
            f"that are not in the send log{log}; nothing was written. Check "
            "--db / THANKNOTE_DB, or pass --force to replace the file"
        )
    content, summary = calendar(items, now, previous)
    try:
        write_atomic(path, content, mode=0o644, make_parents=False)
    except OSError as error:
        raise BadInput(f"cannot write {path}: {error.strerror or error}") from None
    return summary
