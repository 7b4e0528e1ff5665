"""The indicator catalog (streams.model.indicators): codes, families from the Avro enums, level scales."""

from __future__ import annotations

import re
from typing import get_args

import pytest

from avro_schemas import load_schema
from streams.model import dossiers, traffic
from streams.model.alerting.rules import Category
from streams.model.indicators import (
    CONGESTION_BOUNDS,
    CROWD_BOUNDS,
    FAMILIES,
    INDICATORS,
    LIVENESS_SIGNALS,
    TRAFFIC_VIOLATIONS,
    Bounds,
    CongestionLevel,
    CrowdLevel,
    Level,
    WaterAlarmLevel,
    emitted_codes,
    enum_symbols,
    indicator_of,
)

CODE = re.compile(r"[a-z_]+\.[a-z0-9_]+(\.[a-z0-9_]+)?")


def test_every_code_is_a_category_and_a_lowercase_name_listed_once() -> None:
    codes = emitted_codes()
    assert len(codes) == len(set(codes))
    for code in (*codes, *LIVENESS_SIGNALS):
        assert CODE.fullmatch(code), code
        assert code.split(".")[0] in get_args(Category), code


def test_every_entry_says_what_it_is() -> None:
    for indicator in INDICATORS.values():
        assert indicator.unit and indicator.entity_types and indicator.window, indicator.code
        assert indicator.description and indicator.label_vi, indicator.code


def test_family_members_are_the_symbols_of_the_schema_enum() -> None:
    """The violation types are whatever the contract allows, read from the .avsc, not restated."""
    records = load_schema("camera/violations")["fields"][2]["type"]["items"]["fields"]
    (kind,) = (field["type"] for field in records if field["name"] == "violation_type")
    assert FAMILIES[TRAFFIC_VIOLATIONS].suffixes == tuple(kind["symbols"])
    assert "public_order.incidents.fire_smoke" in emitted_codes()


def test_an_enum_the_schema_does_not_declare_is_an_error() -> None:
    with pytest.raises(LookupError, match="camera/violations.avsc declares no enum named Nope"):
        enum_symbols("camera/violations", "Nope")


@pytest.mark.parametrize(
    ("code", "found"),
    [
        ("traffic.volume", "traffic.volume"),
        ("traffic.violations.red_light", "traffic.violations"),
        ("traffic.violations", None),  # a family's prefix is not emitted on its own
        ("traffic.violations.jaywalking", None),
        ("traffic.speed", None),
        ("input_health.camera_heartbeat", None),  # watched by alert rules, but not an indicator
    ],
)
def test_indicator_of(code: str, found: str | None) -> None:
    indicator = indicator_of(code)
    assert (indicator.code if indicator is not None else None) == found


def test_the_traffic_and_dossier_models_emit_the_units_of_the_catalog() -> None:
    acc = {"vehicles": 3, "speed_sum": 90_000, "speed_vehicles": 3, "free_flow_sum": 150_000, "records": 1}
    emitted = [(code, unit) for code, _, unit, *_ in traffic.values(acc, with_congestion=True)]
    emitted += [(code, unit) for code, _, unit in dossiers.Figures().indicators()]
    assert [(code, INDICATORS[code].unit) for code, _ in emitted] == emitted


@pytest.mark.parametrize("scale", [CongestionLevel, CrowdLevel, WaterAlarmLevel])
def test_scales_are_whole_levels_from_zero_with_distinct_names(scale: type[Level]) -> None:
    """The wall colours whole levels 0..n; two levels with one name would read the same on it."""
    assert [int(level) for level in scale] == list(range(len(scale)))
    assert len({level.name_vi for level in scale}) == len(scale)


@pytest.mark.parametrize(
    ("bounds", "scale", "past_the_last"),
    [
        (CONGESTION_BOUNDS, CongestionLevel, CongestionLevel.JAMMED),
        (CROWD_BOUNDS, CrowdLevel, CrowdLevel.NORMAL),
    ],
)
def test_bounds_fall_and_reach_every_level(bounds: Bounds, scale: type[Level], past_the_last: Level) -> None:
    """Bounds are tried in order, so they must fall; the level past the last bound closes the scale."""
    lows = [bound for bound, _ in bounds]
    assert lows == sorted(lows, reverse=True)
    assert {level for _, level in bounds} | {past_the_last} == set(scale)


def test_a_family_member_of_a_type_the_schema_lacks_is_an_error() -> None:
    assert FAMILIES[TRAFFIC_VIOLATIONS].member("red_light") == "traffic.violations.red_light"
    with pytest.raises(
        ValueError, match="'jaywalking' is not a ViolationType of avro_schemas/camera/violations"
    ):
        FAMILIES[TRAFFIC_VIOLATIONS].member("jaywalking")
