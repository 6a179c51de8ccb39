"""The candidate profile: your name, address and signature, written once for every file.

``profile.toml`` in the user config directory (``THANKNOTE_PROFILE`` overrides
the path) holds ``name``, ``email`` and an optional ``signature``, the keys of
an interview file's ``[candidate]``. A file's own ``[candidate]`` wins over it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from thanknote.addresses import header_problem, is_valid_address
from thanknote.atomic_file import write_atomic
from thanknote.errors import BadInput
from thanknote.interview_writer import toml_string
from thanknote.model import Candidate
from thanknote.placeholders import text_problem
from thanknote.settings import Variable, read

_KEYS = ("name", "email", "signature")
SET_HINT = (
    "thanknote profile set, giving --name (your name, as you sign notes) and --email "
    "(the address your notes come from); --signature is optional"
)


def profile_path() -> Path:
    if value := read(Variable.PROFILE):
        return Path(value)
    import platformdirs

    return Path(platformdirs.user_config_dir("thanknote", appauthor=False)) / "profile.toml"


def load_profile(path: Path | None = None) -> Candidate | None:
    """The profile, None when there is none; a broken profile is :class:`BadInput`."""
    path = path or profile_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"{path}: cannot read the profile: {error}", hint=SET_HINT) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise BadInput(
            f"{path}: TOML syntax error in the profile: {error}", hint=SET_HINT
        ) from None
    return _candidate(path, data)


def candidate_for(interview_file: Path) -> Candidate:
    """The candidate of a file that has no ``[candidate]``: the profile, or a clear refusal."""
    candidate = load_profile()
    if candidate is None:
        raise BadInput(
            f"{interview_file}: [candidate]: missing, and there is no profile "
            f"({profile_path()}) to take it from",
            hint=f"save yours once with: {SET_HINT} (or add [candidate] to the file)",
        )
    return candidate


def save_profile(name: str, email: str, signature: str | None) -> Path:
    """Check the values as the loader would, then write the profile (replacing the old one)."""
    path = profile_path()
    values: dict[str, Any] = {"name": name, "email": email}
    if signature is not None:
        values["signature"] = signature
    candidate = _candidate(Path("--"), values, option=True)
    lines = [
        "# The thanknote candidate profile: used by interview files without [candidate].",
        "# Written by 'thanknote profile set'; a file's own [candidate] wins.",
        f"name = {toml_string(candidate.name)}",
        f"email = {toml_string(candidate.email)}",
    ]
    if signature is not None:
        lines.append(f"signature = {toml_string(candidate.signature)}")
    try:
        write_atomic(path, "\n".join(lines) + "\n")
    except OSError as error:
        raise BadInput(f"cannot write the profile {path}: {error.strerror}") from None
    return path


def _candidate(path: Path, data: dict[str, Any], *, option: bool = False) -> Candidate:
    def where(key: str) -> str:
        return f"--{key}" if option else f"{path}: {key}"

    for key in data:
        if key not in _KEYS:
            raise BadInput(
                f"{path}: unknown key {key!r} in the profile (known keys: {', '.join(_KEYS)})",
                hint=SET_HINT,
            )
    found: dict[str, str] = {}
    for key in _KEYS:
        value = data.get(key)
        if value is None:
            if key != "signature":
                raise BadInput(f"{where(key)}: missing from the profile", hint=SET_HINT)
            continue
        if not isinstance(value, str) or not value.strip():
            raise BadInput(f"{where(key)}: must be a non-empty string", hint=SET_HINT)
        found[key] = value.strip()
        if (problem := text_problem(found[key], prose=key != "email")) is not None:
            raise BadInput(f"{where(key)}: {problem}", hint=SET_HINT)
    if (problem := header_problem(found["name"])) is not None:
        raise BadInput(
            f"{where('name')}: {found['name']!r} {problem}; it cannot go into an email header"
        )
    if not is_valid_address(found["email"]):
        raise BadInput(f"{where('email')}: {found['email']!r} is not a valid email address")
    return Candidate(
        name=found["name"], email=found["email"], signature=found.get("signature", found["name"])
    )


def describe(candidate: Candidate, path: Path) -> str:
    signature = candidate.signature.replace("\n", "\n           ")
    return (
        f"profile: {path}\nname:      {candidate.name}\nemail:     {candidate.email}\n"
        f"signature: {signature}"
    )
