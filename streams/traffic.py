"""Traffic indicators: volume, average speed, speed ratio and congestion level, and violations per hour.

Pure models for `streams.windowed`: where a camera's records count (the camera, its intersection,
and every area above the intersection plus the centre's zones it lies in) and how they fold. The
accumulators are plain dicts because they live in a Faust table whose changelog is JSON.

Congestion follows the urban-street levels of service of the US Highway Capacity Manual (HCM 2010,
travel speed as a share of the free-flow speed), merged into the five levels the wall shows:
ratio >= 0.67 free (LOS A-B), >= 0.50 busy (C), >= 0.40 slow (D), >= 0.30 congested (E), below
0.30 jammed (F). An area's ratio is its vehicles' average speed over their average free-flow speed
(both weighted by vehicles), so a busy avenue weighs more than a quiet lane.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from ioc.province import Province
from streams.model.indicators import CONGESTION_BOUNDS
from streams.model.indicators import CONGESTION_JAMMED as JAMMED
from streams.model.indicators import TRAFFIC_AVERAGE_SPEED as AVERAGE_SPEED
from streams.model.indicators import TRAFFIC_CONGESTION_LEVEL as CONGESTION_LEVEL
from streams.model.indicators import TRAFFIC_SPEED_RATIO as SPEED_RATIO
from streams.model.indicators import TRAFFIC_VIOLATIONS as VIOLATIONS
from streams.model.indicators import TRAFFIC_VOLUME as VOLUME
from streams.model.windows import WindowSpec
from streams.windowed import Route, WindowRef

Accumulator = dict[str, Any]
Values = tuple[str, float | None, str, int]
MINUTE = WindowSpec(60_000)
HOUR = WindowSpec(3_600_000)
HOUR_BY_5_MIN = WindowSpec(3_600_000, 300_000)


def congestion_level(ratio: float | None) -> int | None:
    """Level 0 (free) to 4 (jammed) from speed / free-flow speed; None without a measured speed."""
    if ratio is None:
        return None
    for bound, level in CONGESTION_BOUNDS:
        if ratio >= bound:
            return level
    return JAMMED


def camera_areas(province: Province, camera_id: str) -> tuple[str, tuple[str, ...]]:
    """The camera's own area code ("" when not configured) and every area it counts in: its
    intersection's area and that area's parents, then the centre's zones the intersection lies in.
    An unconfigured camera still counts for the province, so province totals stay complete."""
    intersection = province.intersection_of(camera_id)
    if intersection is None:
        return "", (province.code,)
    return intersection.area, province.area_lineage(intersection.area) + intersection.zones


def empty() -> Accumulator:
    """A traffic window with nothing in it yet."""
    return {"vehicles": 0, "speed_sum": 0.0, "speed_vehicles": 0, "free_flow_sum": 0.0, "records": 0}


def add_record(acc: Accumulator, record: dict[str, Any], free_flow_kmh: float | None = None) -> None:
    """Fold one vehicle-count record into a window. The average speed is weighted by the vehicles
    each record counted, so a lane with 40 cars weighs forty times one with a single car; the
    free-flow speed is weighted the same way, over the same vehicles, for the speed ratio."""
    count = int(record["vehicle_count"])
    acc["vehicles"] += count
    acc["records"] += 1
    speed = record.get("average_speed_kmh")
    if speed is not None and count > 0:
        acc["speed_sum"] += float(speed) * count
        acc["speed_vehicles"] += count
        if free_flow_kmh is not None:
            acc["free_flow_sum"] += free_flow_kmh * count


def merge_sums(acc: Accumulator, pane: Accumulator) -> None:
    """Add a pane's sums into a window (every field of these accumulators is a sum)."""
    for name, amount in pane.items():
        acc[name] += amount


def merge_counts(acc: Accumulator, pane: Accumulator) -> None:
    """Add a pane's counts per type into a window."""
    types = acc["types"]
    for kind, count in pane["types"].items():
        types[kind] = types.get(kind, 0) + count


def values(acc: Accumulator, *, with_congestion: bool) -> list[Values]:
    """(code, value, unit, samples) of one window; the ratio and level only where a free-flow speed applies."""
    samples = acc["records"]
    speed = acc["speed_sum"] / acc["speed_vehicles"] if acc["speed_vehicles"] else None
    out: list[Values] = [
        (VOLUME, float(acc["vehicles"]), "vehicles", samples),
        (AVERAGE_SPEED, speed, "km/h", samples),
    ]
    if with_congestion:
        ratio = acc["speed_sum"] / acc["free_flow_sum"] if acc["free_flow_sum"] else None
        level = congestion_level(ratio)
        out += [
            (SPEED_RATIO, ratio, "ratio", samples),
            (CONGESTION_LEVEL, None if level is None else float(level), "level", samples),
        ]
    return out


class TrafficModel:
    """Vehicle counts: camera minute (the gate), intersection minute, area minute and area hour by 5 min."""

    def __init__(self, province: Province) -> None:
        self.province = province
        self.routes_of = cache(self._place)
        self.free_flow = cache(self._free_flow)

    def problem(self, record: dict[str, Any]) -> tuple[str, str] | None:
        """Counts are never negative; a speed, when given, is a finite non-negative number."""
        if record["vehicle_count"] < 0:
            return "vehicle_count", "must be >= 0"
        speed = record.get("average_speed_kmh")
        if speed is not None and not 0 <= speed < float("inf"):
            return "average_speed_kmh", "must be a finite number >= 0"
        return None

    def routes(self, record: dict[str, Any]) -> Sequence[Route]:
        return self.routes_of(record["camera_id"])

    def _place(self, camera_id: str) -> tuple[Route, ...]:
        """Where one camera's records count (looked up once per camera)."""
        area, areas = camera_areas(self.province, camera_id)
        routes = [Route("traffic/camera/1m", "camera", camera_id, area, MINUTE)]
        intersection = self.province.intersection_of(camera_id)
        if intersection is not None:
            routes.append(Route("traffic/intersection/1m", "intersection", intersection.id, area, MINUTE))
        for code in areas:
            routes.append(Route("traffic/area/1m", "area", code, code, MINUTE))
            routes.append(Route("traffic/area/1h", "area", code, code, HOUR_BY_5_MIN))
        return tuple(routes)

    def _free_flow(self, camera_id: str) -> float | None:
        intersection = self.province.intersection_of(camera_id)
        return intersection.free_flow_kmh if intersection is not None else None

    def empty(self) -> Accumulator:
        return empty()

    def add(self, acc: Accumulator, record: dict[str, Any]) -> None:
        add_record(acc, record, self.free_flow(record["camera_id"]))

    def merge(self, acc: Accumulator, pane: Accumulator) -> None:
        merge_sums(acc, pane)

    def indicators(self, ref: WindowRef, acc: Accumulator) -> list[Values]:
        return values(acc, with_congestion=ref.entity_type != "camera")


class ViolationModel:
    """Violations per hour by type, per camera (the gate) and per area."""

    def __init__(self, province: Province) -> None:
        self.province = province
        self.routes_of = cache(self._place)

    def problem(self, record: dict[str, Any]) -> tuple[str, str] | None:
        """Avro already restricts the type to its enum; nothing else is needed to count one."""
        return None

    def routes(self, record: dict[str, Any]) -> Sequence[Route]:
        return self.routes_of(record["camera_id"])

    def _place(self, camera_id: str) -> tuple[Route, ...]:
        """Where one camera's violations count (looked up once per camera)."""
        area, areas = camera_areas(self.province, camera_id)
        gate = Route("violations/camera/1h", "camera", camera_id, area, HOUR)
        return (gate, *(Route("violations/area/1h", "area", code, code, HOUR) for code in areas))

    def empty(self) -> Accumulator:
        return {"types": {}}

    def add(self, acc: Accumulator, record: dict[str, Any]) -> None:
        kind = str(record["violation_type"])
        acc["types"][kind] = acc["types"].get(kind, 0) + 1

    def merge(self, acc: Accumulator, pane: Accumulator) -> None:
        merge_counts(acc, pane)

    def indicators(self, ref: WindowRef, acc: Accumulator) -> list[Values]:
        return [
            (f"{VIOLATIONS}.{kind}", float(count), "violations/h", count)
            for kind, count in sorted(acc["types"].items())
        ]
