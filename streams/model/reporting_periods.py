"""Periodic report periods and deadlines under Decree 09/2019/NĐ-CP (art. 12), pure.

The decree cuts a reporting period's data at a fixed day so reports can be compiled before the
calendar period ends: with the default cut-off day 14, a monthly period runs from the 15th of the
previous month to the 14th of the month; a quarterly one from the 15th of the month before the
quarter to the 14th of its last month; a half-yearly one from 15 December (or 15 June) to 14 June
(or 14 December); a yearly one from 15 December of the previous year to 14 December. A report is
due `due_days` after its period ends (configured per report), by the end of that local day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from ioc.province import PeriodicReport
from streams.model.local_calendar import DAY_MS, VN_TZ

MONTHS_PER_PERIOD = {"monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}


def _shift_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def period_containing(day: date, report: PeriodicReport) -> tuple[date, date]:
    """[first day, last day] (inclusive) of the report's period holding `day`."""
    months = MONTHS_PER_PERIOD[report.period]
    cutoff = report.cutoff_day
    # The calendar month whose cut-off closes the period holding `day`: this month, or the next when
    # the day is past the cut-off; then rounded up to the period's last month (3, 6, 9, 12 for quarters).
    year, month = (day.year, day.month) if day.day <= cutoff else _shift_months(day.year, day.month, 1)
    year, month = _shift_months(year, month, (-month) % months)
    end = date(year, month, cutoff)
    start_year, start_month = _shift_months(year, month, -months)
    return date(start_year, start_month, cutoff) + timedelta(days=1), end


def deadline_ms(period_end: date, report: PeriodicReport) -> int:
    """The instant the report becomes late: the local midnight ending its due day."""
    due = period_end + timedelta(days=report.due_days + 1)
    return local_midnight_ms(due)


def local_midnight_ms(day: date) -> int:
    """UTC epoch milliseconds of the start of a local day."""
    return int(datetime.combine(day, time(0), VN_TZ).timestamp() * 1000)


def local_date(ms: int) -> date:
    """The local calendar date of an instant."""
    return datetime.fromtimestamp(ms / 1000, VN_TZ).date()


def last_due_period(now_ms: int, report: PeriodicReport) -> tuple[date, date]:
    """The most recent period whose deadline has passed at `now_ms`."""
    start, end = period_containing(local_date(now_ms), report)
    while deadline_ms(end, report) > now_ms:
        start, end = period_containing(start - timedelta(days=1), report)
    return start, end


def days_late(submitted_ms: int | None, deadline: int, now_ms: int) -> int | None:
    """0 when submitted by the deadline; whole days (rounded up) past it when submitted late or still
    missing after it; None while it is missing but not yet due."""
    if submitted_ms is not None and submitted_ms <= deadline:
        return 0
    reference = submitted_ms if submitted_ms is not None else now_ms
    if reference <= deadline:
        return None
    return -(-(reference - deadline) // DAY_MS)
