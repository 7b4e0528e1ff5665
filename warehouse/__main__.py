"""`python -m warehouse --data DIR --port N`: the embedded warehouse process (started by `ioc stack up`).

Applies the migrations, serves ClickHouse's HTTP interface on loopback to the users of
warehouse.users (creating their passwords first, so that they exist once `/ping` answers), with
the audit log of queries (warehouse.audit), runs the sinks, and on SIGTERM stops the sinks
(flushing their last batch) and writes the audit log's last rows before the engine goes away.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

import clickhouse_connect

from ioc.endpoints import connect
from ioc.settings import Settings
from sinks.dimensions import sync_at_start
from sinks.migrate import migrate
from sinks.runner import start_sinks
from sinks.sink import TopicSink
from warehouse.audit import AuditLog
from warehouse.engine import Engine
from warehouse.http_front import Front, serve
from warehouse.users import load_users


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data", type=Path, required=True, help="chDB data folder (owned by this process only)"
    )
    parser.add_argument(
        "--port", type=int, required=True, help="loopback port for ClickHouse's HTTP interface"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings()
    path = str(args.data.resolve())
    args.data.mkdir(parents=True, exist_ok=True)

    def client_factory() -> clickhouse_connect.driver.client.Client:
        return clickhouse_connect.get_client(dsn=f"chdb://{path}", database=settings.clickhouse.database)

    admin = clickhouse_connect.get_client(dsn=f"chdb://{path}")
    for migration in migrate(admin, settings.clickhouse.database):
        logging.info("applied migration %03d %s", migration.version, migration.name)
    sync_at_start(admin, settings.province_file)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # Sinks first: /ping is the stack's readiness probe, so it must not answer before the sinks
    # have looked up their schemas (a registry restarted right after "ready" made that fail).
    sinks = start_sinks(settings, connect(settings), client_factory, stop)
    audit = AuditLog(path, settings.clickhouse.database)
    front = Front(Engine(path), load_users(settings), settings.clickhouse.database, audit=audit)
    server = serve(front, args.port)
    logging.info("ClickHouse HTTP interface on http://127.0.0.1:%d", args.port)
    failed = wait_while_healthy(sinks, stop)
    stop.set()
    for _, thread in sinks:
        thread.join(timeout=30)
    server.shutdown()
    audit.close()
    if failed:
        # A sink that died must not leave a warehouse that answers queries but stores nothing:
        # exit non-zero, so `ioc stack status` and `ioc run` show it stopped.
        logging.critical("sink for %s failed; stopping the warehouse", ", ".join(failed))
        sys.exit(1)
    logging.info("warehouse stopped")


def wait_while_healthy(sinks: list[tuple[TopicSink, threading.Thread]], stop: threading.Event) -> list[str]:
    """Block until stopped or until a sink thread has died; returns the topics of dead sinks."""
    while not stop.wait(1.0):
        failed = [sink.topic for sink, thread in sinks if not thread.is_alive()]
        if failed:
            return failed
    return []


if __name__ == "__main__":
    main()
