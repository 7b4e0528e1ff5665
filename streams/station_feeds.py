"""What each sensor feed of the environment agent computes per station window (pure, no Kafka).

A feed folds readings into a *primary* window (1 h for air quality and rainfall, 5 min for water
level) and, once the window closes, keeps a small summary of it so later windows can look back
(NowCast needs 12 hours, the daily VN_AQI its day plus the 7 hours before, rainfall 24 h, the water
trend one hour). *Derived* windows have no readings of their own: their value comes from the
summaries of the primary windows they cover (the local day of the daily VN_AQI, the 24 h rainfall
window ending with each hour). Accumulators and summaries are JSON-friendly dicts (string keys)
because they live in a Faust table whose changelog is JSON.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ioc.province import Station
from streams.model import aqi, water
from streams.model.indicator_record import WindowStamp
from streams.model.local_calendar import day_window

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
Record = dict[str, Any]
Summaries = Mapping[int, Record]

POLLUTANT_FIELDS: dict[str, str] = {
    aqi.Pollutant.PM25: "pm25_ugm3",
    aqi.Pollutant.PM10: "pm10_ugm3",
    aqi.Pollutant.O3: "o3_ugm3",
    aqi.Pollutant.NO2: "no2_ugm3",
    aqi.Pollutant.SO2: "so2_ugm3",
    aqi.Pollutant.CO: "co_ugm3",
}


@dataclass(frozen=True)
class WindowView:
    """One window being emitted, with everything its indicators may need."""

    kind: str  # "" for the primary window, else the derived kind
    start_ms: int
    size_ms: int
    summaries: Summaries  # primary window start -> summary, closed and open windows alike
    station: Station | None
    stamp: WindowStamp

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.size_ms

    def covered(self, step_ms: int) -> list[Record]:
        """The summaries of the primary windows (of `step_ms`) inside this window, oldest first."""
        return [s for t in range(self.start_ms, self.end_ms, step_ms) if (s := self.summaries.get(t))]


@dataclass(frozen=True)
class FeedSpec:
    """One sensor feed: how its readings are placed, checked, folded, summarised and turned into indicators."""

    name: str
    window_ms: int
    history_ms: int  # how far back summaries are kept, behind the station's watermark
    event_ms: Callable[[Record, int], int]  # (record, observed_at ms) -> the instant that places it
    check: Callable[[Record], tuple[str, str] | None]  # (field, rule) a record breaks, or None
    fold: Callable[[Record, Record], None]  # (accumulator, record)
    summary: Callable[[Record], Record]
    derived: Callable[[int], list[tuple[str, int, int]]]  # primary start -> [(kind, start, size)]
    indicators: Callable[[WindowView], list[Record]]


def station_of(record: Record) -> str:
    """The station a reading belongs to; a device outside any station stands for itself."""
    return record.get("station_id") or record.get("device_id") or ""


def _interval_end(_: Record, observed_ms: int) -> int:
    """Readings stamped with the END of their interval belong to the window they measured: one ending
    exactly on the hour is the previous hour's (hour-ending labels, as §2.2.1 of 1459/QĐ-TCMT uses)."""
    return observed_ms - 1


def _instant(_: Record, observed_ms: int) -> int:
    return observed_ms


def _non_negative(record: Record, fields: list[str]) -> tuple[str, str] | None:
    for name in fields:
        value = record.get(name)
        if value is not None and not (math.isfinite(value) and value >= 0):
            return name, "must be a finite number >= 0"
    return None


# --- air quality: hourly means -> hourly VN_AQI (NowCast) and daily VN_AQI (local day) ----------------


def _aq_check(record: Record) -> tuple[str, str] | None:
    return _non_negative(record, list(POLLUTANT_FIELDS.values()))


def _aq_fold(acc: Record, record: Record) -> None:
    sums = acc.setdefault("sums", {})
    for pollutant, name in POLLUTANT_FIELDS.items():
        if (value := record.get(name)) is not None:
            total = sums.setdefault(pollutant, [0.0, 0])
            total[0] += value
            total[1] += 1


def _aq_summary(acc: Record) -> Record:
    """The hour's mean concentration per pollutant (of the readings present; none is never zero)."""
    means = {p: total / count for p, (total, count) in acc.get("sums", {}).items() if count}
    return {"n": acc["n"], "means": means}


def _aq_derived(start_ms: int) -> list[tuple[str, int, int]]:
    """The hour's VN_AQI day: the local date on which the hour starts (§2.2.2, hours 01:00..00:00)."""
    day_start, day_end = day_window(start_ms)
    return [("daily", day_start, day_end - day_start)]


def _means(summaries: Summaries, starts: range) -> dict[str, list[float | None]]:
    series: dict[str, list[float | None]] = {}
    for index, start in enumerate(starts):
        for pollutant, mean in (summaries.get(start) or {"means": {}})["means"].items():
            series.setdefault(pollutant, [None] * len(starts))[index] = mean
    return series


def _aq_indicators(view: WindowView) -> list[Record]:
    if view.kind == "daily":
        hours = range(view.start_ms, view.end_ms, HOUR_MS)
        day = _means(view.summaries, hours)
        o3_back = _means(view.summaries, range(view.start_ms - 7 * HOUR_MS, view.end_ms, HOUR_MS)).get("o3")
        result = aqi.daily_aqi(day, aqi.eight_hour_means(o3_back) if o3_back else ())
        code, covered = "environment.aqi_daily", view.covered(HOUR_MS)
    else:
        # newest first: c1 is this hour, c12 eleven hours before
        last_12 = range(view.start_ms, view.start_ms - aqi.NOWCAST_HOURS * HOUR_MS, -HOUR_MS)
        result = aqi.hourly_aqi(_means(view.summaries, last_12))
        code, covered = "environment.aqi_hourly", view.covered(HOUR_MS)
    value, label = (float(result.aqi), result.dominant) if result else (None, "")
    return [view.stamp.indicator(code, value, "VN_AQI", sum(s["n"] for s in covered), label)]


AIR_QUALITY = FeedSpec(
    name="air_quality",
    window_ms=HOUR_MS,
    history_ms=50 * HOUR_MS,
    event_ms=_interval_end,
    check=_aq_check,
    fold=_aq_fold,
    summary=_aq_summary,
    derived=_aq_derived,
    indicators=_aq_indicators,
)


# --- rainfall: 1 h tumbling and 24 h hopping by 1 h ----------------------------------------------------


def _rain_check(record: Record) -> tuple[str, str] | None:
    if record["interval_seconds"] <= 0:
        return "interval_seconds", "must be > 0"
    return _non_negative(record, ["rainfall_mm"])


def _rain_fold(acc: Record, record: Record) -> None:
    acc["mm"] = acc.get("mm", 0.0) + record["rainfall_mm"]


def _rain_summary(acc: Record) -> Record:
    return {"n": acc["n"], "mm": acc.get("mm", 0.0)}


def _rain_derived(start_ms: int) -> list[tuple[str, int, int]]:
    """The 24 h window ending with this hour (windows hop by one hour)."""
    return [("24h", start_ms + HOUR_MS - DAY_MS, DAY_MS)]


def _rain_indicators(view: WindowView) -> list[Record]:
    covered = view.covered(HOUR_MS)
    code = "environment.rainfall_24h" if view.kind == "24h" else "environment.rainfall_1h"
    total = sum(s["mm"] for s in covered)
    return [view.stamp.indicator(code, total, "mm", sum(s["n"] for s in covered))]


RAINFALL = FeedSpec(
    name="rainfall",
    window_ms=HOUR_MS,
    history_ms=25 * HOUR_MS,
    event_ms=_interval_end,
    check=_rain_check,
    fold=_rain_fold,
    summary=_rain_summary,
    derived=_rain_derived,
    indicators=_rain_indicators,
)


# --- water level: 5 min latest reading, trend over the trailing span, alarm level ---------------------

WATER_WINDOW_MS = 5 * 60_000


def _water_check(record: Record) -> tuple[str, str] | None:
    if not math.isfinite(record["water_level_cm"]):
        return "water_level_cm", "must be a finite number"
    return None


def _water_fold(acc: Record, record: Record) -> None:
    """Keeps the window's latest reading (ties by event_id, so arrival order never matters)."""
    candidate = [record["_ms"], record["event_id"], record["water_level_cm"]]
    if acc.get("latest") is None or candidate[:2] > acc["latest"][:2]:
        acc["latest"] = candidate


def _water_summary(acc: Record) -> Record:
    ms, _, level = acc["latest"]
    return {"n": acc["n"], "ms": ms, "cm": level}


def water_indicators(view: WindowView, trend_span_ms: int) -> list[Record]:
    """The window's level (its latest reading), the trend over the span ending with it, the alarm level."""
    own = view.summaries[view.start_ms]
    span = [s for t, s in view.summaries.items() if view.end_ms - trend_span_ms <= t < view.end_ms]
    levels = view.station.alarm_levels if view.station else None
    alarm = float(water.alarm_level(own["cm"], levels)) if levels else None
    n = own["n"]
    trend = water.trend_cm_per_hour([(s["ms"], s["cm"]) for s in span])
    return [
        view.stamp.indicator("environment.water_level", own["cm"], "cm", n),
        view.stamp.indicator("environment.water_level_trend", trend, "cm/h", sum(s["n"] for s in span)),
        view.stamp.indicator("environment.water_alarm_level", alarm, "level", n),
    ]


def water_feed(trend_span_ms: int) -> FeedSpec:
    """The water level feed; its summaries are kept as long as the trend looks back."""
    return FeedSpec(
        name="water_level",
        window_ms=WATER_WINDOW_MS,
        history_ms=trend_span_ms + WATER_WINDOW_MS,
        event_ms=_instant,
        check=_water_check,
        fold=_water_fold,
        summary=_water_summary,
        derived=lambda _: [],
        indicators=lambda view: water_indicators(view, trend_span_ms),
    )
