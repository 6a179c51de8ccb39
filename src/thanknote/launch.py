"""The console entry point: a quiet Ctrl-C while loading, and an exit that skips teardown.

Importing the command line (typer, click) takes a few tens of milliseconds; a
Ctrl-C in that time would otherwise end in a ``KeyboardInterrupt`` traceback.
Nothing has been read or sent by then, so the message says so. Once the
command has finished, a Ctrl-C is ignored: Python's own shutdown would
otherwise die of it (exit status -2) after the work and its report were done.

Python's shutdown then frees every module and object one by one, about 15 ms
after a ``preview`` that has already printed everything. When nothing can be
left to do at shutdown, the process ends at once with the same exit status
(see :func:`_exit_now`); otherwise it shuts down as usual.
"""

# No `from __future__ import annotations` here: it imports the __future__ module, a moment
# in which a Ctrl-C would still end in a traceback. Nothing below needs it.
import sys  # already loaded by Python itself: nothing here can be interrupted


def main() -> None:
    code: object = 0
    finished = False  # the command ran to its end (an exit status, not a crash)
    try:
        from thanknote.cli import main as run

        run()
        finished = True
    except KeyboardInterrupt:
        # Commands catch their own Ctrl-C (see cli.output.guarded); this is the loading.
        sys.stderr.write("\nthanknote: interrupted before it started; nothing was sent\n")
        code, finished = 130, True
        raise SystemExit(130) from None
    except SystemExit as done:
        code, finished = done.code, True
        raise
    finally:
        _ignore_ctrl_c()
        if finished:
            _exit_now(code)


def _exit_now(code: object) -> None:
    """End the process with ``code`` without Python's teardown, when that loses nothing.

    Teardown matters only for what is still open or still to run, so the shortcut
    is taken only when all of these hold; otherwise this returns and Python exits
    as it always does:

    - the command ended with an exit status (a crash's traceback is Python's to print),
      and the status is a number from 0 to 255 (``None`` is 0; Python prints any other);
    - nothing is registered with :mod:`atexit` (logging, coverage, a library's cleanup);
    - no thread but this one is running (Python waits for them);
    - the send log's driver, :mod:`sqlite3`, was never imported: a command that opened
      the log takes the ordinary exit, so no connection is ever left to the OS;
    - standard output and standard error flush without error (a closed pipe is
      reported by Python's own exit, as before).
    """
    if code is None:
        code = 0
    if type(code) is not int or not 0 <= code <= 255:
        return
    if "sqlite3" in sys.modules:
        return
    try:
        import atexit
        import os

        if atexit._ncallbacks() != 0:  # CPython's count of registered callbacks
            return
        threading = sys.modules.get("threading")
        if threading is not None and threading.active_count() > 1:
            return
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except BaseException:  # a failed flush or a late Ctrl-C: let Python exit as usual
        return
    os._exit(code)


def _ignore_ctrl_c() -> None:
    # Imported here, not at the top: importing signal builds enums (milliseconds), and a
    # Ctrl-C landing there, outside main's try, would print a traceback.
    try:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except KeyboardInterrupt:
        pass  # pressed just now: the command has finished anyway
