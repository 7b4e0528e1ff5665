"""Report forms as code: the shipped forms load, a mistake is refused naming file, form and field, a
running service keeps the last good forms, and every rule a value can break is told per record."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from ingest.feeds import build_feeds, with_check
from ingest.validation import check_records, time_window
from ioc.forms import Forms, FormsError, LiveForms, load_forms
from ioc.forms.checks import FormCheck
from ioc.forms.loader import read_forms
from ioc.province import load_province
from ioc.settings import Settings

SETTINGS = Settings()
PROVINCE = load_province(SETTINGS.province_file)
FORMS = load_forms(SETTINGS.forms_dir, PROVINCE)
FEED = with_check(build_feeds(), "department.report-values", FormCheck(lambda: FORMS))[
    "department.report-values"
]
NOW = datetime.now(UTC)


def test_shipped_forms_cover_the_sectors_the_centre_watches() -> None:
    sectors = {form.sector for form in FORMS}
    assert {
        "socio_economic",
        "public_services",
        "traffic_safety",
        "public_order",
        "environment",
        "health",
        "education",
    } <= sectors
    assert all(len(form.indicators) >= 4 for form in FORMS)
    assert {form.period for form in FORMS} >= {"monthly", "quarterly", "half_yearly", "ad_hoc"}
    assert FORMS.owner_units("BC-ATGT-THANG") == ("CA-TINH", "SO-XD")
    assert len(FORMS.owner_units("BC-KTXH-THANG")) == len(PROVINCE.reporting_units)


def test_a_form_s_periods_are_decree_09_periods_from_the_one_implementation() -> None:
    monthly, quarterly, ad_hoc = FORMS.get("BC-YT-THANG"), FORMS.get("BC-MT-QUY"), FORMS.get("BC-PCTT-DX")
    assert monthly is not None and quarterly is not None and ad_hoc is not None
    assert monthly.period_of(date(2026, 11, 14)) == (date(2026, 10, 15), date(2026, 11, 14))
    assert quarterly.period_of(date(2026, 1, 3)) == (date(2025, 12, 15), date(2026, 3, 14))
    assert ad_hoc.period_of(date(2026, 1, 3)) is None and ad_hoc.schedule is None
    assert monthly.period_type == "monthly" and FORMS.get("BC-GD-6THANG").period_type == "half_year"  # type: ignore[union-attr]


def copy_forms(tmp_path: Path) -> Path:
    folder = tmp_path / "forms"
    shutil.copytree(SETTINGS.forms_dir, folder)
    return folder


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"),
    [
        (
            "bc-yt-thang.yaml",
            "min: 0, max: 20000",
            "min: 50, max: 20",
            "bc-yt-thang.yaml: form BC-YT-THANG: indicators[1]",
        ),
        (
            "bc-yt-thang.yaml",
            "over_areas: sum",
            "over_areas: median",
            "BC-YT-THANG: indicators[0].over_areas",
        ),
        ("bc-yt-thang.yaml", "period: monthly", "period: weekly", "BC-YT-THANG: period"),
        ("bc-yt-thang.yaml", "sector: health", "sector: sport", "BC-YT-THANG: sector"),
        ("bc-yt-thang.yaml", "receiver_vi: ", "receiver: ", "BC-YT-THANG: receiver"),
        (
            "bc-yt-thang.yaml",
            "code: YT-02",
            "code: YT-01",
            "BC-YT-THANG: (form): Value error, indicators[1].code",
        ),
        (
            "bc-yt-thang.yaml",
            "owners: [SO-YT]",
            "owners: [SO-YTE]",
            "BC-YT-THANG: owners[0]: 'SO-YTE' matches no",
        ),
        (
            "bc-yt-thang.yaml",
            "code: BC-YT-THANG",
            "code: BC-MT-QUY",
            "code: already defined in bc-mt-quy.yaml",
        ),
        ("bc-yt-thang.yaml", "indicators:", "indicators: [", "bc-yt-thang.yaml: cannot read"),
        # The province file's reports must follow the forms (the lateness check reads them).
        (
            "bc-yt-thang.yaml",
            "owners: [SO-YT]",
            "owners: [SO-YT, SO-XD]",
            "unit SO-XD owns it but province.yaml",
        ),
        ("bc-atgt-thang.yaml", "due_days: 3", "due_days: 4", "BC-ATGT-THANG: owners: unit CA-TINH's report"),
    ],
)
def test_a_mistake_refuses_the_whole_set_naming_file_form_and_field(
    tmp_path: Path, name: str, old: str, new: str, expected: str
) -> None:
    folder = copy_forms(tmp_path)
    edit(folder, name, old, new)
    with pytest.raises(FormsError) as raised:
        load_forms(folder, PROVINCE)
    assert any(expected in line for line in raised.value.problems), raised.value.problems


def test_a_province_report_without_its_form_is_named(tmp_path: Path) -> None:
    folder = copy_forms(tmp_path)
    (folder / "bc-yt-thang.yaml").unlink()
    with pytest.raises(FormsError) as raised:
        load_forms(folder, PROVINCE)
    assert "province.yaml: reporting unit SO-YT: reports: 'BC-YT-THANG' is not a form" in str(raised.value)


def test_a_running_service_keeps_the_last_good_forms_and_takes_a_good_edit(tmp_path: Path) -> None:
    folder = copy_forms(tmp_path)
    clock = [0.0]
    live = LiveForms(folder, PROVINCE, interval_s=1.0, clock=lambda: clock[0])
    edit(folder, "bc-yt-thang.yaml", "max: 200, over_areas", "max: 20, over_areas: median, x")
    clock[0] = 2.0
    assert live.current().indicator("BC-YT-THANG", "YT-05").max == 200  # type: ignore[union-attr]
    assert live.last_error is not None and "bc-yt-thang.yaml" in str(live.last_error)
    edit(folder, "bc-yt-thang.yaml", "max: 20, over_areas: median, x", "max: 150, over_areas")
    clock[0] = 4.0
    assert live.current().indicator("BC-YT-THANG", "YT-05").max == 150  # type: ignore[union-attr]
    assert live.last_error is None


def test_a_broken_folder_stops_a_service_at_start(tmp_path: Path) -> None:
    with pytest.raises(FormsError):
        LiveForms(tmp_path / "missing", PROVINCE)


def value(**changes: Any) -> dict[str, Any]:
    record = {
        "event_id": "v1",
        "reporting_unit_code": "CA-TINH",
        "observed_at": NOW.isoformat(),
        "report_code": "BC-ATGT-THANG",
        "indicator_code": "ATGT-01",
        "period_type": "monthly",
        "period_start": "2026-10-15",
        "period_end": "2026-11-14",
        "value": 12,
        "unit_of_measure": "vụ",
    }
    return {key: item for key, item in (record | changes).items() if item is not None}


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"report_code": "BC-01"}, "report_code", "unknown-form"),
        ({"indicator_code": "YT-01"}, "indicator_code", "unknown-indicator"),
        ({"reporting_unit_code": "SO-YT"}, "reporting_unit_code", "not-form-owner"),
        ({"unit_of_measure": "người"}, "unit_of_measure", "wrong-unit"),
        ({"value": -1}, "value", "out-of-range"),
        ({"value": 2001}, "value", "out-of-range"),
        ({"value": 1.5}, "value", "not-integer"),
        ({"period_type": "quarterly"}, "period_type", "wrong-period-type"),
        ({"period_start": "2026-10-01"}, "period_start", "wrong-period"),
        ({"period_start": "2026-10-01", "period_end": "2026-10-31"}, "period_end", "wrong-period"),
        ({"report_code": "BC-PCTT-DX", "indicator_code": "PCTT-01", "unit_of_measure": "người",
          "period_type": "ad_hoc", "reporting_unit_code": "SO-TNMT", "period_start": "2026-11-20"},
         "period_start", "wrong-period"),
    ],
)  # fmt: skip
def test_a_value_that_breaks_its_form_is_rejected_naming_field_and_rule(
    changes: dict[str, Any], field: str, rule: str
) -> None:
    accepted, [rejection] = check_records(FEED, [value(), value(**changes)], time_window(300, 7), NOW)
    assert [item.index for item in accepted] == [0]
    assert (rejection.index, rejection.field, rejection.rule) == (1, f"records[1].{field}", rule)
    assert " — " in rejection.message  # Vietnamese, then English


def test_unit_and_period_type_may_be_left_to_the_form() -> None:
    [accepted], [] = check_records(
        FEED, [value(unit_of_measure="", period_type=None, report_code="BC-GD-6THANG", indicator_code="GD-02",
                     reporting_unit_code="SO-GDDT", period_start="2026-06-15", period_end="2026-12-14", value=99.1)],
        time_window(300, 7), NOW,
    )  # fmt: skip
    assert (accepted.datum["unit_of_measure"], accepted.datum["period_type"]) == ("%", "half_year")


def test_units_match_ignoring_case_and_spacing() -> None:
    [_], [] = check_records(FEED, [value(unit_of_measure=" Vụ ")], time_window(300, 7), NOW)


def test_the_file_reader_needs_no_province_and_sees_every_file() -> None:
    assert sorted(form.code for form in read_forms(SETTINGS.forms_dir)) == sorted(f.code for f in FORMS)


def test_forms_answers_owned_by_and_indicator() -> None:
    assert {form.code for form in FORMS.owned_by("CA-TINH")} == {
        "BC-ANTT-THANG",
        "BC-ATGT-THANG",
        "BC-KTXH-QUY",
        "BC-KTXH-THANG",
    }
    assert FORMS.indicator("BC-ATGT-THANG", "nope") is None
    assert isinstance(FORMS, Forms) and FORMS.indicator("BC-01", "x") is None


def test_forms_check_exits_2_listing_every_mistake(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ioc.forms.cli import forms_app

    folder = copy_forms(tmp_path)
    good = CliRunner().invoke(forms_app, ["check", str(folder)])
    assert good.exit_code == 0 and "9 biểu mẫu" in good.output
    edit(folder, "bc-yt-thang.yaml", "unit: ca,", "unit: ca, colour: red,")
    edit(folder, "bc-mt-quy.yaml", "min: 0, max: 92", "min: 92, max: 0")
    bad = CliRunner().invoke(forms_app, ["check", str(folder)])
    assert bad.exit_code == 2
    assert "bc-yt-thang.yaml: form BC-YT-THANG: indicators[1].colour" in bad.output
    assert "bc-mt-quy.yaml: form BC-MT-QUY: indicators[1]" in bad.output
