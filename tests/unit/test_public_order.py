"""Unit tests for streams.model.public_order: crowd density and level per zone, incidents per hour by
area, through the window engine (tests/unit/stream_harness.py). T = 2024-01-01T00:00:00Z."""

from __future__ import annotations

from typing import Any

import pytest

from ioc.province import Province
from streams.model.indicators import PUBLIC_ORDER_CROWD_DENSITY as CROWD_DENSITY
from streams.model.indicators import PUBLIC_ORDER_CROWD_LEVEL as CROWD_LEVEL
from streams.model.public_order import CrowdModel, IncidentModel, crowd_level, density_of
from streams.model.routes import Model
from tests.unit.stream_harness import TIMING, Deployment

T = 1_704_067_200_000
S = 1_000
MIN = 60_000
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


def crowd(event_id: str, at: int, persons: int, density: float | None, **extra: Any) -> dict[str, Any]:
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
    """The camera's minute is the gate (where a record is judged once); the zone is a total."""
    model = CrowdModel(PROVINCE)

    def zone(record: dict[str, Any]) -> tuple[str, str]:
        placement = model.place(record)
        assert placement.gate is not None and placement.gate.entity_id == record["camera_id"]
        [(_, [place])] = placement.totals
        return place.entity_id, place.area_code

    assert zone(crowd("a", T, 1, 1.0, zone_id="CZ-2")) == ("CZ-2", "26002")
    # "left-half" is the vendor's own zone name in CAM-1's view: CAM-1 watches CZ-1.
    assert zone(crowd("a", T, 1, 1.0, zone_id="left-half")) == ("CZ-1", "26001")
    assert zone(crowd("a", T, 1, 1.0, camera_id="CAM-2", zone_id="gate-3")) == ("gate-3", "26002")


def finals(
    model: Model, records: list[dict[str, Any]], schema: str
) -> list[tuple[str, str, str, int, float | None, int]]:
    """Every final of the records folded on one partition, once the wall clock is far ahead."""
    d = Deployment(model, partitions=1, owners=2, timing=TIMING, schema=schema, opened_ms=T)
    d.fold(0, records, T)
    far = T + 86_400_000
    for _ in range(2):
        d.run_until_quiet(far)
        d.tick(far)
    d.run_until_quiet(far)
    rows = [r for r in d.indicators() if r["is_final"]]
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
    records = [
        crowd("a", T + 5 * S, 120, 3.0),
        crowd("b", T + 25 * S, 200, 5.0),
        crowd("b", T + 25 * S, 200, 5.0),
        crowd("c", T + 45 * S, 80, None),
    ]
    assert finals(CrowdModel(PROVINCE), records, "camera/crowd_density") == [
        (CROWD_DENSITY, "zone", "CZ-1", T, 4.0, 2),
        (CROWD_LEVEL, "zone", "CZ-1", T, 3.0, 2),
    ]


def incident(event_id: str, at: int, kind: str, camera: str = "CAM-1") -> dict[str, Any]:
    return {"event_id": event_id, "camera_id": camera, "observed_at": at, "incident_type": kind}


def test_incidents_per_hour_by_type_and_area_without_camera_indicators() -> None:
    """Hour 00:00: CAM-1 (ward 26001) has 2 accidents (one re-sent) and a fight; CAM-2 (26002) a
    fire at 00:59:59.999; 01:00 starts the next hour. The province 75 sums both wards. The camera
    hour only guards against duplicates and emits nothing of its own."""
    records = [
        incident("a", T + 3 * MIN, "accident"),
        incident("a", T + 3 * MIN, "accident"),
        incident("b", T + 10 * MIN, "accident"),
        incident("c", T + 20 * MIN, "fight"),
        incident("d", T + 60 * MIN - 1, "fire_smoke", "CAM-2"),
        incident("e", T + 60 * MIN, "fight", "CAM-2"),
    ]
    hour = 60 * MIN
    assert finals(IncidentModel(PROVINCE), records, "camera/incidents") == [
        ("public_order.incidents.accident", "area", "26001", T, 2.0, 2),
        ("public_order.incidents.accident", "area", "75", T, 2.0, 2),
        ("public_order.incidents.fight", "area", "26001", T, 1.0, 1),
        ("public_order.incidents.fight", "area", "26002", T + hour, 1.0, 1),
        ("public_order.incidents.fight", "area", "75", T, 1.0, 1),
        ("public_order.incidents.fight", "area", "75", T + hour, 1.0, 1),
        ("public_order.incidents.fire_smoke", "area", "26002", T, 1.0, 1),
        ("public_order.incidents.fire_smoke", "area", "75", T, 1.0, 1),
    ]
