"""Reading calendar invitations: ``.ics`` files, or saved emails that carry one.

The one boundary where an invitation's text becomes values: every event comes
out with an aware start and end, an IANA zone name where one can be known, and
its organiser and attendees as the invitation gives them. Deciding who is an
interviewer is :mod:`thanknote.invitees`' job.

icalendar is imported here, and this module only from ``init --from``.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from thanknote.errors import BadInput

_CALENDAR_TYPES = {"text/calendar", "application/ics", "application/x-ics"}


@dataclass(frozen=True)
class Address:
    """One ATTENDEE or ORGANIZER, with the parameters that decide who they are."""

    email: str
    common_name: str | None
    cutype: str = "INDIVIDUAL"
    role: str = "REQ-PARTICIPANT"
    partstat: str = "NEEDS-ACTION"
    organizer: bool = False


@dataclass(frozen=True)
class Event:
    source: Path
    summary: str
    uid: str | None
    sequence: int
    starts_at: datetime
    """Aware; in ``zone`` when one is known."""
    ends_at: datetime
    zone_name: str | None
    """An IANA name, or None when the invitation gives only an offset (or UTC)."""
    zone_note: str | None
    """Said in the written file: how a Windows zone name or a bare offset was read."""
    organizer: Address | None
    attendees: tuple[Address, ...]
    end_assumed: bool = False
    """No DTEND or DURATION: the end is the start plus ASSUMED_MINUTES."""

    @property
    def label(self) -> str:
        return f"event {self.summary!r}" if self.summary else "an event without a title"


def read_events(paths: Sequence[Path]) -> list[Event]:
    """Every event of every invitation, sorted by start; a later SEQUENCE replaces an earlier."""
    events: dict[str, Event] = {}
    unnamed: list[Event] = []
    for path in paths:
        for calendar in _calendars(path):
            method = str(calendar.get("METHOD", "")).upper()
            found = list(calendar.walk("VEVENT"))
            # Google's exports give UTC times and name the calendar's zone here.
            calendar_zone = str(calendar.get("X-WR-TIMEZONE", "")).strip() or None
            for component in found:
                summary = str(component.get("SUMMARY", "")).strip()
                what = f"event {summary!r}" if summary else "the event"
                if method == "CANCEL" or str(component.get("STATUS", "")).upper() == "CANCELLED":
                    raise BadInput(
                        f"{path}: {what} is cancelled (METHOD:CANCEL or "
                        "STATUS:CANCELLED); there is no interview to thank anyone for"
                    )
                event = _event(path, component, summary, what, calendar_zone)
                if event.uid is None:
                    unnamed.append(event)
                elif event.uid not in events or event.sequence >= events[event.uid].sequence:
                    events[event.uid] = event
    everything = sorted([*events.values(), *unnamed], key=lambda e: e.starts_at)
    if not everything:
        names = ", ".join(str(p) for p in paths)
        raise BadInput(
            f"{names}: no event (VEVENT) in the invitation",
            hint="save the invitation itself: the .ics attachment, or the whole email as .eml",
        )
    return everything


def _calendars(path: Path) -> Iterator[Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except OSError as error:
        raise BadInput(f"{path}: cannot read: {error.strerror}") from None
    texts = [raw] if _looks_like_calendar(raw) else _calendar_parts(path, raw)
    for text in texts:
        try:
            yield from icalendar.Calendar.from_ical(text, multiple=True)
        except (ValueError, KeyError, TypeError) as error:
            raise BadInput(f"{path}: not a readable iCalendar invitation ({error})") from None


def _looks_like_calendar(raw: bytes) -> bool:
    return raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper() == b"BEGIN:VCALENDAR"


def _calendar_parts(path: Path, raw: bytes) -> list[bytes]:
    """The calendar parts of a saved email (Gmail's "Download message", Outlook's "Save as")."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    parts: list[bytes] = []
    if message.keys():
        for part in message.walk():
            if part.is_multipart():
                continue
            named_ics = (part.get_filename() or "").lower().endswith(".ics")
            if part.get_content_type() in _CALENDAR_TYPES or named_ics:
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes) and _looks_like_calendar(payload):
                    parts.append(payload)
    if not parts:
        raise BadInput(
            f"{path}: not an iCalendar invitation (no BEGIN:VCALENDAR), nor an "
            "email with a text/calendar part",
            hint="give the .ics file, or the invitation email saved as .eml",
        )
    return parts


def _event(path: Path, component: Any, summary: str, what: str, calendar_zone: str | None) -> Event:
    if "DTSTART" not in component:
        raise BadInput(f"{path}: {what} has no start (DTSTART)")
    start_property = component["DTSTART"]
    start = start_property.dt
    if not isinstance(start, datetime):
        raise BadInput(
            f"{path}: {what} is an all-day event ({start}); an interview needs its start time",
            hint="save the invitation of the interview itself",
        )
    if start.tzinfo is None:
        raise BadInput(
            f"{path}: {what} has a floating start time ({start:%Y-%m-%d %H:%M}, no "
            "time zone), so the instant it happened is unknown",
            hint="export the invitation again from the calendar that received it",
        )
    tzid = start_property.params.get("TZID")
    zone, zone_name, zone_note = _zone(tzid, start)
    starts_at = start.replace(tzinfo=zone) if zone_name else start
    ends_at = _end(path, component, what, starts_at, zone if zone_name else None, tzid)
    if zone_name is None and tzid is None and calendar_zone is not None:
        try:
            shown = ZoneInfo(calendar_zone)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            starts_at, ends_at = starts_at.astimezone(shown), ends_at.astimezone(shown)
            zone_name, zone_note = calendar_zone, None
    if ends_at <= starts_at:
        raise BadInput(
            f"{path}: {what} ends ({ends_at:%Y-%m-%d %H:%M}) before it starts "
            f"({starts_at:%Y-%m-%d %H:%M})"
        )
    organizer = _address(component.get("ORGANIZER"), organizer=True)
    attendees = component.get("ATTENDEE", [])
    if not isinstance(attendees, list):
        attendees = [attendees]
    sequence = component.get("SEQUENCE", 0)
    return Event(
        source=path,
        summary=summary,
        uid=str(component["UID"]) if "UID" in component else None,
        sequence=int(sequence) if str(sequence).isdigit() else 0,
        starts_at=starts_at,
        ends_at=ends_at,
        zone_name=zone_name,
        zone_note=zone_note,
        organizer=organizer,
        end_assumed="DTEND" not in component and "DURATION" not in component,
        attendees=tuple(a for a in (_address(value) for value in attendees) if a is not None),
    )


def _zone(tzid: object, start: datetime) -> tuple[tzinfo | None, str | None, str | None]:
    """The IANA zone for a TZID: itself, the Windows name's mapping, or none (offset only)."""
    if tzid is None:
        if start.utcoffset() == timedelta(0):
            return (
                None,
                None,
                (
                    "the invitation gives the time in UTC; add timezone = "
                    '"Region/City" to show it in your own time'
                ),
            )
        return None, None, None
    name = str(tzid).strip().strip('"')
    for candidate in (name, WINDOWS_TO_OLSON.get(name)):
        if candidate:
            try:
                zone = ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
            note = (
                None
                if candidate == name
                else (f"the invitation's Windows time zone {name!r} is {candidate}")
            )
            return zone, candidate, note
    offset = start.utcoffset()
    return (
        None,
        None,
        (
            f"the invitation's time zone {name!r} has no IANA name; the start "
            f"is written with its UTC offset ({offset})"
        ),
    )


def _end(
    path: Path,
    component: Any,
    what: str,
    starts_at: datetime,
    zone: tzinfo | None,
    start_tzid: object,
) -> datetime:
    if "DTEND" in component:
        end = component["DTEND"].dt
        if not isinstance(end, datetime) or end.tzinfo is None:
            raise BadInput(f"{path}: {what} has an end (DTEND) without a time and zone")
        same_zone = zone is not None and component["DTEND"].params.get("TZID") == start_tzid
        return end.replace(tzinfo=zone) if same_zone else end
    if "DURATION" in component:
        duration = component["DURATION"].dt
        if isinstance(duration, timedelta):
            return starts_at + duration
    # RFC 5545: a DTSTART with a time and neither DTEND nor DURATION ends when it starts;
    # an interview still had a length: the loader's default, marked for checking.
    return starts_at + timedelta(minutes=ASSUMED_MINUTES)


def _address(value: Any, *, organizer: bool = False) -> Address | None:
    if value is None:
        return None
    params = getattr(value, "params", {})
    text = str(params.get("EMAIL") or value).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.strip()
    if "@" not in text:
        return None  # urn:uuid and the like: no address to write to
    common_name = params.get("CN")
    return Address(
        email=text,
        common_name=str(common_name).strip() if common_name else None,
        cutype=str(params.get("CUTYPE", "INDIVIDUAL")).upper(),
        role=str(params.get("ROLE", "REQ-PARTICIPANT")).upper(),
        partstat=str(params.get("PARTSTAT", "NEEDS-ACTION")).upper(),
        organizer=organizer,
    )


def check_timing(events: Sequence[Event], now: datetime) -> None:
    """Refuse an invitation a year away or long past: it is not this interview's."""
    first, last = events[0], events[-1]
    if first.starts_at - now > timedelta(days=365):
        raise BadInput(
            f"{first.source}: {first.label} starts on {first.starts_at:%Y-%m-%d}, more "
            "than a year from now; is this the right invitation?"
        )
    if now - last.ends_at > timedelta(days=PAST_LIMIT_DAYS):
        raise BadInput(
            f"{last.source}: {last.label} ended on {last.ends_at:%Y-%m-%d}, more than "
            f"{PAST_LIMIT_DAYS} days ago: too late for a thank-you note; is this the "
            "right invitation?"
        )
    span = last.ends_at - first.starts_at
    if span > timedelta(hours=24):
        raise BadInput(
            f"{last.source}: the events run from {first.starts_at:%Y-%m-%d %H:%M} to "
            f"{last.ends_at:%Y-%m-%d %H:%M}, more than a day: one interview file is "
            "one interview day",
            hint="give the invitations of one day at a time",
        )


ASSUMED_MINUTES = 60
"""The length of an event that gives no end, as the loader's default duration."""

PAST_LIMIT_DAYS = 30
"""An interview that ended longer ago than this is too old for a thank-you note."""
