"""Turning an interview file into notes: one per interviewer, through Jinja2.

A template is a ``Subject:`` line, a blank line and the body. The subject and
the body are separate Jinja2 templates, split *before* rendering: a rendered
value can never turn into a header line, and the subject is a plain value
that :mod:`thanknote.message` checks like every other header value.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thanknote.errors import BadInput
from thanknote.model import Interviewer, InterviewFile, ReadableDate

if TYPE_CHECKING:
    import jinja2

THANK_YOU = "thank-you"
FOLLOW_UP = "follow-up"
_DEFAULT_TEMPLATES = {THANK_YOU: "thank-you.txt", FOLLOW_UP: "follow-up.txt"}


@dataclass(frozen=True)
class Note:
    """One rendered note to one person."""

    kind: str
    to: str
    name: str
    title: str | None
    subject: str
    body: str
    template: str
    in_reply_to: str | None = None
    """The Message-ID this note answers (a follow-up replying to a thank-you note)."""
    references: tuple[str, ...] = ()
    """The References chain, oldest first, ending with ``in_reply_to``."""
    thread_id: str | None = None
    """Gmail's thread of the note answered, for a reply delivered through Gmail."""
    message_id: str | None = None
    """A Message-ID to reuse: delivering again a message that may already have arrived."""

    @property
    def label(self) -> str:
        return f"{self.name} <{self.to}>" if self.name else self.to


def templates_dir() -> Path:
    """The shipped templates: inside the installed package, or the checkout's templates/."""
    packaged = Path(__file__).parent / "templates"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "templates"
    if checkout.is_dir():
        return checkout
    raise BadInput(f"the default templates are missing (looked in {packaged} and {checkout})")


def default_template(kind: str = THANK_YOU) -> Path:
    return templates_dir() / _DEFAULT_TEMPLATES[kind]


def _sentence(value: object) -> str:
    """End a fragment with a full stop unless it already ends a sentence."""
    text = str(value).strip()
    if text and text[-1] not in ".!?…\"'”’)":
        text += "."
    return text


def _environment() -> jinja2.Environment:
    import jinja2

    environment = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain-text mail, not HTML  # noqa: S701
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    environment.filters["sentence"] = _sentence
    return environment


@dataclass(frozen=True)
class Template:
    path: Path
    subject: jinja2.Template
    body: jinja2.Template

    def render(self, variables: dict[str, Any]) -> tuple[str, str]:
        import jinja2

        try:
            subject = self.subject.render(variables).strip()
            body = self.body.render(variables)
        except jinja2.UndefinedError as error:
            raise BadInput(f"{self.path}:{_template_line(error, self.path)}: "
                           f"{_undefined_words(error.message or str(error))}",
                           hint="the variables are: candidate, interview, interviewer, fit, "
                           "new_information, conversation_point, follow_up_on") from None
        except jinja2.TemplateError as error:
            raise BadInput(f"{self.path}:{_template_line(error, self.path)}: {error}") from None
        except Exception as error:  # whatever a template's own expressions raise (1/0, ...)
            raise BadInput(f"{self.path}:{_template_line(error, self.path)}: "
                           f"{type(error).__name__}: {error}") from None
        return subject, _tidy(body)


_VARIABLES = {"Interviewer": "interviewer", "Interview": "interview", "Candidate": "candidate"}


def _undefined_words(message: str) -> str:
    """Jinja2's "'thanknote.model.Interviewer object' has no attribute 'x'", in the user's terms."""
    import difflib
    import re

    from thanknote import model

    match = re.fullmatch(r"'(?:[\w.]+\.)?(\w+) object' has no attribute '(\w+)'", message)
    if match is None or match.group(1) not in _VARIABLES:
        return message
    kind, attribute = match.groups()
    cls = getattr(model, kind)
    properties = [name for name, value in vars(cls).items() if isinstance(value, property)]
    fields = [*cls.__dataclass_fields__, *properties]
    close = difflib.get_close_matches(attribute, fields, n=1)
    guess = f"; did you mean '{close[0]}'?" if close else ""
    return (f"{_VARIABLES[kind]} has no field '{attribute}'{guess} "
            f"(its fields: {', '.join(fields)})")


def _template_line(error: BaseException, path: Path) -> str:
    """The template line an error was raised from (Jinja2 rewrites tracebacks to point there)."""
    line = getattr(error, "lineno", None)
    if line:
        return str(line)
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename == str(path) and frame.lineno:
            return str(frame.lineno)
    return "?"


def _tidy(body: str) -> str:
    """Trailing spaces off each line, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in body.strip("\n").splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line == "" and tidy and tidy[-1] == "":
            continue
        tidy.append(line)
    return "\n".join(tidy).strip("\n") + "\n"


def load_template(path: Path) -> Template:
    """Compile a template once per process, or again when the file changes."""
    try:
        stat = path.stat()
        return _compile(path, stat.st_mtime_ns, stat.st_size)
    except FileNotFoundError:
        raise BadInput(f"{path}: template file not found") from None


@lru_cache(maxsize=64)
def _compile(path: Path, _mtime: int, _size: int) -> Template:
    import jinja2

    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"{path}: cannot read template: {error}") from None
    first, newline, rest = source.partition("\n")
    if not first.startswith("Subject:"):
        raise BadInput(f"{path}:1: a template starts with a 'Subject:' line, then a blank line, "
                       "then the body")
    blank, _, body_source = rest.partition("\n")
    if blank.strip():
        raise BadInput(f"{path}:2: the line after 'Subject:' must be blank (the body follows it)")
    environment = _environment()
    try:
        subject = environment.template_class.from_code(
            environment, environment.compile(first[len("Subject:"):].strip(), str(path),
                                             str(path)),
            environment.make_globals(None), None)
        # Two newlines in front keep Jinja2's line numbers equal to the file's.
        body = environment.template_class.from_code(
            environment, environment.compile("\n\n" + body_source, str(path), str(path)),
            environment.make_globals(None), None)
    except jinja2.TemplateSyntaxError as error:
        raise BadInput(f"{path}:{error.lineno}: template syntax error: {error.message}") from None
    return Template(path=path, subject=subject, body=body)


def render_notes(interview_file: InterviewFile, *, template: Path | None = None) -> list[Note]:
    """One thank-you note per interviewer; an interviewer's own template wins over ``template``."""
    interview = interview_file.interview
    common = {
        "candidate": interview_file.candidate,
        "interview": interview,
        "follow_up_on": ReadableDate.of(interview.follow_up_on),
    }
    notes = []
    shared = template or default_template(THANK_YOU)
    compiled: dict[Path, Template] = {}  # looked up once per batch, not once per note
    for person in interview_file.interviewers:
        chosen = person.template or shared
        if chosen not in compiled:
            compiled[chosen] = load_template(chosen)
        variables = dict(common, interviewer=person, **resolved_fields(interview_file, person))
        subject, body = compiled[chosen].render(variables)
        notes.append(Note(kind=THANK_YOU, to=person.email, name=person.name, title=person.title,
                          subject=subject, body=body, template=str(chosen)))
    return notes


def resolved_fields(interview_file: InterviewFile, person: Interviewer) -> dict[str, Any]:
    interview = interview_file.interview
    return {
        "fit": person.fit or interview.fit or "",
        "new_information": person.new_information or interview.new_information or "",
        "conversation_point": person.conversation_point,
    }
