"""VN_AQI, the Vietnamese air quality index, per Decision 1459/QĐ-TCMT of 12 November 2019.

Decision 1459/QĐ-TCMT of the Vietnam Environment Administration replaces 878/QĐ-TCMT (2011); the older scale
must not be used. Section and table numbers in the docstrings are the decision's. Where its text is ambiguous
the choice made here is marked "our reading" (see /work/shared/VN_AQI.md, which the analyst docs follow).

All concentrations are in µg/m³, CO included (Bảng 2 gives CO in µg/m³, not mg/m³). A missing hour is ``None``
and is never treated as zero. The module is pure: no I/O, no clock, no third-party dependency.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence, Sized
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from statistics import fmean
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
HOURS_PER_DAY = 24
NOWCAST_HOURS = 12
NOWCAST_MIN_RECENT = 2
"""§2.2.1.a: the NowCast needs at least 2 of c1, c2, c3."""
NOWCAST_MIN_WEIGHT = 0.5
O3_8H_WINDOW = 8
MIN_HOURS_FOR_8H_MEAN = 6
"""Our reading: the decision sets no completeness rule for the 8-hour O3 mean; we require 6 of the 8 hours
(75 %, the usual rule elsewhere) and average the hours present."""
ROUNDING_TOLERANCE = 1e-9
"""Our reading: the decision rounds the exact value, but a decimal concentration such as 50.3 is not exact in
binary floating point, so its sub-index 100.5 comes out as 100.4999999…; values this close to a half count as it."""


class Pollutant(StrEnum):
    """The six parameters of Bảng 2. Declaration order breaks exact ties for the dominant pollutant."""

    PM25 = "pm25"
    PM10 = "pm10"
    O3 = "o3"
    NO2 = "no2"
    SO2 = "so2"
    CO = "co"


_PM = frozenset({Pollutant.PM25, Pollutant.PM10})
_INDEX_BREAKPOINTS: tuple[int, ...] = (0, 50, 100, 150, 200, 300, 400, 500)
# Bảng 2, one row per pollutant (O3 on the 1-hour row). The bands are continuous: each band's top is the next
# band's bottom, unlike the split bands of the US EPA table.
_CONCENTRATION_BREAKPOINTS: dict[Pollutant, tuple[float, ...]] = {
    Pollutant.O3: (0, 160, 200, 300, 400, 800, 1000, 1200),
    Pollutant.CO: (0, 10000, 30000, 45000, 60000, 90000, 120000, 150000),
    Pollutant.SO2: (0, 125, 350, 550, 800, 1600, 2100, 2630),
    Pollutant.NO2: (0, 100, 200, 700, 1200, 2350, 3100, 3850),
    Pollutant.PM10: (0, 50, 150, 250, 350, 420, 500, 600),
    Pollutant.PM25: (0, 25, 50, 80, 150, 250, 350, 500),
}
# Bảng 2, O3 8-hour row: it stops at 400 µg/m³ (index 300); above that the 8-hour index is not computed.
_O3_8H_BREAKPOINTS: tuple[float, ...] = (0, 100, 120, 170, 210, 400)


@dataclass(frozen=True)
class AqiLevel:
    """One row of Bảng 1: the band of rounded AQI values [low, high], its name and its colour."""

    name_vi: str
    colour_vi: str
    rgb: tuple[int, int, int]
    low: int
    high: int

    @property
    def hex(self) -> str:
        """The colour as ``#RRGGBB``, derived from ``rgb`` so the two cannot disagree."""
        red, green, blue = self.rgb
        return f"#{red:02X}{green:02X}{blue:02X}"


LEVELS: tuple[AqiLevel, ...] = (
    AqiLevel("Tốt", "xanh lá", (0, 228, 0), 0, 50),
    AqiLevel("Trung bình", "vàng", (255, 255, 0), 51, 100),
    AqiLevel("Kém", "da cam", (255, 126, 0), 101, 150),
    AqiLevel("Xấu", "đỏ", (255, 0, 0), 151, 200),
    AqiLevel("Rất xấu", "tím", (143, 63, 151), 201, 300),
    AqiLevel("Nguy hại", "nâu", (126, 0, 35), 301, 500),
)


@dataclass(frozen=True)
class AqiResult:
    """An hourly or daily VN_AQI: the largest sub-index, the pollutant giving it, every rounded sub-index."""

    aqi: int
    dominant: str
    sub_indices: dict[str, int]
    level: AqiLevel


def _checked(concentration: float) -> float:
    """Rejects a negative or non-finite concentration rather than index it."""
    if not math.isfinite(concentration) or concentration < 0:
        raise ValueError(f"concentration must be a finite value >= 0 µg/m³, got {concentration!r}")
    return concentration


def _present(values: Iterable[float | None]) -> list[float]:
    """The checked values that are not missing (a missing hour is skipped, never read as zero)."""
    return [_checked(value) for value in values if value is not None]


def _check_day_length(name: str, values: Sized) -> None:
    if len(values) > HOURS_PER_DAY:
        raise ValueError(f"{name}: at most {HOURS_PER_DAY} hourly values in a day, got {len(values)}")


def _max_present(values: Iterable[float | None]) -> float | None:
    return max(_present(values), default=None)


def sub_index(pollutant: str, concentration_ugm3: float, *, o3_8h: bool = False) -> float | None:
    """The unrounded sub-index of one pollutant, by linear interpolation inside its band of Bảng 2.

    ``AQIx = (I[i+1] - I[i]) / (BP[i+1] - BP[i]) * (C - BP[i]) + I[i]``; at or above the top breakpoint the
    sub-index is 500. ``o3_8h`` selects the O3 8-hour row, which returns ``None`` above 400 µg/m³ because the
    decision does not compute the 8-hour index there (§2.2.2).
    """
    kind = Pollutant(pollutant)
    concentration = _checked(concentration_ugm3)
    if o3_8h and kind is not Pollutant.O3:
        raise ValueError(f"only O3 has an 8-hour row, not {kind.value}")
    breakpoints = _O3_8H_BREAKPOINTS if o3_8h else _CONCENTRATION_BREAKPOINTS[kind]
    for upper in range(1, len(breakpoints)):
        if concentration <= breakpoints[upper]:
            return _interpolate(concentration, breakpoints[upper - 1], breakpoints[upper], upper)
    return None if o3_8h else float(_INDEX_BREAKPOINTS[-1])


def _interpolate(concentration: float, bp_low: float, bp_high: float, upper: int) -> float:
    i_low, i_high = _INDEX_BREAKPOINTS[upper - 1], _INDEX_BREAKPOINTS[upper]
    return (i_high - i_low) / (bp_high - bp_low) * (concentration - bp_low) + i_low


def nowcast(hourly: Sequence[float | None]) -> float | None:
    """The NowCast of PM2.5 or PM10 (§1.3.5, §2.2.1.a); ``hourly[0]`` is c1, the current hour, up to c12.

    ``w* = Cmin / Cmax`` over the hours present, ``w = w*`` if ``w* > 1/2`` else ``1/2``, and
    ``NowCast = Σ w^(i-1)·ci / Σ w^(i-1)`` over the hours present, so a missing hour has weight 0. Our reading:
    the decision prints the w = 1/2 case without the denominator; both cases are normalised here, which is what
    the missing-hour rule needs. Values past c12 are ignored. ``None`` when fewer than 2 of c1..c3 are present.
    """
    window = hourly[:NOWCAST_HOURS]
    present = _present(window)
    if sum(value is not None for value in window[:3]) < NOWCAST_MIN_RECENT:
        return None
    c_max = max(present)
    if c_max == 0:
        return 0.0
    w_star = min(present) / c_max
    w = w_star if w_star > NOWCAST_MIN_WEIGHT else NOWCAST_MIN_WEIGHT
    weighted = [(w**age, value) for age, value in enumerate(window) if value is not None]
    return sum(weight * value for weight, value in weighted) / sum(weight for weight, _ in weighted)


def round_aqi(value: float) -> int:
    """AQI values are rounded to integers; our reading: half up (50.5 -> 51), not Python's banker's ``round``."""
    return math.floor(value + 0.5 + ROUNDING_TOLERANCE)


def level(aqi: int) -> AqiLevel:
    """The Bảng 1 level of a rounded AQI; the level is read from the rounded value, never the unrounded one."""
    for candidate in LEVELS:
        if candidate.low <= aqi <= candidate.high:
            return candidate
    raise ValueError(f"AQI must be an integer in 0..500, got {aqi!r}")


def _by_pollutant(series: Mapping[str, Sequence[float | None]]) -> dict[Pollutant, Sequence[float | None]]:
    """Keys parsed as pollutants: an unknown key is an error, not silently dropped."""
    return {Pollutant(key): values for key, values in series.items()}


def _combine(subs: Mapping[Pollutant, float | None]) -> AqiResult | None:
    """The overall index is the largest sub-index (§2.2.1, §2.2.2), and there is no VN_AQI without PM.

    Our reading: the dominant pollutant is the one with the largest unrounded sub-index; an exact tie goes to
    the first in ``Pollutant`` order (PM2.5 first).
    """
    ranked: dict[Pollutant, float] = {}
    for kind in Pollutant:
        value = subs.get(kind)
        if value is not None:
            ranked[kind] = value
    if not _PM & ranked.keys():
        return None
    dominant = max(ranked, key=lambda kind: ranked[kind])
    aqi = round_aqi(ranked[dominant])
    rounded = {kind.value: round_aqi(value) for kind, value in ranked.items()}
    return AqiResult(aqi=aqi, dominant=dominant.value, sub_indices=rounded, level=level(aqi))


def hourly_aqi(history: Mapping[str, Sequence[float | None]]) -> AqiResult | None:
    """The hourly VN_AQI (§2.2.1); each series is newest first, index 0 being the hour indexed.

    PM2.5 and PM10 use the NowCast of their last 12 hours; O3 uses the hour's value on the 1-hour row (never the
    8-hour row); SO2, NO2 and CO use the hour's value. A pollutant whose hour is missing has no sub-index.
    """
    subs: dict[Pollutant, float | None] = {}
    for kind, values in _by_pollutant(history).items():
        concentration = nowcast(values) if kind in _PM else (values[0] if values else None)
        if concentration is not None:
            subs[kind] = sub_index(kind, concentration)
    return _combine(subs)


def daily_aqi(
    hours: Mapping[str, Sequence[float | None]], o3_8h_means: Sequence[float | None] = ()
) -> AqiResult | None:
    """The daily VN_AQI (§2.2.2) from the day's 24 hourly values per pollutant, in any order.

    PM2.5 and PM10 use the mean of the day's hours (our reading: of the hours present); SO2, NO2 and CO the day's
    maximum hourly value, not the mean; O3 the larger of the maximum hourly value on the 1-hour row and the
    maximum 8-hour mean (``o3_8h_means``, see :func:`eight_hour_means`) on the 8-hour row.
    """
    _check_day_length("o3_8h_means", o3_8h_means)
    subs: dict[Pollutant, float | None] = {}
    for kind, values in _by_pollutant(hours).items():
        _check_day_length(kind.value, values)
        present = _present(values)
        if present:
            subs[kind] = sub_index(kind, fmean(present) if kind in _PM else max(present))
    max_8h_mean = _max_present(o3_8h_means)
    if max_8h_mean is not None:
        eight_hour = sub_index(Pollutant.O3, max_8h_mean, o3_8h=True)
        subs[Pollutant.O3] = _max_present([subs.get(Pollutant.O3), eight_hour])
    return _combine(subs)


def eight_hour_means(hourly_o3: Sequence[float | None]) -> list[float | None]:
    """Rolling 8-hour O3 means of a chronological (oldest first) hourly series, one per hour from the 8th on.

    Element j is the mean of ``hourly_o3[j:j+8]``, i.e. the mean ending at hour ``j+7``. §2.2.2 gives every hour
    of the day an 8-hour mean ending at it, so the windows are not kept inside the day: pass the 7 hours before
    the day too (hour-ending 18:00..00:00 of the previous day) to get the day's 24 means. A window with fewer
    than ``MIN_HOURS_FOR_8H_MEAN`` hours present has no mean (our reading).
    """
    return [
        _window_mean(hourly_o3[start : start + O3_8H_WINDOW])
        for start in range(len(hourly_o3) - O3_8H_WINDOW + 1)
    ]


def _window_mean(window: Sequence[float | None]) -> float | None:
    present = _present(window)
    return fmean(present) if len(present) >= MIN_HOURS_FOR_8H_MEAN else None


def day_of(hour_end_utc: datetime) -> date:
    """The VN_AQI day of the hour ending at ``hour_end_utc`` (any aware datetime; naive is rejected).

    §2.2.2: the day runs from 01:00 to 00:00 of the next day, local time (UTC+7), with hour-ending labels; so
    the hour ending 00:00 local belongs to the previous day. That is the local date on which the hour starts.
    """
    if hour_end_utc.utcoffset() is None:
        raise ValueError("hour_end_utc must be timezone-aware")
    hour_start = hour_end_utc.astimezone(UTC) - timedelta(hours=1)
    return hour_start.astimezone(VN_TZ).date()
