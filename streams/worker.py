"""`ioc worker`: run the stream worker until SIGTERM or Ctrl-C, then commit what it did and leave."""

from __future__ import annotations

import logging
import signal
import threading

from ioc.endpoints import connect
from ioc.settings import Settings
from streams.app import create_runtime


def run_worker(settings: Settings) -> None:
    """Build the runtime against the configured or local services and run it in the foreground."""
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    runtime = create_runtime(settings, connect(settings))
    runtime.run(stop)
