"""The period report on the schedule and its charts, without a warehouse: which period of a form is due
at a given instant (monthly, quarterly, half-yearly, yearly; across the Decree 09 cut-offs and the
local-midnight boundary in UTC), how the catch-up days reach back, and the bar chart by area (a bar
per area shown, the top areas only, the plan line, an empty chart). The shipped forms are used as they
are; a yearly form is one of them with its period changed, since none ships."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from ioc.forms import Form, load_forms
from ioc.province import load_province
from ioc.settings import Settings
from reports.charts import TOP_AREAS, area_bars
from reports.period_model import AreaLine, IndicatorResult, Line
from reports.service import due_periods

SETTINGS = Settings()
FORMS = load_forms(SETTINGS.forms_dir, load_province(SETTINGS.province_file))


def form(code: str) -> Form:
    found = FORMS.get(code)
    assert found is not None, code
    return found


MONTHLY = form("BC-DVC-THANG")  # cut-off 14, due 5 days after
QUARTERLY = form("BC-KTXH-QUY")  # cut-off 14, due 5 days after
HALF_YEARLY = form("BC-GD-6THANG")  # cut-off 14, due 10 days after
YEARLY = MONTHLY.model_copy(update={"period": "yearly"})


def local(text: str) -> datetime:
    return datetime.fromisoformat(text + "+07:00")


@pytest.mark.parametrize(
    ("the_form", "now", "period"),
    [
        # 2026-11 (15/10–14/11) is due on 19/11: it is made once that local day is over.
        (MONTHLY, local("2026-11-19T23:59:59"), (date(2026, 9, 15), date(2026, 10, 14))),
        (MONTHLY, local("2026-11-20T00:00:00"), (date(2026, 10, 15), date(2026, 11, 14))),
        # The same instants in UTC: local midnight is 17:00 UTC the day before.
        (MONTHLY, datetime(2026, 11, 19, 16, 59, 59, tzinfo=UTC), (date(2026, 9, 15), date(2026, 10, 14))),
        (MONTHLY, datetime(2026, 11, 19, 17, 0, tzinfo=UTC), (date(2026, 10, 15), date(2026, 11, 14))),
        # The day after the cut-off opens the next period, but the one it closed is not due yet.
        (MONTHLY, local("2026-11-15T08:00"), (date(2026, 9, 15), date(2026, 10, 14))),
        # Across the year: the January period starts on 15 December.
        (MONTHLY, local("2027-01-20T00:00"), (date(2026, 12, 15), date(2027, 1, 14))),
        (QUARTERLY, local("2026-12-19T23:59"), (date(2026, 6, 15), date(2026, 9, 14))),
        (QUARTERLY, local("2026-12-20T00:00"), (date(2026, 9, 15), date(2026, 12, 14))),
        (QUARTERLY, local("2027-02-01T12:00"), (date(2026, 9, 15), date(2026, 12, 14))),
        (HALF_YEARLY, local("2026-06-24T23:59"), (date(2025, 6, 15), date(2025, 12, 14))),
        (HALF_YEARLY, local("2026-06-25T00:00"), (date(2025, 12, 15), date(2026, 6, 14))),
        (YEARLY, local("2026-12-19T23:59"), (date(2024, 12, 15), date(2025, 12, 14))),
        (YEARLY, local("2026-12-20T00:00"), (date(2025, 12, 15), date(2026, 12, 14))),
        (YEARLY, local("2027-03-01T00:00"), (date(2025, 12, 15), date(2026, 12, 14))),
    ],
)
def test_the_latest_period_whose_due_day_has_passed_is_due(
    the_form: Form, now: datetime, period: tuple[date, date]
) -> None:
    assert due_periods(the_form, now, catch_up_days=3) == [period]


def test_a_form_with_another_cut_off_day_moves_its_periods_and_due_days() -> None:
    cut_20 = MONTHLY.model_copy(update={"cutoff_day": 20, "due_days": 0})
    # 21/10–20/11 is due on 20/11 itself, so it is made from local midnight of 21/11.
    assert due_periods(cut_20, local("2026-11-20T23:59"), 0) == [(date(2026, 9, 21), date(2026, 10, 20))]
    assert due_periods(cut_20, local("2026-11-21T00:00"), 0) == [(date(2026, 10, 21), date(2026, 11, 20))]


def test_catch_up_days_reach_back_to_earlier_periods_due_within_that_many_days() -> None:
    """The daily briefs' catch-up, counted in days: 2026-10 fell due 31 days before 2026-11 did."""
    now = local("2026-11-20T09:00")
    october, november = (date(2026, 9, 15), date(2026, 10, 14)), (date(2026, 10, 15), date(2026, 11, 14))
    assert due_periods(MONTHLY, now, catch_up_days=30) == [november]
    assert due_periods(MONTHLY, now, catch_up_days=31) == [october, november]
    assert due_periods(MONTHLY, now, catch_up_days=0) == [november]


def test_an_ad_hoc_form_is_never_due() -> None:
    ad_hoc = next(f for f in FORMS if f.period == "ad_hoc")
    assert due_periods(ad_hoc, local("2026-11-20T09:00"), 3) == []


def result(
    code: str, areas: list[tuple[str, float | None, float | None]], the_form: Form = MONTHLY
) -> IndicatorResult:
    indicator = the_form.indicator(code)
    assert indicator is not None
    lines = tuple(AreaLine(area, f"Xã {area}", Line(now, before)) for area, now, before in areas)
    return IndicatorResult(indicator, Line(None, None), lines)


def bars(svg: str, when: str) -> list[str]:
    """The areas that have a bar for `when` ("kỳ này", "kỳ trước"), in drawing order."""
    return re.findall(rf"<title>Xã (\w+), {when}: ", svg)


def test_the_area_chart_has_a_bar_per_area_for_both_periods() -> None:
    svg = area_bars(result("DVC-01", [("A", 40.0, 30.0), ("B", 120.0, 150.0), ("C", 25.0, None)]))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert bars(svg, "kỳ này") == ["B", "A", "C"]  # highest this period first
    assert bars(svg, "kỳ trước") == ["B", "A"]  # C has no previous value: no bar, not a zero
    assert "<title>Xã B, kỳ này: 120 hồ sơ</title>" in svg
    assert "Số hồ sơ tiếp nhận theo địa bàn<" in svg  # every area is shown, the title says nothing more
    assert 'class="plan"' not in svg  # DVC-01 has no plan


def test_with_many_areas_the_chart_shows_the_top_ones_and_says_so() -> None:
    many = [(f"X{n:03d}", float(n), float(n) / 2) for n in range(100)]
    svg = area_bars(result("DVC-01", many))
    shown = bars(svg, "kỳ này")
    assert len(shown) == TOP_AREAS == len(bars(svg, "kỳ trước"))
    assert shown == [f"X{n:03d}" for n in range(99, 99 - TOP_AREAS, -1)]
    assert f"{TOP_AREAS}/100 địa bàn có giá trị kỳ này cao nhất" in svg


def test_a_plan_on_each_areas_scale_is_a_line_and_a_provinces_sum_is_only_named() -> None:
    rate = result("DVC-04", [("A", 97.5, 96.0), ("B", 99.5, 98.0)])  # a mean, plan ≥ 98
    svg = area_bars(rate)
    assert svg.count('class="plan"') == 1 and "Kế hoạch ≥ 98" in svg
    assert "<title>Xã A, kỳ này: 97,5 %</title>" in svg
    summed = next(
        (f, i.code) for f in FORMS for i in f.indicators if i.target is not None and i.over_areas == "sum"
    )
    svg = area_bars(result(summed[1], [("A", 3.0, 4.0)], summed[0]))
    assert 'class="plan"' not in svg and "là của toàn tỉnh" in svg


def test_negative_values_draw_left_of_zero() -> None:
    growth = form("BC-KTXH-QUY")
    code = next(i.code for i in growth.indicators if i.min < 0)
    svg = area_bars(result(code, [("A", -2.5, 3.0)], growth))
    assert "<title>Xã A, kỳ này: -2,5 %</title>" in svg and ">-5<" in svg  # the axis reaches below zero


def test_an_indicator_without_area_values_says_so_in_its_chart() -> None:
    svg = area_bars(result("DVC-01", []))
    assert "Không có dữ liệu theo địa bàn ở cả kỳ này và kỳ trước" in svg and "<rect" not in svg


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["--form", "BC-DVC-THANG"], "--form và --period phải đi cùng nhau"),
        (["--period", "2026-11"], "--form và --period phải đi cùng nhau"),
        (["--date", "2026-12-06", "--form", "BC-DVC-THANG", "--period", "2026-11"], "không cả hai"),
    ],
)
def test_send_takes_either_a_day_or_a_form_and_its_period(arguments: list[str], says: str) -> None:
    """Refused before any connection to the warehouse is made."""
    from typer.testing import CliRunner

    from reports.cli import report_app

    result = CliRunner().invoke(report_app, ["send", *arguments])
    assert result.exit_code == 2
    assert says in " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())  # rich's box, wrapped
