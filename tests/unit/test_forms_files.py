"""What departments and integrators get from the forms: the Excel template (read back as it is by
the upload door), the catalogue pages (current), and a simulator whose report values fit the forms."""

from __future__ import annotations

import io
import random
from datetime import UTC, date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from ingest.batch_upload import located, read_upload, with_file_defaults
from ingest.validation import check_records, time_window
from ioc.forms.pages import DEFAULT_DIR, render_pages
from ioc.forms.template import LISTS_SHEET, TemplateError, build_template
from load_tests.departments import DepartmentFeeds, DepartmentRates
from tests.unit.test_forms import FEED, FORMS, PROVINCE
from topics.catalog import DEPARTMENT_REPORT_VALUES

STALE = "docs/catalog/forms is out of date with config/report_forms: run `ioc forms docs`"


def fill(data: bytes, values: dict[str, list[Any]]) -> bytes:
    """The template with column `Giá trị [value]` of each named sheet filled in, saved as Excel would."""
    book = load_workbook(io.BytesIO(data))
    for title, column in values.items():
        sheet = book[title]
        header = [cell.value for cell in sheet[1]]
        letter = chr(ord("A") + header.index("Giá trị [value]"))
        for row, item in enumerate(column, 2):
            sheet[f"{letter}{row}"] = item
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_filled_template_is_accepted_back_as_it_is() -> None:
    data = build_template(
        FORMS, ["BC-ATGT-THANG", "BC-ANTT-THANG"], unit="CA-TINH", period_day=date(2026, 11, 3)
    )
    filled = fill(data, {"BC-ATGT-THANG": [3, 2, 5, 1200, 350.5], "BC-ANTT-THANG": [14, 82.5, 6, 2, 120]})
    records, places = read_upload(FEED, "mau.xlsx", filled)
    accepted, rejected = check_records(
        FEED, with_file_defaults(records), time_window(300, 7), datetime.now(UTC)
    )
    assert rejected == [] and len(accepted) == 10
    first = accepted[0].datum
    assert (first["report_code"], first["reporting_unit_code"], first["indicator_code"]) == (
        "BC-ATGT-THANG", "CA-TINH", "ATGT-01",
    )  # fmt: skip
    assert (first["period_start"], first["period_end"], first["unit_of_measure"]) == (
        date(2026, 10, 15), date(2026, 11, 14), "vụ",
    )  # fmt: skip
    assert places[5] == "trang BC-ANTT-THANG, dòng 2"
    # The same file again has the same derived ids: stored once.
    again = with_file_defaults(read_upload(FEED, "mau.xlsx", filled)[0])
    assert [r["event_id"] for r in again] == [item.event_id for item in accepted]


def test_a_wrong_cell_is_named_by_sheet_row_field_and_rule() -> None:
    data = build_template(FORMS, ["BC-YT-THANG"], unit="SO-YT", period_day=date(2026, 11, 3))
    records, places = read_upload(FEED, "yt.xlsx", fill(data, {"BC-YT-THANG": [100, 5, 7, 120, 80]}))
    _, rejected = check_records(FEED, with_file_defaults(records), time_window(300, 7), datetime.now(UTC))
    [rejection] = located(rejected, places)
    assert (rejection.field, rejection.rule) == ("records[3].value", "out-of-range")
    assert rejection.message.startswith("dòng 5: Giá trị 120 ngoài khoảng [0, 100] %")


def test_the_template_has_vietnamese_headers_lists_and_ranges() -> None:
    book = load_workbook(io.BytesIO(build_template(FORMS, ["BC-DVC-THANG"])))
    assert book.sheetnames == ["BC-DVC-THANG", LISTS_SHEET]
    assert book[LISTS_SHEET].sheet_state == "hidden"
    sheet = book["BC-DVC-THANG"]
    assert [cell.value for cell in sheet[1]][:3] == [
        "Mã báo cáo [report_code]", "Đơn vị báo cáo [reporting_unit_code]", "Mã chỉ tiêu [indicator_code]",
    ]  # fmt: skip
    lists = book[LISTS_SHEET]
    units = [row[0] for row in lists.iter_rows(min_row=2, max_col=1, values_only=True)]
    assert units == list(FORMS.owner_units("BC-DVC-THANG"))
    rules = {(v.type, v.formula1, v.formula2) for v in sheet.data_validations.dataValidation}
    assert ("list", f"'{LISTS_SHEET}'!$A$2:$A${len(units) + 1}", None) in rules
    assert ("decimal", "0", "100") in rules and ("whole", "0", "200000") in rules
    assert sheet.max_row == 1 + len(FORMS.get("BC-DVC-THANG").indicators)  # type: ignore[union-attr]


@pytest.mark.parametrize(("codes", "unit"), [(["BC-NOPE"], None), (["BC-YT-THANG"], "CA-TINH")])
def test_a_template_for_an_unknown_form_or_a_unit_that_does_not_own_it_is_refused(
    codes: list[str], unit: str | None
) -> None:
    with pytest.raises(TemplateError):
        build_template(FORMS, codes, unit)


def test_committed_form_pages_are_what_the_forms_generate() -> None:
    committed = {path.name: path.read_text(encoding="utf-8") for path in DEFAULT_DIR.glob("*.md")}
    generated = render_pages(FORMS)
    assert sorted(committed) == sorted(generated), STALE
    for name, text in generated.items():
        assert committed[name] == text, f"{name}: {STALE}"


def test_every_form_page_example_is_accepted() -> None:
    import json
    import re

    for form in FORMS:
        (block,) = re.findall(r"```json\n(.*?)\n```", render_pages(FORMS)[f"{form.code}.md"], re.S)
        record = json.loads(block)
        moment = datetime.fromisoformat(record["observed_at"])
        accepted, rejected = check_records(FEED, [record], time_window(300, 100_000), moment)
        assert rejected == [], (form.code, rejected)


def test_every_value_the_simulator_sends_fits_a_form() -> None:
    feeds = DepartmentFeeds(PROVINCE, random.Random(3), DepartmentRates())
    records = [
        r
        for spec, _, r in feeds.minute(datetime(2026, 11, 25, 3, tzinfo=UTC))
        if spec == DEPARTMENT_REPORT_VALUES
    ]
    sent = {(r["report_code"], r["indicator_code"]) for r in records}
    in_forms = {(form.code, indicator.code) for form in FORMS for indicator in form.indicators}
    assert sent - in_forms == set()
    scheduled = {(f.code, i.code) for f in FORMS if f.schedule is not None for i in f.indicators}
    assert sent == scheduled  # every scheduled form is filled in by someone
    for record in records:  # and each value is one its form accepts
        raw = {
            **record,
            "observed_at": record["observed_at"].isoformat(),
            "period_start": record["period_start"].isoformat(),
            "period_end": record["period_end"].isoformat(),
        }
        accepted, rejected = check_records(FEED, [raw], time_window(300, 100_000), record["observed_at"])
        assert rejected == [], rejected


def test_the_feed_s_published_example_fits_the_forms() -> None:
    import json

    from avro_schemas import SCHEMA_DIR

    example = json.loads((SCHEMA_DIR / "examples" / "department" / "report_values.json").read_text("utf-8"))
    for record in example["records"]:
        moment = datetime.fromisoformat(record["observed_at"])
        assert check_records(FEED, [record], time_window(300, 100_000), moment)[1] == []
