"""`ioc worker`: run the Faust app until SIGTERM or Ctrl-C (Faust's worker handles both gracefully)."""

from __future__ import annotations

import faust

from ioc.endpoints import resolve
from ioc.settings import Settings
from streams.app import create_app


def run_worker(settings: Settings) -> None:
    """Build the app against the configured or local services and run it in the foreground."""
    app = create_app(settings, resolve(settings, need=("kafka", "registry")))
    faust.Worker(app, loglevel="INFO").execute_from_commandline()
