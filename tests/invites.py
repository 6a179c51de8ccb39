"""Calendar invitations as Google Calendar, Outlook/Exchange and Apple Calendar write them.

Built from the RFC 5545 structure and the shapes these programs publish and send
(Google: UTC times, CN equal to the address for people without a profile name,
rooms at resource.calendar.google.com; Outlook/Exchange: Windows zone names with
their own VTIMEZONE, folded lines, ROLE=OPT-PARTICIPANT, room mailboxes; Apple:
IANA TZID with a VTIMEZONE, quoted CN and EMAIL parameters, urn:uuid addresses).
Every person here is invented.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

CRLF = "\r\n"


@dataclass
class Person:
    email: str
    name: str | None = None
    """The CN; None leaves CN out, "=" writes the address itself (as Google does)."""
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class Session:
    summary: str
    start: str
    """Local wall time, e.g. 20261125T140000 (or with Z for UTC)."""
    end: str
    organizer: Person
    attendees: list[Person]
    uid: str = ""
    status: str = "CONFIRMED"
    extra: list[str] = field(default_factory=list)


def fold(line: str) -> str:
    """RFC 5545 folding at 75 octets, as Outlook does (CRLF and one space)."""
    out, current = [], ""
    for char in line:
        if len((current + char).encode()) > 75:
            out.append(current)
            current = " " + char
        else:
            current += char
    out.append(current)
    return CRLF.join(out)


def _address_line(kind: str, person: Person, style: str) -> str:
    params = dict(person.params)
    cn = person.email if person.name == "=" else person.name
    parts = [kind]
    if style == "google" and kind == "ATTENDEE":
        parts += [
            f"CUTYPE={params.pop('CUTYPE', 'INDIVIDUAL')}",
            f"ROLE={params.pop('ROLE', 'REQ-PARTICIPANT')}",
            f"PARTSTAT={params.pop('PARTSTAT', 'NEEDS-ACTION')}",
            "RSVP=TRUE",
        ]
    if cn is not None:
        parts.append(f'CN="{cn}"' if style == "apple" or "," in cn else f"CN={cn}")
    if style == "apple":
        parts.append(f'EMAIL="{person.email}"')
    parts += [f"{key}={value}" for key, value in params.items()]
    if style == "google" and kind == "ATTENDEE":
        parts.append("X-NUM-GUESTS=0")
    value = f"mailto:{person.email}"
    if style == "apple" and person.params.get("X-APPLE-UUID"):
        value = f"urn:uuid:{person.params['X-APPLE-UUID']}"
    return ";".join(parts) + ":" + value


EASTERN_VTIMEZONE = [
    "BEGIN:VTIMEZONE",
    "TZID:Eastern Standard Time",
    "BEGIN:STANDARD",
    "DTSTART:16010101T020000",
    "TZOFFSETFROM:-0400",
    "TZOFFSETTO:-0500",
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=1SU;BYMONTH=11",
    "END:STANDARD",
    "BEGIN:DAYLIGHT",
    "DTSTART:16010101T020000",
    "TZOFFSETFROM:-0500",
    "TZOFFSETTO:-0400",
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=2SU;BYMONTH=3",
    "END:DAYLIGHT",
    "END:VTIMEZONE",
]
W_EUROPE_VTIMEZONE = [
    "BEGIN:VTIMEZONE",
    "TZID:W. Europe Standard Time",
    "BEGIN:STANDARD",
    "DTSTART:16010101T030000",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10",
    "END:STANDARD",
    "BEGIN:DAYLIGHT",
    "DTSTART:16010101T020000",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3",
    "END:DAYLIGHT",
    "END:VTIMEZONE",
]
LONDON_VTIMEZONE = [
    "BEGIN:VTIMEZONE",
    "TZID:Europe/London",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "DTSTART:19810329T010000",
    "TZNAME:BST",
    "TZOFFSETTO:+0100",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0100",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "DTSTART:19961027T020000",
    "TZNAME:GMT",
    "TZOFFSETTO:+0000",
    "END:STANDARD",
    "END:VTIMEZONE",
]


def google(*sessions: Session, method: str = "REQUEST", zone: str | None = None) -> str:
    """Google Calendar: UTC times; an export names the calendar's zone in X-WR-TIMEZONE."""
    head = [
        "BEGIN:VCALENDAR",
        "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
    ]
    if zone:
        head.append(f"X-WR-TIMEZONE:{zone}")
    body = []
    for number, session in enumerate(sessions):
        body += [
            "BEGIN:VEVENT",
            f"DTSTART:{session.start}",
            f"DTEND:{session.end}",
            "DTSTAMP:20261118T120000Z",
            _address_line("ORGANIZER", session.organizer, "google"),
            f"UID:{session.uid or f'g{number}x7kq2@google.com'}",
            *[_address_line("ATTENDEE", p, "google") for p in session.attendees],
            "CREATED:20261118T120000Z",
            "DESCRIPTION:-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:-",
            "LOCATION:",
            "SEQUENCE:0",
            f"STATUS:{session.status}",
            f"SUMMARY:{session.summary}",
            "TRANSP:OPAQUE",
            *session.extra,
            "END:VEVENT",
        ]
    return CRLF.join([*head, *body, "END:VCALENDAR"]) + CRLF


def outlook(
    *sessions: Session, method: str = "REQUEST", zone: str = "Eastern Standard Time"
) -> str:
    """Outlook/Exchange: a Windows zone name with its own VTIMEZONE, lines folded at 75."""
    vtimezone = EASTERN_VTIMEZONE if zone == "Eastern Standard Time" else W_EUROPE_VTIMEZONE
    lines = [
        "BEGIN:VCALENDAR",
        f"METHOD:{method}",
        "PRODID:Microsoft Exchange Server 2010",
        "VERSION:2.0",
        *vtimezone,
    ]
    for number, session in enumerate(sessions):
        lines += [
            "BEGIN:VEVENT",
            _address_line("ORGANIZER", session.organizer, "outlook"),
            *[_address_line("ATTENDEE", p, "outlook") for p in session.attendees],
            "DESCRIPTION;LANGUAGE=en-US:Please join us for a conversation with the team."
            " A Teams link follows below this line of text.\\n",
            f"UID:{session.uid or f'040000008200E00074C5B7101A82E00800000000{number}'}",
            f"SUMMARY;LANGUAGE=en-US:{session.summary}",
            f"DTSTART;TZID={zone}:{session.start}",
            f"DTEND;TZID={zone}:{session.end}",
            "CLASS:PUBLIC",
            "PRIORITY:5",
            "DTSTAMP:20261118T120000Z",
            "TRANSP:OPAQUE",
            f"STATUS:{session.status}",
            "SEQUENCE:0",
            "LOCATION;LANGUAGE=en-US:Microsoft Teams Meeting",
            "X-MICROSOFT-CDO-APPT-SEQUENCE:0",
            "X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE",
            "X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY",
            "X-MICROSOFT-CDO-ALLDAYEVENT:FALSE",
            *session.extra,
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return CRLF.join(fold(line) for line in lines) + CRLF


def apple(*sessions: Session, method: str = "REQUEST", zone: str = "Europe/London") -> str:
    """Apple Calendar: IANA TZID with a VTIMEZONE, quoted CN, EMAIL parameters."""
    lines = [
        "BEGIN:VCALENDAR",
        f"METHOD:{method}",
        "VERSION:2.0",
        "PRODID:-//Apple Inc.//macOS 15.1//EN",
        "CALSCALE:GREGORIAN",
        *LONDON_VTIMEZONE,
    ]
    for number, session in enumerate(sessions):
        lines += [
            "BEGIN:VEVENT",
            *[_address_line("ATTENDEE", p, "apple") for p in session.attendees],
            "CREATED:20261118T120000Z",
            f"DTEND;TZID={zone}:{session.end}",
            f"UID:{session.uid or f'5E1A9C3B-0D2F-4B7A-9E1C-00000000000{number}'}",
            "DTSTAMP:20261118T120000Z",
            "LOCATION:Initech HQ, 1 Example Street",
            "SEQUENCE:0",
            f"SUMMARY:{session.summary}",
            f"DTSTART;TZID={zone}:{session.start}",
            f"STATUS:{session.status}",
            _address_line("ORGANIZER", session.organizer, "apple"),
            *session.extra,
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return CRLF.join(lines) + CRLF


def eml(calendar: str, *, subject: str = "Invitation: Interview") -> bytes:
    """A saved invitation email (Gmail's "Download message"): the calendar twice, base64."""
    encoded = base64.encodebytes(calendar.encode()).decode()
    return (
        "From: Rosa Marsh <rosa.marsh@acme.example>\r\n"
        "To: ada@example.com\r\n"
        f"Subject: {subject}\r\n"
        "Date: Wed, 18 Nov 2026 12:00:00 +0000\r\n"
        "Message-ID: <invite-1@acme.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
        "--outer\r\n"
        'Content-Type: multipart/alternative; boundary="inner"\r\n\r\n'
        "--inner\r\n"
        'Content-Type: text/plain; charset="UTF-8"\r\n\r\n'
        "You have been invited to the following event.\r\n\r\n"
        "--inner\r\n"
        'Content-Type: text/calendar; charset="UTF-8"; method=REQUEST\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{encoded}\r\n"
        "--inner--\r\n\r\n"
        "--outer\r\n"
        'Content-Type: application/ics; name="invite.ics"\r\n'
        'Content-Disposition: attachment; filename="invite.ics"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{encoded}\r\n"
        "--outer--\r\n"
    ).encode()
