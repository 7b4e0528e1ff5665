"""Public-order indicators: crowd density and crowd level per zone, incidents per hour by type and area.

Pure models for `streams.windowed`. A crowd measurement counts for the configured crowd zone it
names (`zone_id`), else for its camera's configured zone; the level compares the zone's mean density
in the minute with the density at which that zone counts as crowded (`crowded_density` in
config/province.yaml): below it 0 normal, from 1x busy, from 1.5x very busy, from 2x overloaded.
With the default of 2 persons/m2 that puts "overloaded" at 4 persons/m2, where crowd-safety guidance
(Fruin's levels of service for queues and walkways) places the onset of dangerous crowding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import Any

from ioc.province import Province
from streams.model.indicators import CROWD_BOUNDS
from streams.model.indicators import PUBLIC_ORDER_CROWD_DENSITY as CROWD_DENSITY
from streams.model.indicators import PUBLIC_ORDER_CROWD_LEVEL as CROWD_LEVEL
from streams.model.indicators import PUBLIC_ORDER_INCIDENTS as INCIDENTS
from streams.traffic import HOUR, MINUTE, camera_areas, merge_counts, merge_sums
from streams.windowed import Route, WindowRef

Accumulator = dict[str, Any]
Values = tuple[str, float | None, str, int]


def crowd_level(density: float | None, crowded_density: float | None) -> int | None:
    """Level 0 (normal) to 3 (overloaded); None when the density or the zone's reference is unknown."""
    if density is None or crowded_density is None:
        return None
    ratio = density / crowded_density
    for bound, level in CROWD_BOUNDS:
        if ratio >= bound:
            return level
    return 0


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
    """Crowd density per zone and minute (the zone minute is the gate)."""

    def __init__(self, province: Province) -> None:
        self.province = province
        self.place = cache(self._place)

    def problem(self, record: dict[str, Any]) -> tuple[str, str] | None:
        """Counts and densities are never negative; an area, when given, is positive."""
        if record["person_count"] < 0:
            return "person_count", "must be >= 0"
        if _bad_number(record.get("density_persons_per_m2"), positive=False):
            return "density_persons_per_m2", "must be a finite number >= 0"
        if _bad_number(record.get("zone_area_m2"), positive=True):
            return "zone_area_m2", "must be a finite number > 0"
        return None

    def _place(self, camera_id: str, zone_id: str) -> tuple[Route, ...]:
        zone = self.province.crowd_zone(zone_id)
        if zone is None:
            camera = self.province.camera(camera_id)
            if camera is not None and camera.crowd_zone is not None:
                zone = self.province.crowd_zone(camera.crowd_zone)
        if zone is None:
            return (
                Route("crowd/zone/1m", "zone", zone_id, camera_areas(self.province, camera_id)[0], MINUTE),
            )
        return (Route("crowd/zone/1m", "zone", zone.id, zone.area, MINUTE),)

    def routes(self, record: dict[str, Any]) -> Sequence[Route]:
        return self.place(record["camera_id"], record["zone_id"])

    def empty(self) -> Accumulator:
        return {"density_sum": 0.0, "densities": 0, "records": 0}

    def add(self, acc: Accumulator, record: dict[str, Any]) -> None:
        acc["records"] += 1
        density = density_of(record)
        if density is not None:
            acc["density_sum"] += density
            acc["densities"] += 1

    def merge(self, acc: Accumulator, pane: Accumulator) -> None:
        merge_sums(acc, pane)

    def indicators(self, ref: WindowRef, acc: Accumulator) -> list[Values]:
        density = acc["density_sum"] / acc["densities"] if acc["densities"] else None
        zone = self.province.crowd_zone(ref.entity_id)
        level = crowd_level(density, zone.crowded_density if zone is not None else None)
        return [
            (CROWD_DENSITY, density, "persons/m2", acc["densities"]),
            (CROWD_LEVEL, None if level is None else float(level), "level", acc["densities"]),
        ]


class IncidentModel:
    """Incidents per hour by type and area; the camera hour is only the gate, not an indicator."""

    def __init__(self, province: Province) -> None:
        self.province = province
        self.place = cache(self._place)

    def problem(self, record: dict[str, Any]) -> tuple[str, str] | None:
        """Avro already restricts the type to its enum; nothing else is needed to count one."""
        return None

    def _place(self, camera_id: str) -> tuple[Route, ...]:
        area, areas = camera_areas(self.province, camera_id)
        gate = Route("incidents/camera/1h", "camera", camera_id, area, HOUR, emit=False)
        return (gate, *(Route("incidents/area/1h", "area", code, code, HOUR) for code in areas))

    def routes(self, record: dict[str, Any]) -> Sequence[Route]:
        return self.place(record["camera_id"])

    def empty(self) -> Accumulator:
        return {"types": {}}

    def add(self, acc: Accumulator, record: dict[str, Any]) -> None:
        kind = str(record["incident_type"])
        acc["types"][kind] = acc["types"].get(kind, 0) + 1

    def merge(self, acc: Accumulator, pane: Accumulator) -> None:
        merge_counts(acc, pane)

    def indicators(self, ref: WindowRef, acc: Accumulator) -> list[Values]:
        return [
            (f"{INCIDENTS}.{kind}", float(count), "incidents/h", count)
            for kind, count in sorted(acc["types"].items())
        ]
