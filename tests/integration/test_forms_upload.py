"""A department onboarded to a form on the real broker, registry and warehouse: the generated Excel
template, filled in and uploaded as it is, lands in the warehouse; values that break the form are
rejected per record and dead-lettered with their reason, at the upload and the JSON door alike."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime

import httpx
import pytest
from openpyxl import load_workbook

from ingest.keys import KeyStore
from ingest.server import BackgroundServer
from ingest.wiring import connect_gateway
from ioc.forms import province_forms
from ioc.forms.template import build_template
from ioc.stack.ports import free_port
from tests.integration.conftest import RunningStack
from tests.integration.helpers import wait_for, warehouse_client
from tests.integration.test_ingest_http import Gateway, gateway_settings, read_topic
from topics.catalog import DLQ_DEPARTMENT

pytestmark = pytest.mark.integration
UPLOAD = "/v1/uploads/department/report-values"
VALUES = [3, 2, 6, 1450, 612.5]  # BC-ATGT-THANG's five indicators, in the form's order


@pytest.fixture(scope="module")
def gateway(local_stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    settings = gateway_settings(local_stack, tmp_path_factory.mktemp("forms"), rate_per_key_per_s=1e6)
    keys = KeyStore([])
    secrets = {"police": keys.add("police", ["department.*"], ["CA-TINH-*"])}
    server = BackgroundServer(connect_gateway(settings), keys, settings, port=free_port()).start()
    try:
        yield Gateway(server.url, secrets, server)
    finally:
        server.stop()


def filled_template(local_stack: RunningStack, values: list[float], note: str) -> bytes:
    """`ioc forms template BC-ATGT-THANG --unit CA-TINH`, with values and a note typed in."""
    data = build_template(
        province_forms(local_stack.settings), ["BC-ATGT-THANG"], "CA-TINH", date(2026, 11, 3)
    )
    book = load_workbook(io.BytesIO(data))
    sheet = book["BC-ATGT-THANG"]
    header = [cell.value for cell in sheet[1]]
    value, remark = header.index("Giá trị [value]") + 1, header.index("Ghi chú [note]") + 1
    for row, item in enumerate(values, 2):
        sheet.cell(row=row, column=value, value=item)
        sheet.cell(row=row, column=remark, value=note)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_filled_template_is_stored_and_a_bad_row_dead_lettered(
    local_stack: RunningStack, gateway: Gateway
) -> None:
    source, note = f"CA-TINH-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    headers = {"X-API-Key": gateway.keys["police"]}
    files = {"file": ("BC-ATGT-THANG_CA-TINH.xlsx", filled_template(local_stack, VALUES, note))}
    stored = httpx.post(
        gateway.url + UPLOAD, files=files, data={"source_id": source}, headers=headers, timeout=30
    )
    assert stored.status_code == 200, stored.text
    assert (stored.json()["accepted"], stored.json()["rejected"]) == (5, [])

    client = warehouse_client(local_stack.endpoints, local_stack.settings)
    query = (
        "SELECT indicator_code, value, unit_of_measure, period_type, period_start, period_end "
        "FROM department_report_values WHERE note = {note:String} ORDER BY indicator_code"
    )
    rows = wait_for(
        lambda: client.query(query, parameters={"note": note}).result_rows, lambda found: len(found) >= 5, 60
    )
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("ATGT-01", 3, "vụ"), ("ATGT-02", 2, "người"), ("ATGT-03", 6, "người"),
        ("ATGT-04", 1450, "trường hợp"), ("ATGT-05", 612.5, "triệu đồng"),
    ]  # fmt: skip
    assert {(r[3], r[4], r[5]) for r in rows} == {("monthly", date(2026, 10, 15), date(2026, 11, 14))}

    # One row out of range: the file is refused whole, or with valid_only the rest is stored and the
    # row dead-lettered with its reason.
    bad_note = uuid.uuid4().hex
    bad = {"file": ("lan2.xlsx", filled_template(local_stack, [3, 2, 6, 1450, -5], bad_note))}
    refused = httpx.post(
        gateway.url + UPLOAD, files=bad, data={"source_id": source}, headers=headers, timeout=30
    )
    assert refused.status_code == 422
    [rejection] = refused.json()["rejected"]
    assert (rejection["field"], rejection["rule"]) == ("records[4].value", "out-of-range")
    assert rejection["message"].startswith("dòng 6: Giá trị -5 ngoài khoảng [0, 500000] triệu đồng")
    kept = httpx.post(
        gateway.url + UPLOAD,
        files=bad,
        data={"source_id": source, "valid_only": "true"},
        headers=headers,
        timeout=30,
    )
    assert (kept.status_code, kept.json()["accepted"]) == (207, 4)
    letters = read_topic(local_stack, DLQ_DEPARTMENT, source)
    assert [(d["field_path"], d["rule"], d["source_topic"]) for d in letters] == [
        ("records[4].value", "out-of-range", "ioc.department.report-values")
    ]
    assert "ngoài khoảng" in letters[0]["reason"] and b'"value": -5' in letters[0]["payload"]


def test_the_json_door_applies_the_same_form_rules(local_stack: RunningStack, gateway: Gateway) -> None:
    source = f"CA-TINH-{uuid.uuid4().hex[:8]}"
    record = {
        "reporting_unit_code": "CA-TINH",
        "observed_at": datetime.now(UTC).isoformat(),
        "report_code": "BC-ANTT-THANG",
        "indicator_code": "ANTT-02",
        "period_start": "2026-10-15",
        "period_end": "2026-11-14",
        "value": 81.5,
        "unit_of_measure": "%",
    }
    body = {
        "source_id": source,
        "records": [
            record | {"event_id": f"{source}-1"},
            record | {"event_id": f"{source}-2", "unit_of_measure": "vụ"},
            record | {"event_id": f"{source}-3", "reporting_unit_code": "SO-YT"},
        ],
    }
    reply = httpx.post(
        f"{gateway.url}/v1/feeds/department/report-values",
        json=body,
        headers={"X-API-Key": gateway.keys["police"]},
        timeout=30,
    )
    assert reply.status_code == 207
    assert [(r["field"], r["rule"]) for r in reply.json()["rejected"]] == [
        ("records[1].unit_of_measure", "wrong-unit"),
        ("records[2].reporting_unit_code", "not-form-owner"),
    ]
    letters = read_topic(local_stack, DLQ_DEPARTMENT, source)
    assert sorted(d["rule"] for d in letters) == ["not-form-owner", "wrong-unit"]
