"""Which process claimed a note, and whether that very process is still running.

A claim records ``host:pid`` and, where the system tells, when that process
started (``boot-id:start-ticks`` on Linux). A process id alone is not enough:
after a reboot, or once ids wrap around, another program can hold it for good,
and a Gmail send interrupted by a crash would wait forever on a claim nobody holds.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from thanknote import rules


def current() -> tuple[str, str | None]:
    """This process as a claim records it: ``host:pid`` and its start (or None)."""
    return f"{socket.gethostname()}:{os.getpid()}", started(os.getpid())


def started(pid: int) -> str | None:
    """When process ``pid`` started, as ``boot-id:ticks-since-boot``; None where unknown."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces; the start
    # time is field 22, the 20th after the closing parenthesis.
    fields = stat.rpartition(")")[2].split()
    if len(fields) < 20 or not fields[19].isdigit():
        return None
    return f"{boot}:{fields[19]}"


def pid_of(claimed_by: str | None) -> int | None:
    return rules.claimant_pid(claimed_by)


def is_live(claimed_by: str | None, claimant_started: str | None = None) -> bool:
    """Whether the process that made a claim is still running on this machine.

    The decision is :func:`thanknote.rules.claim_is_live`; this asks the system about
    the claim's process for it (only when the claim is another process's on this host).
    """
    host, own = socket.gethostname(), os.getpid()
    pid = rules.local_claimant(claimed_by, host=host, own_pid=own)
    process = None if pid is None else _process(pid, want_start=claimant_started is not None)
    return rules.claim_is_live(
        claimed_by, claimant_started, host=host, own_pid=own, process=process
    )


def _process(pid: int, *, want_start: bool) -> rules.Process:
    """What the system says about ``pid``: whether it runs, and (if asked) when it started."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return rules.Process(running=False)
    except PermissionError:
        pass  # someone else's process with that id: its start time decides
    return rules.Process(running=True, started=started(pid) if want_start else None)
