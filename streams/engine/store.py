"""A task's state: a key-value map in memory, mirrored to one partition of a compacted changelog topic.

Every change reaches the changelog in the same Kafka transaction as the input offsets it follows from
(the runtime flushes the stores just before it commits), so after any crash the changelog holds
exactly the state of the last committed offsets. Changes are coalesced: a key written a thousand
times between two commits costs one changelog record. A deleted key is written as a real Kafka
tombstone (a null value), so compaction removes it and a restore never reads it back.

Values are MessagePack (integer keys and nested lists survive the round trip, unlike JSON); the
changelog is internal to the engine, not a data contract.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import msgpack
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

log = logging.getLogger(__name__)
Send = Callable[[str, int, bytes, bytes | None], None]  # (topic, partition, key, value or None)


def encode(value: Any) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def decode(data: bytes) -> Any:
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


class Store:
    """One task's state. Mutate values in place and call `touch`, or `put` new ones; `flush` at commit."""

    def __init__(self, topic: str, partition: int) -> None:
        self.topic = topic
        self.partition = partition
        self.data: dict[str, Any] = {}
        self._dirty: set[str] = set()

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def put(self, key: str, value: Any) -> None:
        self.data[key] = value
        self._dirty.add(key)

    def touch(self, key: str) -> None:
        """The value under `key` was changed in place."""
        self._dirty.add(key)

    def delete(self, key: str) -> None:
        self.data.pop(key, None)
        self._dirty.add(key)

    def items(self) -> Iterator[tuple[str, Any]]:
        return iter(list(self.data.items()))

    def __len__(self) -> int:
        return len(self.data)

    def flush(self, send: Send) -> int:
        """Write every changed key (a tombstone for a deleted one); returns how many were written."""
        written = len(self._dirty)
        for key in self._dirty:
            value = self.data.get(key)
            send(self.topic, self.partition, key.encode(), None if value is None else encode(value))
        self._dirty.clear()
        return written

    def apply(self, key: bytes, value: bytes | None) -> None:
        """One changelog record read back at restore: the newest value wins, a tombstone removes."""
        if value is None:
            self.data.pop(key.decode(), None)
        else:
            self.data[key.decode()] = decode(value)


def restore(stores: list[Store], kafka_config: dict[str, Any], progress_every_s: float = 10.0) -> int:
    """Fill the stores from their changelog partitions, reading committed records only, up to the end.

    The end is the high watermark read at the start: records written after it belong to nobody yet
    (this worker owns the partitions now). An open transaction left by a crashed owner holds the read
    back until the broker aborts it (`transaction.timeout.ms`); that wait is logged, not hidden.
    Returns the number of records read.
    """
    if not stores:
        return 0
    consumer = Consumer(
        kafka_config
        | {
            "group.id": "ioc-restore-unused",  # never joins or commits: partitions are assigned by hand
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "enable.partition.eof": False,
        }
    )
    try:
        by_tp = {(s.topic, s.partition): s for s in stores}
        ends: dict[tuple[str, int], int] = {}
        for tp in by_tp:
            low, high = consumer.get_watermark_offsets(TopicPartition(*tp), timeout=30, cached=False)
            if high > low:
                ends[tp] = high
        if not ends:
            return 0
        consumer.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t, p in ends])
        read, started, reported = 0, time.monotonic(), time.monotonic()
        while ends:
            for message in consumer.consume(num_messages=10_000, timeout=0.5):
                if message.error() is not None:
                    log.warning("restore: %s", message.error())
                    continue
                by_tp[(message.topic(), message.partition())].apply(message.key(), message.value())
                read += 1
            positions = consumer.position([TopicPartition(t, p) for t, p in ends])
            for tp in positions:
                if tp.offset >= ends[(tp.topic, tp.partition)]:
                    del ends[(tp.topic, tp.partition)]
            if ends and time.monotonic() - reported > progress_every_s:
                reported = time.monotonic()
                log.warning(
                    "restore: still reading %d changelog partitions after %.0f s (an open transaction of a "
                    "crashed worker is aborted after transaction.timeout.ms)",
                    len(ends),
                    reported - started,
                )
        return read
    finally:
        consumer.close()
