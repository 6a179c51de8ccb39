"""Follow-ups: which interviews are due, calendar reminders, closing one, and the note itself.

The protocol's last step is a date: if nothing was heard by then, the candidate
writes once more. The send log already knows every interview that had a note
drafted or sent, with its follow-up date and who to write to, so the agenda
is read from there, in each interview's own timezone ("today" in New York is
not "today" in UTC at 9 p.m.).

The follow-up note goes through the same machinery as the thank-you notes
(:func:`thanknote.workflow.prepare_request`, the batch, the senders); this
module adds what is particular to it: one recipient who may be a recruiter
rather than an interviewer, the follow-up date as a guard, and one follow-up
per interview.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from thanknote import loader, workflow
from thanknote.addresses import is_valid_address
from thanknote.errors import BadInput, GuardRefusal
from thanknote.model import Interview, InterviewFile, ReadableDate
from thanknote.paths import send_log_path
from thanknote.render import FOLLOW_UP, Note, default_template, load_template, resolved_fields
from thanknote.sendlog import FAILED, UNKNOWN, LoggedInterview, Record, SendLog

REMINDER_HOUR = 9
"""The calendar alarm rings at this local hour on the follow-up date."""

_UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "thanknote.invalid")


def _day(value: date) -> str:
    return f"{value:%a %d %b %Y}"


def _days_ago(days: int) -> str:
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago"


def _days_ahead(days: int) -> str:
    return "tomorrow" if days == 1 else f"in {days} days"


# -- the agenda --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUp:
    """One open interview from the send log, seen on one day."""

    interview: LoggedInterview
    notes: tuple[Record, ...]
    """Each note of the interview (any kind): its newest row that did not fail."""
    today: date
    """Today in the interview's display timezone."""

    @property
    def days_overdue(self) -> int:
        """Days since the follow-up date (0 on the day itself; negative before it)."""
        return (self.today - self.interview.follow_up_on).days

    @property
    def due(self) -> bool:
        return self.days_overdue >= 0

    @property
    def uid(self) -> str:
        return calendar_uid(self.interview)

    @property
    def summary(self) -> str:
        return f"Follow up: {self.interview.role} at {self.interview.company}"

    def _when(self, moment: datetime) -> str:
        return f"{moment.astimezone(self.interview.display_timezone):%a %d %b %Y %H:%M %Z}"

    def note_lines(self) -> list[str]:
        lines = []
        for record in self.notes:
            at = record.sent_at or record.created_at
            who = f"{record.name} <{record.to}>" if record.name else record.to
            lines.append(f"{record.kind} to {who}: {record.shown_status} {self._when(at)} "
                         f"via {record.via}")
        return lines

    def as_json(self) -> dict[str, object]:
        interview = self.interview
        zone = interview.display_timezone
        timing: dict[str, object] = (
            {"days_overdue": self.days_overdue} if self.due else {"days_until": -self.days_overdue})
        return {
            "company": interview.company,
            "role": interview.role,
            "interview_at": interview.starts_at.astimezone(zone).isoformat(),
            "follow_up_on": interview.follow_up_on.isoformat(),
            **timing,
            "follow_up_with": interview.follow_up_with,
            "file": interview.source_path,
            "uid": self.uid,
            "notes": [{
                "to": record.to,
                "name": record.name,
                "kind": record.kind,
                "status": record.shown_status,
                "via": record.via,
                "sent_at": record.sent_at.astimezone(zone).isoformat() if record.sent_at else None,
                "logged_at": record.created_at.astimezone(zone).isoformat(),
            } for record in self.notes],
            "done": interview.done_at is not None,
        }

    def as_text(self) -> list[str]:
        interview = self.interview
        days = self.days_overdue
        when = _days_ago(days) if days >= 0 else _days_ahead(-days)
        lines = [f"  {interview.company} / {interview.role}",
                 f"    interview:  {self._when(interview.starts_at)}",
                 f"    follow up:  {_day(interview.follow_up_on)} ({when}) with "
                 f"{interview.follow_up_with}"]
        notes = self.note_lines() or ["nothing drafted or sent"]
        lines.append(f"    notes:      {notes[0]}")
        lines += [f"                {line}" for line in notes[1:]]
        followed_up = any(r.kind == FOLLOW_UP and r.shown_status in ("sent", "drafted")
                          for r in self.notes)
        if self.due and interview.source_path:
            # Once the follow-up has gone, what is left is to close the interview.
            command = "followups --done" if followed_up else "followup"
            lines.append(f"    next:       thanknote {command} {interview.source_path}")
        return lines


@dataclass(frozen=True)
class Agenda:
    due: tuple[FollowUp, ...]
    """Open interviews whose follow-up date has come, the longest overdue first."""
    upcoming: tuple[FollowUp, ...]
    """Open interviews not yet due, the soonest first."""
    log_path: Path

    @property
    def open(self) -> tuple[FollowUp, ...]:
        return self.due + self.upcoming

    def as_json(self, *, show_all: bool) -> dict[str, object]:
        return {"due": [item.as_json() for item in self.due],
                "upcoming": [item.as_json() for item in self.upcoming] if show_all else []}

    def as_text(self, *, show_all: bool) -> str:
        if not self.open:
            return (f"no open interviews in the send log ({self.log_path}); 'thanknote draft' "
                    "and 'thanknote send' add them")
        lines = []
        if self.due:
            lines.append(f"due for a follow-up ({len(self.due)}):")
            for number, item in enumerate(self.due):
                lines += ([""] if number else []) + item.as_text()
        else:
            lines.append("no follow-ups due")
        if show_all and self.upcoming:
            lines += ["", f"not yet due ({len(self.upcoming)}):"]
            for number, item in enumerate(self.upcoming):
                lines += ([""] if number else []) + item.as_text()
        elif self.upcoming:
            lines.append(f"({len(self.upcoming)} not yet due; --all lists them)")
        if self.due:
            lines += ["", "when you hear back: thanknote followups --done FILE"]
        return "\n".join(lines)


def agenda(log: SendLog | None, now: datetime, *, log_path: Path) -> Agenda:
    """Every open interview of the log, split into due and not yet due as of ``now``."""
    if log is None:
        return Agenda((), (), log_path)
    # Each note's newest row that may have reached its recipient: a failed resend
    # does not hide the note that went out before it.
    newest: dict[tuple[int, str, str], Record] = {}
    for record in log.records():
        if record.status != FAILED:
            newest[(record.interview.id, record.kind, record.to.casefold())] = record
    notes: dict[int, list[Record]] = defaultdict(list)
    for record in sorted(newest.values(), key=lambda record: record.id):
        notes[record.interview.id].append(record)
    due: list[FollowUp] = []
    upcoming: list[FollowUp] = []
    for interview in log.interviews():
        if interview.done_at is not None:
            continue
        today = now.astimezone(interview.display_timezone).date()
        item = FollowUp(interview, tuple(notes.get(interview.id, ())), today)
        (due if item.due else upcoming).append(item)

    def order(item: FollowUp) -> tuple[date, datetime]:
        return item.interview.follow_up_on, item.interview.starts_at

    return Agenda(tuple(sorted(due, key=order)), tuple(sorted(upcoming, key=order)), log_path)


def load_agenda(db: Path | None, now: datetime) -> Agenda:
    """The agenda of the log at ``db`` (the default log without it); never creates a log."""
    path = send_log_path(db)
    log = SendLog.existing(path, read_only=True)
    if log is None:
        return agenda(None, now, log_path=path)
    with log:
        return agenda(log, now, log_path=path)


# -- calendar ----------------------------------------------------------------------------------


def calendar_uid(interview: LoggedInterview | Interview) -> str:
    """A UID fixed by the interview's identity, so a re-import updates the event in place."""
    if isinstance(interview, Interview):
        company, role, starts_at = interview.key
    else:
        company, role = interview.company, interview.role
        starts_at = interview.starts_at.astimezone(UTC).isoformat()
    # The unit separator cannot occur in a header-safe company or role.
    return f"{uuid.uuid5(_UID_NAMESPACE, chr(31).join((company, role, starts_at)))}@thanknote"


def _description(item: FollowUp) -> str:
    interview = item.interview
    lines = [f"Follow up with {interview.follow_up_with} about the {interview.role} role at "
             f"{interview.company} (interview {item._when(interview.starts_at)}).", ""]
    notes = item.note_lines()
    lines += ["Notes:", *(f"- {line}" for line in notes)] if notes else [
        "Nothing drafted or sent yet."]
    if interview.source_path:
        lines += ["", f"thanknote followup {interview.source_path}",
                  f"thanknote followups --done {interview.source_path}  (when you hear back)"]
    return "\n".join(lines)


def calendar(items: Iterable[FollowUp], now: datetime) -> bytes:
    """An iCalendar file: one all-day event per open interview, on its follow-up date."""
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//thanknote//follow-up reminders//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "thanknote follow-ups")
    stamp = now.astimezone(UTC)
    for item in items:
        interview = item.interview
        event = icalendar.Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", interview.follow_up_on)
        event.add("dtend", interview.follow_up_on + timedelta(days=1))
        event.add("summary", item.summary)
        event.add("description", _description(item))
        # A reminder, not a meeting: it should not block the day as busy.
        event.add("transp", "TRANSPARENT")
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", item.summary)
        # Relative to the start of an all-day event: that day, at this hour local time.
        alarm.add("trigger", timedelta(hours=REMINDER_HOUR))
        event.add_component(alarm)
        cal.add_component(event)
    return bytes(cal.to_ical())


def write_calendar(path: Path, items: Sequence[FollowUp], now: datetime) -> None:
    """Write the calendar atomically: a calendar app never reads half a file."""
    content = calendar(items, now)
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise BadInput(f"cannot write {path}: {error.strerror or error}") from None


# -- closing an interview ----------------------------------------------------------------------


@dataclass(frozen=True)
class Closed:
    interview: LoggedInterview
    already: bool
    """True when it had been closed before (its first closing time is kept)."""

    def as_text(self) -> str:
        interview = self.interview
        assert interview.done_at is not None
        when = f"{interview.done_at.astimezone(interview.display_timezone):%a %d %b %Y %H:%M %Z}"
        what = f"{interview.company} / {interview.role}"
        if self.already:
            return f"{what} was already closed on {when}"
        return f"closed {what}: no more follow-up reminders for it"


def close(path: Path, db: Path | None, now: datetime) -> Closed:
    """Mark the interview of the file at ``path`` done (an answer came)."""
    interview = loader.load(path).interview
    log_path = send_log_path(db)
    log = SendLog.existing(log_path)
    logged = None
    if log is not None:
        with log:
            logged = log.find_interview(interview)
            if logged is not None and logged.done_at is None:
                log.mark_done(logged.id, now)
                return Closed(replace(logged, done_at=now), already=False)
    if logged is None:
        raise BadInput(
            f"{path}: the interview ({interview.company} / {interview.role}, "
            f"{interview.local_start:%a %d %b %Y %H:%M %Z}) is not in the send log {log_path}",
            hint="an interview gets into the log when 'thanknote draft' or 'thanknote send' "
            "runs; check --db / THANKNOTE_DB")
    return Closed(logged, already=True)


# -- the follow-up note ------------------------------------------------------------------------


def render_follow_up(interview_file: InterviewFile, *, to: str | None = None,
                     template: Path | None = None) -> Note:
    """The one follow-up note, to ``to`` or the interview's ``follow_up_with``.

    When the recipient is one of the interviewers the template gets that
    interviewer (greeting, their conversation point); otherwise (a recruiter)
    ``interviewer`` is None and the template greets neutrally. Besides the
    thank-you variables the template also gets ``interviewers``, everyone met.
    """
    interview = interview_file.interview
    if to is not None and not is_valid_address(to):
        raise BadInput(f"--to {to!r} is not a valid email address")
    recipient = to or interview.follow_up_with
    person = interview_file.interviewer(recipient)
    if person is not None:
        fields = resolved_fields(interview_file, person)
    else:
        fields = {"fit": interview.fit or "", "new_information": interview.new_information or "",
                  "conversation_point": ""}
    chosen = template or default_template(FOLLOW_UP)
    variables: dict[str, Any] = {
        "candidate": interview_file.candidate,
        "interview": interview,
        "interviewer": person,
        "interviewers": interview_file.interviewers,
        "follow_up_on": ReadableDate.of(interview.follow_up_on),
        **fields,
    }
    subject, body = load_template(chosen).render(variables)
    return Note(kind=FOLLOW_UP, to=person.email if person else recipient,
                name=person.name if person else "", title=person.title if person else None,
                subject=subject, body=body, template=str(chosen))


def timing_problem(interview: Interview, now: datetime, *, early: bool) -> str | None:
    """Why a follow-up may not go out now: before the interview, or (unless early) its date."""
    if now < interview.ends_at:
        return "the interview has not taken place yet; a follow-up comes after it"
    today = now.astimezone(interview.display_timezone).date()
    if today < interview.follow_up_on and not early:
        days = (interview.follow_up_on - today).days
        return (f"the follow-up date is {_day(interview.follow_up_on)} "
                f"({_days_ahead(days)}); until then the protocol leaves them time to answer. "
                "Pass --early to follow up now anyway")
    return None


def earlier_problem(records: Sequence[Record], *, via: str, purpose: str) -> str | None:
    """Why a new follow-up would be a second one, given this interview's follow-up rows.

    A failed row is no follow-up. The one earlier row that does not block is
    an interrupted Gmail send being retried through Gmail: its draft decides
    whether it went out, so the retry cannot send twice (see the send log's claim).
    """
    live = [record for record in records if record.status != FAILED]
    if not live:
        return None
    newest = live[-1]
    if (len(live) == 1 and newest is records[-1] and newest.shown_status == UNKNOWN
            and newest.via == via == "gmail" and purpose == "send" and newest.gmail_id):
        return None
    at = newest.sent_at or newest.created_at
    when = f"{at.astimezone(newest.interview.display_timezone):%a %d %b %Y %H:%M %Z}"
    status = newest.shown_status
    if status == "drafted":
        return (f"a follow-up to {newest.to} was already drafted {when} (Gmail draft "
                f"{newest.gmail_id}); send that draft from Gmail, or pass --resend to write "
                "another")
    if status == UNKNOWN:
        return (f"a follow-up to {newest.to} may already have gone out ({when} via "
                f"{newest.via}, interrupted before it was confirmed); check your Sent folder, "
                "then pass --resend to send it again")
    return (f"a follow-up to {newest.to} was already {status} {when} via {newest.via}; one "
            "follow-up is the protocol. Pass --resend to send another anyway")


@dataclass(frozen=True)
class FollowUpRequest:
    path: Path
    via: str
    """``smtp`` or ``gmail``."""
    purpose: str
    """``send`` or ``draft``."""
    to: str | None = None
    template: Path | None = None
    db: Path | None = None
    early: bool = False
    resend: bool = False


@dataclass
class FollowUpBatch:
    """A checked follow-up, ready for confirmation and delivery."""

    ready: workflow.Ready
    note: Note

    def as_text(self) -> str:
        """The note as it will read, for ``--dry-run``."""
        note = self.note
        to = f"{note.name} <{note.to}>" if note.name else note.to
        return "\n".join([f"To:      {to}", f"Subject: {note.subject}", "", note.body.rstrip()])


def delivery_mode(via: str | None, draft: bool) -> tuple[str, str]:
    """``(via, purpose)`` from ``--via`` and ``--draft``."""
    if draft:
        if via not in (None, "gmail"):
            raise BadInput(f"--draft creates a Gmail draft; it does not go with --via {via}")
        return "gmail", "draft"
    via = via or "gmail"
    if via not in ("smtp", "gmail"):
        raise BadInput(f"--via must be smtp or gmail, not {via!r}")
    return via, "send"


def prepare(request: FollowUpRequest, now: datetime) -> FollowUpBatch:
    """Render, check and plan the follow-up. Raises BadInput (2) or GuardRefusal (3)."""
    interview_file = loader.load(request.path)
    note = render_follow_up(interview_file, to=request.to, template=request.template)
    if (problem := timing_problem(interview_file.interview, now, early=request.early)):
        raise GuardRefusal(f"refused: {problem}; nothing was sent")
    resend = frozenset({note.to.casefold()}) if request.resend else frozenset()
    ready = workflow.prepare_request(workflow.Request(
        path=request.path, via=request.via, purpose=request.purpose, template=request.template,
        db=request.db, resend=resend), now, notes=[note])
    try:
        if ready.log is not None and ready.interview_id is not None:
            if not request.resend:
                earlier = ready.log.records(interview_id=ready.interview_id, kind=FOLLOW_UP)
                problem = earlier_problem(earlier, via=request.via, purpose=request.purpose)
                if problem is not None:
                    raise GuardRefusal(f"refused: {problem}; nothing was sent")
            logged = ready.log.find_interview(interview_file.interview)
            if logged is not None and logged.done_at is not None:
                ready.warnings.append(
                    f"this interview was closed (followups --done) on "
                    f"{logged.done_at.astimezone(logged.display_timezone):%a %d %b %Y}: "
                    "an answer had come")
    except BaseException:
        if ready.log is not None:
            ready.log.close()
        raise
    return FollowUpBatch(ready, note)


