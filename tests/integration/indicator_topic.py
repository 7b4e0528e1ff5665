"""Reading `ioc.derived.indicators` and producing crafted batches, for the part-A agent tests.

The tests assert on the topic itself (every revision the agents emit), not on the warehouse, so a
provisional revision and the final one can both be checked."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import Consumer, Producer

from avro_schemas import load_schema
from ioc.serde import AvroDecoder, AvroEncoder, registry_client
from tests.integration.conftest import RunningStack
from topics.catalog import INDICATORS, TopicSpec

Key = tuple[str, str, datetime]  # (indicator, entity_id, window_start)


class TopicReader:
    """Consumes one topic from the start, decoding every message with the topic's schema."""

    def __init__(self, stack: RunningStack, spec: TopicSpec, prefix: str = "") -> None:
        self.decoder = AvroDecoder(registry_client(stack.endpoints), load_schema(spec.schema))
        self.consumer = Consumer(
            {
                "bootstrap.servers": stack.endpoints.kafka,
                "group.id": f"test-{uuid.uuid4().hex}",
                "auto.offset.reset": "earliest",
                "isolation.level": "read_committed",  # the worker writes in transactions
            }
        )
        self.consumer.subscribe([spec.full_name(prefix)])
        self.seen: list[dict[str, Any]] = []

    def poll(self) -> list[dict[str, Any]]:
        for message in self.consumer.consume(num_messages=1000, timeout=0.5):
            if message.error() is None:
                self.seen.append(self.decoder.decode(message.value()))
        return self.seen

    def close(self) -> None:
        self.consumer.close()


class IndicatorReader(TopicReader):
    """The indicators of some entities: every revision, and the final value of each window."""

    def __init__(self, stack: RunningStack, entity_ids: set[str], prefix: str = "") -> None:
        super().__init__(stack, INDICATORS, prefix)
        self.entity_ids = entity_ids

    def mine(self) -> list[dict[str, Any]]:
        return [i for i in self.poll() if i["entity_id"] in self.entity_ids]

    def finals(self) -> dict[Key, dict[str, Any]]:
        return {(i["indicator"], i["entity_id"], i["window_start"]): i for i in self.mine() if i["is_final"]}


def send_batch(
    stack: RunningStack, spec: TopicSpec, source: str, records: list[dict[str, Any]], prefix: str = ""
) -> None:
    """One batch envelope of `records` to an input topic, Avro-encoded with its registered schema."""
    encoder = AvroEncoder.for_subject(
        registry_client(stack.endpoints),
        spec.subject(prefix),
        load_schema(spec.schema),
    )
    envelope = {"source_id": source, "sent_at": datetime.now(UTC), "records": records}
    send_raw(stack, spec, source, encoder.encode(envelope), prefix)


def send_raw(stack: RunningStack, spec: TopicSpec, source: str, value: bytes, prefix: str = "") -> None:
    producer = Producer(stack.endpoints.kafka_client() | {"enable.idempotence": True})
    producer.produce(spec.full_name(prefix), key=source.encode(), value=value)
    assert producer.flush(30) == 0
