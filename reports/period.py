"""A Decree 09 period report of one form, read from ClickHouse alone (`ioc report period`).

Values are the latest revision of each (unit, indicator, period, area) value, from the
`department_report_values_current` view over `department_report_values`. A value belongs to its
`area_code`, or to its unit's area when the unit reported for itself as a whole; former codes count
under today's area. The province total and each area's figure combine values the way the form says
(`over_areas`: sum, mean, min, max; ioc/forms/figures.py, shared with the stream). Nothing here reads the clock but `generated_at`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ioc.forms import Form, Forms
from ioc.forms.figures import combine
from ioc.forms.periods import period_before, period_name, period_named, period_title_vi
from ioc.province import Province
from reports.daily import Runner
from reports.period_model import AreaLine, IndicatorResult, Line, PeriodReport

VN = ZoneInfo("Asia/Ho_Chi_Minh")

VALUES_SQL = """
SELECT reporting_unit_code AS unit, indicator_code AS indicator, area_code AS area, value
FROM department_report_values_current
WHERE report_code = {form:String} AND period_start = {first:Date} AND period_end = {last:Date}
"""
# (unit, indicator, area) -> value, for one period
Values = list[tuple[str, str, str, float]]


def read_values(run: Runner, form: Form, period: tuple[date, date] | None) -> Values:
    if period is None:
        return []
    rows = run(VALUES_SQL, {"form": form.code, "first": period[0], "last": period[1]})
    return [(r["unit"], r["indicator"], r["area"], float(r["value"])) for r in rows]


def _by_area(
    values: Values, code: str, province: Province, unit_area: dict[str, str]
) -> dict[str, list[float]]:
    grouped: dict[str, list[float]] = defaultdict(list)
    for unit, indicator, area, value in values:
        if indicator == code:
            grouped[province.current_area(area or unit_area.get(unit, ""))].append(value)
    return grouped


def results(
    form: Form, owners: Iterable[str], province: Province, current: Values, previous: Values
) -> tuple[tuple[IndicatorResult, ...], tuple[str, ...]]:
    """Each indicator's total and areas, and the owning units that sent nothing this period."""
    owners = tuple(owners)
    unit_area = {u.code: u.area for u in province.reporting_units}
    order = {area.code: index for index, area in enumerate(province.areas)}
    sent = {(unit, indicator) for unit, indicator, _, _ in current}
    out = []
    for indicator in form.indicators:
        now = _by_area(current, indicator.code, province, unit_area)
        before = _by_area(previous, indicator.code, province, unit_area)
        areas = tuple(
            AreaLine(code, province.area_name(code), Line(combine(now.get(code, []), indicator.over_areas),
                                                          combine(before.get(code, []), indicator.over_areas)))
            for code in sorted(set(now) | set(before), key=lambda c: (order.get(c, len(order)), c))
        )  # fmt: skip
        total = Line(
            combine([v for vs in now.values() for v in vs], indicator.over_areas),
            combine([v for vs in before.values() for v in vs], indicator.over_areas),
            tuple(u for u in owners if (u, indicator.code) not in sent),
        )
        out.append(IndicatorResult(indicator, total, areas))
    silent = tuple(u for u in owners if not any(unit == u for unit, *_ in current))
    return tuple(out), silent


def period_bounds(period: tuple[date, date]) -> tuple[datetime, datetime]:
    """The local days [first, last] as UTC instants [start, end)."""
    start = datetime.combine(period[0], time(0), VN).astimezone(UTC)
    return start, datetime.combine(period[1] + timedelta(days=1), time(0), VN).astimezone(UTC)


def find_form(forms: Forms, form_code: str) -> Form:
    """The form called `form_code`, or a LookupError that lists the forms there are."""
    form = forms.get(form_code)
    if form is None:
        known = ", ".join(sorted(f.code for f in forms))
        raise LookupError(f"không có biểu mẫu {form_code!r} — no form {form_code!r}; forms: {known}")
    return form


def build_period(
    run: Runner, forms: Forms, province: Province, form_code: str, name: str, *, now: datetime | None = None
) -> PeriodReport:
    """The report of form `form_code` for its period called `name` (see ioc.forms.periods)."""
    form = find_form(forms, form_code)
    period = period_named(form, name)
    previous = period_before(form, period)
    owners = forms.owner_units(form.code)
    found, silent = results(
        form, owners, province, read_values(run, form, period), read_values(run, form, previous)
    )
    start, end = period_bounds(period)
    names = {u.code: u.name_vi for u in province.reporting_units}
    return PeriodReport(
        form=form,
        name=period_name(form, period),
        period_vi=period_title_vi(form, period),
        first_day=period[0],
        last_day=period[1],
        previous=previous,
        start=start,
        end=end,
        generated_at=now or datetime.now(UTC),
        province_vi=province.name_vi,
        owners=tuple((u, names.get(u, u)) for u in owners),
        results=found,
        silent_units=silent,
    )
