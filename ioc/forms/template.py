"""An Excel template per form that a department fills in and uploads back as it is.

One sheet per form, named by its code, with Vietnamese column labels that end in the contract's
field name in brackets (`Giá trị [value]`: what ingest/batch_upload.py reads back) and one row per
indicator already holding the form code, indicator code, unit, period type and period dates. The
unit fills in its code (a list of the form's owners) and the values; Excel's data validation offers
the allowed codes and refuses a value outside the indicator's range before the gateway has to. The
lists live on a hidden sheet, which the upload door skips.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ioc.forms.loader import Forms
from ioc.forms.model import Form, number_text
from streams.model.local_calendar import VN_TZ

LISTS_SHEET = "_DanhMuc"
# (label, field): `-` marks a column for reading only.
COLUMNS = (
    ("Mã báo cáo", "report_code"),
    ("Đơn vị báo cáo", "reporting_unit_code"),
    ("Mã chỉ tiêu", "indicator_code"),
    ("Tên chỉ tiêu", "-"),
    ("Đơn vị tính", "unit_of_measure"),
    ("Loại kỳ", "period_type"),
    ("Từ ngày", "period_start"),
    ("Đến ngày", "period_end"),
    ("Giá trị", "value"),
    ("Khoảng cho phép", "-"),
    ("Mã địa bàn", "area_code"),
    ("Lần điều chỉnh", "revision"),
    ("Ghi chú", "note"),
)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
FILL_IN = PatternFill("solid", fgColor="FFF2CC")


class TemplateError(ValueError):
    """A template that cannot be written: an unknown form or unit, an ad-hoc form without a period."""


def column(field: str) -> str:
    """The spreadsheet letter of a field's column."""
    return get_column_letter(next(i for i, (_, name) in enumerate(COLUMNS, 1) if name == field))


def _position(label: str) -> int:
    return next(i for i, (name, _) in enumerate(COLUMNS, 1) if name == label)


def previous_period(form: Form, today: date) -> tuple[date, date] | None:
    """The last period of the form that has ended by `today` (what a unit reports now)."""
    current = form.period_of(today)
    return None if current is None else form.period_of(current[0] - timedelta(days=1))


def _lists(book: Workbook, forms: list[Form], owners: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Writes each form's unit and indicator codes on the hidden sheet; returns their ranges."""
    sheet = book.create_sheet(LISTS_SHEET)
    sheet.sheet_state = "hidden"
    ranges = {}
    for index, form in enumerate(forms):
        for offset, (kind, values) in enumerate(
            (("units", owners[form.code]), ("indicators", tuple(i.code for i in form.indicators)))
        ):
            letter = get_column_letter(2 * index + offset + 1)
            sheet[f"{letter}1"] = f"{form.code} {kind}"
            for row, value in enumerate(values, 2):
                sheet[f"{letter}{row}"] = value
            ranges[f"{form.code}/{kind}"] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
    return ranges


def _validations(sheet: Worksheet, form: Form, ranges: dict[str, str], last_row: int) -> None:
    def add(validation: DataValidation, field: str) -> None:
        validation.error = "Giá trị không hợp lệ cho biểu mẫu này"
        validation.errorTitle = form.code
        validation.showErrorMessage = True
        sheet.add_data_validation(validation)
        validation.add(f"{column(field)}2:{column(field)}{last_row}")

    add(
        DataValidation(type="list", formula1=ranges[f"{form.code}/units"], allow_blank=False),
        "reporting_unit_code",
    )
    add(DataValidation(type="list", formula1=ranges[f"{form.code}/indicators"]), "indicator_code")
    add(DataValidation(type="list", formula1=f'"{form.code}"'), "report_code")
    add(DataValidation(type="list", formula1=f'"{form.period_type}"'), "period_type")
    add(DataValidation(type="date", operator="greaterThan", formula1="DATE(2000,1,1)"), "period_start")
    add(DataValidation(type="date", operator="greaterThan", formula1="DATE(2000,1,1)"), "period_end")
    add(DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0"), "revision")
    for row, indicator in enumerate(form.indicators, 2):
        kind = "whole" if indicator.type == "integer" else "decimal"
        check = DataValidation(
            type=kind,
            operator="between",
            formula1=f"{number_text(indicator.min)}",
            formula2=f"{number_text(indicator.max)}",
        )
        low, high = number_text(indicator.min), number_text(indicator.max)
        check.error = f"{indicator.code}: từ {low} đến {high} {indicator.unit}"
        check.errorTitle = form.code
        check.showErrorMessage = True
        sheet.add_data_validation(check)
        check.add(f"{column('value')}{row}")


def _sheet(book: Workbook, form: Form, unit: str | None, period: tuple[date, date] | None) -> Worksheet:
    sheet = book.create_sheet(form.code[:31])
    for index, (label, field) in enumerate(COLUMNS, 1):
        cell = sheet.cell(row=1, column=index, value=f"{label} [{field}]")
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        sheet.column_dimensions[get_column_letter(index)].width = max(14, len(label) + 12)
    sheet.column_dimensions[get_column_letter(_position("Tên chỉ tiêu"))].width = 60
    sheet["A1"].comment = Comment(
        f"{form.name_vi}. Kỳ: {form.period_vi}; hạn gửi: {form.due_days} ngày sau ngày cuối kỳ; "
        f"nơi nhận: {form.receiver_vi}. Điền cột màu vàng rồi tải lên nguyên tệp.",
        "IOC",
    )
    for row, indicator in enumerate(form.indicators, 2):
        values = {
            "report_code": form.code,
            "reporting_unit_code": unit,
            "indicator_code": indicator.code,
            "unit_of_measure": indicator.unit,
            "period_type": form.period_type,
            "period_start": period[0] if period else None,
            "period_end": period[1] if period else None,
            "revision": 0,
        }
        for index, (_, field) in enumerate(COLUMNS, 1):
            cell = sheet.cell(row=row, column=index, value=values.get(field))
            if field in ("period_start", "period_end"):
                cell.number_format = "yyyy-mm-dd"
            if field in ("value", "reporting_unit_code", "area_code", "note") or (
                field.startswith("period_") and not period
            ):
                cell.fill = FILL_IN
        sheet.cell(row=row, column=_position("Tên chỉ tiêu"), value=indicator.name_vi)
        sheet.cell(
            row=row,
            column=_position("Khoảng cho phép"),
            value=f"{number_text(indicator.min)} … {number_text(indicator.max)}",
        )
    sheet.freeze_panes = "A2"
    return sheet


def build_template(
    forms: Forms, codes: list[str], unit: str | None = None, period_day: date | None = None
) -> bytes:
    """The .xlsx template of forms `codes` (one sheet each), for `unit` when given, with the period
    that holds `period_day` (default: the last period ended by today) filled in."""
    chosen = []
    for code in codes:
        form = forms.get(code)
        if form is None:
            raise TemplateError(f"không có biểu mẫu {code!r} — no form {code!r}; see `ioc forms list`")
        if unit is not None and unit not in forms.owner_units(code):
            raise TemplateError(f"đơn vị {unit} không báo cáo {code} — unit {unit} does not own form {code}")
        chosen.append(form)
    book = Workbook()
    book.remove(book.active)
    sheets = []
    for form in chosen:
        period = (
            form.period_of(period_day) if period_day else previous_period(form, datetime.now(VN_TZ).date())
        )
        sheets.append((form, _sheet(book, form, unit, period)))
    ranges = _lists(book, chosen, {form.code: forms.owner_units(form.code) for form in chosen})
    for form, sheet in sheets:
        _validations(sheet, form, ranges, len(form.indicators) + 1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
