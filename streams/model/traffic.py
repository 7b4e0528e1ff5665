"""Traffic indicators: volume, average speed, speed ratio and congestion level, and violations per hour.

Where a camera's records count: the camera's own minute (its gate: each record judged and
deduplicated there), its intersection's minute, and every area above the intersection plus the
centre's zones it lies in (a minute, and an hour hopping by five minutes). Intersections, areas and
zones are totals over cameras that may come from several sources, so the engine computes them on the
task that owns each of them.

Congestion follows the urban-street levels of service of the US Highway Capacity Manual (HCM 2010,
travel speed as a share of the free-flow speed), merged into the five levels of
`streams.model.indicators.CongestionLevel`. An area's ratio is its vehicles' average speed over their
average free-flow speed (both weighted by vehicles), so a busy avenue weighs more than a quiet lane.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ioc.province import Province
from streams.model.indicators import (
    CONGESTION_BOUNDS,
    CONGESTION_JAMMED,
    TRAFFIC_AVERAGE_SPEED,
    TRAFFIC_CONGESTION_LEVEL,
    TRAFFIC_SPEED_RATIO,
    TRAFFIC_VIOLATIONS,
    TRAFFIC_VOLUME,
)
from streams.model.routes import Acc, Place, Placement, Route, Value, WindowView
from streams.model.shapes import Sliding

MINUTE = Sliding(60_000)
HOUR = Sliding(3_600_000)
HOUR_BY_5_MIN = Sliding(3_600_000, 300_000)

CAMERA_MINUTE = Route("traffic/camera/1m", "camera", MINUTE)
INTERSECTION_MINUTE = Route("traffic/intersection/1m", "intersection", MINUTE)
AREA_MINUTE = Route("traffic/area/1m", "area", MINUTE)
AREA_HOUR = Route("traffic/area/1h", "area", HOUR_BY_5_MIN)
CAMERA_VIOLATIONS_HOUR = Route("violations/camera/1h", "camera", HOUR)
AREA_VIOLATIONS_HOUR = Route("violations/area/1h", "area", HOUR)


def congestion_level(ratio: float | None) -> int | None:
    """Level 0 (free) to 4 (jammed) from speed / free-flow speed; None without a measured speed."""
    if ratio is None:
        return None
    for bound, level in CONGESTION_BOUNDS:
        if ratio >= bound:
            return int(level)
    return int(CONGESTION_JAMMED)


def camera_areas(province: Province, camera_id: str) -> tuple[str, tuple[str, ...]]:
    """The camera's own area code ("" when not configured) and every area it counts in: its
    intersection's area and that area's parents, then the centre's zones the intersection lies in.
    An unconfigured camera still counts for the province, so province totals stay complete."""
    intersection = province.intersection_of(camera_id)
    if intersection is None:
        return "", (province.code,)
    return intersection.area, province.area_lineage(intersection.area) + intersection.zones


# Speeds are summed in thousandths of a km/h, as integers: a total adds up partials from several
# partitions in whatever order they arrive, and integer sums, unlike float sums, do not depend on it.
MILLI = 1000


def empty() -> Acc:
    """A traffic pane with nothing in it yet."""
    return {"vehicles": 0, "speed_sum": 0, "speed_vehicles": 0, "free_flow_sum": 0, "records": 0}


def add_record(acc: Acc, record: dict[str, Any], free_flow_milli: int | None) -> None:
    """Fold one vehicle-count record. The average speed is weighted by the vehicles each record
    counted, so a lane with 40 cars weighs forty times one with a single car; the free-flow speed is
    weighted the same way, over the same vehicles, for the speed ratio."""
    count = record["vehicle_count"]
    acc["vehicles"] += count
    acc["records"] += 1
    speed = record["average_speed_kmh"]
    if speed is not None and count > 0:
        acc["speed_sum"] += round(speed * MILLI) * count
        acc["speed_vehicles"] += count
        if free_flow_milli is not None:
            acc["free_flow_sum"] += free_flow_milli * count


def merge_sums(acc: Acc, other: Acc) -> None:
    """Add another accumulator's sums (every field of a traffic accumulator is a sum)."""
    for name, amount in other.items():
        acc[name] += amount


def merge_counts(acc: Acc, other: Acc) -> None:
    """Add another accumulator's counts per type."""
    types = acc["types"]
    for kind, count in other["types"].items():
        types[kind] = types.get(kind, 0) + count


def total(panes: list[tuple[int, Acc]], merge: Any, new: Acc) -> Acc:
    """The panes of a window added up (the pane itself when there is only one)."""
    if len(panes) == 1:
        return panes[0][1]
    for _, acc in panes:
        merge(new, acc)
    return new


def values(acc: Acc, *, with_congestion: bool) -> list[Value]:
    """(code, value, unit, samples, label) of one window; ratio and level where a free-flow speed applies."""
    samples = acc["records"]
    speed = acc["speed_sum"] / MILLI / acc["speed_vehicles"] if acc["speed_vehicles"] else None
    out: list[Value] = [
        (TRAFFIC_VOLUME, float(acc["vehicles"]), "vehicles", samples, ""),
        (TRAFFIC_AVERAGE_SPEED, speed, "km/h", samples, ""),
    ]
    if with_congestion:
        ratio = acc["speed_sum"] / acc["free_flow_sum"] if acc["free_flow_sum"] else None
        level = congestion_level(ratio)
        out += [
            (TRAFFIC_SPEED_RATIO, ratio, "ratio", samples, ""),
            (TRAFFIC_CONGESTION_LEVEL, None if level is None else float(level), "level", samples, ""),
        ]
    return out


def observed_at(record: dict[str, Any]) -> int:
    """A camera record's event time (epoch ms, as the engine decodes it)."""
    return record["observed_at"]


class TrafficModel:
    """Vehicle counts per camera, intersection and area (and zone)."""

    routes = (CAMERA_MINUTE, INTERSECTION_MINUTE, AREA_MINUTE, AREA_HOUR)
    event_ms = staticmethod(observed_at)

    def __init__(self, province: Province) -> None:
        self.province = province
        self._placements = cache(self._placement)
        self._free_flow = cache(self._free_flow_of)

    def problem(self, record: dict[str, Any]) -> tuple[str, str] | None:
        """Counts are never negative; a speed, when given, is a finite non-negative number."""
        if record["vehicle_count"] < 0:
            return "vehicle_count", "must be >= 0"
        speed = record["average_speed_kmh"]
        if speed is not None and not 0 <= speed < float("inf"):
            return "average_speed_kmh", "must be a finite number >= 0"
        return None

    def place(self, record: dict[str, Any]) -> Placement:
        return self._placements(record["camera_id"])

    def _placement(self, camera_id: str) -> Placement:
        """Where one camera's records count (worked out once per camera)."""
        area, areas = camera_areas(self.province, camera_id)
        totals = []
        intersection = self.province.intersection_of(camera_id)
        if intersection is not None:
            totals.append(Place(INTERSECTION_MINUTE, intersection.id, area))
        totals += [Place(AREA_MINUTE, code, code) for code in areas]
        totals += [Place(AREA_HOUR, code, code) for code in areas]
        return Placement.of(camera_id, Place(CAMERA_MINUTE, camera_id, area), totals)

    def _free_flow_of(self, camera_id: str) -> int | None:
        intersection = self.province.intersection_of(camera_id)
        return round(intersection.free_flow_kmh * MILLI) if intersection is not None else None

    def empty(self, route: Route) -> Acc:
        return empty()

    def add(self, route: Route, acc: Acc, record: dict[str, Any]) -> None:
        add_record(acc, record, self._free_flow(record["camera_id"]))

    def merge(self, route: Route, acc: Acc, other: Acc) -> None:
        merge_sums(acc, other)

    def values(self, view: WindowView) -> list[Value]:
        acc = total(view.panes, merge_sums, empty())
        return values(acc, with_congestion=view.route.entity_type != "camera")


class CountsByType:
    """Camera events counted per hour by their type, at the camera (the gate) and every area above it.
    Traffic violations and public-order incidents are this one computation over different fields;
    a subclass names the routes, the type field, the indicator code's prefix and the unit."""

    camera_route: Route
    area_route: Route
    type_field: str
    code_prefix: str
    unit: str
    event_ms = staticmethod(observed_at)

    def __init__(self, province: Province) -> None:
        self.province = province
        self.routes = (self.camera_route, self.area_route)
        self._placements = cache(self._placement)

    def problem(self, record: dict[str, Any]) -> tuple[str, str] | None:
        """Avro already restricts the type to its enum; nothing else is needed to count one."""
        return None

    def place(self, record: dict[str, Any]) -> Placement:
        return self._placements(record["camera_id"])

    def _placement(self, camera_id: str) -> Placement:
        area, areas = camera_areas(self.province, camera_id)
        gate = Place(self.camera_route, camera_id, area)
        return Placement.of(camera_id, gate, [Place(self.area_route, code, code) for code in areas])

    def empty(self, route: Route) -> Acc:
        return {"types": {}}

    def add(self, route: Route, acc: Acc, record: dict[str, Any]) -> None:
        kind = record[self.type_field]
        acc["types"][kind] = acc["types"].get(kind, 0) + 1

    def merge(self, route: Route, acc: Acc, other: Acc) -> None:
        merge_counts(acc, other)

    def values(self, view: WindowView) -> list[Value]:
        acc = total(view.panes, merge_counts, {"types": {}})
        return [
            (f"{self.code_prefix}.{kind}", float(count), self.unit, count, "")
            for kind, count in sorted(acc["types"].items())
        ]


class ViolationModel(CountsByType):
    """Violations per hour by type, per camera (the gate, an indicator too) and per area."""

    camera_route = CAMERA_VIOLATIONS_HOUR
    area_route = AREA_VIOLATIONS_HOUR
    type_field = "violation_type"
    code_prefix = TRAFFIC_VIOLATIONS
    unit = "violations/h"
