"""How plates, photos and officers' addresses are masked for the warehouse's readers
(ioc/personal_data.py), and that the sinks' mappings apply it to every copy of a record."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from avro_schemas import load_schema
from ioc.personal_data import (
    COPY,
    PERSONAL_FEEDS,
    WITHHELD,
    PersonalFeed,
    mask_address,
    mask_copy,
    mask_plate,
)
from sinks.tables import MAPPINGS
from streams.engine.inputs import payload_of
from topics.catalog import DLQ_CAMERA, LATE_EVENTS, NOTIFICATIONS

# The rule's examples in docs/warehouse.md and migration 005.
PLATES = {
    "30A-123.45": "30A-***.**",
    "51LD-678.90": "51LD-***.**",
    "29-B1 234.56": "29-B* ***.**",
    "ABC 123": "*** ***",
    "": "",
}
MAPPING = {m.topic.name: m for m in MAPPINGS}
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("clear", "masked"), PLATES.items())
def test_a_plate_keeps_its_province_code_series_and_separators(clear: str, masked: str) -> None:
    assert mask_plate(clear) == masked


@pytest.mark.parametrize(
    ("clear", "masked"),
    [
        ("+84900000103", "**********03"),
        ("710000101", "*******01"),
        ("le.thu@ioc.dongnai.example.vn", "l***@ioc.dongnai.example.vn"),
        ("https://hooks.example.vn/t/secret-token?x=1", "https://hooks.example.vn/***"),
        ("7", "*"),
        ("", ""),
    ],
)
def test_an_address_shows_its_kind_but_not_whom_it_reaches(clear: str, masked: str) -> None:
    assert mask_address(clear) == masked


@pytest.mark.parametrize("feed", PERSONAL_FEEDS, ids=lambda f: f.topic)
def test_every_field_of_a_personal_feed_is_shown_masked_or_withheld_by_decision(feed: PersonalFeed) -> None:
    """A field added to the contract must be classified here before a copy can show it."""
    schema = load_schema(f"camera/{feed.topic.rsplit('.', 1)[1].replace('-', '_')}")
    fields = {f["name"] for f in schema["fields"][2]["type"]["items"]["fields"]}
    assert feed.shown | feed.plates | feed.withheld == fields
    assert not feed.shown & (feed.plates | feed.withheld)


def plate_read() -> dict[str, object]:
    return {
        "event_id": "pr-1",
        "camera_id": "CAM-HN-0015",
        "observed_at": "2026-12-07T09:00:00.000+00:00",
        "lane": 2,
        "plate_number": "30A-123.45",
        "vehicle_class": "car",
        "direction": "forward",
        "confidence": 0.93,
        "image_ref": "s3://vendor/cam15/pr-1.jpg",
    }


def test_a_copied_plate_read_is_masked_field_by_field_and_its_reason_too() -> None:
    reason = "records[0]: plate_number: pattern (got '30A-123.45')"
    masked = mask_copy("run1.ioc.camera.plate-reads", json.dumps(plate_read()).encode(), reason)
    shown = json.loads(masked.payload)
    assert shown == plate_read() | {"plate_number": "30A-***.**", "image_ref": WITHHELD}
    assert masked.reason == "records[0]: plate_number: pattern (got '30A-***.**')"
    assert masked.kind == "plate_read"


def test_an_invalid_copy_hides_unknown_fields_and_values_of_the_wrong_type() -> None:
    """A vendor's record refused at the gateway is copied as it came: a plate under a misspelt key or
    as a number is personal data all the same."""
    raw = {"event_id": "v-1", "plate": "29-B1 234.56", "plate_number": 3012345, "evidence_ref": None}
    masked = mask_copy("ioc.camera.violations", json.dumps(raw).encode(), "expected string, got int 3012345")
    shown = json.loads(masked.payload)
    assert shown == {"event_id": "v-1", "plate": WITHHELD, "plate_number": "*******", "evidence_ref": None}
    assert "3012345" not in masked.reason
    assert masked.kind == "violation"


@pytest.mark.parametrize(
    "payload",
    [b"\x00\x00\x00\x00\x07\x1430A-123.45", b"not json 30A-123.45", b'["30A-123.45"]', b"\xff\xfe"],
    ids=["avro", "text", "list", "bytes"],
)
def test_an_unreadable_copy_from_a_personal_feed_is_withheld_whole(payload: bytes) -> None:
    masked = mask_copy("ioc.camera.plate-reads", payload, "not Confluent framing")
    assert "30A" not in masked.payload and str(len(payload)) in masked.payload
    assert masked.kind == "plate_read"


@pytest.mark.parametrize(
    "topic", ["p.ioc.derived.late-events", "ioc.derived.notifications", "ioc.dlq.camera"]
)
def test_a_copy_of_copies_is_withheld_whole(topic: str) -> None:
    masked = mask_copy(topic, b"['30A-123.45', '+84900000103']", "refused")
    assert "30A" not in masked.payload and "849" not in masked.payload
    assert masked.kind == COPY


def test_a_copy_from_a_feed_without_personal_data_is_kept_as_it_is() -> None:
    payload = b'{"device_id": "RAIN-01", "rainfall_mm": -1}'
    masked = mask_copy("ioc.sensor.rainfall", payload, "rainfall_mm: range (got -1)")
    assert (masked.payload, masked.reason, masked.kind) == (
        payload.decode(),
        "rainfall_mm: range (got -1)",
        "",
    )


def test_the_dead_letters_mapping_stores_the_clear_copy_and_the_masked_one() -> None:
    mapping = MAPPING[DLQ_CAMERA.name]
    payload = payload_of(plate_read())
    dead_letter = {
        "source_topic": "ioc.camera.plate-reads",
        "source_id": "VMS-A",
        "record_ref": "ioc.camera.plate-reads[0]@7 records[0] (event_id=pr-1)",
        "field_path": "plate_number",
        "rule": "pattern",
        "reason": "plate_number: pattern (got '30A-123.45')",
        "payload": payload,
        "rejected_at": NOW,
    }
    (row,) = mapping.rows(dead_letter)
    stored = dict(zip(mapping.columns, row, strict=True))
    assert mapping.table == "restricted_dead_letters"
    assert json.loads(stored["payload"])["plate_number"] == "30A-123.45"
    assert json.loads(stored["payload_masked"])["plate_number"] == "30A-***.**"
    assert stored["reason_masked"] == "plate_number: pattern (got '30A-***.**')"
    assert stored["personal_data"] == "plate_read"


def test_the_late_events_mapping_stores_the_clear_copy_and_the_masked_one() -> None:
    mapping = MAPPING[LATE_EVENTS.name]
    late = {
        "source_topic": "ioc.camera.violations",
        "partition": 0,
        "offset": 3,
        "source_id": "VMS-A",
        "record_ref": "v-1",
        "processor": "public_order/camera/1h/CAM-1",
        "event_time": NOW,
        "window_end": NOW,
        "grace_ms": 1000,
        "lateness_ms": 5,
        "payload": json.dumps({"event_id": "v-1", "plate_number": "30K-678.90"}).encode(),
        "detected_at": NOW,
    }
    (row,) = mapping.rows(late)
    stored = dict(zip(mapping.columns, row, strict=True))
    assert mapping.table == "restricted_late_events"
    assert "30K-678.90" in stored["payload"]
    assert json.loads(stored["payload_masked"]) == {"event_id": "v-1", "plate_number": "30K-***.**"}
    assert stored["personal_data"] == "violation"


def test_the_notifications_mapping_stores_no_clear_address() -> None:
    mapping = MAPPING[NOTIFICATIONS.name]
    event = {name: "" for name in mapping.columns} | {
        "occurred_at": NOW,
        "alert_revision": 0,
        "level": 0,
        "attempt": 1,
        "channel": "sms",
        "address": "+84900000103",
        "detail": "gateway refused +84900000103: no route",
    }
    (row,) = mapping.rows(event)
    stored = dict(zip(mapping.columns, row, strict=True))
    assert stored["address"] == "**********03"
    assert stored["detail"] == "gateway refused **********03: no route"
