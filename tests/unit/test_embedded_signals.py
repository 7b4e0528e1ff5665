"""`ioc run` stops on SIGTERM as on Ctrl-C (ioc/embedded.py `stop_on_sigterm`): the signal becomes the
KeyboardInterrupt whose handler stops the simulator, the services, the workers and the stack."""

from __future__ import annotations

import os
import signal
import time

import pytest

from ioc.embedded import stop_on_sigterm


def test_a_sigterm_interrupts_like_ctrl_c() -> None:
    previous = signal.getsignal(signal.SIGTERM)
    try:
        stop_on_sigterm()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler runs at the next bytecode; never reached
    finally:
        signal.signal(signal.SIGTERM, previous)
