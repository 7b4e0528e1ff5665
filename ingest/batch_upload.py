"""Department reports as files: CSV or Excel (.xlsx) rows to the same records the HTTP door takes.

The first row names the columns, which are the record's field names in the feed's contract (see
docs/catalog), alone or at the end of a label in brackets (`Giá trị [value]`, what the form templates
of `ioc forms template` write); a column labelled `... [-]` is for reading only and ignored. An .xlsx
file is read sheet by sheet (every visible sheet, each with its own header row; hidden sheets hold the
template's lists). A cell is text (CSV) or a typed Excel value; it is turned into the JSON value its
field expects where that is unambiguous (whole numbers, decimals with a dot, true/false, Excel dates
for date fields), and otherwise left as it is, so the contract's own rule names the problem. An
empty cell means "not given": the field's default applies, or `required` is reported. Excel
date-time cells carry no zone and are refused (`timestamp-zone`): write times as ISO 8601 text.

Row numbers in reports are the file's own (the header is row 1, so record index i is row i + 2 of
a one-sheet file; `read_upload` gives each record's sheet and row). Two fields a file may leave
empty: `observed_at` is then the moment of the upload (when the unit submitted it), and `event_id`
a digest of the row's other cells, so the same row uploaded twice is stored once.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from ingest.bodies import Refusal
from ingest.feeds import Feed
from ingest.validation import Rejection

WHOLE = re.compile(r"[+-]?\d+")
LABELLED = re.compile(r"\[([A-Za-z0-9_-]+)\]\s*$")
READ_ONLY = "-"
FIRST_DATA_ROW = 2


def row_number(index: int) -> int:
    """The spreadsheet row of the record at `index`."""
    return index + FIRST_DATA_ROW


def _kind(field_type: Any) -> str:
    """The JSON kind a field takes: timestamp, date, int, double, boolean or text."""
    if isinstance(field_type, list):
        field_type = next(branch for branch in field_type if branch != "null")
    if isinstance(field_type, dict):
        logical = field_type.get("logicalType")
        if logical == "timestamp-millis":
            return "timestamp"
        if logical == "date":
            return "date"
        field_type = field_type["type"]
    return {"int": "int", "long": "int", "double": "double", "float": "double", "boolean": "boolean"}.get(
        str(field_type), "text"
    )


def _cell(value: Any, kind: str) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if kind in ("int", "timestamp") and WHOLE.fullmatch(text):
            return int(text)
        if kind == "double":
            try:
                return float(text)
            except ValueError:
                return text
        if kind == "boolean" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        return text
    if isinstance(value, datetime):
        return value.date().isoformat() if kind == "date" else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and kind in ("int", "text"):
        value = int(value)
    if kind == "text" and not isinstance(value, bool):
        return str(value)
    return value


def _column(label: Any) -> str:
    """The field a header cell names: `value`, or `Giá trị [value]`; "" for `[-]` and empty cells."""
    text = str(label).strip() if label is not None else ""
    found = LABELLED.search(text)
    if found is not None:
        return "" if found.group(1) == READ_ONLY else found.group(1)
    return text


def _rows_to_records(feed: Feed, header: list[Any], rows: list[list[Any]]) -> list[dict[str, Any]]:
    kinds = {field["name"]: _kind(field["type"]) for field in feed.record_schema["fields"]}
    names = [_column(name) for name in header]
    unknown = [name for name in names if name and name not in kinds]
    if unknown:
        raise Refusal(
            422,
            "unknown-column",
            f"Cột không có trong hợp đồng — column {unknown[0]!r} is not a field of {feed.name}",
            unknown[0],
            "unknown-field",
        )
    records = []
    for row in rows:
        record = {
            name: _cell(value, kinds[name])
            for name, value in zip(names, row, strict=False)
            if name and value is not None and value != ""
        }
        records.append(record)
    return records


def _csv_rows(data: bytes) -> list[list[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Refusal(400, "invalid-utf8", f"Tệp CSV không phải UTF-8 — CSV is not UTF-8 ({exc})") from None
    return [list(row) for row in csv.reader(io.StringIO(text))]


def _xlsx_sheets(data: bytes) -> list[tuple[str, list[list[Any]]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise Refusal(400, "invalid-xlsx", f"Tệp Excel hỏng — not a readable .xlsx file ({exc})") from None
    try:
        return [
            (sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)])
            for sheet in workbook.worksheets
            if sheet.sheet_state == "visible"
        ]
    finally:
        workbook.close()


def _trimmed(rows: list[list[Any]]) -> list[list[Any]]:
    # Trailing blank rows are what spreadsheets leave behind; blank rows inside keep their numbers.
    while rows and not any(cell not in (None, "") for cell in rows[-1]):
        rows.pop()
    return rows


def read_upload(feed: Feed, filename: str, data: bytes) -> tuple[list[dict[str, Any]], list[str]]:
    """The records of a .csv or .xlsx file, one per row after each sheet's header, and where each
    came from (`dòng 5`, or `trang BC-ATGT-THANG, dòng 5` when the file has several sheets)."""
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix == "csv":
        sheets = [("", _csv_rows(data))]
    elif suffix == "xlsx":
        sheets = _xlsx_sheets(data)
    else:
        raise Refusal(
            415, "unsupported-file", f"Chỉ nhận .csv hoặc .xlsx — only .csv or .xlsx files ({filename!r:.60})"
        )
    sheets = [(title, _trimmed(rows)) for title, rows in sheets]
    sheets = [(title, rows) for title, rows in sheets if len(rows) >= FIRST_DATA_ROW]
    if not sheets:
        raise Refusal(422, "empty-file", "Tệp không có dòng dữ liệu — the file has a header but no data rows")
    records: list[dict[str, Any]] = []
    places: list[str] = []
    for title, rows in sheets:
        found = _rows_to_records(feed, rows[0], rows[1:])
        records += found
        sheet = f"trang {title}, " if len(sheets) > 1 else ""
        places += [f"{sheet}dòng {row_number(i)}" for i in range(len(found))]
    return records, places


def with_file_defaults(
    records: list[dict[str, Any]], uploaded_at: datetime | None = None
) -> list[dict[str, Any]]:
    """Rows with the two fields a file may leave empty filled in: `observed_at` (the upload's moment)
    and `event_id` (a digest of the row's other cells, so a re-upload is recognised)."""
    moment = (uploaded_at or datetime.now(UTC)).isoformat()
    out = []
    for record in records:
        filled = dict(record)
        if "event_id" not in filled:
            cells = {k: v for k, v in filled.items() if k != "observed_at"}
            digest = hashlib.sha256(json.dumps(cells, sort_keys=True, default=str).encode()).hexdigest()
            filled["event_id"] = f"row-{digest[:24]}"
        filled.setdefault("observed_at", moment)
        out.append(filled)
    return out


def located(rejections: list[Rejection], places: list[str]) -> list[Rejection]:
    """Rejections whose messages start with the sheet and row they came from."""
    return [replace(r, message=f"{places[r.index]}: {r.message}") for r in rejections]
