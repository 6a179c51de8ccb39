"""Senders that deliver nowhere: dry runs, and ``preview --out`` (one .eml file per note)."""

from __future__ import annotations

import re
from pathlib import Path

from thanknote.errors import BadInput
from thanknote.senders.base import Outcome, Outgoing

WOULD_SEND = "would send"
WOULD_DRAFT = "would draft"
WRITTEN = "written"


class DryRunSender:
    """Goes through the batch like a real sender and reports what it would have done."""

    def __init__(self, via: str, purpose: str = "send") -> None:
        self.via = via
        self.purpose = purpose

    def open(self) -> None:
        pass

    def deliver(self, outgoing: Outgoing) -> Outcome:
        return Outcome(WOULD_DRAFT if self.purpose == "draft" else WOULD_SEND)

    def close(self) -> None:
        pass


class EmlFileSender:
    """Writes each message as an RFC 5322 ``.eml`` file that any mail client opens."""

    via = "file"
    purpose = "preview"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.written: list[Path] = []
        self._open = False

    def open(self) -> None:
        if self._open:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise BadInput(f"cannot create {self.directory}: {error.strerror}") from None
        self._open = True

    def deliver(self, outgoing: Outgoing) -> Outcome:
        self.open()
        note = outgoing.prepared.note
        number = len(self.written) + 1
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{number:02d}-{note.kind}-{note.to}")
        path = self.directory / f"{stem}.eml"
        path.write_bytes(outgoing.prepared.as_bytes())
        self.written.append(path)
        return Outcome(WRITTEN, str(path))

    def close(self) -> None:
        self._open = False
