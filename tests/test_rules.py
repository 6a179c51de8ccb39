"""The protocol's rules, each as a table of every case (thanknote.rules: pure functions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from thanknote import rules
from thanknote.rules import Latest, Process, Resume, Skip, Standing, State
from thanknote.values import Channel, Kind, Purpose, Status

# -- whether a logged note may be delivered again ------------------------------------------


@dataclass(frozen=True)
class Drafted:
    to: str = "grace@analytical.example"
    subject: str = "Thank you"
    body: str = "Dear Grace, ..."


NOTE = Drafted()
CHANGED = Drafted(body="Dear Grace, (edited) ...")
SENT_AT = "2026-11-25T18:30:00.123456+00:00"
ADVICE = "check your Sent folder, then use --resend grace@analytical.example to send it again"


def latest(
    status: Status,
    via: Channel = Channel.SMTP,
    gmail_id: str | None = None,
    *,
    live: bool = False,
    error: str | None = None,
    pid: int | None = None,
) -> Latest:
    return Latest(
        status,
        via,
        gmail_id,
        NOTE.subject,
        NOTE.body,
        SENT_AT if status is Status.SENT else None,
        live,
        error,
        pid,
    )


DECIDE_CASES = [
    # (id, latest row, note, via now, purpose, resend, expected)
    ("never logged", None, NOTE, Channel.SMTP, Purpose.SEND, False, Resume()),
    (
        "resend of a sent note",
        latest(Status.SENT),
        NOTE,
        Channel.SMTP,
        Purpose.SEND,
        True,
        Resume(),
    ),
    (
        "sent",
        latest(Status.SENT),
        NOTE,
        Channel.SMTP,
        Purpose.SEND,
        False,
        Skip("already sent 2026-11-25 18:30 UTC via smtp", Status.SENT),
    ),
    (
        "sent via gmail, now a draft",
        latest(Status.SENT, Channel.GMAIL, "m1"),
        NOTE,
        Channel.GMAIL,
        Purpose.DRAFT,
        False,
        Skip("already sent 2026-11-25 18:30 UTC via gmail", Status.SENT),
    ),
    (
        "being sent by a live process",
        latest(Status.SENDING, live=True, pid=4242),
        NOTE,
        Channel.SMTP,
        Purpose.SEND,
        False,
        Skip("being sent by process 4242; run again when it finishes", Status.UNKNOWN),
    ),
    (
        "live, pid unknown, even with a Gmail draft",
        latest(Status.UNKNOWN, Channel.GMAIL, "r1", live=True),
        NOTE,
        Channel.GMAIL,
        Purpose.SEND,
        False,
        Skip("being sent by another thanknote run; run again when it finishes", Status.UNKNOWN),
    ),
    (
        "interrupted Gmail send with its draft: resume it",
        latest(Status.SENDING, Channel.GMAIL, "r1"),
        NOTE,
        Channel.GMAIL,
        Purpose.SEND,
        False,
        Resume("r1", Status.SENDING),
    ),
    (
        "unknown Gmail send with its draft: resume it",
        latest(Status.UNKNOWN, Channel.GMAIL, "r1"),
        NOTE,
        Channel.GMAIL,
        Purpose.SEND,
        False,
        Resume("r1", Status.UNKNOWN),
    ),
    (
        "interrupted Gmail send before a draft id: look for strays",
        latest(Status.SENDING, Channel.GMAIL),
        NOTE,
        Channel.GMAIL,
        Purpose.SEND,
        False,
        Resume(strays=True),
    ),
    (
        "unknown Gmail send without a draft id",
        latest(Status.UNKNOWN, Channel.GMAIL),
        NOTE,
        Channel.GMAIL,
        Purpose.SEND,
        False,
        Skip(
            "unknown: the answer to an earlier attempt was lost, so it may have gone out; "
            + ADVICE,
            Status.UNKNOWN,
        ),
    ),
    (
        "interrupted SMTP send",
        latest(Status.SENDING),
        NOTE,
        Channel.SMTP,
        Purpose.SEND,
        False,
        Skip(
            f"unknown: an earlier run stopped while sending it, so it may have gone out; {ADVICE}",
            Status.UNKNOWN,
        ),
    ),
    (
        "interrupted Gmail send, now by SMTP",
        latest(Status.SENDING, Channel.GMAIL, "r1"),
        NOTE,
        Channel.SMTP,
        Purpose.SEND,
        False,
        Skip(
            f"unknown: an earlier run stopped while sending it, so it may have gone out; {ADVICE}",
            Status.UNKNOWN,
        ),
    ),
    (
        "unknown SMTP send, with what happened",
        latest(Status.UNKNOWN, error="the connection was lost after DATA."),
        NOTE,
        Channel.SMTP,
        Purpose.SEND,
        False,
        Skip(
            f"unknown: the connection was lost after DATA. Before sending again, {ADVICE}",
            Status.UNKNOWN,
        ),
    ),
    (
        "drafted, drafting again, same text",
        latest(Status.DRAFTED, Channel.GMAIL, "r1"),
        NOTE,
        Channel.GMAIL,
        Purpose.DRAFT,
        False,
        Skip("already drafted (Gmail draft r1)", Status.DRAFTED),
    ),
    (
        "drafted, drafting again, file changed",
        latest(Status.DRAFTED, Channel.GMAIL, "r1"),
        CHANGED,
        Channel.GMAIL,
        Purpose.DRAFT,
        False,
        Skip(
            "already drafted (Gmail draft r1); the file has changed since: --resend "
            "grace@analytical.example makes a new draft (then delete the old one)",
            Status.DRAFTED,
        ),
    ),
    (
        "drafted, sending through Gmail, file changed",
        latest(Status.DRAFTED, Channel.GMAIL, "r1"),
        CHANGED,
        Channel.GMAIL,
        Purpose.SEND,
        False,
        Skip(
            "its Gmail draft (r1) was made from an earlier version of the file; send that "
            "draft from Gmail as it is, or use --resend grace@analytical.example for a new "
            "one (then delete the old draft)",
            Status.DRAFTED,
        ),
    ),
    (
        "drafted, sending through Gmail, same text: send that draft",
        latest(Status.DRAFTED, Channel.GMAIL, "r1"),
        NOTE,
        Channel.GMAIL,
        Purpose.SEND,
        False,
        Resume("r1", Status.DRAFTED),
    ),
    (
        "drafted in Gmail, now sent by SMTP",
        latest(Status.DRAFTED, Channel.GMAIL, "r1"),
        NOTE,
        Channel.SMTP,
        Purpose.SEND,
        False,
        Resume(),
    ),
    (
        "failed Gmail send with a draft, same text: reuse the draft",
        latest(Status.FAILED, Channel.GMAIL, "r1"),
        NOTE,
        Channel.GMAIL,
        Purpose.SEND,
        False,
        Resume("r1", Status.FAILED),
    ),
    (
        "failed Gmail send with a draft, file changed",
        latest(Status.FAILED, Channel.GMAIL, "r1"),
        CHANGED,
        Channel.GMAIL,
        Purpose.SEND,
        False,
        Resume(),
    ),
    (
        "failed Gmail send without a draft id: look for strays",
        latest(Status.FAILED, Channel.GMAIL),
        NOTE,
        Channel.GMAIL,
        Purpose.SEND,
        False,
        Resume(strays=True),
    ),
    (
        "failed SMTP send",
        latest(Status.FAILED),
        NOTE,
        Channel.SMTP,
        Purpose.SEND,
        False,
        Resume(),
    ),
    (
        "failed by SMTP, now through Gmail",
        latest(Status.FAILED),
        NOTE,
        Channel.GMAIL,
        Purpose.SEND,
        False,
        Resume(),
    ),
    (
        "a plain-string row (as SQLite hands it) decides the same",
        Latest("sent", "gmail", "m1", "s", "b", SENT_AT),
        NOTE,
        "smtp",
        "send",
        False,
        Skip("already sent 2026-11-25 18:30 UTC via gmail", Status.SENT),
    ),
]


@pytest.mark.parametrize(
    ("row", "note", "via", "purpose", "resend", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in DECIDE_CASES],
)
def test_decide(
    row: Latest | None,
    note: Drafted,
    via: Channel,
    purpose: Purpose,
    resend: bool,
    expected: Skip | Resume,
) -> None:
    assert rules.decide(row, note, via=via, purpose=purpose, resend=resend) == expected


# -- the send window and lateness -------------------------------------------------------


@dataclass(frozen=True)
class Meeting:
    starts_at: datetime
    ends_at: datetime
    display_timezone: tzinfo = UTC
    timezone_name: str | None = None


END = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
MEETING = Meeting(END - timedelta(hours=1), END)
HOUR = timedelta(hours=1)
MICROSECOND = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("when", "ended", "hours_late", "late_warning"),
    [
        pytest.param(END - MICROSECOND, False, None, None, id="before the end"),
        pytest.param(END, True, None, None, id="at the end"),
        pytest.param(END + 24 * HOUR, True, None, None, id="exactly 24 h after: on time"),
        pytest.param(
            END + 24 * HOUR + timedelta(seconds=36),
            True,
            0.01,
            "if sent now, it would be 24.0 h after the interview ended, 0.0 h past the "
            "24 h the protocol asks for; the log would mark it on_time: false",
            id="36 s late",
        ),
        pytest.param(
            END + 50 * HOUR,
            True,
            26.0,
            "if sent now, it would be 50.0 h after the interview ended, 26.0 h past the "
            "24 h the protocol asks for; the log would mark it on_time: false",
            id="26 h late",
        ),
    ],
)
def test_the_send_window(
    when: datetime, ended: bool, hours_late: float | None, late_warning: str | None
) -> None:
    assert rules.has_ended(MEETING.ends_at, when) is ended
    assert (rules.timing_problem(MEETING, when) is None) is ended
    assert rules.hours_late(MEETING, when) == hours_late
    assert rules.late_warning(MEETING, when) == late_warning


@pytest.mark.parametrize(
    ("kind", "sent_at", "expected"),
    [
        pytest.param(Kind.THANK_YOU, None, None, id="not sent"),
        pytest.param(Kind.THANK_YOU, END + 3 * HOUR, True, id="3 h after the end"),
        pytest.param(Kind.THANK_YOU, END + 24 * HOUR, True, id="exactly 24 h"),
        pytest.param(Kind.THANK_YOU, END + 24 * HOUR + MICROSECOND, False, id="a moment late"),
        pytest.param(Kind.FOLLOW_UP, END + 240 * HOUR, None, id="a follow-up is not judged"),
        pytest.param("thank-you", END + 30 * HOUR, False, id="the stored string"),
    ],
)
def test_on_time(kind: Kind | str, sent_at: datetime | None, expected: bool | None) -> None:
    assert rules.on_time(kind, END, sent_at) is expected


@pytest.mark.parametrize(
    ("hours", "late", "lateness"),
    [
        pytest.param(-1.0, False, None, id="before the end"),
        pytest.param(0.0, False, None, id="at the end"),
        pytest.param(24.0, False, None, id="24 h"),
        pytest.param(24.5, True, 0.5, id="24.5 h"),
    ],
)
def test_lateness(hours: float, late: bool, lateness: float | None) -> None:
    assert rules.is_late(hours) is late
    assert rules.lateness(hours) == lateness


@dataclass(frozen=True)
class Kinded:
    kind: str


@pytest.mark.parametrize(
    ("sent", "when", "expected"),
    [
        pytest.param([], END + HOUR, ("", False), id="nothing sent"),
        pytest.param(
            [Kinded(Kind.FOLLOW_UP)], END + 300 * HOUR, ("", False), id="follow-ups: not judged"
        ),
        pytest.param(
            [Kinded(Kind.THANK_YOU), Kinded(Kind.FOLLOW_UP)],
            END + HOUR,
            ("", False),
            id="a mixed batch: not judged",
        ),
        pytest.param(
            [Kinded(Kind.THANK_YOU)],
            END + timedelta(hours=18, minutes=30),
            ("sent 18.5 h after the interview ended: on time", False),
            id="on time",
        ),
        pytest.param(
            [Kinded("thank-you")],
            END + 30 * HOUR,
            (
                "sent 30.0 h after the interview ended, 6.0 h past the 24 h the protocol "
                "asks for; the log marks it on_time: false",
                True,
            ),
            id="late",
        ),
    ],
)
def test_sent_timing(sent: list[Kinded], when: datetime, expected: tuple[str, bool]) -> None:
    assert rules.sent_timing(MEETING, when, sent) == expected


NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("starts_at", "ambiguous"),
    [
        pytest.param(datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK), True, id="fall-back hour"),
        pytest.param(
            datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NEW_YORK), True, id="its second time"
        ),
        pytest.param(datetime(2026, 11, 1, 3, 30, tzinfo=NEW_YORK), False, id="after it"),
        pytest.param(
            datetime(2026, 3, 8, 2, 30, tzinfo=NEW_YORK),
            True,
            id="in the spring gap: two readings too",
        ),
        pytest.param(datetime(2026, 11, 1, 1, 30, tzinfo=UTC), False, id="UTC"),
    ],
)
def test_ambiguous_start(starts_at: datetime, ambiguous: bool) -> None:
    meeting = Meeting(starts_at, starts_at + HOUR, NEW_YORK, "America/New_York")
    assert rules.start_is_ambiguous(starts_at) is ambiguous
    warning = rules.ambiguous_start(meeting)
    assert (warning is not None) is ambiguous
    if warning is not None:
        assert "occurs twice in America/New_York" in warning


# -- follow-ups ---------------------------------------------------------------------------

ON = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("today", "followed_up_on", "done", "only_drafted", "expected"),
    [
        pytest.param(
            ON - timedelta(days=1), [], False, False, Standing(State.WAITING, ON), id="waiting"
        ),
        pytest.param(ON, [], False, False, Standing(State.DUE, ON), id="due on the day"),
        pytest.param(
            ON + timedelta(days=30), [], False, False, Standing(State.DUE, ON), id="overdue"
        ),
        pytest.param(ON, [], False, True, Standing(State.DRAFTED, ON), id="only drafted"),
        pytest.param(
            ON + timedelta(days=6),
            [ON],
            False,
            False,
            Standing(State.FOLLOWED_UP, ON + timedelta(days=7)),
            id="followed up, a second not yet fair",
        ),
        pytest.param(
            ON + timedelta(days=7),
            [ON],
            False,
            True,
            Standing(State.SECOND_DUE, ON + timedelta(days=7)),
            id="second due a week after the first",
        ),
        pytest.param(
            ON + timedelta(days=9),
            [ON, ON + timedelta(days=8)],
            False,
            False,
            Standing(State.CLOSED, None),
            id="two follow-ups: closed",
        ),
        pytest.param(ON, [], True, False, Standing(State.CLOSED, None), id="done"),
        pytest.param(ON, [ON], True, False, Standing(State.CLOSED, None), id="done after one"),
    ],
)
def test_standing(
    today: date, followed_up_on: list[date], done: bool, only_drafted: bool, expected: Standing
) -> None:
    got = rules.standing(
        follow_up_on=ON,
        today=today,
        followed_up_on=followed_up_on,
        done=done,
        only_drafted=only_drafted,
    )
    assert got == expected
    assert (got.state in rules.NEEDS_ACTION) is (got.state in (State.DUE, State.SECOND_DUE))


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        pytest.param([], False, id="no thank-you notes"),
        pytest.param([Status.DRAFTED], True, id="one draft"),
        pytest.param(["drafted", "drafted"], True, id="all drafts"),
        pytest.param([Status.DRAFTED, Status.SENT], False, id="one sent"),
        pytest.param([Status.DRAFTED, Status.UNKNOWN], False, id="one may have gone"),
    ],
)
def test_only_drafted(statuses: list[Status | str], expected: bool) -> None:
    assert rules.only_drafted(statuses) is expected


@pytest.mark.parametrize(
    ("day", "first", "second"),
    [
        pytest.param(
            date(2026, 11, 25), date(2026, 12, 5), date(2026, 11, 25) + timedelta(7), id="Nov"
        ),
        pytest.param(date(2026, 12, 28), date(2027, 1, 7), date(2027, 1, 4), id="over the year"),
        pytest.param(date(2028, 2, 25), date(2028, 3, 6), date(2028, 3, 3), id="leap February"),
    ],
)
def test_follow_up_dates(day: date, first: date, second: date) -> None:
    assert rules.first_follow_up_on(day) == first
    assert rules.second_follow_up_on(day) == second


# -- the look-alike interview -------------------------------------------------------------

KEY = ("Analytical Engines", "Backend Engineer", "2026-11-25T14:00:00+00:00")


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        pytest.param(KEY, False, id="itself"),
        pytest.param(
            ("analytical  engines.", "BACKEND ENGINEER", "2026-12-02T14:00:00+00:00"),
            True,
            id="same company and role, case, spacing and full stop aside, another start",
        ),
        pytest.param(
            ("Analytical Engines Ltd", "Backend Engineer", "2026-11-25T15:00:00+00:00"),
            False,
            id="another company at another start",
        ),
        pytest.param(
            ("Difference Engines", "Data Engineer", "2026-11-25T14:00:00+00:00"),
            True,
            id="the same start under another company and role",
        ),
        pytest.param(
            ("Analytical Engines", "Frontend Engineer", "2026-11-26T14:00:00+00:00"),
            False,
            id="another role at another start",
        ),
    ],
)
def test_look_alike(other: tuple[str, str, str], expected: bool) -> None:
    assert rules.look_alike(KEY, other) is expected


# -- the claimant's liveness --------------------------------------------------------------

HOST, OWN = "workstation", 100
STARTED = "boot-1:5000"


@pytest.mark.parametrize(
    ("claimed_by", "claimant_started", "process", "expected"),
    [
        pytest.param(None, None, None, False, id="no claimant recorded"),
        pytest.param("", None, None, False, id="empty claimant"),
        pytest.param("laptop:200", None, Process(running=True), False, id="another host"),
        pytest.param(f"{HOST}:{OWN}", None, Process(running=True), False, id="this very process"),
        pytest.param(f"{HOST}:abc", None, Process(running=True), False, id="no pid"),
        pytest.param(f"{HOST}:200", None, None, False, id="the system was not asked"),
        pytest.param(f"{HOST}:200", None, Process(running=False), False, id="gone"),
        pytest.param(f"{HOST}:200", None, Process(running=True), True, id="running, no start kept"),
        pytest.param(
            f"{HOST}:200", STARTED, Process(running=True, started=STARTED), True, id="same start"
        ),
        pytest.param(
            f"{HOST}:200",
            STARTED,
            Process(running=True, started="boot-2:10"),
            False,
            id="pid reused by another process",
        ),
        pytest.param(
            f"{HOST}:200", STARTED, Process(running=True), True, id="start unknown to the system"
        ),
        pytest.param(
            "host:with:colons:200", None, Process(running=True), False, id="host with colons"
        ),
    ],
)
def test_claim_is_live(
    claimed_by: str | None, claimant_started: str | None, process: Process | None, expected: bool
) -> None:
    live = rules.claim_is_live(
        claimed_by, claimant_started, host=HOST, own_pid=OWN, process=process
    )
    assert live is expected


@pytest.mark.parametrize(
    ("claimed_by", "pid", "local"),
    [
        pytest.param(None, None, None, id="none"),
        pytest.param(f"{HOST}:200", 200, 200, id="this host"),
        pytest.param("laptop:200", 200, None, id="another host"),
        pytest.param(f"{HOST}:{OWN}", OWN, None, id="this process"),
        pytest.param(f"{HOST}:", None, None, id="no pid"),
    ],
)
def test_claimant_pid(claimed_by: str | None, pid: int | None, local: int | None) -> None:
    assert rules.claimant_pid(claimed_by) == pid
    assert rules.local_claimant(claimed_by, host=HOST, own_pid=OWN) == local
