"""A sink in a process of its own, for the crash tests: `python -m tests.integration.sink_child
STACK_DIR CHDB_PATH TOPIC_PREFIX crash|cut|drain`. With `crash` it SIGKILLs itself right after its
first insert, before committing; with `cut`, in the middle of its first insert, after ClickHouse
stored the raw rows and before it stored their rollups; with `drain` it runs until the topic is
consumed and idle, then exits."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from avro_schemas import load_schema
from ioc.endpoints import resolve
from ioc.serde import AvroDecoder, registry_client
from ioc.settings import Settings, StackSettings
from sinks.migrate import migrate
from sinks.sink import TopicSink
from sinks.tables import MAPPINGS
from topics.catalog import CAMERA_VEHICLE_COUNTS


class CrashingSink(TopicSink):
    """Dies like a killed process at the worst moment: rows inserted, offsets not committed."""

    def commit(self, last_offsets: dict[int, int], stop: threading.Event | None = None) -> None:
        os.kill(os.getpid(), signal.SIGKILL)


class CutSink(TopicSink):
    """Dies in the middle of its first insert: ClickHouse stored the raw rows, no rollup view its
    part (as when the warehouse, with its sinks, is killed there). The raw table's views are detached
    for that insert; a detach lasts until the engine starts again, as it does for the next sink. (A
    view that throws cannot stage this: ClickHouse runs a table's views in no fixed order, so some
    rollups may be written before it throws.)"""

    def _insert_under(self, rows: Sequence[Sequence[Any]], token: str) -> None:
        [views] = self.client.query(
            "SELECT dependencies_table FROM system.tables WHERE database = currentDatabase() AND name = {t:String}",
            parameters={"t": self.mapping.table},
        ).result_rows[0]
        for view in views:
            self.client.command(f"DETACH TABLE {view}")
        super()._insert_under(rows, token)
        os.kill(os.getpid(), signal.SIGKILL)


def command(stack_dir: Path, chdb_path: str, prefix: str, mode: str) -> list[str]:
    """The command line that runs this sink child (the tests run it with `subprocess.run`)."""
    return [sys.executable, "-m", "tests.integration.sink_child", str(stack_dir), chdb_path, prefix, mode]


def main() -> None:
    stack_dir, chdb_path, prefix, mode = sys.argv[1:5]
    settings = Settings(stack=StackSettings(dir=Path(stack_dir)), topic_prefix=prefix)
    endpoints = resolve(settings, need=("kafka", "registry"))

    def client() -> Client:
        return clickhouse_connect.get_client(dsn=f"chdb://{chdb_path}", database="ioc")

    migrate(clickhouse_connect.get_client(dsn=f"chdb://{chdb_path}"), "ioc")
    mapping = next(m for m in MAPPINGS if m.topic == CAMERA_VEHICLE_COUNTS)
    sink_class = {"crash": CrashingSink, "cut": CutSink, "drain": TopicSink}[mode]
    sink = sink_class(
        mapping,
        CAMERA_VEHICLE_COUNTS.full_name(prefix),
        endpoints.kafka_client() | {"group.id": f"{prefix}crash-test"},
        AvroDecoder(
            registry_client(endpoints),
            load_schema(CAMERA_VEHICLE_COUNTS.schema),
        ),
        client,
        None,
        batch_max_records=100,  # four messages: the crash comes with most of the topic still unstored
        batch_max_seconds=2.0,
    )
    stop = threading.Event()
    thread = threading.Thread(target=sink.run, args=(stop,))
    thread.start()
    while True:  # drain: stop once partitions are assigned and nothing new arrives for a while
        written = sink.rows_written
        time.sleep(5)
        if sink.rows_written == written and sink.assigned:
            break
    stop.set()
    thread.join()


if __name__ == "__main__":
    main()
