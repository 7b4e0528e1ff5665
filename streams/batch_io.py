"""Decoding a batch of batch-envelope messages and building its dead letters, for the part-A agents.

A message that cannot be decoded goes to the family's dead-letter topic whole; a decoded record that
breaks a rule of the computation (a negative concentration, an unconfigured reporting unit) goes
there alone, naming the record, the field and the rule, while the rest of its batch is processed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from faust.types import EventT

from ioc.dead_letters import dead_letter_record
from ioc.serde import AvroDecoder, AvroEncoder, SerdeError
from streams.late_events import Origin, payload_of

Output = tuple[bytes, bytes]


@dataclass
class DecodedBatch:
    """The records of a batch by source partition, and the dead letters of undecodable messages."""

    records: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    dead: list[Output] = field(default_factory=list)


class BatchCodec:
    """Decodes one input topic's envelopes and encodes that family's dead letters."""

    def __init__(self, topic: str, decoder: AvroDecoder, dead_letter_encoder: AvroEncoder) -> None:
        self.topic = topic
        self.decoder = decoder
        self.dead_letter_encoder = dead_letter_encoder

    def decode(self, events: Sequence[EventT]) -> DecodedBatch:
        """Records keep where they came from under `_origin`, so a later refusal or a late-event
        report can name their message."""
        batch = DecodedBatch()
        for event in events:
            message = event.message
            try:
                envelope = self.decoder.decode(message.value)
            except SerdeError as exc:
                ref = f"{message.topic}[{message.partition}]@{message.offset}"
                source = (message.key or b"").decode("utf-8", "replace")
                value = dead_letter_record(
                    message.topic, ref, "avro-confluent-framing", f"{ref}: {exc}", message.value or b"",
                    source_id=source,
                )  # fmt: skip
                batch.dead.append((message.key or b"", self.dead_letter_encoder.encode(value)))
                continue
            origin = Origin(message.topic, message.partition, message.offset, envelope["source_id"])
            for record in envelope["records"]:
                batch.records[message.partition].append(record | {"_origin": origin})
        return batch

    def refuse(self, record: dict[str, Any], field_path: str, rule: str) -> Output:
        """The dead letter of one decoded record that breaks a rule; the reason names record, field, rule."""
        source = record["_origin"].source_id
        reason = f"record {record.get('event_id', '?')}: {field_path} {rule} (got {record.get(field_path)!r})"
        value = dead_letter_record(
            self.topic, str(record.get("event_id", "")), rule, reason, payload_of(plain(record)),
            source_id=source, field_path=field_path,
        )  # fmt: skip
        return source.encode(), self.dead_letter_encoder.encode(value)


def plain(record: dict[str, Any]) -> dict[str, Any]:
    """The record as decoded, without the bookkeeping this module adds."""
    return {key: value for key, value in record.items() if key != "_origin"}
