"""Input health: is every camera and sensor still talking (pure).

- Camera online ratio, per area and its parents up to the province, per minute (event time): of the
  cameras configured in the area plus those heard there, the percent whose status at the window's
  end is `online`: their latest heartbeat in the minute, or else their latest one if it is at most the
  heartbeat timeout old at the minute's end. A camera's own minute is its gate (each heartbeat judged
  and deduplicated once); areas are totals over cameras of several sources. An area's window looks
  back over the timeout (`Sliding(timeout + 1 min, 1 min, report 1 min)`), and each 1-minute pane
  keeps every camera's latest heartbeat, so a silent camera's last word counts for as long as it is
  fresh. An unconfigured camera counts (as not online) while its last heartbeat lies in that lookback.
- Sensor staleness per station (the wall clock, because silence is what it measures): at every
  minute boundary, the seconds since the station's newest reading over the air-quality, rainfall
  and water-level feeds (None when never heard). See streams/engine/health_tasks.py for how each
  station gets one owner.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import Any

from ioc.province import Province
from streams.model.indicator_record import WindowStamp
from streams.model.indicators import INPUT_HEALTH_CAMERA_ONLINE_RATIO, INPUT_HEALTH_SENSOR_STALENESS
from streams.model.routes import Acc, Place, Placement, Route, Value, WindowView
from streams.model.shapes import Sliding

MINUTE_MS = 60_000
CAMERA_MINUTE = Route("camera_online/camera/1m", "camera", Sliding(MINUTE_MS), emit=False)
AT, EVENT_ID, ONLINE = range(3)  # a heartbeat in a pane: [observed ms, event id, online]


class CameraOnlineModel:
    """Camera heartbeats into the online ratio of every area and of the province, per minute."""

    def __init__(self, province: Province, timeout_ms: int) -> None:
        self.province = province
        self.timeout_ms = timeout_ms
        lookback = Sliding(timeout_ms + MINUTE_MS, MINUTE_MS, report_ms=MINUTE_MS)
        self.area_route = Route("camera_online/area/1m", "area", lookback)
        self.province_route = Route("camera_online/province/1m", "province", lookback)
        self.routes = (CAMERA_MINUTE, self.area_route, self.province_route)
        configured: dict[str, set[str]] = defaultdict(set)
        for camera in province.cameras:
            for area in self.areas_of(camera.id):
                configured[area].add(camera.id)
        self.configured = {area: frozenset(cameras) for area, cameras in configured.items()}
        self._placements = cache(self._placement)

    def areas_of(self, camera_id: str) -> tuple[str, ...]:
        """The camera's intersection's area and every area above it; the province alone for a
        camera the province file does not know."""
        intersection = self.province.intersection_of(camera_id)
        return self.province.area_lineage(intersection.area if intersection else self.province.code)

    def problem(self, record: dict[str, Any]) -> tuple[str, str] | None:
        """The contract's enum already restricts the status; any heartbeat can be counted."""
        return None

    def event_ms(self, record: dict[str, Any]) -> int:
        return record["observed_at"]

    def place(self, record: dict[str, Any]) -> Placement:
        return self._placements(record["camera_id"])

    def _placement(self, camera_id: str) -> Placement:
        intersection = self.province.intersection_of(camera_id)
        gate = Place(CAMERA_MINUTE, camera_id, intersection.area if intersection else "")
        totals = [
            Place(self.province_route if code == self.province.code else self.area_route, code, code)
            for code in self.areas_of(camera_id)
        ]
        return Placement.of(camera_id, gate, totals)

    def empty(self, route: Route) -> Acc:
        return {}

    def add(self, route: Route, acc: Acc, record: dict[str, Any]) -> None:
        """Keep the camera's latest heartbeat of the pane (by time, then event id: any order gives
        the same); the camera's own minute keeps nothing but the event ids the engine dedups with."""
        if route.entity_type == "camera":
            return
        beat = [record["observed_at"], record["event_id"], record["status"] == "online"]
        _keep_latest(acc, record["camera_id"], beat)

    def merge(self, route: Route, acc: Acc, other: Acc) -> None:
        for camera, beat in other.items():
            _keep_latest(acc, camera, beat)

    def values(self, view: WindowView) -> list[Value]:
        end = view.end_ms
        in_minute: Acc = {}
        before: Acc = {}
        for pane, acc in view.panes:
            latest = in_minute if pane >= view.start_ms else before
            for camera, beat in acc.items():
                _keep_latest(latest, camera, beat)
        cameras = self.configured.get(view.entity_id, frozenset()) | in_minute.keys() | before.keys()
        online = 0
        for camera in cameras:
            beat = in_minute.get(camera)
            if beat is None:
                beat = before.get(camera)
                if beat is None or end - beat[AT] > self.timeout_ms:
                    continue
            online += bool(beat[ONLINE])
        ratio = 100.0 * online / len(cameras) if cameras else None
        return [(INPUT_HEALTH_CAMERA_ONLINE_RATIO, ratio, "%", len(in_minute), "")]


def _keep_latest(acc: Acc, camera: str, beat: list[Any]) -> None:
    known = acc.get(camera)
    if known is None or beat[:2] > known[:2]:
        acc[camera] = beat


# --- sensor staleness --------------------------------------------------------------------------

STATION_NEWEST = "input_health/station/newest"  # the route name its partials carry to the owners


def station_of(record: dict[str, Any]) -> str:
    """The station a reading belongs to; a device outside any station stands for itself."""
    return record.get("station_id") or record.get("device_id") or ""


def staleness(province: Province, station: str, newest_ms: int | None, minute_ms: int) -> dict[str, Any]:
    """The staleness record of one station at the minute boundary `minute_ms` (the window is the
    minute before it): seconds since its newest reading, None when it has never been heard."""
    config = province.station(station)
    value = max(0, minute_ms - newest_ms) / 1000 if newest_ms is not None else None
    area = config.area if config else ""
    stamp = WindowStamp("station", station, area, minute_ms - MINUTE_MS, minute_ms, 1, True, 0)
    return stamp.indicator(INPUT_HEALTH_SENSOR_STALENESS, value, "s", int(newest_ms is not None))
