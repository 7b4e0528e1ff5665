"""A report value judged against its form: the rules every door applies to `department.report-values`.

Called by `ingest.validation.check_record` after the contract's own checks, so a value that breaks
its form is rejected like any other bad record: a per-record error naming the field and the rule,
and the department dead-letter topic. Two fields the form already knows may be left out: an empty
`unit_of_measure` takes the indicator's unit, and a missing `period_type` the form's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from avro_schemas.json_records import RecordError
from ioc.forms.loader import Forms
from ioc.forms.model import number_text

# rule -> (Vietnamese, English) explanation, for the catalogue's form pages.
RULES = {
    "unknown-form": (
        "Mã báo cáo không có trong danh mục biểu mẫu",
        "report_code is not a form of the province",
    ),
    "unknown-indicator": (
        "Mã chỉ tiêu không thuộc biểu mẫu",
        "indicator_code is not an indicator of the form",
    ),
    "not-form-owner": (
        "Đơn vị không có nghĩa vụ báo cáo biểu mẫu này",
        "the reporting unit does not own (report) this form",
    ),
    "wrong-unit": ("Sai đơn vị tính", "unit_of_measure is not the indicator's unit"),
    "out-of-range": ("Giá trị ngoài khoảng cho phép", "value outside the indicator's allowed range"),
    "not-integer": ("Chỉ tiêu chỉ nhận số nguyên", "the indicator takes whole numbers only"),
    "wrong-period-type": ("Sai loại kỳ báo cáo", "period_type is not the form's period kind"),
    "wrong-period": (
        "Kỳ báo cáo không đúng kỳ của biểu mẫu (Nghị định 09/2019: chốt số liệu ngày 14)",
        "period_start/period_end is not one of the form's Decree 09 periods",
    ),
}


def _same_unit(given: str, expected: str) -> bool:
    return " ".join(given.split()).casefold() == " ".join(expected.split()).casefold()


class FormCheck:
    """Checks one converted report value against the forms in force (`forms()` is asked each time,
    so a reloaded set applies to the next record)."""

    def __init__(self, forms: Callable[[], Forms]) -> None:
        self.forms = forms

    def __call__(self, raw: dict[str, Any], datum: dict[str, Any]) -> dict[str, Any]:
        """The datum (with the form's unit and period type filled in), or RecordError."""
        forms = self.forms()
        code = datum["report_code"]
        form = forms.get(code)
        if form is None:
            known = ", ".join(sorted(f.code for f in forms))
            raise RecordError(
                "report_code",
                "unknown-form",
                f"Không có biểu mẫu {code!r} — no form {code!r}; forms: {known} (see docs/catalog/forms)",
            )
        unit = datum["reporting_unit_code"]
        if unit not in forms.owner_units(code):
            raise RecordError(
                "reporting_unit_code",
                "not-form-owner",
                f"Đơn vị {unit!r} không báo cáo biểu mẫu {code} — unit {unit!r} does not own form {code}",
            )
        indicator = form.indicator(datum["indicator_code"])
        if indicator is None:
            known = ", ".join(i.code for i in form.indicators)
            raise RecordError(
                "indicator_code",
                "unknown-indicator",
                f"Biểu mẫu {code} không có chỉ tiêu {datum['indicator_code']!r} — no such indicator; "
                f"the form's indicators: {known}",
            )
        if not datum["unit_of_measure"].strip():
            datum["unit_of_measure"] = indicator.unit
        elif not _same_unit(datum["unit_of_measure"], indicator.unit):
            raise RecordError(
                "unit_of_measure",
                "wrong-unit",
                f"Chỉ tiêu {indicator.code} tính bằng {indicator.unit!r}, không phải "
                f"{datum['unit_of_measure']!r} — the indicator's unit is {indicator.unit!r}",
            )
        value = datum["value"]
        if indicator.type == "integer" and not float(value).is_integer():
            raise RecordError(
                "value", "not-integer", f"Chỉ tiêu {indicator.code} là số nguyên — {value} is not whole"
            )
        if not indicator.min <= value <= indicator.max:
            raise RecordError(
                "value",
                "out-of-range",
                f"Giá trị {number_text(value)} ngoài khoảng [{number_text(indicator.min)}, "
                f"{number_text(indicator.max)}] {indicator.unit} "
                f"của chỉ tiêu {indicator.code} — value outside the allowed range",
            )
        if raw.get("period_type") in (None, ""):
            datum["period_type"] = form.period_type
        elif datum["period_type"] != form.period_type:
            raise RecordError(
                "period_type",
                "wrong-period-type",
                f"Biểu mẫu {code} báo cáo theo kỳ {form.period_type}, không phải {datum['period_type']} — "
                "period_type is not the form's",
            )
        self._check_period(form.code, form.period_of(datum["period_end"]), datum)
        return datum

    @staticmethod
    def _check_period(code: str, expected: tuple[date, date] | None, datum: dict[str, Any]) -> None:
        start, end = datum["period_start"], datum["period_end"]
        if expected is None:  # ad hoc: any period, in order
            if start > end:
                raise RecordError(
                    "period_start", "wrong-period", f"Từ ngày {start} sau đến ngày {end} — start after end"
                )
            return
        if (start, end) != expected:
            raise RecordError(
                "period_start" if end == expected[1] else "period_end",
                "wrong-period",
                f"Kỳ {start}…{end} không phải kỳ báo cáo của {code}; kỳ chứa ngày {end} là "
                f"{expected[0]}…{expected[1]} — not one of the form's periods (Decree 09/2019 cut-off)",
            )
