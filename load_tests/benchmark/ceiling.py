"""The Python ceiling: a plain confluent-kafka consumer loop, fastavro decoding, the platform's traffic
indicator set in plain Python (`aggregate.ProvinceTotals`) and one columnar ClickHouse insert per
second, then a synchronous offset commit.

No framework at all: what one Python process can do on this machine with the same libraries the
platform uses. `python -m load_tests.benchmark.ceiling CONFIG.json` (run by the benchmark).
"""

from __future__ import annotations

import io
import signal
import sys
import time

import fastavro
from confluent_kafka import Consumer

from load_tests.benchmark.aggregate import Layout, ProvinceTotals
from load_tests.benchmark.child_config import insert_rows, read_config, warehouse

HEADER_BYTES = 5  # Confluent framing: magic byte and schema id


def main(path: str) -> None:
    config = read_config(path)
    schema = fastavro.parse_schema(config["schema"])
    client = warehouse(config)
    consumer = Consumer(
        {
            "bootstrap.servers": config["bootstrap"],
            "group.id": config["group"],
            "auto.offset.reset": "latest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([config["topic"]])
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    totals = ProvinceTotals(Layout.from_json(config["layout"]))
    next_flush, consumed = time.monotonic() + 1.0, False
    reader = fastavro.schemaless_reader
    while not stopping:
        for message in consumer.consume(num_messages=1000, timeout=0.1):
            if message.error() is None:
                totals.add(reader(io.BytesIO(message.value()[HEADER_BYTES:]), schema, None)["records"])
                consumed = True
        if time.monotonic() >= next_flush:
            insert_rows(client, config["pipeline"], totals.drain_touched(), int(time.time() * 1000))
            if consumed:  # offsets only after the insert: nothing is lost on a crash
                consumer.commit(asynchronous=False)
                consumed = False
            next_flush = time.monotonic() + 1.0
    consumer.close()


if __name__ == "__main__":
    main(sys.argv[1])
