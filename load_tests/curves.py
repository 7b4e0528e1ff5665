"""Daily and weekly curves: how busy the province is at a moment, in local time (Asia/Ho_Chi_Minh).

Every generator scales its rate by one of these, so a simulated Monday 07:30 looks like a rush hour
and a Sunday 03:00 like a quiet night; alerts on "deviation from the usual for the hour of the
week" need exactly that shape to have something to learn.
"""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# Weekend traffic in Vietnamese cities is lighter in the morning rush, not much lighter overall.
WEEKDAY_TRAFFIC = (1.0, 1.0, 1.0, 1.0, 1.05, 0.85, 0.75)


def _local_hour(moment: datetime) -> tuple[float, int]:
    local = moment.astimezone(LOCAL_TZ)
    return local.hour + local.minute / 60 + local.second / 3600, local.weekday()


def rush_factor(moment: datetime) -> float:
    """Relative road traffic: low at night, peaks near 07:30 and 17:30, lighter on weekends."""
    hour, weekday = _local_hour(moment)
    peaks = math.exp(-((hour - 7.5) ** 2) / 2) + math.exp(-((hour - 17.5) ** 2) / 2)
    return (0.15 + 0.35 * (6 <= hour <= 22) + peaks) * WEEKDAY_TRAFFIC[weekday]


def crowd_factor(moment: datetime) -> float:
    """Relative crowding of squares and markets: morning markets, evening squares, more at weekends."""
    hour, weekday = _local_hour(moment)
    market = 0.6 * math.exp(-((hour - 6.5) ** 2) / 3)
    evening = math.exp(-((hour - 20.0) ** 2) / 4)
    return (0.1 + market + evening) * (1.4 if weekday >= 5 else 1.0)


def office_factor(moment: datetime) -> float:
    """Relative activity of the public service desks: office hours on weekdays, Saturday mornings."""
    hour, weekday = _local_hour(moment)
    open_hours = 7.5 <= hour < 11.5 or 13.5 <= hour < 17.0
    if weekday == 6 or not open_hours:
        return 0.05  # online submissions keep trickling in
    return 0.5 if weekday == 5 and hour < 11.5 else (0.0 if weekday == 5 else 1.0) + 0.05


def daylight_factor(moment: datetime) -> float:
    """0 at night, 1 at solar noon: drives temperature and ozone."""
    hour, _ = _local_hour(moment)
    return max(0.0, math.sin(math.pi * (hour - 6) / 12))
