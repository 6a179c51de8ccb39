"""The claimant's liveness: whether the run that claimed a note is still running.

A claim records ``host:pid`` and, where the system tells, when that process started.
The system is asked by :mod:`thanknote.claimant`; the decision is here.
"""

from __future__ import annotations

from dataclasses import dataclass


def claimant_pid(claimed_by: str | None) -> int | None:
    """The process id of a claim (``host:pid``), or None when it has none."""
    if not claimed_by:
        return None
    pid = claimed_by.rpartition(":")[2]
    return int(pid) if pid.isdigit() else None


def local_claimant(claimed_by: str | None, *, host: str, own_pid: int) -> int | None:
    """The pid worth asking the system about: a claim made on ``host`` by another process."""
    if not claimed_by:
        return None
    claim_host, _, pid_text = claimed_by.rpartition(":")
    if claim_host != host or not pid_text.isdigit() or int(pid_text) == own_pid:
        return None
    return int(pid_text)


@dataclass(frozen=True)
class Process:
    """What the system says about a process id."""

    running: bool
    """It exists (also when it is someone else's and may not be signalled)."""
    started: str | None = None
    """When it started (``boot-id:ticks``), None where the system does not tell."""


def claim_is_live(
    claimed_by: str | None,
    claimant_started: str | None,
    *,
    host: str,
    own_pid: int,
    process: Process | None,
) -> bool:
    """Whether the process that claimed a note is still running on this machine.

    ``process`` is what the system says about the claim's pid (None when it was not
    asked: see :func:`local_claimant`). A claim from another host, or from this very
    process, is not live; nor is one whose pid now belongs to a process that started
    at another time (a pid reused after a reboot or a wrap-around).
    """
    pid = local_claimant(claimed_by, host=host, own_pid=own_pid)
    if pid is None or process is None or not process.running:
        return False
    return not (
        claimant_started is not None
        and process.started is not None
        and process.started != claimant_started
    )
