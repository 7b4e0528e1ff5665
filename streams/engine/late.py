"""Records later than their windows' grace: counted, logged and sent to `ioc.derived.late-events`.

A late record never changes a window that has closed (its final value stays final), but operators see
on the late-events topic which feed is late, for which computation, by how much, and the record
itself. Built in one place for every route; the task sends the message with the rest of its batch.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from ioc.serde import AvroEncoder
from streams.engine.inputs import Origin, payload_of

log = logging.getLogger(__name__)


class LateEvents:
    """Builds late-event messages and keeps the count per computation (`processor`)."""

    def __init__(self, encoder: AvroEncoder, grace_ms: int) -> None:
        self.encoder = encoder
        self.grace_ms = grace_ms
        self.counts: Counter[str] = Counter()

    def record(
        self,
        origin: Origin,
        record: dict[str, Any],
        *,
        processor: str,
        event_ms: int,
        window_end_ms: int,
        watermark_ms: int,
        now_ms: int,
        ref: str | None = None,
        timestamp_fields: set[str] | frozenset[str] = frozenset(),
    ) -> tuple[bytes, bytes]:
        """(key, value) of one late record. `processor` names the computation that refused it (route
        and entity, e.g. `traffic/area/1m/26001`); `watermark_ms` is the stream time that made it
        late, so `lateness_ms` says by how much it missed its window's grace."""
        self.counts[processor] += 1
        record_ref = ref if ref is not None else str(record.get("event_id", ""))
        lateness = max(0, watermark_ms - (window_end_ms + self.grace_ms))
        log.warning(
            "late record %s from %s for %s: %d ms past its window's grace",
            record_ref,
            origin.ref,
            processor,
            lateness,
        )
        value = {
            "source_topic": origin.topic,
            "partition": origin.partition,
            "offset": origin.offset,
            "source_id": origin.source_id,
            "record_ref": record_ref,
            "processor": processor,
            "event_time": event_ms,
            "window_end": window_end_ms,
            "grace_ms": self.grace_ms,
            "lateness_ms": lateness,
            "payload": payload_of(record, timestamp_fields),
            "detected_at": now_ms,
        }
        return f"{origin.topic}|{origin.partition}".encode(), self.encoder.encode(value)
