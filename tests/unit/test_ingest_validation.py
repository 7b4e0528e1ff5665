"""Record checks shared by every door: the accepted time window and the error's path and rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from avro_schemas.json_records import RecordError
from ingest.feeds import build_feeds
from ingest.validation import check_records, parse_sent_at, time_window

FEED = build_feeds()["sensor.water-level"]
NOW = datetime(2026, 11, 25, 7, 30, tzinfo=UTC)
WINDOW = time_window(max_future_s=300, max_age_days=7)


def reading(observed_at: Any, **changes: Any) -> dict[str, Any]:
    return {
        "event_id": "w1",
        "station_id": "ST-1",
        "observed_at": observed_at,
        "water_level_cm": 120.5,
    } | changes


@pytest.mark.parametrize(
    ("observed_at", "rule"),
    [
        ((NOW + timedelta(minutes=6)).isoformat(), "timestamp-in-future"),
        ((NOW - timedelta(days=8)).isoformat(), "timestamp-too-old"),
        ("2026-11-25T07:30:00", "timestamp-zone"),
        ("yesterday", "timestamp"),
        (10**20, "timestamp-range"),
        ("0001-01-01T00:00:00+07:00", "timestamp-range"),
    ],
)
def test_times_outside_the_window_or_unreadable_are_rejected_by_rule(observed_at: Any, rule: str) -> None:
    accepted, rejected = check_records(FEED, [reading(observed_at)], WINDOW, NOW)
    assert accepted == []
    assert [r.rule for r in rejected] == [rule]
    assert rejected[0].field.startswith("records[0]")


def test_times_inside_the_window_in_any_zone_are_accepted_as_utc() -> None:
    local = (NOW + timedelta(hours=7, minutes=4)).replace(tzinfo=None).isoformat() + "+07:00"
    old = int((NOW - timedelta(days=6, hours=23)).timestamp() * 1000)
    accepted, rejected = check_records(FEED, [reading(local), reading(old, event_id="w2")], WINDOW, NOW)
    assert rejected == []
    assert accepted[0].datum["observed_at"] == NOW + timedelta(minutes=4)


def test_a_rejection_names_index_event_id_field_and_rule() -> None:
    records = [reading(NOW.isoformat()), reading(NOW.isoformat(), event_id="w9", extra=1), "not a record"]
    _, rejected = check_records(FEED, records, WINDOW, NOW)
    assert [(r.index, r.event_id, r.field, r.rule) for r in rejected] == [
        (1, "w9", "records[1].extra", "unknown-field"),
        (2, "", "records[2]", "type"),
    ]


def test_an_empty_event_id_is_refused() -> None:
    _, rejected = check_records(FEED, [reading(NOW.isoformat(), event_id="")], WINDOW, NOW)
    assert [(r.field, r.rule) for r in rejected] == [("records[0].event_id", "required")]


def test_sent_at_follows_the_same_time_rules() -> None:
    assert parse_sent_at("2026-11-25T14:30:00+07:00") == NOW
    with pytest.raises(RecordError) as raised:
        parse_sent_at("2026-11-25 14:30")
    assert (raised.value.path, raised.value.rule) == ("sent_at", "timestamp-zone")
