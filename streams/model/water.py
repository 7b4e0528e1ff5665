"""Water level against a station's flood alarm levels I/II/III, and its trend in cm per hour.

Pure functions. The trend is the least-squares slope of the readings over a trailing span, not the
difference of two readings, so one spiking reading moves it little.
"""

from __future__ import annotations

from collections.abc import Sequence

from ioc.province import AlarmLevels

HOUR_MS = 3_600_000


def alarm_level(level_cm: float, levels: AlarmLevels) -> int:
    """0 below alarm level I, else the highest level (1, 2 or 3) the water has reached (>=)."""
    thresholds = (levels.level_1_cm, levels.level_2_cm, levels.level_3_cm)
    return sum(level_cm >= threshold for threshold in thresholds)


def trend_cm_per_hour(points: Sequence[tuple[int, float]]) -> float | None:
    """Least-squares slope of (epoch ms, cm) points in cm/h; None with fewer than two distinct times."""
    if len({ms for ms, _ in points}) < 2:
        return None
    n = len(points)
    mean_t = sum(ms for ms, _ in points) / n
    mean_level = sum(cm for _, cm in points) / n
    covariance = sum((ms - mean_t) * (cm - mean_level) for ms, cm in points)
    variance = sum((ms - mean_t) ** 2 for ms, _ in points)
    return covariance / variance * HOUR_MS
