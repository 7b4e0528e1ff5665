"""Unit tests for streams.traffic: folding vehicle counts and violations, congestion, and where a
camera's records count.

Expected values are worked out by hand in comments. 2024-01-01T00:00:00Z = 1_704_067_200_000 ms.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ioc.province import Province
from streams.traffic import (
    AVERAGE_SPEED,
    CONGESTION_LEVEL,
    HOUR,
    HOUR_BY_5_MIN,
    MINUTE,
    SPEED_RATIO,
    VOLUME,
    TrafficModel,
    ViolationModel,
    add_record,
    camera_areas,
    congestion_level,
    empty,
    merge_counts,
    merge_sums,
    values,
)
from streams.windowed import WindowRef

PROVINCE = Province.model_validate(
    {
        "code": "75",
        "name_vi": "Tỉnh Thử",
        "areas": [
            {"code": "75", "name_vi": "Tỉnh", "level": "province"},
            {"code": "26001", "name_vi": "Phường Một", "level": "ward", "parent": "75"},
            {"code": "Z-QL1A", "name_vi": "Hành lang", "level": "zone", "parent": "75"},
        ],
        "intersections": [
            {
                "id": "INT-1",
                "name_vi": "Nút 1",
                "area": "26001",
                "latitude": 10.9,
                "longitude": 106.8,
                "free_flow_kmh": 50,
                "zones": ["Z-QL1A"],
            },
        ],
        "cameras": [{"id": "CAM-1", "intersection": "INT-1"}, {"id": "CAM-2", "intersection": "INT-1"}],
    }
)


def record(count: int, speed: float | None, camera: str = "CAM-1") -> dict[str, Any]:
    """A decoded vehicle-count record with only the fields traffic.py reads."""
    return {
        "event_id": "E",
        "camera_id": camera,
        "observed_at": datetime(2024, 1, 1, tzinfo=UTC),
        "vehicle_count": count,
        "average_speed_kmh": speed,
    }


def test_empty_window_has_nothing() -> None:
    """A new window must start from zero, or the first emission would carry phantom vehicles."""
    assert empty() == {
        "vehicles": 0,
        "speed_sum": 0.0,
        "speed_vehicles": 0,
        "free_flow_sum": 0.0,
        "records": 0,
    }


def test_empty_returns_a_fresh_dict_each_time() -> None:
    """Two windows must never share one accumulator."""
    add_record(empty(), record(3, 50.0))
    assert empty()["vehicles"] == 0


def test_add_record_weights_speed_and_free_flow_by_vehicle_count() -> None:
    """A lane with 40 cars at 30 km/h weighs four times one with 10 cars at 80 km/h."""
    acc = empty()
    add_record(acc, record(40, 30.0), 50.0)
    add_record(acc, record(10, 80.0), 60.0)
    # vehicles 50; speed_sum 40*30 + 10*80 = 2000; free-flow sum 40*50 + 10*60 = 2600.
    assert (acc["vehicles"], acc["records"], acc["speed_vehicles"]) == (50, 2, 50)
    assert acc["speed_sum"] == pytest.approx(2000.0)
    assert acc["free_flow_sum"] == pytest.approx(2600.0)


def test_records_without_speed_count_vehicles_but_not_speed() -> None:
    """A counter without a speed sensor adds to the volume but must not drag the average toward 0."""
    acc = empty()
    add_record(acc, record(40, 30.0), 50.0)
    add_record(acc, record(5, None), 50.0)
    add_record(acc, {"camera_id": "CAM-1", "vehicle_count": 7}, 50.0)
    # vehicles 40 + 5 + 7 = 52, speed and free flow only from the 40: 1200 and 2000.
    assert (acc["vehicles"], acc["records"], acc["speed_vehicles"]) == (52, 3, 40)
    assert (acc["speed_sum"], acc["free_flow_sum"]) == (pytest.approx(1200.0), pytest.approx(2000.0))


def test_zero_count_record_does_not_weigh_its_speed() -> None:
    """A speed reported over zero vehicles is meaningless and must not move the average."""
    acc = empty()
    add_record(acc, record(10, 50.0))
    add_record(acc, record(0, 200.0))
    assert (acc["vehicles"], acc["speed_vehicles"], acc["speed_sum"]) == (10, 10, pytest.approx(500.0))


@pytest.mark.parametrize(
    ("ratio", "level"),
    [
        (None, None),
        (1.2, 0),
        (0.67, 0),  # LOS B bound: still free
        (0.6699, 1),
        (0.50, 1),
        (0.4999, 2),
        (0.40, 2),
        (0.3999, 3),
        (0.30, 3),
        (0.2999, 4),
        (0.0, 4),
    ],
)
def test_congestion_level_bounds(ratio: float | None, level: int | None) -> None:
    """Each bound belongs to the better level (HCM urban-street LOS: >= 67 % free ... < 30 % jammed)."""
    assert congestion_level(ratio) == level


def test_values_of_an_intersection_window() -> None:
    """Volume, weighted speed, ratio against free flow and the level that ratio gives."""
    acc = empty()
    add_record(acc, record(10, 10.0), 50.0)
    add_record(acc, record(30, 20.0), 50.0)
    add_record(acc, record(5, None), 50.0)
    # volume 45; speed (100 + 600) / 40 = 17.5; ratio 700 / (40*50 = 2000) = 0.35 -> level 3.
    got = {code: (value, unit, samples) for code, value, unit, samples in values(acc, with_congestion=True)}
    assert got == {
        VOLUME: (45.0, "vehicles", 3),
        AVERAGE_SPEED: (pytest.approx(17.5), "km/h", 3),
        SPEED_RATIO: (pytest.approx(0.35), "ratio", 3),
        CONGESTION_LEVEL: (3.0, "level", 3),
    }


def test_values_without_speed_report_null_not_zero() -> None:
    """No measured speed is unknown congestion, not a jam (0 km/h would read as level 4)."""
    acc = empty()
    add_record(acc, record(5, None), 50.0)
    got = {code: value for code, value, _, _ in values(acc, with_congestion=True)}
    assert got == {VOLUME: 5.0, AVERAGE_SPEED: None, SPEED_RATIO: None, CONGESTION_LEVEL: None}


def test_camera_windows_have_no_congestion() -> None:
    """A camera has no free-flow speed of its own: only volume and speed."""
    codes = [code for code, _, _, _ in values(empty(), with_congestion=False)]
    assert codes == [VOLUME, AVERAGE_SPEED]


def test_merge_sums_adds_a_pane_field_by_field() -> None:
    """Merging two panes equals adding their records to one window."""
    one, two, both = empty(), empty(), empty()
    add_record(one, record(4, 20.0), 50.0)
    add_record(two, record(6, 40.0), 60.0)
    for r, ff in ((record(4, 20.0), 50.0), (record(6, 40.0), 60.0)):
        add_record(both, r, ff)
    merge_sums(one, two)
    assert one == both


def test_merge_counts_adds_types() -> None:
    acc = {"types": {"red_light": 2}}
    merge_counts(acc, {"types": {"red_light": 1, "wrong_way": 3}})
    assert acc == {"types": {"red_light": 3, "wrong_way": 3}}


def test_camera_areas_follow_the_intersection_lineage_and_zones() -> None:
    """A camera counts for its ward, the province above it and the corridor its intersection is on."""
    assert camera_areas(PROVINCE, "CAM-1") == ("26001", ("26001", "75", "Z-QL1A"))


def test_unconfigured_camera_still_counts_for_the_province() -> None:
    """Province totals stay complete even before a new camera is configured."""
    assert camera_areas(PROVINCE, "CAM-NEW") == ("", ("75",))


def test_traffic_routes_of_a_camera() -> None:
    """The camera minute is the gate; then the intersection minute, and every area by minute and by
    hour hopping every 5 minutes."""
    routes = TrafficModel(PROVINCE).routes(record(1, None))
    got = [(r.processor, r.entity_type, r.entity_id, r.area_code, r.spec) for r in routes]
    assert got == [
        ("traffic/camera/1m", "camera", "CAM-1", "26001", MINUTE),
        ("traffic/intersection/1m", "intersection", "INT-1", "26001", MINUTE),
        ("traffic/area/1m", "area", "26001", "26001", MINUTE),
        ("traffic/area/1h", "area", "26001", "26001", HOUR_BY_5_MIN),
        ("traffic/area/1m", "area", "75", "75", MINUTE),
        ("traffic/area/1h", "area", "75", "75", HOUR_BY_5_MIN),
        ("traffic/area/1m", "area", "Z-QL1A", "Z-QL1A", MINUTE),
        ("traffic/area/1h", "area", "Z-QL1A", "Z-QL1A", HOUR_BY_5_MIN),
    ]


def test_traffic_model_uses_the_intersection_free_flow_speed() -> None:
    """INT-1's free flow is 50 km/h: 20 cars at 25 km/h give a ratio of 500 / 1000 = 0.5."""
    model = TrafficModel(PROVINCE)
    acc = model.empty()
    model.add(acc, record(20, 25.0))
    ref = WindowRef("traffic/intersection/1m", "intersection", "INT-1", "26001", 0, 60_000)
    got = {code: value for code, value, _, _ in model.indicators(ref, acc)}
    assert got[SPEED_RATIO] == pytest.approx(0.5)
    assert got[CONGESTION_LEVEL] == 1.0


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"vehicle_count": -1}, ("vehicle_count", "must be >= 0")),
        ({"average_speed_kmh": float("nan")}, ("average_speed_kmh", "must be a finite number >= 0")),
        ({"average_speed_kmh": -5.0}, ("average_speed_kmh", "must be a finite number >= 0")),
        ({"average_speed_kmh": float("inf")}, ("average_speed_kmh", "must be a finite number >= 0")),
    ],
)
def test_traffic_model_names_the_field_and_rule_a_record_breaks(
    change: dict[str, Any], problem: tuple[str, str]
) -> None:
    """A record Avro accepts but the indicators cannot use goes to the dead letters with its reason."""
    assert TrafficModel(PROVINCE).problem(record(1, 10.0) | change) == problem


def test_traffic_model_accepts_a_good_record() -> None:
    assert TrafficModel(PROVINCE).problem(record(0, None)) is None


def test_violation_routes_and_indicators() -> None:
    """Violations count per camera hour (the gate) and per area hour, one indicator per type."""
    model = ViolationModel(PROVINCE)
    routes = model.routes({"camera_id": "CAM-2"})
    assert [(r.entity_type, r.entity_id, r.spec) for r in routes] == [
        ("camera", "CAM-2", HOUR),
        ("area", "26001", HOUR),
        ("area", "75", HOUR),
        ("area", "Z-QL1A", HOUR),
    ]
    acc = model.empty()
    for kind in ("red_light", "wrong_way", "red_light"):
        model.add(acc, {"violation_type": kind})
    ref = WindowRef("violations/area/1h", "area", "26001", "26001", 0, 3_600_000)
    assert model.indicators(ref, acc) == [
        ("traffic.violations.red_light", 2.0, "violations/h", 2),
        ("traffic.violations.wrong_way", 1.0, "violations/h", 1),
    ]
