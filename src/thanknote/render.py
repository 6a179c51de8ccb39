"""Turning an interview file into notes: one per interviewer, through Jinja2.

A template is a ``Subject:`` line, a blank line and the body. The subject and
the body are separate Jinja2 templates, split *before* rendering: a rendered
value can never turn into a header line, and the subject is a plain value
that :mod:`thanknote.message` checks like every other header value.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

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


class PointKind(StrEnum):
    """How a conversation point is written, which decides how a template may use it."""

    PHRASE = "phrase"
    """No closing . ! or ?: words that go inside the template's sentence."""
    SENTENCES = "sentences"
    """One or more sentences, written into the note as they are."""
    QUESTION = "question"
    """One question the reader asked, quoted as theirs."""


_CLOSERS = "\"'”’)]"
_SENTENCE_BREAK = re.compile(r"[.!?][\"'”’)]*\s+\S")
_REPORTED = re.compile(r"(?i)^(?:when\s+)?you\s+asked\b")


def point_kind(value: object) -> PointKind:
    """Phrase, sentences or question, from how the text ends (see :class:`PointKind`)."""
    text = str(value).strip().rstrip(_CLOSERS)
    if not text or text[-1] not in ".!?…":
        return PointKind.PHRASE
    if (
        text.endswith("?")
        and not _SENTENCE_BREAK.search(text)
        and not _REPORTED.match(str(value).strip())
    ):
        return PointKind.QUESTION
    return PointKind.SENTENCES


_LEADING_WORDS = frozenset(
    (
        "a",
        "an",
        "the",
        "your",
        "our",
        "my",
        "their",
        "his",
        "her",
        "its",
        "this",
        "that",
        "these",
        "those",
        "how",
        "why",
        "what",
        "when",
        "where",
        "whether",
        "which",
        "who",
        "some",
    )
)


def _phrase(value: object) -> str:
    """A phrase ready to go inside a sentence: no trailing comma, a leading 'The' lowered."""
    text = str(value).strip().rstrip(",;:").rstrip()
    first, _, rest = text.partition(" ")
    if first.casefold() in _LEADING_WORDS and first[:1].isupper() and first[1:].islower():
        text = first.lower() + (" " + rest if rest else "")
    return text


def _aside(value: object) -> str:
    """New information: sentences as written, a phrase inside a sentence of its own."""
    if point_kind(value) == PointKind.PHRASE:
        return f"I should also have mentioned {_phrase(value)}."
    return str(value).strip()


def _and_list(values: object) -> str:
    """'Grace', 'Grace and Alan', 'Grace, Alan and Priya'."""
    items = [str(value) for value in values]  # type: ignore[attr-defined]
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


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
    environment.filters["phrase"] = _phrase
    environment.filters["and_list"] = _and_list
    environment.filters["aside"] = _aside
    environment.filters["kind"] = point_kind
    return environment


@dataclass(frozen=True)
class Template:
    path: Path
    subject: jinja2.Template
    body: jinja2.Template
    source: str = ""

    def render(self, variables: dict[str, Any]) -> tuple[str, str]:
        import jinja2

        try:
            subject = self.subject.render(variables).strip()
            body = self.body.render(variables)
        except jinja2.UndefinedError as error:
            raise BadInput(
                f"{self.path}:{_template_line(error, self.path)}: "
                f"{_undefined_words(error.message or str(error))}",
                hint="the variables are: candidate, interview, interviewer, fit, "
                "new_information, conversation_point, point_kind, follow_up_on, "
                "colleagues, interviewers",
            ) from None
        except jinja2.TemplateError as error:
            raise BadInput(f"{self.path}:{_template_line(error, self.path)}: {error}") from None
        except Exception as error:  # whatever a template's own expressions raise (1/0, ...)
            raise BadInput(
                f"{self.path}:{_template_line(error, self.path)}: {type(error).__name__}: {error}"
            ) from None
        body = _tidy(body)
        self._refuse_placeholders(subject, body)
        return subject, body

    def _refuse_placeholders(self, subject: str, body: str) -> None:
        """A template's own text left unfinished ('[company]', 'TODO') must not go out.

        The interview file's values were checked when it was read; what is found
        here was written in the template, so the message points at its line.
        """
        from thanknote.loader import placeholder

        for text in (subject, body):
            if (found := placeholder(text)) is None:
                continue
            line = next(
                (
                    number
                    for number, written in enumerate(self.source.splitlines(), start=1)
                    if found in written
                ),
                None,
            )
            if line is not None:  # not in the template's text: it came from a checked value
                raise BadInput(
                    f"{self.path}:{line}: {found!r} looks like a placeholder left in "
                    "the template; write the text the note should say"
                )


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
    return f"{_VARIABLES[kind]} has no field '{attribute}'{guess} (its fields: {', '.join(fields)})"


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
        source = path.read_text(encoding="utf-8-sig")  # a byte-order mark is not the subject
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"{path}: cannot read template: {error}") from None
    first, newline, rest = source.partition("\n")
    if not first.startswith("Subject:"):
        raise BadInput(
            f"{path}:1: a template starts with a 'Subject:' line, then a blank line, then the body"
        )
    blank, _, body_source = rest.partition("\n")
    if blank.strip():
        raise BadInput(f"{path}:2: the line after 'Subject:' must be blank (the body follows it)")
    environment = _environment()
    try:
        subject_tree = environment.parse(first[len("Subject:") :].strip(), str(path), str(path))
        # Two newlines in front keep Jinja2's line numbers equal to the file's.
        body_tree = environment.parse("\n\n" + body_source, str(path), str(path))
        _refuse_other_templates(path, subject_tree, body_tree)
        subject = environment.template_class.from_code(
            environment,
            environment.compile(subject_tree, str(path), str(path)),
            environment.make_globals(None),
            None,
        )
        body = environment.template_class.from_code(
            environment,
            environment.compile(body_tree, str(path), str(path)),
            environment.make_globals(None),
            None,
        )
    except jinja2.TemplateSyntaxError as error:
        raise BadInput(f"{path}:{error.lineno}: template syntax error: {error.message}") from None
    return Template(path=path, subject=subject, body=body, source=source)


def _refuse_other_templates(path: Path, *trees: jinja2.nodes.Template) -> None:
    """A template is one self-contained file: include, import and extends are bad input."""
    from jinja2 import nodes

    words = {
        nodes.Include: "include",
        nodes.Import: "import",
        nodes.FromImport: "from ... import",
        nodes.Extends: "extends",
    }
    for tree in trees:
        for node in tree.find_all(tuple(words)):
            raise BadInput(
                f"{path}:{node.lineno}: {{% {words[type(node)]} %}} is not supported: "
                "a template is one self-contained file (copy the shared text into "
                "it)"
            )


def render_notes(interview_file: InterviewFile, *, template: Path | None = None) -> list[Note]:
    """One thank-you note per interviewer; an interviewer's own template wins over ``template``."""
    notes = []
    shared = template or default_template(THANK_YOU)
    compiled: dict[Path, Template] = {}  # looked up once per batch, not once per note
    for person in interview_file.interviewers:
        chosen = person.template or shared
        if chosen not in compiled:
            compiled[chosen] = load_template(chosen)
        subject, body = compiled[chosen].render(note_variables(interview_file, person))
        notes.append(
            Note(
                kind=THANK_YOU,
                to=person.email,
                name=person.name,
                title=person.title,
                subject=subject,
                body=body,
                template=str(chosen),
            )
        )
    return notes


def note_variables(
    interview_file: InterviewFile, person: Interviewer, **overrides: Any
) -> dict[str, Any]:
    """What a thank-you template sees when it writes to ``person``."""
    interview = interview_file.interview
    variables: dict[str, Any] = {
        "candidate": interview_file.candidate,
        "interview": interview,
        "follow_up_on": ReadableDate.of(interview.follow_up_on),
        "interviewer": person,
        "interviewers": interview_file.interviewers,
        "colleagues": colleague_names(interview_file, person),
        **resolved_fields(interview_file, person),
    }
    variables.update(overrides)
    return variables


def resolved_fields(interview_file: InterviewFile, person: Interviewer) -> dict[str, Any]:
    interview = interview_file.interview
    return {
        "fit": person.fit or interview.fit or "",
        "new_information": person.new_information or interview.new_information or "",
        "conversation_point": person.conversation_point,
        "point_kind": point_kind(person.conversation_point),
    }


def colleague_names(interview_file: InterviewFile, person: Interviewer) -> Colleagues:
    """The others this reader's note may name: who interviewed, not who arranged.

    First names, or full names for people who share a first name, so that a
    recruiter reads "meeting Grace and Alan" and never two Alans.
    """
    return Colleagues(_names_to_call(interview_file.interviewers), person.email)


class Colleagues(Sequence[str]):
    """The names a note may call the reader's colleagues by, listed only when a template asks.

    A template mostly asks how many there are; a thousand-note batch must not
    build a thousand-name list per note to answer that.
    """

    def __init__(self, everyone: tuple[tuple[str, str], ...], reader: str) -> None:
        self._everyone = everyone
        self._reader = reader
        self._listed: list[str] | None = None

    def _names(self) -> list[str]:
        if self._listed is None:
            self._listed = [name for email, name in self._everyone if email != self._reader]
        return self._listed

    def __len__(self) -> int:
        if self._listed is not None:
            return len(self._listed)
        return len(self._everyone) - (self._reader in _addresses(self._everyone))

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        return self._names()[index]

    def __repr__(self) -> str:
        return repr(self._names())


_last_addresses: list[tuple[tuple[tuple[str, str], ...], frozenset[str]]] = []


def _addresses(everyone: tuple[tuple[str, str], ...]) -> frozenset[str]:
    for known, addresses in _last_addresses:
        if known is everyone:
            return addresses
    addresses = frozenset(email for email, _name in everyone)
    _last_addresses[:] = [(everyone, addresses)]
    return addresses


_last_names_to_call: list[tuple[tuple[Interviewer, ...], tuple[tuple[str, str], ...]]] = []


def _names_to_call(interviewers: tuple[Interviewer, ...]) -> tuple[tuple[str, str], ...]:
    """(address, name to call them by) of every interviewer who is not a recruiter or coordinator.

    Worked out once per file (kept for the last file asked about, matched by
    identity, since hashing a thousand interviewers per note would cost more).
    """
    from collections import Counter

    for known, names in _last_names_to_call:
        if known is interviewers:
            return names
    met = [person for person in interviewers if not person.arranges]
    firsts = Counter(person.first_name.casefold() for person in met)
    names = tuple(
        (
            person.email,
            person.first_name if firsts[person.first_name.casefold()] == 1 else person.name,
        )
        for person in met
    )
    _last_names_to_call[:] = [(interviewers, names)]
    return names
