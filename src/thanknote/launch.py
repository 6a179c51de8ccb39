"""The console entry point: a Ctrl-C while Python is still loading thanknote exits quietly.

Importing the command line (typer, click) takes a few tens of milliseconds; a
Ctrl-C in that time would otherwise end in a ``KeyboardInterrupt`` traceback.
Nothing has been read or sent by then, so the message says so. Once the
command has finished, a Ctrl-C is ignored: Python's own shutdown would
otherwise die of it (exit status -2) after the work and its report were done.
"""

# No `from __future__ import annotations` here: it imports the __future__ module, a moment
# in which a Ctrl-C would still end in a traceback. Nothing below needs it.
import sys  # already loaded by Python itself: nothing here can be interrupted


def main() -> None:
    try:
        from thanknote.cli import main as run

        run()
    except KeyboardInterrupt:
        # Commands catch their own Ctrl-C (see cli._guarded); this is the loading.
        sys.stderr.write("\nthanknote: interrupted before it started; nothing was sent\n")
        raise SystemExit(130) from None
    finally:
        _ignore_ctrl_c()


def _ignore_ctrl_c() -> None:
    # Imported here, not at the top: importing signal builds enums (milliseconds), and a
    # Ctrl-C landing there, outside main's try, would print a traceback.
    try:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except KeyboardInterrupt:
        pass  # pressed just now: the command has finished anyway
