"""A period report on the real warehouse: crafted values of BC-DVC-THANG for two months (a corrected
revision, a value under a former commune code, units and indicators left out), the report generated
to HTML and PDF by Debian's chromium, every number of its totals checked against SQL over the raw
table (latest revision of each value), the missing units against the form's owners, its row in
`reports`, and its place in the upward outbox. Then the schedule: a pass after the next month's due
day makes that month's report (from one unit's value: incomplete, still made) and e-mails it to a
loopback SMTP server once; the report made again and a second pass send nothing more."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from clickhouse_connect.driver.client import Client

from ioc.forms import province_forms
from ioc.settings import ReportSettings
from reports import store
from reports.period import period_bounds
from reports.render import _number
from reports.service import generate_period, send_period, tick
from reports.upward.mapping import load_mapping
from reports.upward.payload import build_payload
from tests.integration.conftest import RunningStack
from tests.integration.helpers import warehouse_client
from tests.mail_box import smtp_server
from warehouse.users import WRITER

RUN = uuid.uuid4().hex[:8]
FORM = "BC-DVC-THANG"
# A month long past, so no other test's values fall in it: 15/05/2024 to 14/06/2024, and the one before.
NAME, THIS, BEFORE = "2024-06", (date(2024, 5, 15), date(2024, 6, 14)), (date(2024, 4, 15), date(2024, 5, 14))
# The month after, for the schedule: 15/06/2024 to 14/07/2024, due (5 days) on 19/07/2024.
NEXT_NAME, NEXT = "2024-07", (date(2024, 6, 15), date(2024, 7, 14))
VN = ZoneInfo("Asia/Ho_Chi_Minh")
COLUMNS = ["event_id", "source_id", "reporting_unit_code", "observed_at", "report_code", "indicator_code",
           "period_type", "period_start", "period_end", "value", "unit_of_measure", "area_code", "revision", "note",
           "kafka_topic", "kafka_partition", "kafka_offset"]  # fmt: skip
# (period, unit, indicator, area, value, revision)
VALUES = [
    (THIS, "TT-HCC", "DVC-01", "", 120, 0),
    (THIS, "TT-HCC", "DVC-01", "", 130, 1),  # the correction replaces 120
    (THIS, "TT-HCC", "DVC-04", "", 97.5, 0),
    (THIS, "UBND-26001", "DVC-01", "", 40, 0),
    (THIS, "UBND-26001", "DVC-04", "", 99.5, 0),
    (THIS, "UBND-26002", "DVC-01", "73103", 25, 0),  # a former commune code, counted under 26002
    (BEFORE, "TT-HCC", "DVC-01", "", 150, 0),
    (BEFORE, "UBND-26001", "DVC-01", "", 30, 0),
    (BEFORE, "TT-HCC", "DVC-04", "", 96, 0),
    (NEXT, "TT-HCC", "DVC-01", "", 140, 0),  # the only value of the next month
]


@pytest.fixture(scope="module")
def filled(local_stack: RunningStack) -> Client:
    client = warehouse_client(local_stack.endpoints, local_stack.settings, WRITER)
    observed = datetime.now(UTC) - timedelta(hours=1)
    rows = [
        [f"PV-{RUN}-{i}", "crafted.period", unit, observed + timedelta(seconds=revision), FORM, indicator, "monthly",
         period[0], period[1], float(value), "", area, revision, "", "crafted.period", 0, i]
        for i, (period, unit, indicator, area, value, revision) in enumerate(VALUES)
    ]  # fmt: skip
    client.insert("department_report_values", rows, column_names=COLUMNS)
    return client


@pytest.fixture(scope="module")
def generated(filled: Client, local_stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return generate_period(filled, local_stack.settings, FORM, NAME, tmp_path_factory.mktemp("period"))


def totals_sql(client: Client, period: tuple[date, date]) -> dict[str, float]:
    """Each indicator's province total straight from the raw table: the latest revision of each
    (unit, indicator, area) value, summed or averaged as BC-DVC-THANG says (DVC-01 sum, DVC-04 mean)."""
    rows = client.query(
        "SELECT indicator_code, if(indicator_code = 'DVC-04', avg(v), sum(v)) FROM ("
        " SELECT indicator_code, argMax(value, (revision, observed_at)) AS v FROM department_report_values"
        " WHERE report_code = {form:String} AND period_start = {first:Date} AND period_end = {last:Date}"
        " GROUP BY reporting_unit_code, indicator_code, area_code) GROUP BY indicator_code",
        parameters={"form": FORM, "first": period[0], "last": period[1]},
    ).result_rows
    return {code: float(total) for code, total in rows}


def cells(html: str, code: str) -> dict[str, str]:
    """The totals row of indicator `code` as shown: its cells by class."""
    row = html.split(f'<tr data-code="{code}">')[1].split("</tr>")[0]
    found = re.findall(r'<td class="num (\w+)">(.*?)</td>|<td class="(verdict)">(.*?)</td>', row, re.S)
    return {a or c: unescape(re.sub(r"<[^>]+>", "", b or d)).strip() for a, b, c, d in found}


def test_the_reports_numbers_equal_the_sql_of_both_periods_with_plan_change_and_missing_units(
    filled: Client, generated: Any, local_stack: RunningStack
) -> None:
    report, files = generated
    now, before = totals_sql(filled, THIS), totals_sql(filled, BEFORE)
    assert now == {"DVC-01": 195.0, "DVC-04": 98.5} and before == {"DVC-01": 180.0, "DVC-04": 96.0}
    results = {r.indicator.code: r for r in report.results}
    for code in ("DVC-01", "DVC-04"):
        assert results[code].total.current == pytest.approx(now[code])
        assert results[code].total.previous == pytest.approx(before[code])
        assert results[code].total.change == pytest.approx(now[code] - before[code])
    html = files.html_path.read_text(encoding="utf-8")
    assert cells(html, "DVC-01") == {
        "current": "195*", "previous": "180", "change": "+15", "pct": "+8,3 %", "plan": "—", "verdict": "—",
    }  # fmt: skip
    target = results["DVC-04"].indicator.target
    assert target is not None
    assert cells(html, "DVC-04") == {
        "current": f"{_number(98.5, 2)}*", "previous": _number(96, 2), "change": f"+{_number(2.5, 2)}",
        "pct": "+2,6 %", "plan": f"≥ {_number(target.value)}", "verdict": "Chưa đủ số liệu",
    }  # fmt: skip
    # Indicators nobody sent: no data, never zero, and no figure upward.
    assert cells(html, "DVC-02")["current"] == "Không có dữ liệu"
    assert set(report.figures()) == {"BC-DVC-THANG.DVC-01", "BC-DVC-THANG.DVC-04"}

    owners = set(province_forms(local_stack.settings).owner_units(FORM))
    reported = {row[0] for row in filled.query(
        "SELECT DISTINCT reporting_unit_code FROM department_report_values_current "
        "WHERE report_code = {form:String} AND period_start = {first:Date}",
        parameters={"form": FORM, "first": THIS[0]},
    ).result_rows}  # fmt: skip
    assert reported == {"TT-HCC", "UBND-26001", "UBND-26002"}
    assert set(report.silent_units) == owners - reported
    assert set(results["DVC-04"].total.missing_units) == owners - {"TT-HCC", "UBND-26001"}
    for unit in owners - reported:
        assert f"({unit}): không gửi số liệu kỳ này" in html
    assert "(UBND-26002)" in next(line for line in report.missing() if line.startswith("DVC-04"))

    areas = {a.area_code: a.line for a in results["DVC-01"].areas}
    assert (areas["75"].current, areas["75"].previous) == (130.0, 150.0)
    assert (areas["26001"].current, areas["26001"].previous) == (40.0, 30.0)
    assert (areas["26002"].current, areas["26002"].previous) == (25.0, None)
    assert "73103" not in areas


def test_the_report_is_listed_printed_and_waiting_in_the_upward_outbox(
    filled: Client, generated: Any, local_stack: RunningStack
) -> None:
    report, files = generated
    assert files.pdf_path is not None and files.pdf_path.read_bytes().startswith(b"%PDF")
    assert Path(files.pdf_path).name == "period-BC-DVC-THANG-2024-06.pdf"
    start, end = period_bounds(THIS)
    stored = [
        r for r in store.ended_since(filled, end - timedelta(days=1)) if r.report_id == report.report_id
    ]
    assert len(stored) == 1
    row = stored[0]
    assert (row.kind, row.form_code, row.period_start, row.period_end) == ("period", FORM, start, end)
    assert row.figures == report.figures() and row.missing == report.missing() and row.pdf_path
    document, unmapped = build_payload(
        row, load_mapping(local_stack.settings.reports.national_codes), "75", "Đồng Nai"
    )
    assert document["report"]["kind"] == "period" and document["report"]["form_code"] == FORM
    assert document["report"]["period"]["start"] == "2024-05-15T00:00:00+07:00"
    assert document["attachment"]["sha256"] == files.pdf_sha256
    assert unmapped == []
    assert {i["province_code"]: i["value"] for i in document["indicators"]} == report.figures()


def test_a_schedule_pass_makes_the_due_period_report_and_e_mails_it_once(
    filled: Client, generated: Any, local_stack: RunningStack, tmp_path: Path
) -> None:
    readers = ["giamdoc@tinh.gov.vn", "pgd@tinh.gov.vn"]
    report_id = f"period:{FORM}:{NEXT_NAME}"
    after_due_day = datetime(2024, 7, 20, 9, 0, tzinfo=VN)  # 19/07 is over, local time
    assert store.find(filled, report_id) is None
    with smtp_server() as (box, port):
        settings = local_stack.settings.model_copy(
            update={
                "routing": local_stack.settings.routing.model_copy(update={"smtp_port": port}),
                "reports": ReportSettings(recipients=", ".join(readers), out_dir=tmp_path, catch_up_days=0),
            }
        )
        forms = province_forms(settings)
        tick(filled, settings, after_due_day, forms)
        first = len(box.messages)
        stored = store.find(filled, report_id)
        # A late correction: the report made again by hand keeps its id, so nobody gets it twice.
        generate_period(filled, settings, FORM, NEXT_NAME, tmp_path)
        tick(filled, settings, after_due_day + timedelta(hours=1), forms)
        again = send_period(filled, settings, FORM, "2024-07-01")  # any day of the period names it

    def mails() -> list[Any]:
        return [
            m for m in box.messages
            if [a.get_filename() for a in m.iter_attachments()] == [f"period-{FORM}-{NEXT_NAME}.pdf"]
        ]  # fmt: skip

    assert stored is not None and stored.kind == "period" and stored.pdf_path.startswith(str(tmp_path))
    assert (stored.period_start, stored.period_end) == period_bounds(NEXT)
    assert stored.figures == {f"{FORM}.DVC-01": 140.0}  # one unit of many: incomplete, still made
    assert any("không gửi số liệu kỳ này" in line for line in stored.missing)
    sent = mails()
    assert sorted(m["To"] for m in sent) == readers
    assert "tháng 7/2024" in sent[0]["Subject"]
    assert next(iter(sent[0].iter_attachments())).get_content().startswith(b"%PDF")
    assert "không gửi số liệu kỳ này" in sent[0].get_body(preferencelist=("plain",)).get_content()
    # The other forms' due periods were made in the same pass, the briefs' day too; nothing after it.
    assert first > len(sent) and len(box.messages) == first and mails() == sent
    assert again == dict.fromkeys(readers, "already sent")
    ledger = filled.query(
        "SELECT address, status FROM report_deliveries FINAL WHERE destination = 'email' AND report_id = {r:String}",
        parameters={"r": report_id},
    ).result_rows
    assert sorted(ledger) == [("g***@tinh.gov.vn", "sent"), ("p***@tinh.gov.vn", "sent")]
