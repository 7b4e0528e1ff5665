"""The insert a sink has started and not yet committed, written where its successor will look.

ClickHouse stores an insert into a raw table first and the rows its materialized views derive (the
rollups) after, in separate parts: a warehouse killed between the two keeps the raw rows without their
rollup rows (the chaos run found 65 camera-minutes short this way). ClickHouse mends that itself when
the same rows come again under the same `insert_deduplication_token`: the raw table drops the repeat,
and each view inserts only the part it lacks (`deduplicate_blocks_in_dependent_materialized_views`).
A sink that survives repeats its insert so. One that dies with it cannot: so before each insert the
sink commits the partition's offset unchanged with this record as the commit's metadata (Kafka keeps
it beside the offset), and whoever is assigned the partition next reads it, finds the rows in the raw
table, and repeats the insert under its token (`TopicSink._complete`). This is how ClickHouse's own
Kafka Connect sink gets exactly-once rollups, with its state in KeeperMap instead of Kafka.

The repeat is deduplicated only while the raw table still remembers the token: its last
`non_replicated_deduplication_window` (1,000) inserts, minutes of load on the busiest table, where a
successor comes within the consumer group's session timeout.

When ClickHouse refuses some rows of a message, the sink stores the others in pieces of that message
(`TopicSink._store_message`). A piece is named like any insert, plus `piece`: a digest of the rows'
positions in the message, so its token says exactly which rows it holds (the message is immutable and
its rows are mapped the same way every time). A successor finds such a piece named and sees rows of
that message stored: it reads the message again rather than skipping it, since the message's other
good rows may not all be stored yet; its stored rows are then dropped as resends.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

KIND = "ioc.sink.inserting"


@dataclass(frozen=True)
class InFlight:
    """An insert of `rows` rows of a partition's offsets `first`..`last`, under `token`; for a piece of
    one message, `piece` names which of its rows (`piece_of`)."""

    topic: str
    partition: int
    first: int
    last: int
    rows: int
    piece: str = ""

    @property
    def token(self) -> str:
        """The insert's deduplication token. The row count is part of it: a batch planned again after
        a refused message inserts fewer rows, and must not be taken for the first plan's insert."""
        token = f"{self.topic}:{self.partition}:{self.first}-{self.last}:{self.rows}"
        return f"{token}:{self.piece}" if self.piece else token

    def encode(self) -> str:
        """The commit metadata (Kafka keeps up to 4,096 bytes by default; this is under 250)."""
        fields = {"kind": KIND, "first": self.first, "last": self.last, "rows": self.rows}
        return json.dumps(fields | {"piece": self.piece} if self.piece else fields)

    @classmethod
    def decode(cls, topic: str, partition: int, metadata: str | None) -> InFlight | None:
        """The insert a committed offset's metadata names, or None (no metadata, or another's)."""
        if not metadata:
            return None
        try:
            fields = json.loads(metadata)
            if fields.get("kind") != KIND:
                return None
            first, last, rows = int(fields["first"]), int(fields["last"]), int(fields["rows"])
            return cls(topic, partition, first, last, rows, str(fields.get("piece", "")))
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


def piece_of(positions: Iterable[int]) -> str:
    """A short digest of rows' positions in their message: the same rows, the same digest."""
    return hashlib.blake2b(",".join(map(str, positions)).encode(), digest_size=8).hexdigest()
