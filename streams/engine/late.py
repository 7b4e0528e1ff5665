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


LOGGED_PER_MINUTE = 10  # a late feed sends thousands: the first few are logged, then a count


class LateEvents:
    """Builds late-event messages and keeps the count per computation (`processor`)."""

    def __init__(self, encoder: AvroEncoder, grace_ms: int) -> None:
        self.encoder = encoder
        self.grace_ms = grace_ms
        self.counts: Counter[str] = Counter()
        self._minute = 0
        self._logged = 0
        self._unlogged = 0

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
        self._log(record_ref, origin, processor, lateness, now_ms)
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

    def _log(self, record_ref: str, origin: Origin, processor: str, lateness: int, now_ms: int) -> None:
        minute = now_ms // 60_000
        if minute != self._minute:
            if self._unlogged:
                log.warning(
                    "%d more late records in the last minute (all on %s)",
                    self._unlogged,
                    "ioc.derived.late-events",
                )
            self._minute, self._logged, self._unlogged = minute, 0, 0
        if self._logged >= LOGGED_PER_MINUTE:
            self._unlogged += 1
            return
        self._logged += 1
        log.warning(
            "late record %s from %s for %s: %d ms past its window's grace",
            record_ref,
            origin.ref,
            processor,
            lateness,
        )
