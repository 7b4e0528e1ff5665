"""The gateway's core without a broker: what it produces, dead-letters, deduplicates and refuses.

The sender records messages instead of producing (the real producer is proven in the integration
tests); the Avro encoding is the real one, so the envelopes are decoded back to check them.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import fastavro
import pytest

from avro_schemas import load_schema
from ingest.dedup import DedupStore
from ingest.errors import KafkaUnavailableError
from ingest.feeds import build_feeds
from ingest.gateway import ENVELOPE_RECORDS, Encoders, Gateway
from ingest.producer import OutgoingMessage
from ingest.validation import time_window
from ioc.serde import HEADER, AvroEncoder

FEEDS = build_feeds()
DEAD_LETTER_SCHEMA = load_schema("derived/dead_letters")


class RecordingSender:
    """Keeps what would have been produced; fails every message while `failing` is set."""

    def __init__(self) -> None:
        self.messages: list[OutgoingMessage] = []
        self.failing = ""

    def send(self, messages: list[OutgoingMessage]) -> list[str]:
        if self.failing:
            return [self.failing] * len(messages)
        self.messages += messages
        return [""] * len(messages)

    def close(self) -> None:
        pass


def make_gateway(tmp_path: Path, sender: RecordingSender | None = None) -> Gateway:
    encoders = Encoders(
        {name: AvroEncoder(feed.envelope_schema, 1) for name, feed in FEEDS.items()},
        {family: AvroEncoder(DEAD_LETTER_SCHEMA, 2) for family in ("camera", "sensor", "department")},
    )
    return Gateway(
        FEEDS,
        encoders,
        sender or RecordingSender(),
        DedupStore(tmp_path / "dedup.sqlite3", retention_s=8 * 86400),
        time_window(300, 7),
        retry_after_s=7,
    )


def decode(message: OutgoingMessage, schema: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = fastavro.schemaless_reader(
        io.BytesIO(message.value[HEADER.size :]), fastavro.parse_schema(schema), None
    )
    return record


def vehicle_count(event_id: str, **changes: Any) -> dict[str, Any]:
    observed = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    return {"event_id": event_id, "camera_id": "CAM-1", "observed_at": observed, "vehicle_count": 7} | changes


FEED = FEEDS["camera.vehicle-counts"]


def test_valid_records_become_one_envelope_keyed_by_source(tmp_path: Path) -> None:
    sender = RecordingSender()
    outcome = make_gateway(tmp_path, sender).submit(
        FEED, "VMS-1", [vehicle_count("a"), vehicle_count("b")], door="http"
    )
    assert (outcome.accepted, outcome.duplicates, outcome.rejected) == (2, 0, [])
    [message] = sender.messages
    assert (message.topic, message.key) == ("ioc.camera.vehicle-counts", b"VMS-1")
    envelope = decode(message, FEED.envelope_schema)
    assert envelope["source_id"] == "VMS-1"
    assert [record["event_id"] for record in envelope["records"]] == ["a", "b"]
    assert envelope["records"][0]["vehicle_class"] == "other"  # the contract's default


def test_rejected_records_go_to_the_family_dead_letters_with_path_and_rule(tmp_path: Path) -> None:
    sender = RecordingSender()
    records = [vehicle_count("ok"), vehicle_count("bad", vehicle_count="many")]
    outcome = make_gateway(tmp_path, sender).submit(FEED, "VMS-1", records, door="http")
    assert outcome.accepted == 1
    [rejection] = outcome.rejected
    assert (rejection.index, rejection.event_id, rejection.field, rejection.rule) == (
        1,
        "bad",
        "records[1].vehicle_count",
        "type",
    )
    dead = [m for m in sender.messages if m.topic == "ioc.dlq.camera"]
    assert len(dead) == 1
    letter = decode(dead[0], DEAD_LETTER_SCHEMA)
    assert (letter["source_topic"], letter["field_path"], letter["rule"]) == (
        "ioc.camera.vehicle-counts",
        "records[1].vehicle_count",
        "type",
    )
    assert b'"many"' in letter["payload"]


def test_a_resend_is_answered_as_duplicate_and_not_produced_again(tmp_path: Path) -> None:
    sender = RecordingSender()
    gateway = make_gateway(tmp_path, sender)
    gateway.submit(FEED, "VMS-1", [vehicle_count("a")], door="http")
    again = gateway.submit(
        FEED, "VMS-1", [vehicle_count("a"), vehicle_count("a2"), vehicle_count("a2")], door="http"
    )
    assert (again.accepted, again.duplicates) == (1, 2)
    produced = [r["event_id"] for m in sender.messages for r in decode(m, FEED.envelope_schema)["records"]]
    assert produced == ["a", "a2"]


def test_dedup_survives_a_gateway_restart(tmp_path: Path) -> None:
    make_gateway(tmp_path).submit(FEED, "VMS-1", [vehicle_count("a")], door="http")
    sender = RecordingSender()
    outcome = make_gateway(tmp_path, sender).submit(FEED, "VMS-1", [vehicle_count("a")], door="http")
    assert (outcome.accepted, outcome.duplicates, sender.messages) == (0, 1, [])


def test_failed_delivery_raises_and_the_retry_is_stored(tmp_path: Path) -> None:
    sender = RecordingSender()
    gateway = make_gateway(tmp_path, sender)
    sender.failing = "broker down"
    with pytest.raises(KafkaUnavailableError) as raised:
        gateway.submit(FEED, "VMS-1", [vehicle_count("a")], door="http")
    assert raised.value.retry_after_s == 7
    sender.failing = ""
    retry = gateway.submit(FEED, "VMS-1", [vehicle_count("a")], door="http")
    assert (retry.accepted, len(sender.messages)) == (1, 1)


def test_sandbox_answers_like_production_and_produces_nothing(tmp_path: Path) -> None:
    sender = RecordingSender()
    gateway = make_gateway(tmp_path, sender)
    records = [vehicle_count("s1"), vehicle_count("s2", lane="x")]
    sandbox = gateway.submit(FEED, "VMS-1", records, door="http", sandbox=True)
    assert (sandbox.accepted, [r.rule for r in sandbox.rejected], sandbox.stored) == (1, ["type"], False)
    assert sender.messages == []
    # The sandbox never marks production ids as seen.
    assert gateway.submit(FEED, "VMS-1", records[:1], door="http").accepted == 1


def test_all_or_nothing_stores_nothing_when_one_record_fails(tmp_path: Path) -> None:
    sender = RecordingSender()
    records = [vehicle_count("f1"), vehicle_count("f2", observed_at="2026-01-01T00:00:00")]
    outcome = make_gateway(tmp_path, sender).submit(FEED, "DEPT", records, door="upload", all_or_nothing=True)
    assert (outcome.stored, outcome.accepted, sender.messages) == (False, 0, [])
    assert outcome.rejected[0].rule == "timestamp-zone"


def test_large_requests_are_split_into_envelopes(tmp_path: Path) -> None:
    sender = RecordingSender()
    records = [vehicle_count(f"e{i}") for i in range(ENVELOPE_RECORDS + 3)]
    make_gateway(tmp_path, sender).submit(FEED, "VMS-1", records, door="http")
    sizes = [len(decode(m, FEED.envelope_schema)["records"]) for m in sender.messages]
    assert sizes == [ENVELOPE_RECORDS, 3]
