"""The Ctrl-C handler of a batch: acknowledged at once, raised only where a sender allows it."""

from __future__ import annotations

import os
import signal
import time

import pytest

from thanknote.interrupt import NotStarted, Stopper, interruptible


def press_ctrl_c() -> None:
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.05)  # the handler runs at the next bytecode boundary; give it one


def test_outside_the_network_calls_ctrl_c_is_noted_not_raised(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with Stopper() as stopper:
        press_ctrl_c()  # e.g. while the send log is being written
        assert stopper.requested
        with pytest.raises(NotStarted), interruptible():
            pytest.fail("the interruptible code must not start after a Ctrl-C")
    assert "stopping… (Ctrl-C)" in capfd.readouterr().err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_inside_a_network_call_ctrl_c_raises_once() -> None:
    with Stopper() as stopper:
        with pytest.raises(KeyboardInterrupt), interruptible():
            press_ctrl_c()
            pytest.fail("not interrupted")
        press_ctrl_c()  # a second Ctrl-C while the state is being recorded: noted only
        assert stopper.requested


def test_without_a_batch_python_s_own_handler_applies() -> None:
    with pytest.raises(KeyboardInterrupt), interruptible():
        press_ctrl_c()
