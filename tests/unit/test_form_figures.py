"""The forms' figures on the stream (streams/model/form_figures.py): each form indicator's value by
area and for the province, its change from the previous period and its plan gap, from the latest
revision of each unit's value; the same totals as the period report; late and forgotten periods.
The shipped forms and province are used as they are."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from ioc.forms import load_forms
from ioc.forms.periods import period_before
from ioc.province import load_province
from ioc.settings import Settings
from reports.period import build_period
from streams.engine.store import Store
from streams.model.form_figures import FormFigures
from streams.model.reporting_periods import local_date

SETTINGS = Settings()
PROVINCE = load_province(SETTINGS.province_file)
FORMS = load_forms(SETTINGS.forms_dir, PROVINCE)
HEALTH = FORMS.get("BC-YT-THANG")  # owner SO-YT; YT-05 bed occupancy: mean over areas, at most 100 %
TRAFFIC = FORMS.get("BC-ATGT-THANG")  # owners CA-TINH and SO-XD; ATGT-02 road deaths: sum, at most 25
NOW = int(datetime(2026, 12, 8, 3, 0, tzinfo=UTC).timestamp() * 1000)
assert HEALTH is not None and TRAFFIC is not None
CURRENT = HEALTH.period_of(local_date(NOW))  # 15/11 – 14/12
assert CURRENT is not None
REPORTED = period_before(HEALTH, CURRENT)  # 15/10 – 14/11: the period being reported in December
assert REPORTED is not None
EARLIER = period_before(HEALTH, REPORTED)
assert EARLIER is not None
AREA_A, AREA_B = [area.code for area in PROVINCE.areas if area.code != PROVINCE.code][:2]


def value(
    event_id: str,
    unit: str,
    indicator: str,
    amount: float,
    *,
    form: str = "BC-YT-THANG",
    area: str = "",
    period: tuple[date, date] = REPORTED,
    revision: int = 0,
) -> dict[str, Any]:
    return {"event_id": event_id, "reporting_unit_code": unit, "observed_at": NOW - 3_600_000 + revision,
            "report_code": form, "indicator_code": indicator, "period_type": "monthly",
            "period_start": period[0], "period_end": period[1], "value": amount, "unit_of_measure": "",
            "area_code": area, "revision": revision, "note": ""}  # fmt: skip


def figures(produced: list[dict[str, Any]]) -> dict[tuple[str, str], float | None]:
    return {(r["indicator"].split(".")[1], r["entity_id"]): r["value"] for r in produced}


def feed(model: FormFigures, store: Store, *records: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for record in records:
        assert model.problem(record) is None, model.problem(record)
        produced = model.submit(store, record, NOW)
        assert produced is not None
        out += produced
    return out


def test_a_value_gives_its_area_and_the_province_with_the_change_and_the_plan_gap() -> None:
    model, store = FormFigures(FORMS, PROVINCE), Store("forms", 0)
    feed(model, store, value("e1", "SO-YT", "YT-05", 80.0, period=EARLIER, area=AREA_A))
    first = figures(feed(model, store, value("c1", "SO-YT", "YT-05", 120.0, area=AREA_A)))
    assert first == {
        ("form_value", "BC-YT-THANG/YT-05"): 120.0,
        ("form_change_pct", "BC-YT-THANG/YT-05"): 50.0,  # from 80
        ("form_plan_gap_pct", "BC-YT-THANG/YT-05"): 20.0,  # 120 against at most 100
        ("form_value", f"{AREA_A}/BC-YT-THANG/YT-05"): 120.0,
        ("form_change_pct", f"{AREA_A}/BC-YT-THANG/YT-05"): 50.0,
    }
    second = figures(feed(model, store, value("c2", "SO-YT", "YT-05", 90.0, area=AREA_B)))
    assert second[("form_value", "BC-YT-THANG/YT-05")] == 105.0  # the mean over the areas
    assert second[("form_plan_gap_pct", "BC-YT-THANG/YT-05")] == 5.0
    assert second[("form_change_pct", f"{AREA_B}/BC-YT-THANG/YT-05")] is None  # no earlier value there


def test_the_latest_revision_counts_and_a_resend_or_older_revision_changes_nothing() -> None:
    model, store = FormFigures(FORMS, PROVINCE), Store("forms", 0)
    feed(model, store, value("c1", "SO-YT", "YT-05", 120.0, area=AREA_A))
    corrected = feed(model, store, value("c1-r1", "SO-YT", "YT-05", 100.0, area=AREA_A, revision=1))
    assert figures(corrected)[("form_plan_gap_pct", "BC-YT-THANG/YT-05")] == 0.0  # the plan is met
    assert feed(model, store, value("c1", "SO-YT", "YT-05", 120.0, area=AREA_A)) == []
    assert feed(model, store, value("c1-r1", "SO-YT", "YT-05", 100.0, area=AREA_A, revision=1)) == []
    revisions = [r["revision"] for r in corrected]
    assert len(set(revisions)) == 1 and revisions[0] == 2  # later emissions replace earlier ones


def test_the_plan_is_judged_only_once_every_owning_unit_reported_the_indicator() -> None:
    model, store = FormFigures(FORMS, PROVINCE), Store("forms", 0)
    police = {"form": "BC-ATGT-THANG"}
    partial = figures(feed(model, store, value("p1", "CA-TINH", "ATGT-02", 20.0, **police)))  # type: ignore[arg-type]
    assert partial[("form_value", "BC-ATGT-THANG/ATGT-02")] == 20.0
    assert partial[("form_plan_gap_pct", "BC-ATGT-THANG/ATGT-02")] is None  # SO-XD still to report
    whole = figures(feed(model, store, value("x1", "SO-XD", "ATGT-02", 15.0, **police)))  # type: ignore[arg-type]
    assert whole[("form_value", "BC-ATGT-THANG/ATGT-02")] == 35.0
    assert whole[("form_plan_gap_pct", "BC-ATGT-THANG/ATGT-02")] == 40.0  # 35 against at most 25
    # A unit reporting for itself as a whole (area empty: its own area is the province) counts only in
    # the province's figures.
    assert all(entity.startswith("BC-ATGT-THANG/") for _, entity in whole)


def test_the_stream_and_the_period_report_give_the_same_totals() -> None:
    records = [
        value("a", "SO-YT", "YT-05", 120.0, area=AREA_A),
        value("b", "SO-YT", "YT-05", 90.0, area=AREA_B),
        value("c", "SO-YT", "YT-01", 1500.0, area=AREA_A),
        value("d", "SO-YT", "YT-01", 700.0, area=AREA_B),
        value("b2", "SO-YT", "YT-05", 70.0, area=AREA_B, revision=1),
    ]
    model, store = FormFigures(FORMS, PROVINCE), Store("forms", 0)
    live = figures(feed(model, store, *records))
    latest = {}
    for r in records:  # the warehouse's view keeps each (unit, indicator, area)'s latest revision
        latest[(r["reporting_unit_code"], r["indicator_code"], r["area_code"])] = r

    def run(sql: str, parameters: dict[str, Any]) -> list[dict[str, Any]]:
        if parameters["first"] != REPORTED[0]:
            return []
        return [
            {"unit": u, "indicator": i, "area": a, "value": r["value"]} for (u, i, a), r in latest.items()
        ]

    report = build_period(run, FORMS, PROVINCE, "BC-YT-THANG", "2026-11")
    assert report.first_day == REPORTED[0]
    totals = {r.indicator.code: r.total.current for r in report.results if r.total.current is not None}
    assert totals == {"YT-01": 2200.0, "YT-05": 95.0}
    assert {code: live[("form_value", f"BC-YT-THANG/{code}")] for code in totals} == totals


def test_a_value_for_a_period_no_longer_followed_is_late_and_old_periods_are_forgotten() -> None:
    model, store = FormFigures(FORMS, PROVINCE), Store("forms", 0)
    oldest = period_before(HEALTH, EARLIER)
    assert oldest is not None
    assert model.submit(store, value("old", "SO-YT", "YT-05", 80.0, period=oldest), NOW) is None
    feed(model, store, value("e1", "SO-YT", "YT-05", 80.0, period=EARLIER))
    assert len(store) == 1
    assert model.tick(store, NOW) == [] and len(store) == 1
    two_months_on = NOW + 62 * 86_400_000
    model.tick(store, two_months_on)
    assert len(store) == 0


def test_a_value_that_breaks_its_form_is_refused_naming_the_field() -> None:
    model = FormFigures(FORMS, PROVINCE)
    field, reason = model.problem(value("z", "SO-YT", "YT-99", 1.0)) or ("", "")
    assert field == "indicator_code" and "YT-99" in reason and "[unknown-indicator]" in reason
    field, reason = model.problem(value("z", "SO-YT", "YT-05", 250.0)) or ("", "")
    assert field == "value" and "[out-of-range]" in reason
