"""Environment indicators per station: hourly and daily VN_AQI, rainfall over 1 h and 24 h, water
level with its trend and alarm level (the maths: streams/model/aqi.py and streams/model/water.py).

Every route is a gate of the station (a reading counts where its own station's clock says, on the
partition of its source); no total spans stations. Windows that look back are one shape each:

- hourly VN_AQI: 12 h hopping by 1 h, reporting the last hour (NowCast reads c1..c12);
- daily VN_AQI: the local day plus the 7 hours before it (31 h), one a day, reporting the day: each
  hour of the day has an O3 8-hour mean ending at it (§2.2.2 of Decision 1459/QĐ-TCMT);
- rainfall: 1 h tumbling, and 24 h hopping by 1 h that exists for each hour holding readings (the
  trailing 24 h ending with that hour, as before the engine moved);
- water level: the trend span (1 h) hopping by 5 min, reporting the last 5 min: the level is that
  slice's latest reading, the trend the slope of each slice's latest reading over the span.

Readings of air quality and rainfall are stamped with the END of their averaging interval, so they
count in the window they measured: one ending exactly on the hour is the previous hour's
(hour-ending labels, as §2.2.1 uses). Water levels are instants.

Accumulators are a pane's sums (an hour's per pollutant, an hour's millimetres, a 5-minute slice's
latest reading): small, because the engine rewrites a station's series at each commit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from ioc.province import Province
from streams.model import aqi, water
from streams.model.indicators import (
    ENVIRONMENT_AQI_DAILY,
    ENVIRONMENT_AQI_HOURLY,
    ENVIRONMENT_RAINFALL_1H,
    ENVIRONMENT_RAINFALL_24H,
    ENVIRONMENT_WATER_ALARM_LEVEL,
    ENVIRONMENT_WATER_LEVEL,
    ENVIRONMENT_WATER_LEVEL_TREND,
    INDICATORS,
)
from streams.model.routes import Acc, Place, Placement, Route, Value, WindowView
from streams.model.shapes import Sliding

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
FIVE_MIN_MS = 300_000
O3_LOOKBACK_HOURS = aqi.O3_8H_WINDOW - 1
# The local day starts at 00:00 Asia/Ho_Chi_Minh = 17:00 UTC: Vietnam has kept UTC+7, without daylight
# saving, since 1975 (streams/model/local_calendar.py's day_window agrees; a test checks it).
LOCAL_DAY_START_UTC_MS = 17 * HOUR_MS
_NOWCAST_SIZE = aqi.NOWCAST_HOURS * HOUR_MS
# A daily window starts 7 hours before the local day it reports: at 10:00 UTC, for 31 h.
_DAILY_SIZE = DAY_MS + O3_LOOKBACK_HOURS * HOUR_MS
_DAILY_OFFSET = LOCAL_DAY_START_UTC_MS - O3_LOOKBACK_HOURS * HOUR_MS

AQI_HOURLY = Route("aqi/station/1h", "station", Sliding(_NOWCAST_SIZE, HOUR_MS, report_ms=HOUR_MS))
AQI_DAILY = Route(
    "aqi/station/1d", "station", Sliding(_DAILY_SIZE, DAY_MS, offset_ms=_DAILY_OFFSET, report_ms=DAY_MS)
)
RAINFALL_1H = Route("rainfall/station/1h", "station", Sliding(HOUR_MS))
RAINFALL_24H = Route("rainfall/station/24h", "station", Sliding(DAY_MS, HOUR_MS, exist_ms=HOUR_MS))

POLLUTANT_FIELDS: dict[str, str] = {
    aqi.Pollutant.PM25.value: "pm25_ugm3",
    aqi.Pollutant.PM10.value: "pm10_ugm3",
    aqi.Pollutant.O3.value: "o3_ugm3",
    aqi.Pollutant.NO2.value: "no2_ugm3",
    aqi.Pollutant.SO2.value: "so2_ugm3",
    aqi.Pollutant.CO.value: "co_ugm3",
}


def station_of(record: dict[str, Any]) -> str:
    """The station a reading belongs to; a device outside any station stands for itself."""
    return record.get("station_id") or record.get("device_id") or ""


def _interval_end(record: dict[str, Any]) -> int:
    """A reading stamped with the end of its interval belongs to the window it measured."""
    return int(record["observed_at"]) - 1


def _instant(record: dict[str, Any]) -> int:
    return int(record["observed_at"])


def _non_negative(record: dict[str, Any], fields: Iterable[str]) -> tuple[str, str] | None:
    for name in fields:
        value = record.get(name)
        if value is not None and not (math.isfinite(value) and value >= 0):
            return name, "must be a finite number >= 0"
    return None


def _unit(code: str) -> str:
    return INDICATORS[code].unit


class _StationModel:
    """What every environment model shares: placement by station, cached per station."""

    routes: Sequence[Route] = ()

    def __init__(self, province: Province) -> None:
        self.province = province
        self._placements = cache(self._placement)

    def place(self, record: dict[str, Any]) -> Placement:
        return self._placements(station_of(record))

    def _placement(self, station: str) -> Placement:
        config = self.province.station(station)
        area = config.area if config is not None else ""
        first, *others = (Place(route, station, area) for route in self.routes)
        return Placement.of(station, first, also=others)


# --- air quality ---------------------------------------------------------------------------------


def _means(panes: dict[int, Acc], starts: Iterable[int]) -> dict[str, list[float | None]]:
    """Each pollutant's hourly mean over `starts` (None for an hour without it), for the pollutants
    present in at least one of those hours; a missing hour is never zero."""
    hours = list(starts)
    series: dict[str, list[float | None]] = {}
    for index, start in enumerate(hours):
        acc = panes.get(start)
        if acc is None:
            continue
        for pollutant, (total, count) in acc["sums"].items():
            if count:
                series.setdefault(pollutant, [None] * len(hours))[index] = total / count
    return series


class AirQualityModel(_StationModel):
    """Hourly VN_AQI (NowCast for PM2.5 and PM10) and daily VN_AQI over the local day, per station;
    `label` is the dominant pollutant."""

    routes = (AQI_HOURLY, AQI_DAILY)
    event_ms = staticmethod(_interval_end)

    def problem(self, record: dict[str, Any]) -> tuple[str, str] | None:
        """Every concentration given is a finite number >= 0 (a missing one is null, not zero)."""
        return _non_negative(record, POLLUTANT_FIELDS.values())

    def empty(self, route: Route) -> Acc:
        return {"n": 0, "sums": {}}

    def add(self, route: Route, acc: Acc, record: dict[str, Any]) -> None:
        acc["n"] += 1
        sums = acc["sums"]
        for pollutant, name in POLLUTANT_FIELDS.items():
            value = record.get(name)
            if value is not None:
                total = sums.get(pollutant)
                if total is None:
                    sums[pollutant] = [value, 1]
                else:
                    total[0] += value
                    total[1] += 1

    def merge(self, route: Route, acc: Acc, other: Acc) -> None:
        acc["n"] += other["n"]
        sums = acc["sums"]
        for pollutant, (total, count) in other["sums"].items():
            mine = sums.get(pollutant)
            if mine is None:
                sums[pollutant] = [total, count]
            else:
                mine[0] += total
                mine[1] += count

    def values(self, view: WindowView) -> list[Value]:
        panes = dict(view.panes)
        start, end = view.start_ms, view.end_ms
        if view.route == AQI_DAILY:
            day = range(start, end, HOUR_MS)
            with_lookback = range(start - O3_LOOKBACK_HOURS * HOUR_MS, end, HOUR_MS)
            o3_back = _means(panes, with_lookback).get(aqi.Pollutant.O3.value)
            result = aqi.daily_aqi(_means(panes, day), aqi.eight_hour_means(o3_back) if o3_back else ())
            code, samples = ENVIRONMENT_AQI_DAILY, sum(panes[t]["n"] for t in day if t in panes)
        else:
            # newest first: c1 is the reported hour, c12 eleven hours before it
            last_12 = range(start, start - aqi.NOWCAST_HOURS * HOUR_MS, -HOUR_MS)
            result = aqi.hourly_aqi(_means(panes, last_12))
            code, samples = ENVIRONMENT_AQI_HOURLY, panes[start]["n"] if start in panes else 0
        value, label = (float(result.aqi), result.dominant) if result else (None, "")
        return [(code, value, _unit(code), samples, label)]


# --- rainfall ------------------------------------------------------------------------------------


class RainfallModel(_StationModel):
    """Rainfall in the hour, and in the 24 hours ending with each hour that has readings."""

    routes = (RAINFALL_1H, RAINFALL_24H)
    event_ms = staticmethod(_interval_end)

    def problem(self, record: dict[str, Any]) -> tuple[str, str] | None:
        """A positive interval, and a finite rainfall >= 0 (per interval, not cumulative)."""
        if record["interval_seconds"] <= 0:
            return "interval_seconds", "must be > 0"
        return _non_negative(record, ("rainfall_mm",))

    def empty(self, route: Route) -> Acc:
        return {"n": 0, "mm": 0.0}

    def add(self, route: Route, acc: Acc, record: dict[str, Any]) -> None:
        acc["n"] += 1
        acc["mm"] += record["rainfall_mm"]

    def merge(self, route: Route, acc: Acc, other: Acc) -> None:
        acc["n"] += other["n"]
        acc["mm"] += other["mm"]

    def values(self, view: WindowView) -> list[Value]:
        code = ENVIRONMENT_RAINFALL_24H if view.route == RAINFALL_24H else ENVIRONMENT_RAINFALL_1H
        total = sum(acc["mm"] for _, acc in view.panes)
        return [(code, total, _unit(code), sum(acc["n"] for _, acc in view.panes), "")]


# --- water level ---------------------------------------------------------------------------------


def water_route(trend_span_ms: int) -> Route:
    """The water level's windows: the trend span (whole 5-minute slices of it, at least one) hopping by
    5 min, reporting the last 5 min."""
    size = max(FIVE_MIN_MS, trend_span_ms - trend_span_ms % FIVE_MIN_MS)
    return Route("water/station/5m", "station", Sliding(size, FIVE_MIN_MS, report_ms=FIVE_MIN_MS))


class WaterLevelModel(_StationModel):
    """The level of each 5 minutes (its latest reading), its trend over the trailing span in cm/h, and
    the alarm level I/II/III reached against the station's configured `alarm_levels`."""

    event_ms = staticmethod(_instant)

    def __init__(self, province: Province, trend_span_ms: int) -> None:
        self.route = water_route(trend_span_ms)
        self.routes = (self.route,)
        super().__init__(province)

    def problem(self, record: dict[str, Any]) -> tuple[str, str] | None:
        if not math.isfinite(record["water_level_cm"]):
            return "water_level_cm", "must be a finite number"
        return None

    def empty(self, route: Route) -> Acc:
        return {"n": 0, "latest": None}

    def add(self, route: Route, acc: Acc, record: dict[str, Any]) -> None:
        """Keeps the slice's latest reading; ties by event_id, so arrival order never matters."""
        acc["n"] += 1
        candidate = [int(record["observed_at"]), str(record["event_id"]), record["water_level_cm"]]
        if acc["latest"] is None or candidate[:2] > acc["latest"][:2]:
            acc["latest"] = candidate

    def merge(self, route: Route, acc: Acc, other: Acc) -> None:
        acc["n"] += other["n"]
        theirs = other["latest"]
        if theirs is not None and (acc["latest"] is None or theirs[:2] > acc["latest"][:2]):
            acc["latest"] = list(theirs)

    def values(self, view: WindowView) -> list[Value]:
        panes = [acc for _, acc in view.panes if acc["latest"] is not None]
        own = view.panes[-1][1] if view.panes and view.panes[-1][0] == view.start_ms else None
        level = own["latest"][2] if own is not None and own["latest"] is not None else None
        samples = own["n"] if own is not None else 0
        station = self.province.station(view.entity_id)
        levels = station.alarm_levels if station is not None else None
        alarm = float(water.alarm_level(level, levels)) if levels is not None and level is not None else None
        trend = water.trend_cm_per_hour([(acc["latest"][0], acc["latest"][2]) for acc in panes])
        return [
            (ENVIRONMENT_WATER_LEVEL, level, _unit(ENVIRONMENT_WATER_LEVEL), samples, ""),
            (
                ENVIRONMENT_WATER_LEVEL_TREND,
                trend,
                _unit(ENVIRONMENT_WATER_LEVEL_TREND),
                sum(acc["n"] for _, acc in view.panes),
                "",
            ),
            (ENVIRONMENT_WATER_ALARM_LEVEL, alarm, _unit(ENVIRONMENT_WATER_ALARM_LEVEL), samples, ""),
        ]
