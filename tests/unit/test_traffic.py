"""Unit tests for streams.traffic: folding vehicle counts into windows and turning windows into indicators.

Expected values are worked out by hand in comments. 2024-01-01T00:00:00Z = 1_704_067_200_000 ms, a whole minute.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from streams.traffic import (
    AVERAGE_SPEED,
    VOLUME,
    add_record,
    empty,
    group_records,
    indicators,
    parse_key,
    window_key,
)

NEW_YEAR_2024_MS = 1_704_067_200_000
MINUTE_MS = 60_000


def record(
    count: int, speed: float | None, camera: str = "CAM-1", observed_at: datetime | None = None
) -> dict[str, Any]:
    """A decoded vehicle-count record with only the fields traffic.py reads."""
    return {
        "camera_id": camera,
        "observed_at": observed_at or datetime(2024, 1, 1, tzinfo=UTC),
        "vehicle_count": count,
        "average_speed_kmh": speed,
    }


def test_empty_window_has_nothing() -> None:
    """A new window must start from zero, or the first emission would carry phantom vehicles."""
    assert empty() == {"vehicles": 0, "speed_sum": 0.0, "speed_vehicles": 0, "records": 0, "revision": 0}


def test_empty_returns_a_fresh_dict_each_time() -> None:
    """Two windows must never share one accumulator."""
    first = empty()
    add_record(first, record(3, 50.0))
    assert empty()["vehicles"] == 0


def test_add_record_weights_speed_by_vehicle_count() -> None:
    """A lane with 40 cars at 30 km/h weighs four times one with 10 cars at 80 km/h."""
    acc = empty()
    add_record(acc, record(40, 30.0))
    add_record(acc, record(10, 80.0))
    # vehicles 40 + 10 = 50; speed_sum 40*30 + 10*80 = 1200 + 800 = 2000; speed_vehicles 50.
    assert acc["vehicles"] == 50
    assert acc["records"] == 2
    assert acc["speed_sum"] == pytest.approx(2000.0)
    assert acc["speed_vehicles"] == 50
    # Weighted mean 2000 / 50 = 40 km/h (the unweighted mean would be (30 + 80) / 2 = 55).
    assert acc["speed_sum"] / acc["speed_vehicles"] == pytest.approx(40.0)


def test_records_without_speed_count_vehicles_but_not_speed() -> None:
    """A counter without a speed sensor adds to the volume but must not drag the average toward 0."""
    acc = empty()
    add_record(acc, record(40, 30.0))
    add_record(acc, record(5, None))
    # vehicles 40 + 5 = 45, records 2, but speed only from the 40: sum 1200, vehicles 40.
    assert acc["vehicles"] == 45
    assert acc["records"] == 2
    assert acc["speed_sum"] == pytest.approx(1200.0)
    assert acc["speed_vehicles"] == 40


def test_record_missing_the_speed_key_is_treated_as_no_speed() -> None:
    """The speed field is optional in the record; its absence is the same as null."""
    acc = empty()
    add_record(acc, {"camera_id": "CAM-1", "vehicle_count": 7})
    assert (acc["vehicles"], acc["records"], acc["speed_sum"], acc["speed_vehicles"]) == (7, 1, 0.0, 0)


def test_zero_count_record_does_not_weigh_its_speed() -> None:
    """A speed reported over zero vehicles is meaningless and must not move the average."""
    acc = empty()
    add_record(acc, record(10, 50.0))
    add_record(acc, record(0, 200.0))
    # vehicles 10 + 0 = 10; records 2; speed only from the first: 10*50 = 500 over 10.
    assert acc["vehicles"] == 10
    assert acc["records"] == 2
    assert acc["speed_sum"] == pytest.approx(500.0)
    assert acc["speed_vehicles"] == 10


def test_add_record_does_not_touch_the_revision() -> None:
    """The revision is bumped by the emitter, not by each record."""
    acc = empty()
    add_record(acc, record(1, 10.0))
    assert acc["revision"] == 0


def test_window_key_format() -> None:
    """The key format is the table's on-disk format: changing it orphans existing table entries."""
    assert window_key("CAM-1", NEW_YEAR_2024_MS) == "CAM-1|1704067200000"


@pytest.mark.parametrize(
    ("camera", "start_ms"),
    [
        ("CAM-1", NEW_YEAR_2024_MS),
        ("CAM-1", 0),
        # Camera ids may contain the separator: the start is split off the right.
        ("HN|Q1|CAM-7", NEW_YEAR_2024_MS),
        ("trailing|", 60_000),
        ("", 60_000),
    ],
)
def test_parse_key_round_trips_window_key(camera: str, start_ms: int) -> None:
    """The closer reads camera and window back from the key; a '|' in the id must not break it."""
    assert parse_key(window_key(camera, start_ms)) == (camera, start_ms)


def test_parse_key_of_a_literal_key_with_pipes() -> None:
    """Checked against a hand-written key, not only against window_key."""
    assert parse_key("HN|Q1|CAM-7|1704067260000") == ("HN|Q1|CAM-7", 1_704_067_260_000)


def test_group_records_by_camera_and_minute() -> None:
    """Records of one camera in one minute share a window; another minute or camera is another key."""
    first = record(1, None, "CAM-1", datetime(2024, 1, 1, 0, 0, 10, tzinfo=UTC))
    last_ms = record(2, None, "CAM-1", datetime(2024, 1, 1, 0, 0, 59, 999_000, tzinfo=UTC))
    next_minute = record(3, None, "CAM-1", datetime(2024, 1, 1, 0, 1, tzinfo=UTC))
    other_camera = record(4, None, "CAM-2", datetime(2024, 1, 1, 0, 0, 30, tzinfo=UTC))
    # 07:00:20 in Hanoi = 00:00:20Z, the first minute.
    hanoi = record(5, None, "HN|Q1|CAM-7", datetime.fromisoformat("2024-01-01T07:00:20+07:00"))
    grouped = group_records([first, next_minute, other_camera, last_ms, hanoi], MINUTE_MS)
    # 00:00:xx -> 1_704_067_200_000; 00:01:00 -> 1_704_067_260_000.
    assert grouped == {
        "CAM-1|1704067200000": [first, last_ms],
        "CAM-1|1704067260000": [next_minute],
        "CAM-2|1704067200000": [other_camera],
        "HN|Q1|CAM-7|1704067200000": [hanoi],
    }


def test_group_records_of_nothing_is_empty() -> None:
    """An empty batch produces no windows."""
    assert group_records([], MINUTE_MS) == {}


def test_indicators_fields() -> None:
    """The two records must match the indicators schema and carry the window's bookkeeping."""
    acc = empty()
    add_record(acc, record(40, 30.0))
    add_record(acc, record(10, 80.0))
    add_record(acc, record(5, None))
    acc["revision"] = 3
    now = NEW_YEAR_2024_MS + 95_000
    volume, speed = indicators(
        "CAM-1", NEW_YEAR_2024_MS, MINUTE_MS, acc, final=True, now_ms=now, area_code="00001"
    )
    common = {
        "entity_type": "camera",
        "entity_id": "CAM-1",
        "area_code": "00001",
        "window_start": 1_704_067_200_000,
        # start + one minute.
        "window_end": 1_704_067_260_000,
        # three records folded in.
        "sample_count": 3,
        "revision": 3,
        "is_final": True,
        "computed_at": 1_704_067_295_000,
    }
    # volume 40 + 10 + 5 = 55 vehicles; speed (1200 + 800) / 50 = 40 km/h.
    assert volume == {"indicator": "traffic.volume", "value": 55.0, "unit": "vehicles"} | common
    assert speed["value"] == pytest.approx(40.0)
    assert speed == {"indicator": "traffic.average_speed", "value": speed["value"], "unit": "km/h"} | common
    assert isinstance(volume["value"], float)
    assert (VOLUME, AVERAGE_SPEED) == ("traffic.volume", "traffic.average_speed")


def test_indicators_without_speed_data_report_no_speed() -> None:
    """With no speed measured the average is null, not 0 km/h (which would read as a traffic jam)."""
    acc = empty()
    add_record(acc, record(5, None))
    add_record(acc, record(0, 60.0))
    volume, speed = indicators("CAM-9", 0, MINUTE_MS, acc, final=False, now_ms=1)
    # volume 5 + 0 = 5; no vehicle carried a speed.
    assert volume["value"] == 5.0
    assert speed["value"] is None
    assert speed["is_final"] is False
    assert speed["revision"] == 0
    assert speed["sample_count"] == 2
    # area_code defaults to empty; window_end = 0 + 60_000.
    assert speed["area_code"] == ""
    assert speed["window_end"] == 60_000


def test_indicators_of_an_empty_window() -> None:
    """A window with nothing in it reports zero vehicles and no speed."""
    volume, speed = indicators("CAM-1", 0, MINUTE_MS, empty(), final=True, now_ms=0)
    assert (volume["value"], speed["value"], volume["sample_count"]) == (0.0, None, 0)
