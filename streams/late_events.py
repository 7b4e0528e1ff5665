"""Events later than their window's grace period: counted, logged and sent to `ioc.derived.late-events`.

Every windowed agent shares this treatment so that a late record is never silently dropped: it
does not change a window that has closed (its final value stays final), but operators can see on
the late-events topic which feed is late, by how much, and the record itself. The sink only
encodes; the agent sends the returned message together with the rest of its batch, so a late
record costs no extra await.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient

from avro_schemas import load_schema
from ioc.serde import AvroEncoder
from streams.model import windows
from topics.catalog import LATE_EVENTS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Origin:
    """Where a record came from: its Kafka message and, inside the batch, which record it is."""

    topic: str
    partition: int
    offset: int
    source_id: str = ""


def payload_of(record: dict[str, Any]) -> bytes:
    """The decoded record as UTF-8 JSON (dates and instants as ISO 8601), readable without its schema."""
    return json.dumps(record, default=_jsonable, ensure_ascii=False, sort_keys=True).encode()


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):  # datetime too: Avro `date` and `timestamp-millis` alike
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class LateEventSink:
    """Builds late-event messages and keeps the count per windowed computation (`processor`)."""

    def __init__(self, encoder: AvroEncoder) -> None:
        self.encoder = encoder
        self.counts: Counter[str] = Counter()

    @classmethod
    def create(cls, registry: SchemaRegistryClient, prefix: str = "") -> LateEventSink:
        """A sink whose encoder uses the registered late-events schema (looked up once, at start)."""
        return cls(
            AvroEncoder.for_subject(registry, LATE_EVENTS.subject(prefix), load_schema(LATE_EVENTS.schema))
        )

    @staticmethod
    def topic_name(prefix: str = "") -> str:
        """The late-events topic of this deployment."""
        return LATE_EVENTS.full_name(prefix)

    @property
    def total(self) -> int:
        """Late records seen since start, over every processor."""
        return sum(self.counts.values())

    def record(
        self,
        origin: Origin,
        record: dict[str, Any],
        *,
        processor: str,
        event_ms: int,
        window_end_ms: int,
        grace_ms: int,
        watermark_ms: int,
        now_ms: int | None = None,
    ) -> tuple[bytes, bytes]:
        """Count and log one late record; returns (key, value) to produce to the late-events topic.

        `processor` names the windowed computation that refused it (for example `traffic.volume/1m`);
        `watermark_ms` is the stream time that made it late, so `lateness_ms` says by how much it missed.
        """
        self.counts[processor] += 1
        ref = str(record.get("event_id", ""))
        lateness = max(0, watermark_ms - (window_end_ms + grace_ms))
        log.warning(
            "late record %s from %s[%d]@%d for %s: %d ms past its window's grace",
            ref,
            origin.topic,
            origin.partition,
            origin.offset,
            processor,
            lateness,
        )
        value = {
            "source_topic": origin.topic,
            "partition": origin.partition,
            "offset": origin.offset,
            "source_id": origin.source_id,
            "record_ref": ref,
            "processor": processor,
            "event_time": event_ms,
            "window_end": window_end_ms,
            "grace_ms": grace_ms,
            "lateness_ms": lateness,
            "payload": payload_of(record),
            "detected_at": windows.now_ms() if now_ms is None else now_ms,
        }
        return f"{origin.topic}|{origin.partition}".encode(), self.encoder.encode(value)
