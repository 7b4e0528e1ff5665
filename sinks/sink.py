"""A Kafka → ClickHouse sink for one topic: batches, inserts, and only then commits.

Nothing accepted is lost: offsets are committed only after ClickHouse has the rows, and while
ClickHouse refuses inserts the sink pauses its partitions and retries with backoff. Nothing is
stored twice: every row carries its Kafka partition and offset, and on each partition assignment
the sink seeks past the highest offset the table already holds. A crash between insert and commit
therefore resumes after the inserted rows instead of inserting them again. The insert's
deduplication token (topic, partition and offset range) also drops a retried insert that reached
ClickHouse before an error was reported.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from clickhouse_connect.driver.client import Client
from confluent_kafka import Consumer, KafkaError, Message, TopicPartition

from ioc.serde import AvroDecoder, SerdeError
from sinks.tables import Row, TableMapping

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 30.0


class TopicSink:
    """Moves one topic into its table until `stop` is set."""

    def __init__(
        self,
        mapping: TableMapping,
        topic: str,
        consumer_config: dict[str, Any],
        decoder: AvroDecoder,
        client_factory: Callable[[], Client],
        batch_max_records: int,
        batch_max_seconds: float,
    ) -> None:
        self.mapping = mapping
        self.topic = topic
        self.decoder = decoder
        self.client = client_factory()
        self.batch_max_records = batch_max_records
        self.batch_max_seconds = batch_max_seconds
        self.consumer = Consumer(
            consumer_config | {"enable.auto.commit": False, "auto.offset.reset": "earliest"}
        )
        self.rows_written = 0
        self.decode_errors = 0

    def _stored_offsets(self) -> dict[int, int]:
        sql = f"SELECT kafka_partition, max(kafka_offset) FROM {self.mapping.table} WHERE kafka_topic = {{t:String}} GROUP BY 1"  # noqa: S608 - table name from code
        result = self.client.query(sql, parameters={"t": self.topic})
        return {int(p): int(o) for p, o in result.result_rows}

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        stored = self._stored_offsets()
        committed = {tp.partition: tp.offset for tp in consumer.committed(partitions, timeout=30)}
        for tp in partitions:
            if tp.partition in stored and committed.get(tp.partition, -1) <= stored[tp.partition]:
                tp.offset = stored[tp.partition] + 1
        consumer.assign(partitions)

    def run(self, stop: threading.Event) -> None:
        """Consume, batch and flush until stopped; the last batch is flushed before returning."""
        self.consumer.subscribe([self.topic], on_assign=self._on_assign)
        pending: dict[int, list[Row]] = defaultdict(list)
        last_offsets: dict[int, tuple[int, int]] = {}
        started = time.monotonic()
        count = 0
        try:
            while not stop.is_set():
                for message in self.consumer.consume(num_messages=1000, timeout=0.2):
                    count += self._take(message, pending, last_offsets)
                if count and (
                    count >= self.batch_max_records or time.monotonic() - started >= self.batch_max_seconds
                ):
                    self._flush(pending, last_offsets, stop)
                    count = 0
                if not count:
                    started = time.monotonic()
            if count:
                self._flush(pending, last_offsets, stop)
        finally:
            self.consumer.close()
            self.client.close()

    def _take(
        self, message: Message, pending: dict[int, list[Row]], offsets: dict[int, tuple[int, int]]
    ) -> int:
        error = message.error()
        if error is not None:
            if error.code() != KafkaError._PARTITION_EOF:
                log.warning("%s: %s", self.topic, error)
            return 0
        partition, offset = message.partition(), message.offset()
        first = offsets.get(partition, (offset, offset))[0]
        offsets[partition] = (first, offset)
        try:
            record = self.decoder.decode(message.value())
        except SerdeError as exc:
            # The platform's own producers validate before producing; a bad message here is counted
            # and skipped, never allowed to stop the sink.
            self.decode_errors += 1
            log.error("%s[%d]@%d undecodable: %s", self.topic, partition, offset, exc)
            return 0
        rows = [[*row, self.topic, partition, offset] for row in self.mapping.rows(record)]
        pending[partition].extend(rows)
        return len(rows) or 1

    def _flush(
        self, pending: dict[int, list[Row]], offsets: dict[int, tuple[int, int]], stop: threading.Event
    ) -> None:
        backoff = 0.5
        while True:
            try:
                self._insert(pending, offsets)
                break
            except Exception as exc:
                if stop.is_set():
                    raise
                log.warning("%s: insert failed (%s); pausing for %.1f s", self.mapping.table, exc, backoff)
                assignment = self.consumer.assignment()
                self.consumer.pause(assignment)
                time.sleep(backoff)
                self.consumer.resume(assignment)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
        commits = [TopicPartition(self.topic, p, last + 1) for p, (_, last) in offsets.items()]
        self.consumer.commit(offsets=commits, asynchronous=False)
        pending.clear()
        offsets.clear()

    def _insert(self, pending: dict[int, list[Row]], offsets: dict[int, tuple[int, int]]) -> None:
        for partition, rows in pending.items():
            if not rows:
                continue
            first, last = offsets[partition]
            self.client.insert(
                self.mapping.table,
                rows,
                column_names=self.mapping.all_columns(),
                settings={"insert_deduplication_token": f"{self.topic}:{partition}:{first}-{last}"},
            )
            self.rows_written += len(rows)
            rows.clear()
