"""Insert throughput of the ClickHouse sink, next to the cost of reading the same messages.

`python -m load_tests.sink_throughput [--records N]` against the running local stack (`ioc stack up`):
it fills a topic of its own with vehicle-count batches, then drains it three ways, one after the
other on the same messages:

- `read-only`: consume (with the sink's own consumer settings, `read_committed` included), decode and
  map to rows, no insert: the ceiling any sink can reach here;
- `chdb`: the sink inserting into an in-process chDB, as the embedded warehouse runs its sinks;
- `http`: the sink inserting through ClickHouse's HTTP interface (the warehouse as `ioc_writer`),
  as `ioc sinks run` writes to a ClickHouse server.

Each prints rows per second and CPU milliseconds per 1,000 rows; the ratios between them are what to
compare across runs (machines here are noisy). The sink works as in production, its resend filter
included: one lookup of the stored keys per flush (no record here is a resend, so nothing is dropped).
The `http` way's CPU figure is this process's only: the warehouse's share of the inserts and lookups
is spent in its own process.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from confluent_kafka import Consumer

from avro_schemas import load_schema
from ioc.endpoints import Endpoints, resolve
from ioc.schemas import register_subject
from ioc.serde import AvroDecoder, registry_client
from ioc.settings import Settings
from load_tests.live import kafka_sender
from sinks.migrate import migrate
from sinks.sink import TopicSink, sink_consumer_config
from sinks.tables import MAPPINGS
from topics.apply import apply_topics
from topics.catalog import CAMERA_VEHICLE_COUNTS
from warehouse.users import WRITER, client_auth

RECORDS_PER_MESSAGE = 100
SPEC = CAMERA_VEHICLE_COUNTS
MAPPING = next(m for m in MAPPINGS if m.topic == SPEC)


def fill_topic(settings: Settings, records: int) -> str:
    """A fresh topic holding `records` vehicle counts in batches of 100; returns its name."""
    prefix = f"sinkbench-{uuid.uuid4().hex[:6]}."
    endpoints = resolve(settings, need=("kafka", "registry"))
    apply_topics(endpoints.kafka_client(), prefix, (SPEC,))
    register_subject(
        registry_client(endpoints),
        SPEC.subject(prefix),
        load_schema(SPEC.schema),
    )
    sender = kafka_sender(settings.model_copy(update={"topic_prefix": prefix}))
    start = datetime(2026, 1, 5, tzinfo=UTC)
    for message in range(records // RECORDS_PER_MESSAGE):
        sender.send(
            {
                "source_id": f"SRC-{message % 8}",
                "sent_at": start,
                "records": [
                    {
                        "event_id": f"{prefix}{message}-{i}",
                        "camera_id": f"CAM-{(message * RECORDS_PER_MESSAGE + i) % 2000:04d}",
                        "observed_at": start + timedelta(seconds=message),
                        "interval_seconds": 60,
                        "lane": 1 + i % 3,
                        "vehicle_class": "car",
                        "vehicle_count": 1 + i % 40,
                        "average_speed_kmh": 20.0 + i % 40,
                    }
                    for i in range(RECORDS_PER_MESSAGE)
                ],
            }
        )
    if sender.flush(120) != 0:
        raise RuntimeError("the broker did not acknowledge every benchmark message")
    return SPEC.full_name(prefix)


def consumer_config(endpoints: Endpoints, topic: str, way: str) -> dict[str, Any]:
    return endpoints.kafka_client() | {"group.id": f"{topic}.{way}"}


def read_only(endpoints: Endpoints, topic: str, records: int) -> int:
    """Consume, decode and map every message to rows, inserting nothing; returns the rows mapped."""
    decoder = AvroDecoder(registry_client(endpoints), load_schema(SPEC.schema))
    consumer = Consumer(sink_consumer_config(consumer_config(endpoints, topic, "read-only")))
    consumer.subscribe([topic])
    rows = 0
    try:
        while rows < records:
            for message in consumer.consume(num_messages=1000, timeout=1.0):
                if message.error() is None:
                    rows += sum(1 for _ in MAPPING.rows(decoder.decode(message.value())))
    finally:
        consumer.close()
    return rows


def through_sink(endpoints: Endpoints, topic: str, records: int, client_factory: Callable[[], Client]) -> int:
    """Run the platform's own TopicSink until it has written every row; returns the rows written."""
    settings = Settings()
    sink = TopicSink(
        MAPPING,
        topic,
        consumer_config(endpoints, topic, f"sink-{uuid.uuid4().hex[:4]}"),
        AvroDecoder(registry_client(endpoints), load_schema(SPEC.schema)),
        client_factory,
        None,
        settings.sinks.batch_max_records,
        settings.sinks.batch_max_seconds,
    )
    stop = threading.Event()
    thread = threading.Thread(target=sink.run, args=(stop,))
    thread.start()
    while sink.rows_written < records and thread.is_alive():
        time.sleep(0.05)
    stop.set()
    thread.join()
    return sink.rows_written


def timed(way: str, run: Callable[[], int]) -> dict[str, Any]:
    """Wall and CPU time of one way of draining the topic (CPU of this whole process: the sink's
    thread, the client and, for chDB, the engine's own threads)."""
    wall, cpu = time.perf_counter(), time.process_time()
    rows = run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "way": way,
        "rows": rows,
        "seconds": round(wall, 3),
        "rows_per_s": round(rows / wall),
        "cpu_ms_per_1000_rows": round(cpu * 1000 / max(rows, 1) * 1000, 2),
    }


def measure(settings: Settings, records: int) -> dict[str, Any]:
    """Fill a topic, drain it the three ways, and return the figures with the machine's cores."""
    endpoints = resolve(settings)
    topic = fill_topic(settings, records)
    results = [timed("read-only", lambda: read_only(endpoints, topic, records))]
    with tempfile.TemporaryDirectory(prefix="sinkbench-chdb-") as path:
        migrate(clickhouse_connect.get_client(dsn=f"chdb://{path}"), "ioc")
        results.append(
            timed(
                "chdb",
                lambda: through_sink(
                    endpoints,
                    topic,
                    records,
                    lambda: clickhouse_connect.get_client(dsn=f"chdb://{path}", database="ioc"),
                ),
            )
        )
    results.append(
        timed(
            "http",
            lambda: through_sink(
                endpoints,
                topic,
                records,
                lambda: clickhouse_connect.get_client(
                    dsn=endpoints.clickhouse, database="ioc", **client_auth(settings, WRITER)
                ),
            ),
        )
    )
    ceiling = results[0]["rows_per_s"]
    for result in results:
        result["ratio_to_read_only"] = round(result["rows_per_s"] / ceiling, 2)
    return {
        "benchmark": "sink insert throughput",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "records": records,
        "batch_max_records": settings.sinks.batch_max_records,
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=200_000, help="rows to move (multiple of 100)")
    args = parser.parse_args()
    report = measure(Settings(), args.records)
    print(f"{'way':<10} {'rows/s':>10} {'CPU ms/1000 rows':>17} {'vs read-only':>13}")
    for r in report["results"]:
        print(
            f"{r['way']:<10} {r['rows_per_s']:>10,} {r['cpu_ms_per_1000_rows']:>17} {r['ratio_to_read_only']:>13}"
        )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
