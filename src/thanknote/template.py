"""A note template, compiled once: the Jinja2 environment, its checks and its errors.

A template is a ``Subject:`` line, a blank line and the body. The subject and
the body are separate Jinja2 templates, split *before* rendering: a rendered
value can never turn into a header line, and the subject is a plain value
that :mod:`thanknote.message` checks like every other header value. Every
problem in a template is a :class:`BadInput` naming its file and line.
"""

from __future__ import annotations

import traceback
from functools import lru_cache
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING, Any

from thanknote import codecache, phrasing
from thanknote.errors import BadInput
from thanknote.values import Kind

if TYPE_CHECKING:
    import jinja2

_DEFAULT_TEMPLATES: dict[str, str] = {
    Kind.THANK_YOU: "thank-you.txt",
    Kind.FOLLOW_UP: "follow-up.txt",
}


def templates_dir() -> Path:
    """The shipped templates: inside the installed package, or the checkout's templates/."""
    packaged = Path(__file__).parent / "templates"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "templates"
    if checkout.is_dir():
        return checkout
    raise BadInput(f"the default templates are missing (looked in {packaged} and {checkout})")


def default_template(kind: str = Kind.THANK_YOU) -> Path:
    return templates_dir() / _DEFAULT_TEMPLATES[kind]


def _environment() -> jinja2.Environment:
    import jinja2

    # Compiled code is kept between runs (codecache): raise codecache.FORMAT when
    # a setting below changes what a template compiles to.
    environment = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain-text mail, not HTML  # noqa: S701
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    environment.filters["sentence"] = phrasing.sentence
    environment.filters["phrase"] = phrasing.phrase
    environment.filters["and_list"] = phrasing.and_list
    environment.filters["aside"] = phrasing.aside
    environment.filters["kind"] = phrasing.point_kind
    return environment


class Template:
    """A template file compiled: its subject and body, and its text (for error lines)."""

    # A plain class, not a dataclass: creating a dataclass costs about half a
    # millisecond at import, paid by every start, and nothing compares these.
    __slots__ = ("path", "subject", "body", "source")

    def __init__(
        self, *, path: Path, subject: jinja2.Template, body: jinja2.Template, source: str = ""
    ) -> None:
        self.path = path
        self.subject = subject
        self.body = body
        self.source = source

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
        from thanknote.placeholders import placeholder

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
    # A plain dict, not Jinja2's ChainMap over the environment's globals (which
    # nothing changes after this): every render copies the globals into a new
    # context, and copying a ChainMap runs in Python, a third of a render.
    template_globals = dict(environment.make_globals(None))
    if (kept := codecache.load(path, source)) is not None:
        subject_code, body_code = kept
    else:
        subject_code, body_code = _code(environment, path, first, body_source)
        codecache.store(path, source, subject_code, body_code)
    make = environment.template_class.from_code
    return Template(
        path=path,
        subject=make(environment, subject_code, template_globals, None),
        body=make(environment, body_code, template_globals, None),
        source=source,
    )


def _code(
    environment: jinja2.Environment, path: Path, first: str, body_source: str
) -> tuple[CodeType, CodeType]:
    """The subject's and the body's Python code, after the checks a template must pass."""
    import jinja2

    try:
        subject_tree = environment.parse(first[len("Subject:") :].strip(), str(path), str(path))
        # Two newlines in front keep Jinja2's line numbers equal to the file's.
        body_tree = environment.parse("\n\n" + body_source, str(path), str(path))
        _refuse_other_templates(path, subject_tree, body_tree)
        return (
            environment.compile(subject_tree, str(path), str(path)),
            environment.compile(body_tree, str(path), str(path)),
        )
    except jinja2.TemplateSyntaxError as error:
        raise BadInput(f"{path}:{error.lineno}: template syntax error: {error.message}") from None


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
