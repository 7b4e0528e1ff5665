"""A task's state: a key-value map in memory, mirrored to one partition of a compacted changelog topic.

Every change reaches the changelog in the same Kafka transaction as the input offsets it follows from
(the runtime flushes the stores just before it commits), so after any crash the changelog holds
exactly the state of the last committed offsets. Changes are coalesced: a key written a thousand
times between two commits costs one changelog record. A deleted key is written as a real Kafka
tombstone (a null value), so compaction removes it and a restore never reads it back.

Values are MessagePack (integer keys and nested lists survive the round trip, unlike JSON); the
changelog is internal to the engine, not a data contract.

A value may hold a collection that grows with the data (a month's dossiers of the whole province:
tens of thousands of cases): written whole it outgrows a Kafka message (`message.max.bytes`, 1 MB
by default in the producer and the broker; the worker died on it) and is rewritten at every commit
for one changed entry. Such a map is a `Parts`, attached to its key (`attach`): each of its entries
is its own changelog record (`<key>` + `PART` + `<entry>`), written when it changed, a tombstone
when it was removed; the key's own record holds the rest of the value, the map left empty. So no
record is larger than one entry, and a commit writes what changed.
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
PART = "\x1f"  # between a key and the entry of its `Parts` in a changelog key (never in an entity id)


def encode(value: Any) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def decode(data: bytes) -> Any:
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


class Parts(dict[str, Any]):
    """A map inside a stored value whose entries are stored apart (see the module's docstring).
    Assigning or deleting an entry marks it changed; an entry changed in place must be assigned again."""

    __slots__ = ("changed",)

    def __init__(self, entries: dict[str, Any] | None = None) -> None:
        super().__init__(entries or {})
        self.changed: set[str] = set(self)

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.changed.add(key)

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.changed.add(key)


class Store:
    """One task's state. Mutate values in place and call `touch`, or `put` new ones; `flush` at commit."""

    def __init__(self, topic: str, partition: int) -> None:
        self.topic = topic
        self.partition = partition
        self.data: dict[str, Any] = {}
        self._dirty: set[str] = set()
        # Key -> (the dict holding its Parts, the field naming it): where each key's parts live.
        self._parts: dict[str, tuple[dict[str, Any], str]] = {}
        self._written_parts: dict[str, Parts] = {}  # key -> the Parts last flushed for it
        self.restored_parts: dict[str, dict[str, Any]] = {}  # key -> entries read back, not yet claimed

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

    def attach(self, key: str, holder: dict[str, Any], field: str) -> Parts:
        """Store `holder[field]` (a map inside the value of `key`) one entry per record from now on;
        returns the `Parts` now in its place, with the entries restored for the key if it was empty."""
        parts = holder[field]
        if isinstance(parts, Parts) and self._parts.get(key, (None,))[0] is holder:
            return parts
        if not isinstance(parts, Parts):
            restored = self.restored_parts.pop(key, None)
            if not parts and restored:
                parts = holder[field] = Parts(restored)
                parts.changed.clear()  # as the changelog holds them
                self._written_parts[key] = parts
            else:
                parts = holder[field] = Parts(parts)
        self._parts[key] = (holder, field)
        self._dirty.add(key)
        return parts

    def unclaimed_parts(self) -> None:
        """Tombstone restored entries whose key attached none (their key was deleted: an old value
        read back while the log cleaner removed its tombstone, as `Book.discard_stale` explains)."""
        for key, entries in self.restored_parts.items():
            self._written_parts[key] = Parts()
            self._written_parts[key].changed.update(entries)
            self._dirty.add(key)
        self.restored_parts.clear()

    def items(self) -> Iterator[tuple[str, Any]]:
        return iter(list(self.data.items()))

    def __len__(self) -> int:
        return len(self.data)

    def flush(self, send: Send) -> int:
        """Write every changed key (a tombstone for a deleted one); returns how many were written."""
        written = len(self._dirty)
        split = self._parts.keys() | self._written_parts.keys() if self._written_parts or self._parts else ()
        for key in self._dirty:
            value = self.data.get(key)
            if key in split:
                written += self._flush_parts(key, value, send)
            else:
                send(self.topic, self.partition, key.encode(), None if value is None else encode(value))
        self._dirty.clear()
        return written

    def _flush_parts(self, key: str, value: Any, send: Send) -> int:
        """The key's record with its parts left empty, then each changed entry (a tombstone when
        gone); entries of a map no longer held (a state reset or deleted) are tombstoned."""
        holder, field = self._parts.get(key, ({}, ""))
        parts = holder.get(field) if value is not None else None
        if not isinstance(parts, Parts):
            parts = None
            self._parts.pop(key, None)
        if value is None:
            record = None
        elif parts is None:
            record = encode(value)
        else:
            holder[field] = {}
            try:
                record = encode(value)
            finally:
                holder[field] = parts
        send(self.topic, self.partition, key.encode(), record)
        old = self._written_parts.pop(key, None)
        changes: dict[str, Any] = {}
        if old is not None and old is not parts:
            changes = dict.fromkeys(old.changed | set(old))  # every entry the old map may have written
        if parts is not None:
            changes.update({entry: parts.get(entry) for entry in parts.changed})
            parts.changed.clear()
            self._written_parts[key] = parts
        prefix = key + PART
        for entry, entry_value in changes.items():
            data = None if entry_value is None else encode(entry_value)
            send(self.topic, self.partition, (prefix + entry).encode(), data)
        return len(changes)

    def apply(self, key: bytes, value: bytes | None) -> None:
        """One changelog record read back at restore: the newest value wins, a tombstone removes. An
        entry of a key's parts waits in `restored_parts` until the key attaches its map."""
        name = key.decode()
        if PART in name:
            name, entry = name.split(PART, 1)
            entries = self.restored_parts.setdefault(name, {})
            if value is None:
                entries.pop(entry, None)
            else:
                entries[entry] = decode(value)
        elif value is None:
            self.data.pop(name, None)
        else:
            self.data[name] = decode(value)


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
