"""The province as configuration: its areas, intersections, cameras, crowd zones, stations and reporting units.

Feeds carry only device ids (a camera id, a station id); where a device is, which area it belongs to
and what is normal for it (a road's free-flow speed, a river's alarm levels, a unit's reporting
cadence) is configuration, so a new camera, a merged commune or a renamed ward is an edit of
`config/province.yaml`, not a code change. Since 1 July 2025 local government has two levels
(province, then commune / ward / special zone); the former district codes stay as areas of their own
(level `former_district`) and merged communes' codes as `former_codes` of the commune that absorbed
them, so history stored under old codes can still be grouped and read.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

# `former_district`: a district abolished on 1 July 2025, kept so history stored under it stays
# groupable (its territory went to several communes, so it cannot map onto one of today's areas).
AreaLevel = Literal["province", "commune", "ward", "special_zone", "zone", "former_district"]
StationKind = Literal["air_quality", "water_level", "rainfall", "weather"]
ReportPeriod = Literal["monthly", "quarterly", "half_yearly", "yearly"]


class ProvinceError(ValueError):
    """The province file is wrong; the message names the entry and the rule it breaks."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Area(_Entry):
    """An administrative area or one of the centre's own zones (a traffic corridor, a river basin)."""

    code: str
    name_vi: str
    level: AreaLevel
    parent: str | None = None
    # Codes of the communes merged into this one (or its code before a rename): history under them
    # maps here.
    former_codes: tuple[str, ...] = ()


class Intersection(_Entry):
    """Where cameras watch traffic; congestion is judged against the road's free-flow speed here."""

    id: str
    name_vi: str
    area: str
    latitude: float
    longitude: float
    free_flow_kmh: float = Field(gt=0)
    zones: tuple[str, ...] = ()


class Camera(_Entry):
    """A camera at an intersection; `crowd_zone` when its analytics also measure crowd density."""

    id: str
    intersection: str
    crowd_zone: str | None = None


class CrowdZone(_Entry):
    """A public space whose crowd density is watched (a square, a market, a station forecourt)."""

    id: str
    name_vi: str
    area: str
    # Persons per square metre at which the zone counts as crowded; the wall colours levels from it.
    crowded_density: float = Field(default=2.0, gt=0)


class AlarmLevels(_Entry):
    """Flood alarm levels I, II and III of a water-level station, in centimetres."""

    level_1_cm: float
    level_2_cm: float
    level_3_cm: float

    @model_validator(mode="after")
    def _increasing(self) -> AlarmLevels:
        if not self.level_1_cm < self.level_2_cm < self.level_3_cm:
            raise ValueError("alarm levels must increase: level_1_cm < level_2_cm < level_3_cm")
        return self


class Station(_Entry):
    """A sensor station; each device reports under its station id."""

    id: str
    name_vi: str
    kind: StationKind
    area: str
    latitude: float
    longitude: float
    reporting_interval_s: int = Field(default=300, gt=0)
    alarm_levels: AlarmLevels | None = None

    @model_validator(mode="after")
    def _water_levels_have_alarms(self) -> Station:
        if self.kind == "water_level" and self.alarm_levels is None:
            raise ValueError("a water_level station needs alarm_levels (level_1_cm, level_2_cm, level_3_cm)")
        return self


class PeriodicReport(_Entry):
    """A periodic report a unit owes under Decree 09/2019: its period, its data cut-off day and its
    deadline (days after the period ends)."""

    report_code: str
    period: ReportPeriod
    # Decree 09/2019 art. 12: a monthly period runs from the 15th of the previous month to the 14th.
    cutoff_day: int = Field(default=14, ge=1, le=28)
    due_days: int = Field(default=5, ge=0)


class ReportingUnit(_Entry):
    """A department or a commune's People's Committee: it handles dossiers and owes periodic reports."""

    code: str
    name_vi: str
    area: str
    reports: tuple[PeriodicReport, ...] = ()


class Province(_Entry):
    """The whole configuration, checked for dangling references when loaded."""

    code: str
    name_vi: str
    areas: tuple[Area, ...]
    intersections: tuple[Intersection, ...] = ()
    cameras: tuple[Camera, ...] = ()
    crowd_zones: tuple[CrowdZone, ...] = ()
    stations: tuple[Station, ...] = ()
    reporting_units: tuple[ReportingUnit, ...] = ()

    @model_validator(mode="after")
    def _references_resolve(self) -> Province:
        problems = list(_reference_problems(self))
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @cached_property
    def _areas(self) -> dict[str, Area]:
        return {area.code: area for area in self.areas}

    @cached_property
    def _current_code(self) -> dict[str, str]:
        renamed = {old: area.code for area in self.areas for old in area.former_codes}
        return renamed | {code: code for code in self._areas}

    @cached_property
    def _intersections(self) -> dict[str, Intersection]:
        return {i.id: i for i in self.intersections}

    @cached_property
    def _cameras(self) -> dict[str, Camera]:
        return {c.id: c for c in self.cameras}

    @cached_property
    def _stations(self) -> dict[str, Station]:
        return {s.id: s for s in self.stations}

    @cached_property
    def _zones(self) -> dict[str, CrowdZone]:
        return {z.id: z for z in self.crowd_zones}

    def current_area(self, code: str) -> str:
        """Today's code for `code` (a former district or merged commune maps to its successor)."""
        return self._current_code.get(code, code)

    def area_lineage(self, code: str) -> tuple[str, ...]:
        """The area, then its parents up to the province; an unknown code is its own lineage."""
        lineage = [self.current_area(code)]
        while (area := self._areas.get(lineage[-1])) is not None and area.parent is not None:
            lineage.append(area.parent)
        return tuple(lineage)

    def area_name(self, code: str) -> str:
        """The Vietnamese name officers read, or the code itself when it is not configured."""
        area = self._areas.get(self.current_area(code))
        return area.name_vi if area is not None else code

    def intersection_of(self, camera_id: str) -> Intersection | None:
        camera = self._cameras.get(camera_id)
        return self._intersections.get(camera.intersection) if camera is not None else None

    def camera(self, camera_id: str) -> Camera | None:
        return self._cameras.get(camera_id)

    def station(self, station_id: str) -> Station | None:
        return self._stations.get(station_id)

    def crowd_zone(self, zone_id: str) -> CrowdZone | None:
        return self._zones.get(zone_id)


def _reference_problems(province: Province) -> Iterable[str]:
    areas = {area.code for area in province.areas}
    for i, area in enumerate(province.areas):
        if area.parent is not None and area.parent not in areas:
            yield f"areas[{i}] (code={area.code}): parent {area.parent!r} is not a configured area"
    yield from _duplicates("areas", [a.code for a in province.areas])
    yield from _duplicates("areas[].former_codes", [old for a in province.areas for old in a.former_codes])
    yield from _duplicates("intersections", [i.id for i in province.intersections])
    yield from _duplicates("cameras", [c.id for c in province.cameras])
    yield from _duplicates("stations", [s.id for s in province.stations])
    yield from _duplicates("reporting_units", [u.code for u in province.reporting_units])
    placed: list[tuple[str, Iterable[tuple[str, str]]]] = [
        ("intersections", ((i.id, i.area) for i in province.intersections)),
        ("crowd_zones", ((z.id, z.area) for z in province.crowd_zones)),
        ("stations", ((s.id, s.area) for s in province.stations)),
        ("reporting_units", ((u.code, u.area) for u in province.reporting_units)),
    ]
    for section, entries in placed:
        for index, (key, area) in enumerate(entries):
            if area not in areas:
                yield f"{section}[{index}] ({key}): area {area!r} is not a configured area"
    intersections = {i.id for i in province.intersections}
    zones = {z.id for z in province.crowd_zones}
    for index, camera in enumerate(province.cameras):
        if camera.intersection not in intersections:
            yield f"cameras[{index}] ({camera.id}): intersection {camera.intersection!r} is not configured"
        if camera.crowd_zone is not None and camera.crowd_zone not in zones:
            yield f"cameras[{index}] ({camera.id}): crowd_zone {camera.crowd_zone!r} is not configured"


def _duplicates(section: str, keys: list[str]) -> Iterable[str]:
    seen: set[str] = set()
    for index, key in enumerate(keys):
        if key in seen:
            yield f"{section}[{index}]: {key!r} appears more than once"
        seen.add(key)


def load_province(path: Path) -> Province:
    """Read and check the province file; every mistake is reported with where it is."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ProvinceError(f"{path}: cannot read: {exc}") from exc
    try:
        return Province.model_validate(raw)
    except ValidationError as exc:
        lines = [
            f"{path}: {'.'.join(str(part) for part in error['loc']) or '(top)'}: {error['msg']}"
            for error in exc.errors()
        ]
        raise ProvinceError("\n".join(lines)) from None
