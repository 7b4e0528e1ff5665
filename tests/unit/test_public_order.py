"""Unit tests for streams.public_order: crowd density and level per zone, incidents per hour by area,
through the shared window aggregator with a stand-in table. T = 2024-01-01T00:00:00Z."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from avro_schemas import load_schema
from ioc.province import Province
from ioc.serde import AvroEncoder
from streams.late_events import LateEventSink, Origin
from streams.public_order import (
    CROWD_DENSITY,
    CROWD_LEVEL,
    CrowdModel,
    IncidentModel,
    crowd_level,
    density_of,
)
from streams.windowed import WindowedAggregator, WindowModel
from tests.unit.test_windowed import MIN, T_MS, Table, read

T = datetime(2024, 1, 1, tzinfo=UTC)
PROVINCE = Province.model_validate(
    {
        "code": "75",
        "name_vi": "Tỉnh Thử",
        "areas": [
            {"code": "75", "name_vi": "Tỉnh", "level": "province"},
            {"code": "26001", "name_vi": "Phường Một", "level": "ward", "parent": "75"},
            {"code": "26002", "name_vi": "Phường Hai", "level": "ward", "parent": "75"},
        ],
        "intersections": [
            {
                "id": "INT-1",
                "name_vi": "Nút 1",
                "area": "26001",
                "latitude": 10.9,
                "longitude": 106.8,
                "free_flow_kmh": 50,
            },
            {
                "id": "INT-2",
                "name_vi": "Nút 2",
                "area": "26002",
                "latitude": 10.9,
                "longitude": 106.8,
                "free_flow_kmh": 50,
            },
        ],
        "cameras": [
            {"id": "CAM-1", "intersection": "INT-1", "crowd_zone": "CZ-1"},
            {"id": "CAM-2", "intersection": "INT-2"},
        ],
        "crowd_zones": [
            {"id": "CZ-1", "name_vi": "Quảng trường", "area": "26001", "crowded_density": 2.0},
            {"id": "CZ-2", "name_vi": "Chợ", "area": "26002", "crowded_density": 1.0},
        ],
    }
)
ORIGIN = Origin("ioc.camera.crowd-density", 0, 3, "SRC")


@pytest.mark.parametrize(
    ("density", "crowded", "level"),
    [
        (0.0, 2.0, 0),
        (1.999, 2.0, 0),
        (2.0, 2.0, 1),  # at the zone's crowded density: busy
        (2.999, 2.0, 1),
        (3.0, 2.0, 2),  # 1.5x
        (3.999, 2.0, 2),
        (4.0, 2.0, 3),  # 2x: overloaded
        (9.0, 2.0, 3),
        (None, 2.0, None),
        (3.0, None, None),
    ],
)
def test_crowd_level_bounds(density: float | None, crowded: float | None, level: int | None) -> None:
    """Each bound belongs to the worse level; unknown density or reference gives no level."""
    assert crowd_level(density, crowded) == level


def crowd(event_id: str, at: datetime, persons: int, density: float | None, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "camera_id": "CAM-1",
        "observed_at": at,
        "zone_id": "CZ-1",
        "person_count": persons,
        "density_persons_per_m2": density,
        "zone_area_m2": None,
    } | extra


def test_density_from_the_measurement_or_from_count_and_area() -> None:
    """The measured density wins; else persons / area (150 / 50 m2 = 3); else unknown."""
    assert density_of(crowd("a", T, 150, 2.5, zone_area_m2=50.0)) == 2.5
    assert density_of(crowd("a", T, 150, None, zone_area_m2=50.0)) == 3.0
    assert density_of(crowd("a", T, 150, None)) is None


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"person_count": -1}, ("person_count", "must be >= 0")),
        ({"density_persons_per_m2": -0.5}, ("density_persons_per_m2", "must be a finite number >= 0")),
        (
            {"density_persons_per_m2": float("nan")},
            ("density_persons_per_m2", "must be a finite number >= 0"),
        ),
        ({"zone_area_m2": 0.0}, ("zone_area_m2", "must be a finite number > 0")),
    ],
)
def test_crowd_model_names_the_field_and_rule_a_record_breaks(
    extra: dict[str, Any], problem: tuple[str, str]
) -> None:
    assert CrowdModel(PROVINCE).problem(crowd("a", T, 10, 1.0) | extra) == problem


def test_crowd_zone_is_the_named_zone_else_the_camera_zone_else_the_raw_id() -> None:
    model = CrowdModel(PROVINCE)
    named = model.routes(crowd("a", T, 1, 1.0, zone_id="CZ-2"))[0]
    assert (named.entity_type, named.entity_id, named.area_code) == ("zone", "CZ-2", "26002")
    # "left-half" is the vendor's own zone name in CAM-1's view: CAM-1 watches CZ-1.
    by_camera = model.routes(crowd("a", T, 1, 1.0, zone_id="left-half"))[0]
    assert (by_camera.entity_id, by_camera.area_code) == ("CZ-1", "26001")
    raw = model.routes(crowd("a", T, 1, 1.0, camera_id="CAM-2", zone_id="gate-3"))[0]
    assert (raw.entity_id, raw.area_code) == ("gate-3", "26002")


def aggregator(model: WindowModel) -> WindowedAggregator:
    return WindowedAggregator(
        Table(),  # type: ignore[arg-type]
        model,
        AvroEncoder(load_schema("derived/indicators"), 1),
        LateEventSink(AvroEncoder(load_schema("derived/late_events"), 2)),
        grace_ms=30_000,
        idle_ms=60_000,
        provisional_ms=0,
    )


def finals(agg: WindowedAggregator) -> list[tuple[str, str, str, int, float | None, int]]:
    rows = [read("derived/indicators", v) for _, v in agg.close_due(T_MS + 86_400_000)]
    return sorted(
        (
            r["indicator"],
            r["entity_type"],
            r["entity_id"],
            int(r["window_start"].timestamp() * 1000),
            r["value"],
            r["sample_count"],
        )
        for r in rows
    )


def test_crowd_minute_mean_density_and_level_with_duplicate_and_unknown_density() -> None:
    """Minute 00:00 of CZ-1: densities 3.0 and 5.0 (the re-sent 5.0 once; the record without density
    or area counts nowhere in the mean): mean 4.0 = 2x the zone's 2.0 -> level 3 (overloaded)."""
    agg = aggregator(CrowdModel(PROVINCE))
    records = [
        crowd("a", T + timedelta(seconds=5), 120, 3.0),
        crowd("b", T + timedelta(seconds=25), 200, 5.0),
        crowd("b", T + timedelta(seconds=25), 200, 5.0),
        crowd("c", T + timedelta(seconds=45), 80, None),
    ]
    agg.fold(0, [(ORIGIN, r) for r in records], T_MS)
    assert finals(agg) == [
        (CROWD_DENSITY, "zone", "CZ-1", T_MS, 4.0, 2),
        (CROWD_LEVEL, "zone", "CZ-1", T_MS, 3.0, 2),
    ]
    assert agg.duplicates == 1


def incident(event_id: str, at: datetime, kind: str, camera: str = "CAM-1") -> dict[str, Any]:
    return {"event_id": event_id, "camera_id": camera, "observed_at": at, "incident_type": kind}


def test_incidents_per_hour_by_type_and_area_without_camera_indicators() -> None:
    """Hour 00:00: CAM-1 (ward 26001) has 2 accidents (one re-sent) and a fight; CAM-2 (26002) a
    fire at 00:59:59.999; 01:00 starts the next hour. The province 75 sums both wards. The camera
    hour only guards against duplicates and emits nothing of its own."""
    agg = aggregator(IncidentModel(PROVINCE))
    records = [
        incident("a", T + timedelta(minutes=3), "accident"),
        incident("a", T + timedelta(minutes=3), "accident"),
        incident("b", T + timedelta(minutes=10), "accident"),
        incident("c", T + timedelta(minutes=20), "fight"),
        incident("d", T + timedelta(minutes=59, seconds=59, milliseconds=999), "fire_smoke", "CAM-2"),
        incident("e", T + timedelta(hours=1), "fight", "CAM-2"),
    ]
    agg.fold(0, [(ORIGIN, r) for r in records], T_MS)
    hour = 60 * MIN
    assert finals(agg) == [
        ("public_order.incidents.accident", "area", "26001", T_MS, 2.0, 2),
        ("public_order.incidents.accident", "area", "75", T_MS, 2.0, 2),
        ("public_order.incidents.fight", "area", "26001", T_MS, 1.0, 1),
        ("public_order.incidents.fight", "area", "26002", T_MS + hour, 1.0, 1),
        ("public_order.incidents.fight", "area", "75", T_MS, 1.0, 1),
        ("public_order.incidents.fight", "area", "75", T_MS + hour, 1.0, 1),
        ("public_order.incidents.fire_smoke", "area", "26002", T_MS, 1.0, 1),
        ("public_order.incidents.fire_smoke", "area", "75", T_MS, 1.0, 1),
    ]
