"""The interview's times as the file writes them: its timezone, start, length and follow-up day.

Each function reads one ``[interview]`` field's TOML value and returns it
checked, or raises :class:`TimeProblem` saying what is wrong in the user's
terms; :mod:`thanknote.loader` adds the file, the line and the field.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from thanknote import rules

DEFAULT_DURATION_MINUTES = 60


class TimeProblem(ValueError):
    """Why the ``[interview]`` field ``key`` cannot be read."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def timezone_named(name: str) -> ZoneInfo:
    """The IANA timezone ``name`` ('America/New_York')."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeProblem(
            "timezone",
            f"unknown timezone {name!r} (use an IANA name "
            "such as 'America/New_York' or 'Europe/London')",
        ) from None


def start_of(value: object, zone: ZoneInfo | None) -> datetime:
    """The start instant: a date-time with an offset, or a local one placed in ``zone``."""

    def problem(message: str) -> TimeProblem:
        return TimeProblem("starts_at", message)

    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value
        if zone is None:
            raise problem(
                f"{value.isoformat()} has no UTC offset and no timezone is given: "
                "write it with an offset (2026-11-25T14:00:00-05:00) or add "
                'timezone = "America/New_York"'
            )
        placed = value.replace(tzinfo=zone)
        # A wall-clock time skipped by a daylight-saving jump does not exist.
        if placed.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value:
            raise problem(
                f"{value.isoformat()} does not exist in {zone.key} "
                "(the clocks skip it for daylight saving time)"
            )
        return placed
    if isinstance(value, date | time):
        raise problem(
            f"must be a date and time with an offset, not just a "
            f"{'date' if isinstance(value, date) else 'time'} ({value.isoformat()})"
        )
    raise problem(f"must be a date-time such as 2026-11-25T14:00:00-05:00, not {describe(value)}")


def duration_of(value: object) -> int:
    """The length in minutes, from 1 to 1440."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1440:
        raise TimeProblem(
            "duration_minutes", f"must be a whole number of minutes from 1 to 1440, not {value!r}"
        )
    return value


def follow_up_day(value: object, local_day: date) -> date:
    """The day to follow up on: as written, or ten days after the interview's ``local_day``."""
    if value is None:
        return rules.first_follow_up_on(local_day)
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TimeProblem(
            "follow_up_on", f"must be a date such as 2026-12-07, not {describe(value)}"
        )
    if value < local_day:
        raise TimeProblem("follow_up_on", f"{value} is before the interview ({local_day})")
    return value


def describe(value: object) -> str:
    """What kind of TOML value ``value`` is, as an error message names it."""
    names = {
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "true/false",
        list: "a list",
        dict: "a table",
        datetime: "a date-time",
        date: "a date",
        time: "a time",
    }
    return names.get(type(value), type(value).__name__)
