"""Producing crafted batches to the input topics and reading what the agents wrote, straight from
Kafka (so provisional results, finals, late events and dead letters are all visible, not only what
the warehouse keeps)."""

from __future__ import annotations

import itertools
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from confluent_kafka import Consumer, Producer

from avro_schemas import load_schema
from ioc.serde import AvroDecoder, AvroEncoder, registry_client
from tests.integration.conftest import RunningStack
from topics.catalog import TopicSpec

FinalKey = tuple[str, str, str, datetime, datetime]


_hours_taken = itertools.count()
_first_hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(
    days=3 + random.randint(0, 300)  # noqa: S311 - spreads runs apart, not security
)


def future_hour() -> datetime:
    """A whole hour days ahead, eight hours after the previous call's: its windows never close on
    the wall clock during a test (only event time closes them, which the test controls), and no
    other test's data falls into them."""
    return _first_hour + timedelta(hours=8 * next(_hours_taken))


class Feeder:
    """Sends batch envelopes (and raw bytes) to input topics of one deployment prefix, in order."""

    def __init__(self, stack: RunningStack, prefix: str = "", source_id: str = "") -> None:
        self.registry = registry_client(stack.endpoints)
        self.prefix = prefix
        self.source_id = source_id or f"SRC-{uuid.uuid4().hex[:6]}"
        self.producer = Producer(stack.endpoints.kafka_client() | {"enable.idempotence": True})
        self.encoders: dict[str, AvroEncoder] = {}

    def send(
        self,
        spec: TopicSpec,
        records: list[dict[str, Any]],
        source_id: str = "",
        partition: int | None = None,
    ) -> None:
        """One batch envelope from `source_id` (the feeder's own by default), on the partition its key
        gives or on `partition`."""
        encoder = self.encoders.get(spec.name)
        if encoder is None:
            encoder = self.encoders[spec.name] = AvroEncoder.for_subject(
                self.registry, spec.subject(self.prefix), load_schema(spec.schema)
            )
        source = source_id or self.source_id
        batch = {"source_id": source, "sent_at": datetime.now(UTC), "records": records}
        self.send_bytes(spec, encoder.encode(batch), source, partition)

    def send_bytes(
        self, spec: TopicSpec, value: bytes, source_id: str = "", partition: int | None = None
    ) -> None:
        key = (source_id or self.source_id).encode()
        if partition is None:
            self.producer.produce(spec.full_name(self.prefix), key=key, value=value)
        else:
            self.producer.produce(spec.full_name(self.prefix), key=key, value=value, partition=partition)

    def flush(self) -> None:
        assert self.producer.flush(30) == 0


class TopicReader:
    """Reads a derived topic from its beginning, decoding with the platform's schema."""

    def __init__(self, stack: RunningStack, spec: TopicSpec, prefix: str = "") -> None:
        self.decoder = AvroDecoder(registry_client(stack.endpoints), load_schema(spec.schema))
        self.consumer = Consumer(
            {
                "bootstrap.servers": stack.endpoints.kafka,
                "group.id": f"test-reader-{uuid.uuid4().hex}",
                "auto.offset.reset": "earliest",
                "isolation.level": "read_committed",
            }
        )
        self.consumer.subscribe([spec.full_name(prefix)])
        self.records: list[dict[str, Any]] = []

    def poll(self) -> list[dict[str, Any]]:
        """Everything read so far (reads what has arrived since the last call)."""
        while messages := self.consumer.consume(num_messages=1000, timeout=0.5):
            self.records += [self.decoder.decode(m.value()) for m in messages if m.error() is None]
        return self.records

    def close(self) -> None:
        self.consumer.close()


def finals(
    records: list[dict[str, Any]], since: datetime, until: datetime
) -> dict[FinalKey, set[float | None]]:
    """Every distinct final value per window, for windows starting in [since, until)."""
    found: dict[FinalKey, set[float | None]] = {}
    for r in records:
        if r["is_final"] and since <= r["window_start"] < until:
            key = (r["indicator"], r["entity_type"], r["entity_id"], r["window_start"], r["window_end"])
            found.setdefault(key, set()).add(r["value"])
    return found


def single(found: dict[FinalKey, set[float | None]]) -> dict[FinalKey, float | None]:
    """The final value of each window; a window with two different finals fails the test."""
    conflicting = {key: values for key, values in found.items() if len(values) != 1}
    assert not conflicting, f"windows with more than one final value: {conflicting}"
    return {key: next(iter(values)) for key, values in found.items()}
