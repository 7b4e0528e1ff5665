"""Writes to a Faust table with an explicit changelog partition.

Faust picks a table write's changelog partition from the "current event". A batch from
`take_events` spans partitions, and the wall-clock window closer runs outside any event, so both
would send changelog records to the wrong partition (or fail). Writing the store and the changelog
explicitly keeps each key's changelog on the partition its events came from, which is what
recovery after a restart or rebalance reads back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from faust.types import TableT


def put(table: TableT, partition: int, key: str, value: Any) -> None:
    """Set a key and record it in the changelog partition `partition`."""
    table.data[key] = value
    table.send_changelog(partition, key, value)


def delete(table: TableT, partition: int, key: str) -> None:
    """Remove a key. The changelog records None for it (the JSON codec writes `null`, not a Kafka
    tombstone), so after recovery the key is present with the value None: readers treat None as absent."""
    table.data.pop(key, None)
    table.send_changelog(partition, key, None)


def items(table: TableT) -> Iterator[tuple[str, Any]]:
    """A snapshot of the table's live items, safe to iterate while writing; keys deleted before a
    restart (recovered as None) are dropped from the store here."""
    for key, value in list(table.data.items()):
        if value is None:
            table.data.pop(key, None)
            continue
        yield key, value
