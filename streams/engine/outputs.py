"""Indicator records out: stamped, encoded in bulk, keyed by entity, sent into the open transaction."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import fastavro

from ioc.serde import HEADER, MAGIC_BYTE, AvroEncoder
from streams.engine.runtime import Outputs


def encode_all(encoder: AvroEncoder, records: Sequence[dict[str, Any]]) -> list[bytes]:
    """Each record as framed Avro, written into one buffer and cut apart: the same bytes as
    `encoder.encode` per record, without a new buffer per record (a third of its cost when profiled)."""
    out = io.BytesIO()
    header = HEADER.pack(MAGIC_BYTE, encoder.schema_id)
    ends = []
    for record in records:
        out.write(header)
        fastavro.schemaless_writer(out, encoder.parsed, record)
        ends.append(out.tell())
    data = out.getvalue()
    return [data[start:end] for start, end in zip([0, *ends], ends, strict=False)]


class Indicators:
    """Collects a task's indicator records and sends them at the end of each step."""

    def __init__(self, topic: str, encoder: AvroEncoder) -> None:
        self.topic = topic
        self.encoder = encoder
        self.pending: list[dict[str, Any]] = []

    def add(self, record: dict[str, Any]) -> None:
        self.pending.append(record)

    def send(self, out: Outputs) -> int:
        """Stamp `computed_at`, encode and send everything collected; returns how many were sent."""
        records, self.pending = self.pending, []
        for record in records:
            record["computed_at"] = out.now
        for record, value in zip(records, encode_all(self.encoder, records), strict=True):
            out.send(self.topic, f"{record['entity_type']}|{record['entity_id']}".encode(), value)
        return len(records)


def send_all(out: Outputs, topic: str, messages: Sequence[tuple[bytes, bytes]]) -> None:
    for key, value in messages:
        out.send(topic, key, value)
