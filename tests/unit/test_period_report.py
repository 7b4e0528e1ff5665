"""The period report without a warehouse: period names read with the forms' Decree 09 arithmetic,
totals and areas combined as the form says, change and plan, missing units listed (never zeros),
and the HTML it renders. The shipped forms and province are used as they are."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest

from ioc.forms import load_forms
from ioc.forms.figures import combine
from ioc.forms.periods import PeriodNameError, period_before, period_name, period_named, period_title_vi
from ioc.province import load_province
from ioc.settings import ReportSettings, Settings
from reports.period import VALUES_SQL, build_period
from reports.render import period_html
from reports.upward.mapping import load_mapping

SETTINGS = Settings()
PROVINCE = load_province(SETTINGS.province_file)
FORMS = load_forms(SETTINGS.forms_dir, PROVINCE)
MONTHLY = FORMS.get("BC-DVC-THANG")
NOW = datetime(2026, 12, 7, 1, tzinfo=UTC)


def test_a_month_is_named_by_the_month_its_cut_off_closes() -> None:
    assert MONTHLY is not None
    assert period_named(MONTHLY, "2026-11") == (date(2026, 10, 15), date(2026, 11, 14))
    assert period_named(MONTHLY, "2026-11-20") == (date(2026, 11, 15), date(2026, 12, 14))
    assert period_name(MONTHLY, (date(2026, 10, 15), date(2026, 11, 14))) == "2026-11"
    assert period_before(MONTHLY, (date(2025, 12, 15), date(2026, 1, 14))) == (
        date(2025, 11, 15),
        date(2025, 12, 14),
    )
    assert period_title_vi(MONTHLY, (date(2026, 10, 15), date(2026, 11, 14))) == "tháng 11/2026"


def test_quarters_half_years_and_years_have_their_own_names() -> None:
    quarterly, half = FORMS.get("BC-KTXH-QUY"), FORMS.get("BC-GD-6THANG")
    assert quarterly is not None and half is not None
    assert period_named(quarterly, "2026-q4") == (date(2026, 9, 15), date(2026, 12, 14))
    assert period_name(quarterly, (date(2026, 9, 15), date(2026, 12, 14))) == "2026-Q4"
    assert period_title_vi(quarterly, (date(2026, 9, 15), date(2026, 12, 14))) == "quý IV/2026"
    assert period_named(half, "2026-H1") == (date(2025, 12, 15), date(2026, 6, 14))
    assert period_title_vi(half, (date(2025, 12, 15), date(2026, 6, 14))) == "6 tháng đầu năm 2026"


@pytest.mark.parametrize("name", ["2026-13", "2026-Q1", "11/2026", "2026-11-31", ""])
def test_a_name_that_is_not_one_of_the_forms_periods_says_what_is_expected(name: str) -> None:
    assert MONTHLY is not None
    with pytest.raises(PeriodNameError, match="YYYY-MM"):
        period_named(MONTHLY, name)


def test_an_ad_hoc_form_has_no_named_periods() -> None:
    ad_hoc = next(f for f in FORMS if f.period == "ad_hoc")
    with pytest.raises(PeriodNameError, match="đột xuất"):
        period_named(ad_hoc, "2026-11")


def test_values_combine_over_areas_as_the_form_says_and_nothing_is_not_zero() -> None:
    assert combine([1.0, 2.0, 6.0], "sum") == 9.0
    assert combine([1.0, 2.0, 6.0], "mean") == 3.0
    assert combine([1.0, 2.0, 6.0], "max") == 6.0
    assert combine([], "sum") is None


class FakeWarehouse:
    """Answers the values query with rows for the named periods, and records what it was asked."""

    def __init__(self, rows: dict[date, list[tuple[str, str, str, float]]]) -> None:
        self.rows, self.asked = rows, []

    def __call__(self, sql: str, parameters: dict[str, Any]) -> list[dict[str, Any]]:
        assert sql == VALUES_SQL
        self.asked.append((parameters["first"], parameters["last"]))
        return [dict(zip(("unit", "indicator", "area", "value"), r, strict=True))
                for r in self.rows.get(parameters["first"], [])]  # fmt: skip


def _dvc_report() -> Any:
    """BC-DVC-THANG for 2026-11: TT-HCC and two wards report DVC-01 this month, one of the wards
    leaves out DVC-02; last month only TT-HCC reported."""
    owners = FORMS.owner_units("BC-DVC-THANG")
    assert {"TT-HCC", "UBND-26001", "UBND-26002"} <= set(owners)
    run = FakeWarehouse({
        date(2026, 10, 15): [
            ("TT-HCC", "DVC-01", "", 100.0), ("UBND-26001", "DVC-01", "", 40.0), ("UBND-26002", "DVC-01", "", 60.0),
            ("TT-HCC", "DVC-02", "", 90.0), ("UBND-26001", "DVC-02", "", 80.0),
        ],
        date(2026, 9, 15): [("TT-HCC", "DVC-01", "", 150.0), ("TT-HCC", "DVC-02", "", 95.0)],
    })  # fmt: skip
    report = build_period(run, FORMS, PROVINCE, "BC-DVC-THANG", "2026-11", now=NOW)
    assert run.asked == [(date(2026, 10, 15), date(2026, 11, 14)), (date(2026, 9, 15), date(2026, 10, 14))]
    return report, owners


def test_the_report_totals_compares_with_the_previous_period_and_names_who_is_missing() -> None:
    report, owners = _dvc_report()
    form = FORMS.get("BC-DVC-THANG")
    assert form is not None
    first = {r.indicator.code: r for r in report.results}[form.indicators[0].code]
    assert first.indicator.code == "DVC-01"
    how = first.indicator.over_areas
    assert first.total.current == combine([100.0, 40.0, 60.0], how)
    assert first.total.previous == 150.0
    assert first.total.change == combine([100.0, 40.0, 60.0], how) - 150.0
    assert set(first.total.missing_units) == set(owners) - {"TT-HCC", "UBND-26001", "UBND-26002"}
    areas = {a.area_code: a.line for a in first.areas}
    assert (
        areas["26001"].current == 40.0 and areas["26001"].previous is None and areas["26001"].change is None
    )
    assert areas["75"].current == 100.0 and areas["75"].previous == 150.0
    assert report.report_id == "period:BC-DVC-THANG:2026-11"
    assert report.title_vi.endswith("giải quyết thủ tục hành chính tháng 11/2026")
    assert (report.start, report.end) == (
        datetime(2026, 10, 14, 17, tzinfo=UTC),
        datetime(2026, 11, 14, 17, tzinfo=UTC),
    )
    assert "UBND-26002" not in report.silent_units and "UBND-26003" in report.silent_units
    assert any("UBND-26002" in line and "DVC-02" in line for line in report.missing())
    assert report.figures()["BC-DVC-THANG.DVC-01"] == first.total.current
    untouched = [r for r in report.results if r.total.current is None]
    assert all(f"BC-DVC-THANG.{r.indicator.code}" not in report.figures() for r in untouched)


def test_the_plan_is_judged_only_on_a_complete_total() -> None:
    report, _ = _dvc_report()
    with_plan = [r for r in report.results if r.indicator.target is not None]
    assert with_plan, "BC-DVC-THANG has planned indicators"
    assert all(r.plan_met is None for r in with_plan)  # most wards did not report


def test_every_figure_a_period_report_can_produce_has_a_national_code() -> None:
    mapping = load_mapping(ReportSettings().national_codes)
    codes = {f"{f.code}.{i.code}" for f in FORMS if f.period != "ad_hoc" for i in f.indicators}
    assert len(codes) > 30
    assert sorted(codes - set(mapping.indicators)) == []
    assert all(mapping.indicators[c].unit == FORMS.indicator(*c.split(".", 1)).unit for c in codes)  # type: ignore[union-attr]


def test_the_html_shows_missing_as_no_data_never_as_zero() -> None:
    report, _ = _dvc_report()
    html = period_html(report)
    assert "I. Kết quả thực hiện các chỉ tiêu" in html and "II. Số liệu theo địa bàn" in html
    assert "Không có dữ liệu" in html
    assert "UBND Phường Tam Hiệp (UBND-26003): không gửi số liệu kỳ này" in html
    row = html.split('data-code="DVC-01"')[1].split("</tr>")[0]
    assert ">200<" in row and ">150<" in row and "+50" in row and "+33,3 %" in row


def test_each_indicator_has_its_chart_by_area_above_its_table() -> None:
    report, _ = _dvc_report()
    html = period_html(report).split('<section id="areas">')[1].split("</section>")[0]
    charts = re.findall(r'<div class="chart" data-code="([\w-]+)"><svg', html)
    assert charts == [r.indicator.code for r in report.results]
    dvc01 = html.split('data-code="DVC-01"><svg')[1].split("</svg>")[0]
    assert 'data-area="26001"' in dvc01 and 'data-area="26003"' not in dvc01  # 26003 sent nothing: no row
    assert dvc01.count(", kỳ này: ") == len({a.area_code for a in report.results[0].areas if a.line.current})
    assert "Không có dữ liệu theo địa bàn" in html.split('data-code="DVC-03"><svg')[1].split("</svg>")[0]
