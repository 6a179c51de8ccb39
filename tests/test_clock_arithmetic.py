"""Time arithmetic is done on instants (UTC); zones only display them.

A local ``starts_at`` with a ``timezone`` is read by the real loader. The
interview's end and the 24-hour deadline must be exactly ``duration`` and
``duration + 24 h`` after the start *instant*, whatever the zone and whatever
daylight-saving jump falls inside the interval. A local time that occurs twice
(the repeated hour of a fall-back night) is its first occurrence.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import thanknote_executable
from tests.helpers import interview_toml, write_interview
from thanknote import loader, rules
from thanknote.model import InterviewFile
from thanknote.rules import ON_TIME_HOURS

ZONES = sorted(available_timezones())


def load_local(local: datetime, zone: str, minutes: int, directory: Path) -> InterviewFile:
    path = directory / "interview.toml"
    path.write_text(
        interview_toml(
            interview={
                "starts_at": local.replace(tzinfo=None).isoformat(timespec="seconds"),
                "timezone": zone,
                "duration_minutes": minutes,
            }
        ),
        encoding="utf-8",
    )
    return loader.load(path)


@settings(max_examples=300, deadline=None)
@given(
    instant=st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
    ).map(lambda t: t.replace(microsecond=0, second=0)),
    zone=st.sampled_from(ZONES),
    minutes=st.integers(min_value=1, max_value=1440),
)
def test_end_and_deadline_are_exact_durations_after_the_start_instant(
    instant: datetime, zone: str, minutes: int
) -> None:
    local = instant.astimezone(ZoneInfo(zone))
    first = local.replace(fold=0)
    with tempfile.TemporaryDirectory() as directory:
        interview = load_local(local, zone, minutes, Path(directory)).interview
    start = interview.starts_at.astimezone(UTC)
    # The file holds a wall-clock time: a repeated one means its first occurrence.
    assert start == first.astimezone(UTC)
    ambiguous = local.replace(fold=1).utcoffset() != first.utcoffset()
    assert interview.start_is_ambiguous == ambiguous
    assert (rules.ambiguous_start(interview) is not None) == ambiguous
    assert interview.ends_at.astimezone(UTC) - start == timedelta(minutes=minutes)
    assert interview.deadline.astimezone(UTC) - start == timedelta(
        minutes=minutes, hours=ON_TIME_HOURS
    )
    # The timing rules compare instants: one second before the end is before it.
    end = start + timedelta(minutes=minutes)
    assert rules.timing_problem(interview, end - timedelta(seconds=1)) is not None
    assert rules.timing_problem(interview, end) is None
    deadline = end + timedelta(hours=ON_TIME_HOURS)
    assert rules.hours_late(interview, deadline) is None
    assert rules.hours_late(interview, deadline + timedelta(seconds=36)) == 0.01


@settings(max_examples=300, deadline=None)
@given(
    instant=st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(ZONES),
    minutes=st.integers(min_value=1, max_value=1440),
    fold=st.integers(min_value=0, max_value=1),
)
def test_an_interview_placed_in_any_zone_ends_exactly_duration_later(
    instant: datetime, zone: str, minutes: int, fold: int
) -> None:
    # Straight from the model, with either occurrence of a repeated local time.
    with tempfile.TemporaryDirectory() as directory:
        file = load_local(instant.astimezone(ZoneInfo(zone)), zone, minutes, Path(directory))
    local = instant.astimezone(ZoneInfo(zone)).replace(fold=fold)
    interview = type(file.interview)(**{**file.interview.__dict__, "starts_at": local})
    start = local.astimezone(UTC)
    assert interview.ends_at - start == timedelta(minutes=minutes)
    assert interview.deadline - start == timedelta(minutes=minutes + 60 * ON_TIME_HOURS)


def run(*arguments: str, now: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [thanknote_executable(), *arguments],
        capture_output=True,
        text=True,
        env={**os.environ, "THANKNOTE_NOW": now},
        timeout=60,
        check=False,
    )


def test_spring_forward_a_send_before_the_end_instant_is_refused(tmp_path: Path) -> None:
    # 01:30 EST; the clocks jump 02:00 -> 03:00; 90 minutes later is 08:00 UTC (04:00 EDT).
    file = write_interview(
        tmp_path, interview={"starts_at": "2026-03-08T01:30:00", "timezone": "America/New_York"}
    )
    early = run("send", str(file), "--via", "smtp", "--dry-run", now="2026-03-08T07:15:00Z")
    assert early.returncode == 3, early.stdout + early.stderr
    assert "has not ended yet (it ends Sun 08 Mar 04:00 EDT)" in early.stderr
    after = run("send", str(file), "--via", "smtp", "--dry-run", now="2026-03-08T08:00:00Z")
    assert after.returncode == 0, after.stdout + after.stderr
    assert "would send" in after.stdout


def test_fall_back_the_deadline_is_24_hours_after_the_end_instant(tmp_path: Path) -> None:
    # 01:30 EDT (the first 01:30) is 05:30 UTC; the end is 07:00 UTC, the deadline
    # 07:00 UTC the next day. Wall-clock arithmetic put both an hour late.
    file = write_interview(
        tmp_path, interview={"starts_at": "2026-11-01T01:30:00", "timezone": "America/New_York"}
    )
    on_end = run("send", str(file), "--via", "smtp", "--dry-run", now="2026-11-01T07:00:00Z")
    assert on_end.returncode == 0, on_end.stdout + on_end.stderr
    late = run("send", str(file), "--via", "smtp", "--dry-run", now="2026-11-02T07:30:00Z")
    assert late.returncode == 0, late.stdout + late.stderr
    assert "on_time: false" in late.stdout + late.stderr


def test_preview_says_which_occurrence_of_a_repeated_hour_it_read(tmp_path: Path) -> None:
    file = write_interview(
        tmp_path, interview={"starts_at": "2026-11-01T01:30:00", "timezone": "America/New_York"}
    )
    done = run("preview", str(file), now="2026-11-01T12:00:00Z")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "starts_at 2026-11-01T01:30 occurs twice in America/New_York (the clocks go back "
        "that night); thanknote reads it as the first, 01:30 EDT (05:30 UTC)"
    ) in done.stdout
    assert "2026-11-01T01:30:00-05:00" in done.stdout
    plain = write_interview(tmp_path, "plain.toml")
    assert "occurs twice" not in run("preview", str(plain), now="2026-11-26T12:00:00Z").stdout
