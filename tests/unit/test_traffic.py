"""Unit tests for streams.model.traffic: folding vehicle counts and violations, congestion, and where a
camera's records count.

Expected values are worked out by hand in comments. 2024-01-01T00:00:00Z = 1_704_067_200_000 ms.
"""

from __future__ import annotations

from typing import Any

import pytest

from ioc.province import Province
from streams.model.indicators import TRAFFIC_AVERAGE_SPEED as AVERAGE_SPEED
from streams.model.indicators import TRAFFIC_CONGESTION_LEVEL as CONGESTION_LEVEL
from streams.model.indicators import TRAFFIC_SPEED_RATIO as SPEED_RATIO
from streams.model.indicators import TRAFFIC_VOLUME as VOLUME
from streams.model.routes import WindowView
from streams.model.traffic import (
    AREA_HOUR,
    AREA_MINUTE,
    AREA_VIOLATIONS_HOUR,
    CAMERA_MINUTE,
    CAMERA_VIOLATIONS_HOUR,
    INTERSECTION_MINUTE,
    MILLI,
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
        "observed_at": 1_704_067_200_000,
        "vehicle_count": count,
        "average_speed_kmh": speed,
    }


def test_empty_window_has_nothing() -> None:
    """A new window must start from zero, or the first emission would carry phantom vehicles."""
    assert empty() == {"vehicles": 0, "speed_sum": 0, "speed_vehicles": 0, "free_flow_sum": 0, "records": 0}


def test_empty_returns_a_fresh_dict_each_time() -> None:
    """Two windows must never share one accumulator."""
    add_record(empty(), record(3, 50.0), None)
    assert empty()["vehicles"] == 0


def test_add_record_weights_speed_and_free_flow_by_vehicle_count() -> None:
    """A lane with 40 cars at 30 km/h weighs four times one with 10 cars at 80 km/h."""
    acc = empty()
    add_record(acc, record(40, 30.0), 50 * MILLI)
    add_record(acc, record(10, 80.0), 60 * MILLI)
    # vehicles 50; speed_sum 40*30 + 10*80 = 2000 km/h; free-flow sum 40*50 + 10*60 = 2600 (in m-km/h).
    assert (acc["vehicles"], acc["records"], acc["speed_vehicles"]) == (50, 2, 50)
    assert (acc["speed_sum"], acc["free_flow_sum"]) == (2000 * MILLI, 2600 * MILLI)


def test_speed_sums_are_integers_so_their_order_does_not_matter() -> None:
    """Totals add partials in whatever order partitions send them: float sums would differ in the
    last digit (0.1 + 0.2 + 0.3 != 0.3 + 0.2 + 0.1), integer sums of thousandths cannot."""
    speeds = [0.1, 0.2, 0.3, 33.333, 47.1]
    forward, backward = empty(), empty()
    for speed in speeds:
        add_record(forward, record(1, speed), None)
    for speed in reversed(speeds):
        add_record(backward, record(1, speed), None)
    assert forward == backward
    assert isinstance(forward["speed_sum"], int)


def test_records_without_speed_count_vehicles_but_not_speed() -> None:
    """A counter without a speed sensor adds to the volume but must not drag the average toward 0."""
    acc = empty()
    add_record(acc, record(40, 30.0), 50 * MILLI)
    add_record(acc, record(5, None), 50 * MILLI)
    add_record(acc, record(7, None), 50 * MILLI)
    # vehicles 40 + 5 + 7 = 52, speed and free flow only from the 40: 1200 and 2000.
    assert (acc["vehicles"], acc["records"], acc["speed_vehicles"]) == (52, 3, 40)
    assert (acc["speed_sum"], acc["free_flow_sum"]) == (1200 * MILLI, 2000 * MILLI)


def test_zero_count_record_does_not_weigh_its_speed() -> None:
    """A speed reported over zero vehicles is meaningless and must not move the average."""
    acc = empty()
    add_record(acc, record(10, 50.0), None)
    add_record(acc, record(0, 200.0), None)
    assert (acc["vehicles"], acc["speed_vehicles"], acc["speed_sum"]) == (10, 10, 500 * MILLI)


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
    add_record(acc, record(10, 10.0), 50 * MILLI)
    add_record(acc, record(30, 20.0), 50 * MILLI)
    add_record(acc, record(5, None), 50 * MILLI)
    # volume 45; speed (100 + 600) / 40 = 17.5; ratio 700 / (40*50 = 2000) = 0.35 -> level 3.
    got = {code: (value, unit, n) for code, value, unit, n, _ in values(acc, with_congestion=True)}
    assert got == {
        VOLUME: (45.0, "vehicles", 3),
        AVERAGE_SPEED: (pytest.approx(17.5), "km/h", 3),
        SPEED_RATIO: (pytest.approx(0.35), "ratio", 3),
        CONGESTION_LEVEL: (3.0, "level", 3),
    }


def test_values_without_speed_report_null_not_zero() -> None:
    """No measured speed is unknown congestion, not a jam (0 km/h would read as level 4)."""
    acc = empty()
    add_record(acc, record(5, None), 50 * MILLI)
    got = {code: value for code, value, *_ in values(acc, with_congestion=True)}
    assert got == {VOLUME: 5.0, AVERAGE_SPEED: None, SPEED_RATIO: None, CONGESTION_LEVEL: None}


def test_camera_windows_have_no_congestion() -> None:
    """A camera has no free-flow speed of its own: only volume and speed."""
    codes = [code for code, *_ in values(empty(), with_congestion=False)]
    assert codes == [VOLUME, AVERAGE_SPEED]


def test_merge_sums_adds_a_pane_field_by_field() -> None:
    """Merging two panes equals adding their records to one window."""
    one, two, both = empty(), empty(), empty()
    add_record(one, record(4, 20.0), 50 * MILLI)
    add_record(two, record(6, 40.0), 60 * MILLI)
    for r, ff in ((record(4, 20.0), 50 * MILLI), (record(6, 40.0), 60 * MILLI)):
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


def test_where_a_camera_counts() -> None:
    """The camera minute is the gate; the intersection minute and every area (ward, province,
    corridor) by minute and by hour hopping every 5 minutes are totals, grouped by window shape."""
    placement = TrafficModel(PROVINCE).place(record(1, None))
    assert placement.key == "CAM-1"
    assert placement.gate is not None
    assert (placement.gate.route, placement.gate.entity_id, placement.gate.area_code) == (
        CAMERA_MINUTE,
        "CAM-1",
        "26001",
    )
    got = [(p.route, p.entity_id, p.area_code) for _, places in placement.totals for p in places]
    assert got == [
        (INTERSECTION_MINUTE, "INT-1", "26001"),
        (AREA_MINUTE, "26001", "26001"),
        (AREA_MINUTE, "75", "75"),
        (AREA_MINUTE, "Z-QL1A", "Z-QL1A"),
        (AREA_HOUR, "26001", "26001"),
        (AREA_HOUR, "75", "75"),
        (AREA_HOUR, "Z-QL1A", "Z-QL1A"),
    ]
    assert [shape for shape, _ in placement.totals] == [INTERSECTION_MINUTE.shape, AREA_HOUR.shape]


def view(route: Any, entity_id: str, acc: dict[str, Any]) -> WindowView:
    return WindowView(route, entity_id, "26001", 0, 60_000, [(0, acc)], None, 60_000, True)


def test_traffic_model_uses_the_intersection_free_flow_speed() -> None:
    """INT-1's free flow is 50 km/h: 20 cars at 25 km/h give a ratio of 500 / 1000 = 0.5."""
    model = TrafficModel(PROVINCE)
    acc = model.empty(INTERSECTION_MINUTE)
    model.add(INTERSECTION_MINUTE, acc, record(20, 25.0))
    got = {code: value for code, value, *_ in model.values(view(INTERSECTION_MINUTE, "INT-1", acc))}
    assert got[SPEED_RATIO] == pytest.approx(0.5)
    assert got[CONGESTION_LEVEL] == 1.0


def test_a_window_of_several_panes_adds_them_up() -> None:
    """An hour hopping by five minutes is twelve panes: its volume is theirs added."""
    model = TrafficModel(PROVINCE)
    panes = []
    for index, count in enumerate((3, 4, 5)):
        acc = model.empty(AREA_HOUR)
        model.add(AREA_HOUR, acc, record(count, 30.0))
        panes.append((index * 300_000, acc))
    window = WindowView(AREA_HOUR, "75", "75", 0, 3_600_000, panes, None, 3_600_000, True)
    got = {code: value for code, value, *_ in model.values(window)}
    assert got[VOLUME] == 12.0
    assert got[AVERAGE_SPEED] == pytest.approx(30.0)
    assert [acc["vehicles"] for _, acc in panes] == [3, 4, 5]  # the panes themselves are left as they were


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


def test_violation_places_and_indicators() -> None:
    """Violations count per camera hour (the gate) and per area hour, one indicator per type."""
    model = ViolationModel(PROVINCE)
    placement = model.place({"camera_id": "CAM-2"})
    assert placement.gate is not None and placement.gate.route == CAMERA_VIOLATIONS_HOUR
    totals = [(p.route, p.entity_id) for _, places in placement.totals for p in places]
    assert totals == [
        (AREA_VIOLATIONS_HOUR, "26001"),
        (AREA_VIOLATIONS_HOUR, "75"),
        (AREA_VIOLATIONS_HOUR, "Z-QL1A"),
    ]
    acc = model.empty(AREA_VIOLATIONS_HOUR)
    for kind in ("red_light", "wrong_way", "red_light"):
        model.add(AREA_VIOLATIONS_HOUR, acc, {"violation_type": kind})
    window = WindowView(
        AREA_VIOLATIONS_HOUR, "26001", "26001", 0, 3_600_000, [(0, acc)], None, 3_600_000, True
    )
    assert model.values(window) == [
        ("traffic.violations.red_light", 2.0, "violations/h", 2, ""),
        ("traffic.violations.wrong_way", 1.0, "violations/h", 1, ""),
    ]
