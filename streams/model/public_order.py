"""Public-order indicators: crowd density and crowd level per zone, incidents per hour by type and area.

A crowd measurement counts for the configured crowd zone it names (`zone_id`), else for its camera's
configured zone; the level compares the zone's mean density in the minute with the density at which
that zone counts as crowded (`crowded_density` in config/province.yaml), on the scale of
`streams.model.indicators.CrowdLevel`. Zones and areas are totals: several cameras, perhaps of
several sources, watch one zone, so the engine computes them on the task that owns each; a camera's
own minute (or hour) is its gate, where each record is judged and deduplicated once.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from ioc.province import Province
from streams.model.indicators import (
    CROWD_BOUNDS,
    PUBLIC_ORDER_CROWD_DENSITY,
    PUBLIC_ORDER_CROWD_LEVEL,
    PUBLIC_ORDER_INCIDENTS,
    CrowdLevel,
)
from streams.model.routes import Acc, Place, Placement, Route, Value, WindowView
from streams.model.traffic import HOUR, MINUTE, CountsByType, camera_areas, merge_sums, observed_at, total

CAMERA_CROWD_MINUTE = Route("crowd/camera/1m", "camera", MINUTE, emit=False)
ZONE_CROWD_MINUTE = Route("crowd/zone/1m", "zone", MINUTE)
CAMERA_INCIDENTS_HOUR = Route("incidents/camera/1h", "camera", HOUR, emit=False)
AREA_INCIDENTS_HOUR = Route("incidents/area/1h", "area", HOUR)
# Densities are summed in millionths of a person per m2, as integers: a zone's total adds partials in
# whatever order they arrive, and integer sums do not depend on it.
MICRO = 1_000_000


def crowd_level(density: float | None, crowded_density: float | None) -> int | None:
    """Level 0 (normal) to 3 (overloaded); None when the density or the zone's reference is unknown."""
    if density is None or crowded_density is None:
        return None
    ratio = density / crowded_density
    for bound, level in CROWD_BOUNDS:
        if ratio >= bound:
            return int(level)
    return int(CrowdLevel.NORMAL)


def density_of(record: dict[str, Any]) -> float | None:
    """Persons per m2 as measured, else from the count and the zone's area; None when neither is known."""
    density = record.get("density_persons_per_m2")
    if density is not None:
        return float(density)
    area = record.get("zone_area_m2")
    return record["person_count"] / area if area else None


def _bad_number(value: float | None, *, positive: bool) -> bool:
    if value is None:
        return False
    return not math.isfinite(value) or value < 0 or (positive and value == 0)


class CrowdModel:
    """Crowd density per zone and minute."""

    routes = (CAMERA_CROWD_MINUTE, ZONE_CROWD_MINUTE)
    event_ms = staticmethod(observed_at)

    def __init__(self, province: Province) -> None:
        self.province = province
        self._placements = cache(self._placement)

    def problem(self, record: dict[str, Any]) -> tuple[str, str] | None:
        """Counts and densities are never negative; an area, when given, is positive."""
        if record["person_count"] < 0:
            return "person_count", "must be >= 0"
        if _bad_number(record.get("density_persons_per_m2"), positive=False):
            return "density_persons_per_m2", "must be a finite number >= 0"
        if _bad_number(record.get("zone_area_m2"), positive=True):
            return "zone_area_m2", "must be a finite number > 0"
        return None

    def place(self, record: dict[str, Any]) -> Placement:
        return self._placements(record["camera_id"], record["zone_id"])

    def _placement(self, camera_id: str, zone_id: str) -> Placement:
        """The camera's minute, and the zone it names (or its camera's configured zone, or the named
        zone unconfigured, placed in its camera's area)."""
        zone = self.province.crowd_zone(zone_id)
        if zone is None:
            camera = self.province.camera(camera_id)
            if camera is not None and camera.crowd_zone is not None:
                zone = self.province.crowd_zone(camera.crowd_zone)
        camera_area = camera_areas(self.province, camera_id)[0]
        if zone is None:
            total_place = Place(ZONE_CROWD_MINUTE, zone_id, camera_area)
        else:
            total_place = Place(ZONE_CROWD_MINUTE, zone.id, zone.area)
        gate = Place(CAMERA_CROWD_MINUTE, camera_id, camera_area)
        return Placement.of(f"{camera_id}|{zone_id}", gate, [total_place])

    def empty(self, route: Route) -> Acc:
        return {"density_sum": 0, "densities": 0, "records": 0}

    def add(self, route: Route, acc: Acc, record: dict[str, Any]) -> None:
        acc["records"] += 1
        density = density_of(record)
        if density is not None:
            acc["density_sum"] += round(density * MICRO)
            acc["densities"] += 1

    def merge(self, route: Route, acc: Acc, other: Acc) -> None:
        merge_sums(acc, other)

    def values(self, view: WindowView) -> list[Value]:
        acc = total(view.panes, merge_sums, self.empty(view.route))
        density = acc["density_sum"] / MICRO / acc["densities"] if acc["densities"] else None
        zone = self.province.crowd_zone(view.entity_id)
        level = crowd_level(density, zone.crowded_density if zone is not None else None)
        return [
            (PUBLIC_ORDER_CROWD_DENSITY, density, "persons/m2", acc["densities"], ""),
            (
                PUBLIC_ORDER_CROWD_LEVEL,
                None if level is None else float(level),
                "level",
                acc["densities"],
                "",
            ),
        ]


class IncidentModel(CountsByType):
    """Incidents per hour by type and area; the camera hour is only the gate, not an indicator."""

    camera_route = CAMERA_INCIDENTS_HOUR
    area_route = AREA_INCIDENTS_HOUR
    type_field = "incident_type"
    code_prefix = PUBLIC_ORDER_INCIDENTS
    unit = "incidents/h"
