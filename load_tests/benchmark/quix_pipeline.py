"""The same pipeline in Quix Streams: Avro batches split into records, re-keyed by camera, a one-minute
tumbling window on event time with the running volume and speed, and a batching ClickHouse sink
(one columnar insert per checkpoint, which Quix makes every second here).

Runs in its own virtualenv (`.venv-bench-quix`: Quix Streams 3.28.1 needs confluent-kafka below
2.13, the platform pins 2.16.1) with the repository on PYTHONPATH:
`python -m load_tests.benchmark.quix_pipeline CONFIG.json`. Written the way Quix's documentation
builds such a pipeline; `group_by` re-keys through a repartition topic, Quix's way to window per
camera when messages are keyed by their source.
"""

from __future__ import annotations

import io
import sys
import time
from typing import Any

import fastavro
from quixstreams import Application
from quixstreams.models.serializers import Deserializer
from quixstreams.sinks import BatchingSink, SinkBatch

from load_tests.benchmark.child_config import Row, insert_rows, read_config, warehouse

HEADER_BYTES = 5


class AvroBatchRecords(Deserializer):
    """Confluent-framed Avro batch → its records, each processed by Quix as a message of its own."""

    def __init__(self, schema: dict[str, Any]) -> None:
        super().__init__()
        self.schema = fastavro.parse_schema(schema)

    @property
    def split_values(self) -> bool:
        return True

    def __call__(self, value: bytes, ctx: Any) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = fastavro.schemaless_reader(
            io.BytesIO(value[HEADER_BYTES:]), self.schema, None
        )["records"]
        return [
            {
                "camera_id": r["camera_id"],
                "t": int(r["observed_at"].timestamp() * 1000),
                "count": r["vehicle_count"],
                "speed": r["average_speed_kmh"],
            }
            for r in records
        ]


def initializer(record: dict[str, Any]) -> list[float]:
    return reducer([0.0, 0.0, 0.0], record)


def reducer(acc: list[float], record: dict[str, Any]) -> list[float]:
    count, speed = record["count"], record["speed"]
    acc[0] += count
    if speed is not None:
        acc[1] += speed * count
        acc[2] += count
    return acc


class WarehouseSink(BatchingSink):
    """Keeps the newest result of each window in the batch and inserts them in one go."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self.config = config
        self.client = warehouse(config)

    def write(self, batch: SinkBatch) -> None:
        latest: dict[tuple[str, int], Row] = {}
        for item in batch:
            key = item.key.decode() if isinstance(item.key, bytes) else str(item.key)
            acc = item.value["value"]
            latest[(key, item.value["start"])] = (
                key,
                item.value["start"],
                acc[0],
                acc[1] / acc[2] if acc[2] else None,
                None,
                None,
            )
        insert_rows(self.client, self.config["pipeline"], list(latest.values()), int(time.time() * 1000))


def main(path: str) -> None:
    config = read_config(path)
    app = Application(
        broker_address=config["bootstrap"],
        consumer_group=config["group"],
        auto_offset_reset="latest",
        commit_interval=1.0,
        state_dir=config["state_dir"],
        loglevel="WARNING",
    )
    topic = app.topic(
        config["topic"], key_deserializer="str", value_deserializer=AvroBatchRecords(config["schema"])
    )
    sdf = app.dataframe(topic)
    sdf = sdf.set_timestamp(lambda value, key, timestamp, headers: value["t"])
    sdf = sdf.group_by("camera_id")
    sdf = sdf.tumbling_window(60_000, grace_ms=30_000).reduce(reducer, initializer).current()
    sdf.sink(WarehouseSink(config))
    app.run()


if __name__ == "__main__":
    main(sys.argv[1])
