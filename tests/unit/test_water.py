"""Water alarm levels I/II/III and the least-squares trend in cm/h."""

from __future__ import annotations

import pytest

from ioc.province import AlarmLevels
from streams.model.water import alarm_level, trend_cm_per_hour

LEVELS = AlarmLevels(level_1_cm=200, level_2_cm=250, level_3_cm=300)


@pytest.mark.parametrize(
    ("level", "expected"), [(199.9, 0), (200.0, 1), (249.9, 1), (250.0, 2), (300.0, 3), (900.0, 3)]
)
def test_alarm_level_is_the_highest_level_reached(level: float, expected: int) -> None:
    assert alarm_level(level, LEVELS) == expected


def test_trend_is_the_slope_in_cm_per_hour() -> None:
    minute = 60_000
    # +10 cm every 6 minutes is 100 cm/h, whatever the starting point
    assert trend_cm_per_hour([(0, 100.0), (6 * minute, 110.0), (12 * minute, 120.0)]) == pytest.approx(100.0)
    # a single spike in the middle does not change a least-squares slope of symmetric points
    assert trend_cm_per_hour([(0, 100.0), (6 * minute, 500.0), (12 * minute, 100.0)]) == pytest.approx(0.0)
    assert trend_cm_per_hour([(0, 100.0), (30 * minute, 85.0)]) == pytest.approx(-30.0)


def test_trend_needs_two_distinct_times() -> None:
    assert trend_cm_per_hour([]) is None
    assert trend_cm_per_hour([(5, 100.0), (5, 120.0)]) is None
