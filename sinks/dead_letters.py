"""Dead letters from the sinks: rows ClickHouse refused, sent with the server's reason.

A dead letter must be acknowledged by Kafka before the sink commits past its record, so the
sender is flushed before every commit: a refused record is moved, never dropped.
"""

from __future__ import annotations

from confluent_kafka import Producer

from ioc.dead_letters import dead_letter_record
from ioc.serde import AvroEncoder


class DeadLetterSender:
    """Produces DeadLetter records (avro_schemas/derived/dead_letters.avsc) to one topic."""

    def __init__(self, kafka: dict[str, str], topic: str, encoder: AvroEncoder) -> None:
        self.topic = topic
        self.encoder = encoder
        self.producer = Producer(kafka | {"enable.idempotence": True, "acks": "all"})

    def send(
        self,
        source_topic: str,
        record_ref: str,
        rule: str,
        reason: str,
        payload: bytes,
        *,
        source_id: str = "",
        field_path: str = "",
    ) -> None:
        value = dead_letter_record(
            source_topic, record_ref, rule, reason, payload, source_id=source_id, field_path=field_path
        )
        self.producer.produce(self.topic, key=record_ref.encode(), value=self.encoder.encode(value))
        self.producer.poll(0)

    def flush(self, timeout_s: float = 30.0) -> None:
        """Wait until Kafka has every dead letter; raises if some are still unacknowledged."""
        left = self.producer.flush(timeout_s)
        if left:
            raise RuntimeError(f"{left} dead letters to {self.topic} not acknowledged within {timeout_s} s")
