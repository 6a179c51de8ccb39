"""``thanknote log --json``: the send log's records as one JSON list, written as they come.

The same bytes as ``json.dumps(records, indent=2, ensure_ascii=False)``, in flat memory:
each record is formatted by hand from the C string encoder and written in chunks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from json.encoder import encode_basestring as _encode
from typing import TextIO

from thanknote.sendlog import Record


def write_json(records: Iterable[Record], out: TextIO) -> int:
    """The records as a JSON list, written as they come.

    The same bytes as ``json.dumps(records, indent=2, ensure_ascii=False)``, but
    each record is formatted by hand from the C string encoder: json's indenting
    encoder is pure Python and builds closures per call, which would both cost
    seconds over a large log and, with the collector off for a short command,
    keep every call's cycles alive.
    """
    count = 0
    with Chunks(out) as chunks:
        for record in records:
            fields = ",\n    ".join(
                f"{_encode(key)}: {_json_value(value)}" for key, value in record.as_json().items()
            )
            chunks.add(("[\n  {\n    " if count == 0 else ",\n  {\n    ") + fields + "\n  }")
            count += 1
        chunks.add("\n]\n" if count else "[]\n")
    return count


def _json_value(value: object) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _encode(value)
    if isinstance(value, float):
        return float.__repr__(value)
    if isinstance(value, int):
        return int.__repr__(value)
    return json.dumps(value, ensure_ascii=False)


class Chunks:
    """Writes in pieces of about 64 kB: with PYTHONUNBUFFERED set, every write is a system
    call, and one per interview made a large log several times slower."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.pending: list[str] = []
        self.size = 0

    def add(self, text: str) -> None:
        self.pending.append(text)
        self.size += len(text)
        if self.size >= 65536:
            self.flush()

    def flush(self) -> None:
        self.out.write("".join(self.pending))
        self.pending, self.size = [], 0

    def __enter__(self) -> Chunks:
        return self

    def __exit__(self, *_: object) -> None:
        self.flush()
