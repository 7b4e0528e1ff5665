"""Decree 09/2019 reporting periods: cut-off on the 14th, periods from the 15th, deadlines and lateness."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ioc.province import PeriodicReport
from streams.model.local_calendar import DAY_MS
from streams.model.reporting_periods import (
    days_late,
    deadline_ms,
    last_due_period,
    local_midnight_ms,
    period_containing,
)


def report(period: str, due_days: int = 5) -> PeriodicReport:
    return PeriodicReport(report_code="BC", period=period, due_days=due_days)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("period", "day", "expected"),
    [
        ("monthly", date(2026, 11, 14), (date(2026, 10, 15), date(2026, 11, 14))),
        ("monthly", date(2026, 11, 15), (date(2026, 11, 15), date(2026, 12, 14))),
        ("monthly", date(2026, 12, 20), (date(2026, 12, 15), date(2027, 1, 14))),  # across the year
        ("quarterly", date(2026, 1, 3), (date(2025, 12, 15), date(2026, 3, 14))),
        ("quarterly", date(2026, 3, 15), (date(2026, 3, 15), date(2026, 6, 14))),
        ("half_yearly", date(2026, 6, 14), (date(2025, 12, 15), date(2026, 6, 14))),
        ("half_yearly", date(2026, 6, 15), (date(2026, 6, 15), date(2026, 12, 14))),
        ("yearly", date(2026, 12, 14), (date(2025, 12, 15), date(2026, 12, 14))),
        ("yearly", date(2026, 12, 15), (date(2026, 12, 15), date(2027, 12, 14))),
    ],
)
def test_periods_run_from_the_15th_to_the_14th(period: str, day: date, expected: tuple[date, date]) -> None:
    assert period_containing(day, report(period)) == expected


def test_deadline_is_local_midnight_after_the_due_day() -> None:
    # period ends 14 Nov; due 5 days later, 19 Nov; late from 20 Nov 00:00 local = 19 Nov 17:00 UTC
    assert deadline_ms(date(2026, 11, 14), report("monthly")) == local_midnight_ms(date(2026, 11, 20))
    assert local_midnight_ms(date(2026, 11, 20)) % DAY_MS == 17 * 3_600_000


def test_last_due_period_is_the_latest_whose_deadline_passed() -> None:
    monthly = report("monthly")
    just_before = local_midnight_ms(date(2026, 11, 20)) - 1
    assert last_due_period(just_before, monthly) == (date(2026, 9, 15), date(2026, 10, 14))
    assert last_due_period(just_before + 1, monthly) == (date(2026, 10, 15), date(2026, 11, 14))


def test_days_late_rounds_up_and_is_none_before_the_deadline() -> None:
    deadline = local_midnight_ms(date(2026, 11, 20))
    assert days_late(deadline, deadline, deadline + 10 * DAY_MS) == 0  # submitted at the deadline: on time
    assert days_late(deadline + 1, deadline, deadline + 1) == 1
    assert days_late(deadline + DAY_MS, deadline, deadline + 9 * DAY_MS) == 1
    assert days_late(None, deadline, deadline + int(timedelta(days=2, hours=1).total_seconds() * 1000)) == 3
    assert days_late(None, deadline, deadline - 1) is None
