"""A form's periods by name, as people write them: `2026-11` (the month whose Decree 09 cut-off closes
the period, 15/10–14/11), `2026-Q4`, `2026-H1`, `2026`, or any day of the period (`2026-11-03`).

The arithmetic stays in `Form.period_of` (streams.model.reporting_periods): a name only picks the day
that closes its period (the cut-off day of the named month, of a quarter's or half-year's last month,
of December), and that day's period is the one meant.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from ioc.forms.model import Form

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
SHAPES = {
    "monthly": (re.compile(r"^(\d{4})-(\d{2})$"), 1, "YYYY-MM"),
    "quarterly": (re.compile(r"^(\d{4})-Q([1-4])$"), 3, "YYYY-Qn"),
    "half_yearly": (re.compile(r"^(\d{4})-H([12])$"), 6, "YYYY-Hn"),
    "yearly": (re.compile(r"^(\d{4})$"), 12, "YYYY"),
}


class PeriodNameError(ValueError):
    """A period name that is not one of the form's periods; the message says what is expected."""


def period_named(form: Form, name: str) -> tuple[date, date]:
    """[first, last] day of the form's period called `name`."""
    if form.period == "ad_hoc":
        raise PeriodNameError(
            f"{form.code} là biểu mẫu đột xuất, không có kỳ định kỳ — form {form.code} is ad hoc and has no periods"
        )
    pattern, months, shape = SHAPES[form.period]
    text = name.strip().upper()
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None and (match := pattern.match(text)):
        year, number = int(match.group(1)), int(match.group(2)) if match.lastindex == 2 else 1
        month = 12 if form.period == "yearly" else number * months
        if 1 <= month <= 12:
            day = date(year, month, form.cutoff_day)
    if day is None:
        raise PeriodNameError(
            f"kỳ {name!r} không hợp lệ với biểu mẫu {form.code} ({form.period_vi.lower()}): "
            f"viết {shape} hoặc một ngày YYYY-MM-DD trong kỳ — expected {shape} or a day of the period"
        )
    period = form.period_of(day)
    assert period is not None  # noqa: S101 - a scheduled form always has a period
    return period


def period_name(form: Form, period: tuple[date, date]) -> str:
    """The name `period_named` reads back: the period is named by the month its cut-off falls in."""
    end = period[1]
    return {
        "monthly": f"{end:%Y-%m}",
        "quarterly": f"{end.year}-Q{(end.month + 2) // 3}",
        "half_yearly": f"{end.year}-H{1 if end.month <= 6 else 2}",
        "yearly": f"{end.year}",
    }.get(form.period, f"{period[0]}..{end}")


def period_title_vi(form: Form, period: tuple[date, date]) -> str:
    """`tháng 11/2026`, `quý IV/2026`, `6 tháng đầu năm 2026`, `năm 2026`."""
    end = period[1]
    return {
        "monthly": f"tháng {end.month}/{end.year}",
        "quarterly": f"quý {ROMAN[(end.month + 2) // 3]}/{end.year}",
        "half_yearly": f"6 tháng {'đầu' if end.month <= 6 else 'cuối'} năm {end.year}",
        "yearly": f"năm {end.year}",
    }.get(form.period, f"từ {period[0]:%d/%m/%Y} đến {end:%d/%m/%Y}")


def period_before(form: Form, period: tuple[date, date]) -> tuple[date, date] | None:
    """The form's period just before `period` (None for an ad-hoc form)."""
    return form.period_of(period[0] - timedelta(days=1))
