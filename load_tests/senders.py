"""Where simulated records go: a pluggable sender per ingestion path.

Every sender takes one feed's records from one source and sends them as one batch envelope
(`source_id`, `sent_at`, `records`), as a vendor would. `KafkaFeedSender` produces straight to the
input topics (Avro, Confluent framing, schemas looked up once); `GatewaySender` posts plain JSON to
the HTTP ingestion gateway (`ingest/`), which validates, deduplicates and produces to the same topics.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

import httpx
from confluent_kafka import Producer

from ingest.client import send_records
from ingest.feeds import feed_name
from ioc.serde import AvroEncoder
from topics.catalog import TopicSpec


class Sender(Protocol):
    """What the pacing loop needs from an ingestion path."""

    records_sent: int

    def send(self, feed: TopicSpec, source_id: str, records: list[dict[str, Any]]) -> None: ...

    def flush(self, timeout_s: float = 30.0) -> int: ...


class KafkaFeedSender:
    """One idempotent, fully acknowledged producer for every input topic."""

    def __init__(self, kafka: dict[str, str], topics: dict[str, tuple[str, AvroEncoder]]) -> None:
        """`kafka`: `Endpoints.kafka_client()`; `topics` maps a feed's unprefixed topic name to (topic
        on the broker, its value encoder)."""
        self.topics = topics
        self.producer = Producer(kafka | {"enable.idempotence": True, "acks": "all", "linger.ms": 20})
        self.records_sent = 0
        self.by_feed: dict[str, int] = {}

    def send(self, feed: TopicSpec, source_id: str, records: list[dict[str, Any]]) -> None:
        topic, encoder = self.topics[feed.name]
        batch = {"source_id": source_id, "sent_at": datetime.now(UTC), "records": records}
        while True:
            try:
                self.producer.produce(topic, key=source_id.encode(), value=encoder.encode(batch))
                break
            except BufferError:  # the local queue is full: let the producer deliver some first
                self.producer.poll(0.1)
        self.producer.poll(0)
        self.records_sent += len(records)
        self.by_feed[feed.name] = self.by_feed.get(feed.name, 0) + len(records)

    def flush(self, timeout_s: float = 30.0) -> int:
        """Wait for every batch to be acknowledged; returns how many are still unacknowledged."""
        return int(self.producer.flush(timeout_s))


class GatewaySender:
    """Through the HTTP ingestion gateway with one API key (synchronous: each batch is answered).

    The gateway refuses records that break the JSON contract; the simulator's invalid records fit the
    contract and break plausibility rules instead, so they pass the gateway and are caught further on
    (the warehouse's constraints, the agents). `rejected` counts what the gateway refused anyway."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self.http = httpx.Client(timeout=60.0)
        self.records_sent = 0
        self.rejected = 0

    def send(self, feed: TopicSpec, source_id: str, records: list[dict[str, Any]]) -> None:
        reply = send_records(
            self.base_url, self.api_key, feed_name(feed), records, source_id=source_id, http=self.http
        )
        self.records_sent += len(records)
        self.rejected += len(reply.get("rejected", []))

    def flush(self, timeout_s: float = 30.0) -> int:
        """Nothing is ever pending: each send returned after the gateway's answer."""
        return 0
