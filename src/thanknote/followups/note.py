"""The follow-up note: who gets it, which number it is, what it answers, and when it may go.

It goes through the same pipeline as the thank-you notes
(:func:`thanknote.planning.plan`, the session, the senders), where it is the
render step; this module adds what is particular to it: one recipient who may be a recruiter,
its date as a guard (the follow-up date, then seven days after the first),
at most two per interview, the thread it replies in, and the channel the
thank-you notes used. The 24-hour rule is the thank-you note's and is never
applied here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from thanknote.addresses import address_problem, as_sent, is_valid_address
from thanknote.errors import BadInput
from thanknote.followups.agenda import day, relative
from thanknote.followups.states import (
    Delivered,
    delivered,
)
from thanknote.followups.thread import Thread, remembered_channel, thread_for
from thanknote.model import Interview, InterviewFile, ReadableDate
from thanknote.render import FOLLOW_UP, Note, resolved_fields
from thanknote.rules import MAX_FOLLOW_UPS, SECOND_AFTER_DAYS
from thanknote.sendlog import LoggedInterview, Record, SendLog
from thanknote.template import default_template, load_template
from thanknote.values import Status


def render_follow_up(
    interview_file: InterviewFile,
    *,
    to: str | None = None,
    template: Path | None = None,
    number: int = 1,
    thread: Thread | None = None,
    previous_on: date | None = None,
) -> Note:
    """Follow-up ``number`` to ``to`` or the interview's ``follow_up_with``.

    When the recipient is one of the interviewers the template gets that
    interviewer (greeting, their conversation point); otherwise (a recruiter)
    ``interviewer`` is None and the template greets neutrally. Besides the
    thank-you variables it gets ``interviewers`` (everyone met),
    ``follow_up_number``, ``reply`` (it answers an earlier note), ``answered_on``
    and ``previous_on`` (the first follow-up's day, for the second). A reply's
    subject is ``Re: `` and the answered note's subject, whatever the template says.
    """
    interview = interview_file.interview
    thread = thread or Thread()
    if to is not None and not is_valid_address(to):
        raise BadInput(f"--to {to!r} is not a valid email address")
    recipient = to or interview.follow_up_with
    person = interview_file.interviewer(recipient)
    if person is not None:
        fields = resolved_fields(interview_file, person)
    else:
        fields = {
            "fit": interview.fit or "",
            "new_information": interview.new_information or "",
            "conversation_point": "",
        }
    chosen = template or default_template(FOLLOW_UP)
    variables: dict[str, Any] = {
        "candidate": interview_file.candidate,
        "interview": interview,
        "interviewer": person,
        "interviewers": interview_file.interviewers,
        "follow_up_on": ReadableDate.of(interview.follow_up_on),
        "follow_up_number": number,
        "reply": thread.in_reply_to is not None,
        "answered_on": ReadableDate.of(thread.answered_on) if thread.answered_on else None,
        "previous_on": ReadableDate.of(previous_on) if previous_on else None,
        **fields,
    }
    subject, body = load_template(chosen).render(variables)
    return Note(
        kind=FOLLOW_UP,
        to=person.email if person else recipient,
        name=person.name if person else "",
        title=person.title if person else None,
        subject=thread.subject or subject,
        body=body,
        template=str(chosen),
        in_reply_to=thread.in_reply_to,
        references=thread.references,
        thread_id=thread.thread_id,
    )


def _when(record: Record) -> str:
    at = record.sent_at or record.created_at
    return f"{at.astimezone(record.interview.display_timezone):%a %d %b %Y %H:%M %Z}"


def limit_problem(sent: Sequence[Delivered], path: Path | str = "FILE") -> str | None:
    """Why no further follow-up may go: two went out. ``--resend`` does not lift it."""
    if len(sent) < MAX_FOLLOW_UPS:
        return None
    dates = " and ".join(day(item.on) for item in sent)
    return (
        f"two follow-ups went out already ({dates}); the protocol stops after the second, "
        "and a third would do more harm than good. When you hear back, or to stop the "
        f"reminders: thanknote followups --done {path}"
    )


def closed_problem(logged: LoggedInterview | None, path: Path | str = "FILE") -> str | None:
    """Why no follow-up may go: the interview was closed with ``followups --done``."""
    if logged is None or logged.done_at is None:
        return None
    when = f"{logged.done_at.astimezone(logged.display_timezone):%a %d %b %Y %H:%M %Z}"
    return (
        f"this interview was closed on {when} (followups --done: an answer came), so "
        "thanknote sends no follow-up for it. If you really mean to write again, reopen it "
        f"first: thanknote followups --reopen {path}"
    )


def uncertain_problem(item: Delivered) -> str:
    """Why follow-up ``item``, drafted or maybe sent but never confirmed, blocks a new one."""
    latest = item.latest
    if latest.shown_status == Status.DRAFTED:
        return (
            f"a follow-up to {latest.to} was already drafted {_when(latest)} (Gmail draft "
            f"{latest.gmail_id}); send that draft from Gmail, or pass --resend to deliver "
            "it again"
        )
    return (
        f"a follow-up to {latest.to} may already have gone out ({_when(latest)} via "
        f"{latest.via}, interrupted before it was confirmed); check your Sent folder, then "
        "pass --resend to send it again (with the same Message-ID, so a copy that did "
        "arrive is not shown twice)"
    )


def timing_problem(
    interview: Interview, now: datetime, *, due_on: date, early: bool, number: int = 1
) -> str | None:
    """Why follow-up ``number`` may not go out now: before the interview, or (unless early)
    before its date."""
    if now < interview.ends_at:
        return "the interview has not taken place yet; a follow-up comes after it"
    today = now.astimezone(interview.display_timezone).date()
    if today < due_on and not early:
        what = (
            "the follow-up date is"
            if number == 1
            else f"a second follow-up is fair {SECOND_AFTER_DAYS} days after the first, from"
        )
        return (
            f"{what} {day(due_on)} ({relative(due_on, today)}); until then the protocol "
            "leaves them time to answer. Pass --early to follow up now anyway"
        )
    return None


@dataclass(frozen=True)
class FollowUpOptions:
    """What ``followup`` adds to a plan's request: ``--to``, ``--early`` and ``--resend``."""

    to: str | None = None
    early: bool = False
    resend: bool = False


@dataclass(frozen=True)
class FollowUpRequest:
    path: Path
    via: str | None
    """``smtp``, ``gmail``, or None: the channel of the thank-you notes."""
    purpose: str
    """``send`` or ``draft``."""
    to: str | None = None
    template: Path | None = None
    db: Path | None = None
    early: bool = False
    resend: bool = False


def delivery_mode(via: str | None, draft: bool) -> tuple[str | None, str]:
    """``(via, purpose)`` from ``--via`` and ``--draft``; a None ``via`` is decided by
    :func:`plan_follow_up`: the channel of the thank-you notes."""
    if draft:
        if via not in (None, "gmail"):
            raise BadInput(f"--draft creates a Gmail draft; it does not go with --via {via}")
        return "gmail", "draft"
    if via is not None and via not in ("smtp", "gmail"):
        raise BadInput(f"--via must be smtp or gmail, not {via!r}")
    return via, "send"


@dataclass(frozen=True)
class History:
    logged: LoggedInterview | None
    records: tuple[Record, ...]


def read_history(interview: Interview, log: SendLog | None) -> History:
    """This interview's rows in the (read-only) send log; none without a log."""
    if log is None:
        return History(None, ())
    logged = log.find_interview(interview)
    records = log.records(interview_id=logged.id) if logged is not None else []
    return History(logged, tuple(records))


@dataclass(frozen=True)
class FollowUpPlan:
    """What the next follow-up is, before any check refuses it."""

    note: Note
    via: str | None
    number: int
    thread: Thread
    redo: bool
    """It delivers again a follow-up that may or may not have gone out (same Message-ID)."""
    resume: bool
    """An interrupted Gmail send finishes through its draft: not a new message."""
    problems: tuple[str, ...]
    """Refusals (exit 3); ``preview --follow-up`` shows them as warnings."""
    timing: str


def plan_follow_up(
    interview_file: InterviewFile, history: History, request: FollowUpRequest, now: datetime
) -> FollowUpPlan:
    interview = interview_file.interview
    records = history.records
    sent = delivered(records)
    # --to as thanknote sends it: an IDN domain in its IDNA form, as the loader stores it.
    asked = as_sent(request.to) if request.to is not None else None
    if request.to is not None and (problem := address_problem(request.to)) is not None:
        raise BadInput(f"--to {request.to!r} {problem}")
    # A second follow-up answers the first: by default it goes to whoever got that one.
    recipient = asked or (sent[-1].latest.to if sent else interview.follow_up_with)
    person = interview_file.interviewer(recipient)
    to = person.email if person else recipient
    via = request.via or remembered_channel(records, to)
    problems: list[str] = []
    if (closed := closed_problem(history.logged, request.path)) is not None:
        problems.append(closed)
    latest = sent[-1] if sent else None
    resume = (
        latest is not None
        and latest.latest.status in (Status.SENDING, Status.UNKNOWN)
        and latest.latest.via == via == "gmail"
        and request.purpose == "send"
        and latest.latest.gmail_id is not None
        and latest.latest.to.casefold() == to.casefold()
    )
    redo = False
    if resume or (latest is not None and not latest.confirmed and request.resend):
        assert latest is not None
        number, redo = latest.number, not resume
    elif latest is not None and not latest.confirmed:
        number = latest.number
        problems.append(uncertain_problem(latest))
    else:
        number = len(sent) + 1
        if (limit := limit_problem(sent, request.path)) is not None:
            problems.append(limit)
    due_on = interview.follow_up_on
    if number > 1 and sent:
        due_on = sent[0].on + timedelta(days=SECOND_AFTER_DAYS)
    problem = (
        None
        if redo or resume
        else timing_problem(interview, now, due_on=due_on, early=request.early, number=number)
    )
    if problem is not None:
        problems.append(problem)
    thread = thread_for(records, sent, to=to, number=number, via=via)
    # "Since my note of ..." only to the person who had that note.
    earlier = sent[0] if number > 1 and sent else None
    note = render_follow_up(
        interview_file,
        to=to,
        template=request.template,
        number=number,
        thread=thread,
        previous_on=earlier.on
        if earlier is not None and earlier.latest.to.casefold() == to.casefold()
        else None,
    )
    if redo and latest is not None:
        # The same message again: a copy that did arrive is shown once by mail clients.
        note = replace(note, message_id=latest.message_id)
    word = {1: "first", 2: "second and last"}.get(number, f"number {number}")
    today = now.astimezone(interview.display_timezone).date()
    timing = f"{word} follow-up; its date: {day(due_on)} ({relative(due_on, today)})"
    return FollowUpPlan(note, via, number, thread, redo, resume, tuple(problems), timing)


def describe(plan: FollowUpPlan) -> str:
    note, thread = plan.note, plan.thread
    lines = [f"To:      {note.label}", f"Subject: {note.subject}"]
    if thread.in_reply_to:
        lines.append(f"Replies: to {thread.answers} ({thread.in_reply_to})")
    else:
        lines.append(f"Thread:  a new one (no thank-you note to {note.to} went out)")
    return "\n".join([*lines, "", note.body.rstrip()])


def next_steps(plan: FollowUpPlan, interview_file: InterviewFile, now: datetime) -> str:
    """What comes next, once the follow-up has gone."""
    path = interview_file.path
    done = f"when you hear back: thanknote followups --done {path}"
    if plan.number >= MAX_FOLLOW_UPS:
        return f"that was the second and last follow-up; {done}"
    zone = interview_file.interview.display_timezone
    second_on = now.astimezone(zone).date() + timedelta(days=SECOND_AFTER_DAYS)
    return (
        f"{done}; with no answer by {day(second_on)}, a second follow-up is fair: "
        f"thanknote followup {path} --via {plan.via}"
    )
