"""`ioc sinks run`: the sinks as their own process, against a ClickHouse server (production).

On the embedded default the warehouse process runs the same sinks itself, because only the
process that owns the chDB folder may write to it.
"""

from __future__ import annotations

import signal
import threading

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from ioc.endpoints import connect
from ioc.settings import Settings
from ioc.stack.errors import StackError
from sinks.migrate import migrate
from sinks.runner import start_sinks


def run_sinks(settings: Settings) -> None:
    """Apply migrations, then run every sink until SIGTERM or Ctrl-C."""
    if not settings.clickhouse.url:
        raise StackError(
            "CLICKHOUSE_URL is not set: on the embedded default the warehouse process runs the sinks",
            "use `ioc stack up`, or set CLICKHOUSE_URL=http://user:password@host:8123/ioc",
        )
    endpoints = connect(settings)

    def client_factory() -> Client:
        return clickhouse_connect.get_client(
            dsn=settings.clickhouse.url, database=settings.clickhouse.database
        )

    migrate(clickhouse_connect.get_client(dsn=settings.clickhouse.url), settings.clickhouse.database)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    sinks = start_sinks(settings, endpoints, client_factory, stop)
    stop.wait()
    for _, thread in sinks:
        thread.join(timeout=30)
