"""The Python ceiling's aggregation: the platform's whole traffic indicator set, in plain Python.

The platform's traffic agent does more than one window per camera, so the ceiling does the same
work to make the comparison like-for-like (see the README's benchmark paragraph):

- every record is counted once: an event_id already counted in its camera's minute is skipped
  (the benchmark re-offers each minute's messages to reach its rate, so most records are repeats);
- one-minute tumbling windows per camera, per intersection and per area (the intersection's area,
  its parents and the centre's zones, as `streams.model.traffic.camera_areas` says), with the volume, the
  count-weighted average speed and, except for cameras, the speed ratio against the free-flow
  speed and the congestion level;
- one-hour windows hopping by five minutes per area, kept as five-minute panes and summed when
  they are written (the same pane idea the platform uses).

Windows changed since the last drain are written once per second as rows of the benchmark table.
The province's layout arrives as JSON (`layout.layout_json`), so the ceiling's process imports
neither the platform's settings nor Faust (which would add to its measured memory).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

WINDOW_MS = 60_000
HOUR_MS = 3_600_000
PANE_MS = 300_000  # the hop of the areas' hourly windows
# Windows further than this behind the newest event seen are dropped from memory (grace is 30 s).
KEEP_MS = 3 * WINDOW_MS
# (entity key, window start ms, volume, average speed, speed ratio, congestion level)
Row = tuple[str, int, float, float | None, float | None, int | None]
CAMERA, INTERSECTION, AREA_MINUTE, AREA_HOUR = "camera", "intersection", "area/1m", "area/1h"
Window = tuple[str, str, int]  # (kind, entity id, start ms)
# Sums of a window or pane: [vehicles, speed × vehicles, vehicles with a speed, free-flow × vehicles]
Sums = list[float]


@dataclass(frozen=True)
class Place:
    """Where a camera's records count: its intersection (None when not configured), that
    intersection's free-flow speed, and every area code the record counts in."""

    intersection: str | None
    free_flow_kmh: float | None
    areas: tuple[str, ...]


@dataclass(frozen=True)
class Layout:
    """The province as the ceiling needs it: each configured camera's place, the province code (where
    an unconfigured camera counts) and the congestion bounds ((lowest ratio, level), best first)."""

    cameras: dict[str, Place]
    province: str
    bounds: tuple[tuple[float, int], ...]
    jammed: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Layout:
        cameras = {
            camera: Place(place["intersection"], place["free_flow_kmh"], tuple(place["areas"]))
            for camera, place in data["cameras"].items()
        }
        bounds = tuple((float(ratio), int(level)) for ratio, level in data["bounds"])
        return cls(cameras, data["province"], bounds, int(data["jammed"]))

    def place(self, camera_id: str) -> Place:
        return self.cameras.get(camera_id) or Place(None, None, (self.province,))

    def level(self, ratio: float | None) -> int | None:
        if ratio is None:
            return None
        return next((level for bound, level in self.bounds if ratio >= bound), self.jammed)


def event_ms(moment: Any) -> int:
    """Epoch milliseconds of a decoded `timestamp-millis` (fastavro gives an aware datetime)."""
    if isinstance(moment, datetime):
        return int(moment.timestamp() * 1000)
    return int(moment)


class ProvinceTotals:
    """Running sums of every traffic window the platform computes, for the rows changed since last time."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.minutes: dict[Window, Sums] = {}
        self.panes: dict[tuple[str, int], Sums] = {}  # (area code, five-minute pane start)
        self.seen: dict[tuple[str, int], set[str]] = {}  # (camera, minute start) -> counted event ids
        self.touched: set[Window] = set()
        self.touched_panes: set[tuple[str, int]] = set()
        self.newest_ms = 0
        self.duplicates = 0

    def add(self, records: Iterable[dict[str, Any]]) -> None:
        """Fold records in, each event_id once; remembers which windows changed."""
        minutes, panes, touched, touched_panes = self.minutes, self.panes, self.touched, self.touched_panes
        for record in records:
            at = event_ms(record["observed_at"])
            camera = record["camera_id"]
            start = at - at % WINDOW_MS
            ids = self.seen.setdefault((camera, start), set())
            if record["event_id"] in ids:
                self.duplicates += 1
                continue
            ids.add(record["event_id"])
            place = self.layout.place(camera)
            count = record["vehicle_count"]
            speed = record["average_speed_kmh"]
            if speed is not None and count > 0:
                weighted, with_speed = speed * count, count
            else:
                weighted, with_speed = 0.0, 0
            free_flow = place.free_flow_kmh * with_speed if place.free_flow_kmh is not None else 0.0
            keys = [(CAMERA, camera, start)]
            if place.intersection is not None:
                keys.append((INTERSECTION, place.intersection, start))
            keys += [(AREA_MINUTE, area, start) for area in place.areas]
            for key in keys:
                sums = minutes.get(key)
                if sums is None:
                    sums = minutes[key] = [0.0, 0.0, 0.0, 0.0]
                sums[0] += count
                sums[1] += weighted
                sums[2] += with_speed
                sums[3] += free_flow
                touched.add(key)
            pane_start = at - at % PANE_MS
            for area in place.areas:
                key = (area, pane_start)
                sums = panes.get(key)
                if sums is None:
                    sums = panes[key] = [0.0, 0.0, 0.0, 0.0]
                sums[0] += count
                sums[1] += weighted
                sums[2] += with_speed
                sums[3] += free_flow
                touched_panes.add(key)
            if at > self.newest_ms:
                self.newest_ms = at

    def drain_touched(self) -> list[Row]:
        """Rows of every window changed since last time; forgets windows too old to change."""
        rows = [self._row(window, self.minutes[window]) for window in self.touched]
        hours = {
            (area, first)
            for area, pane in self.touched_panes
            for first in range(pane - HOUR_MS + PANE_MS, pane + 1, PANE_MS)
        }
        for area, first in hours:
            sums = [0.0, 0.0, 0.0, 0.0]
            for pane in range(first, first + HOUR_MS, PANE_MS):
                for i, amount in enumerate(self.panes.get((area, pane), ())):
                    sums[i] += amount
            rows.append(self._row((AREA_HOUR, area, first), sums))
        self.touched, self.touched_panes = set(), set()
        self._forget(self.newest_ms - KEEP_MS)
        return rows

    def _row(self, window: Window, sums: Sums) -> Row:
        """A window's row; a camera's row is keyed by the camera id alone (the probes look for it),
        other entities by kind and id, and only they carry a ratio and level (as on the platform)."""
        kind, entity, start = window
        vehicles, speed_sum, speed_vehicles, free_flow_sum = sums
        speed = speed_sum / speed_vehicles if speed_vehicles else None
        if kind == CAMERA:
            return entity, start, vehicles, speed, None, None
        ratio = speed_sum / free_flow_sum if free_flow_sum else None
        return f"{kind}|{entity}", start, vehicles, speed, ratio, self.layout.level(ratio)

    def _forget(self, horizon: int) -> None:
        for window in [w for w in self.minutes if w[2] < horizon]:
            del self.minutes[window]
        for key in [k for k in self.seen if k[1] < horizon]:
            del self.seen[key]
        for key in [k for k in self.panes if k[1] < horizon - HOUR_MS]:
            del self.panes[key]
