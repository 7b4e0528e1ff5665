"""The daily brief on the real warehouse: crafted rows for a past local day (the wall's crafted set,
placed in that day, plus alerts with their routing, a daily VN_AQI and hotline tickets), the brief
generated to HTML and PDF by Debian's chromium, every figure checked against the wall panel's SQL or
an independent SQL over the same range, the `reports` row, the e-mail with its PDF over a real SMTP
server, and the exporter against a loopback receiver that times out, fails, refuses and accepts."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client

from ioc.province import load_province
from ioc.settings import ReportSettings
from reports import store
from reports.daily import day_bounds, wall_range
from reports.render import _number
from reports.service import generate_daily, runner, send_daily
from reports.upward.exporter import drain
from reports.upward.mapping import load_mapping
from reports.upward.transport import HttpTransport
from tests.integration.conftest import RunningStack
from tests.integration.helpers import warehouse_client
from tests.integration.wall_data import crafted
from tests.mail_box import smtp_server
from tests.unit.test_reports import Receiver
from wall.dashboards import overview, public_order, public_services
from wall.macros import expand
from warehouse.users import WRITER

RUN = uuid.uuid4().hex[:8]
# A past local day, never the 1st (a month window and a day window would then share their start).
TODAY = datetime.now(UTC).date()
DAY = TODAY - timedelta(days=20 if (TODAY - timedelta(days=20)).day != 1 else 21)
START, END = day_bounds(DAY)


def at(hours: float) -> datetime:
    """`hours` after the day's local midnight, as UTC."""
    return START + timedelta(hours=hours)


def alerts_rows(province: Any) -> tuple[list[str], list[list[Any]]]:
    """Three alerts opened in the day; each ends resolved (so the wall's open-alert counts of other
    tests are untouched), but at 24:00 one was resolved, one only acknowledged, one neither."""
    columns = ["alert_id", "identifier", "sender", "sent", "status", "msg_type", "scope", "severity", "area_desc",
               "area_code", "category", "rule_id", "state", "revision", "opened_at", "updated_at",
               "acknowledged_at", "resolved_at", "entity_type", "entity_id", "headline_vi", "kafka_topic",
               "kafka_partition", "kafka_offset"]  # fmt: skip
    area = province.areas[13]
    specs = [  # id, severity, opened, acknowledged, resolved (hours after midnight)
        ("A0", "Severe", 8, 8 + 10 / 60, 9),
        ("A1", "Moderate", 10, 10.5, 25),
        ("A2", "Minor", 22, None, 27),
    ]
    rows: list[list[Any]] = []
    for name, severity, opened, acked, resolved in specs:
        alert_id = f"RA-{RUN}-{name}"
        changes = [("open", opened, None, None)]
        if acked is not None:
            changes.append(("acknowledged", acked, acked, None))
        changes.append(("resolved", resolved, acked, resolved))
        for revision, (state, when, ack, res) in enumerate(changes):
            rows.append(
                [alert_id, f"{alert_id}-{revision}", "ioc@localhost", at(when), "Actual", "Alert", "Public", severity,
                 area.name_vi, area.code, "traffic", "congestion", state, revision, at(opened), at(when),
                 at(ack) if ack is not None else None, at(res) if res is not None else None, "intersection",
                 province.intersections[0].id, "Ùn tắc", "crafted.reports", 0, len(rows)]
            )  # fmt: skip
    return columns, rows


def routed_rows() -> tuple[list[str], list[list[Any]]]:
    columns = ["event_id", "occurred_at", "action", "alert_id", "alert_revision", "category", "severity",
               "area_code", "unit_code", "officer_id", "level", "channel", "address", "kind", "message_id",
               "attempt", "detail", "kafka_topic", "kafka_partition", "kafka_offset"]  # fmt: skip
    units = {"A0": ("CSGT", 8), "A1": ("CSGT", 10), "A2": ("IOC-TRUC", 22)}
    rows = [
        [f"N-{RUN}-{name}", at(hour), "routed", f"RA-{RUN}-{name}", 0, "traffic", "Severe", "", unit, "", 0, "", "",
         "", "", 0, "", "crafted.reports", 0, index]
        for index, (name, (unit, hour)) in enumerate(units.items())
    ]  # fmt: skip
    return columns, rows


def hotline_rows() -> tuple[list[str], list[list[Any]]]:
    columns = ["event_id", "source_id", "ticket_id", "observed_at", "reported_at", "ticket_status", "channel",
               "category", "priority", "description", "area_code", "address", "assigned_unit_code",
               "kafka_topic", "kafka_partition", "kafka_offset"]  # fmt: skip
    tickets = [  # ticket, category, reported, [(status, when)]
        ("T1", "giao_thong", 8, [("new", 8), ("resolved", 10)]),
        ("T2", "giao_thong", 9, [("new", 9), ("in_progress", 11)]),
        ("T3", "moi_truong", -14, [("new", -14), ("resolved", 12)]),
        ("T4", "moi_truong", 20, [("new", 20), ("resolved", 26)]),
    ]
    rows = []
    for ticket, category, reported, updates in tickets:
        for status, when in updates:
            rows.append(
                [f"H-{RUN}-{ticket}-{status}", "SRC-1022", f"{RUN}-{ticket}", at(when), at(reported), status, "phone",
                 category, "normal", "Phản ánh", "", "", "", "crafted.reports", 0, len(rows)]
            )  # fmt: skip
    return columns, rows


def aqi_daily_rows(province: Any) -> tuple[list[str], list[list[Any]]]:
    """Daily VN_AQI of two stations: the window reaches 7 h before the day and ends with it."""
    columns, rows = crafted(province, at(20), set())["indicators"][0], []
    stations = [s for s in province.stations if s.kind == "air_quality"][:2]
    for index, (station, value) in enumerate(zip(stations, (87.0, 164.0), strict=True)):
        rows.append(["environment.aqi_daily", "station", station.id, station.area, START - timedelta(hours=7), END,
                     value, "VN_AQI", 24, 1, 1, at(25), "PM2.5", "crafted.reports", 1, index])  # fmt: skip
    return columns, rows


def one(client: Client, sql: str) -> Any:
    return client.query(sql, parameters={"start": START, "end": END}).result_rows[0][0]


@pytest.fixture(scope="module")
def filled(local_stack: RunningStack) -> Client:
    client = warehouse_client(local_stack.endpoints, local_stack.settings, WRITER)
    province = load_province(local_stack.settings.province_file)
    tables = crafted(province, at(20), set())
    tables.pop("alerts")  # the wall's crafted alerts have fixed ids; these are the run's own
    for table, (columns, rows) in {
        **tables, "alerts": alerts_rows(province), "notifications": routed_rows(),
        "department_hotline_reports": hotline_rows(), "aqi_daily": aqi_daily_rows(province),
    }.items():  # fmt: skip
        client.insert("indicators" if table == "aqi_daily" else table, rows, column_names=columns)
    return client


@pytest.fixture(scope="module")
def generated(
    filled: Client, local_stack: RunningStack, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Any, Any]:
    """The day's brief, generated once (HTML and PDF) and recorded in `reports`."""
    return generate_daily(filled, local_stack.settings, DAY, tmp_path_factory.mktemp("reports"))


def test_every_figure_of_the_brief_equals_the_wall_panel_or_the_sql_for_the_day(
    filled: Client, generated: tuple[Any, Any]
) -> None:
    brief, files = generated
    figures = brief.figures()
    wall = runner(filled)
    time_range = wall_range(DAY)

    def wall_value(sql: str) -> Any:
        return wall(expand(sql, time_range), {})[0]["value"]

    def wall_sum(sql: str) -> float:
        return sum(row["value"] for row in wall(expand(sql, time_range), {}))

    expected = {
        # The wall's own panels for the same range.
        "daily.traffic.vehicles": wall_sum(overview.hourly_volume_sql()),
        "daily.public_order.incidents": wall_sum(public_order.incidents_per_hour_sql()),
        "daily.public_service.dossiers_received": wall_value(public_services.received_today_sql()),
        "daily.public_service.dossiers_overdue": wall_value(public_services.overdue_today_sql()),
        # Independent SQL over the day.
        "daily.traffic.violations": one(filled, "SELECT sum(value) FROM indicators_current WHERE "
                                        "startsWith(indicator, 'traffic.violations.') AND entity_type = 'area' AND "
                                        "window_start >= {start:DateTime64(3)} AND window_start < {end:DateTime64(3)}"),
        "daily.public_order.accidents": one(filled, "SELECT count() FROM camera_incidents FINAL WHERE incident_type = "
                                            "'accident' AND observed_at >= {start:DateTime64(3)} AND observed_at < {end:DateTime64(3)}"),
        "daily.environment.aqi_daily_max": 164.0,
        "daily.environment.rainfall_1h_max": one(filled, "SELECT max(value) FROM indicators_current WHERE "
                                                 "indicator = 'environment.rainfall_1h' AND "
                                        "window_start >= {start:DateTime64(3)} AND window_start < {end:DateTime64(3)}"),
        "daily.environment.water_alarm_stations": one(filled, "SELECT uniqExactIf(entity_id, value >= 1) FROM "
                                                      "indicators_current WHERE indicator = 'environment.water_alarm_level' AND "
                                        "window_start >= {start:DateTime64(3)} AND window_start < {end:DateTime64(3)}"),
        "daily.hotline.received": 3, "daily.hotline.resolved": 2, "daily.hotline.open": 2,
        "daily.input_health.camera_online_avg": 93.5, "daily.input_health.camera_online_min": 93.5,
        "daily.input_health.rejected_records": one(filled, "SELECT count() FROM dead_letters WHERE rejected_at >= "
                                                   "{start:DateTime64(3)} AND rejected_at < {end:DateTime64(3)}"),
        "daily.input_health.late_records": 2,
        "daily.alerts.opened": 3, "daily.alerts.severe": 1, "daily.alerts.moderate": 1, "daily.alerts.minor": 1,
    }  # fmt: skip
    assert figures.keys() == expected.keys(), "every figure of the brief is checked here"
    for code, value in expected.items():
        assert figures[code] == pytest.approx(float(value)), code
    # The crafted set itself, so that a wrong SQL on both sides cannot agree by accident.
    assert figures["daily.public_service.dossiers_received"] == sum(10 + 3 * i for i in range(20))
    assert figures["daily.public_order.incidents"] == 5 and figures["daily.public_order.accidents"] == 2
    assert figures["daily.input_health.rejected_records"] == 3

    sections = {s.key: s for s in brief.sections}
    (by_unit,) = sections["alerts"].tables
    rows = {row[0]: row[1:] for row in by_unit.rows}
    assert rows["CSGT"] == (
        2,
        2,
        1,
        pytest.approx(20),
        pytest.approx(20),
        pytest.approx(60),
        pytest.approx(60),
    )
    assert rows["IOC-TRUC"] == (1, 0, 0, None, None, None, None)
    hotline = {row[0]: row[1:] for row in sections["hotline"].tables[0].rows}
    assert hotline["giao_thong"] == (2, 1, 1, pytest.approx(2))
    assert hotline["moi_truong"] == (1, 1, 1, pytest.approx(26))
    # No resolved dossier in the day: the rate is missing, not 0 %.
    assert "daily.public_service.on_time_rate" not in figures
    assert any("trạm không khí không có VN_AQI ngày" in line for line in sections["environment"].missing)

    html = files.html_path.read_text(encoding="utf-8")
    for code, value in figures.items():
        block = re.search(rf'data-code="{re.escape(code)}">\s*<div class="value">(.*?)<', html)
        assert block, code
        decimals = 1 if code.endswith(("_avg", "_min", "_max")) and "aqi" not in code else 0
        assert block.group(1).strip() == _number(value, decimals), code
    assert files.pdf_path is not None and files.pdf_path.read_bytes().startswith(b"%PDF")
    assert hashlib.sha256(files.pdf_path.read_bytes()).hexdigest() == files.pdf_sha256

    stored = store.find(filled, f"daily:{DAY.isoformat()}")
    assert stored is not None
    assert stored.figures == pytest.approx(figures)
    assert stored.pdf_path == str(files.pdf_path) and stored.missing == brief.missing()
    assert store.daily_done(filled, [DAY, DAY - timedelta(days=1)]) == {DAY}


def test_the_brief_is_emailed_with_its_pdf_once_per_recipient(
    filled: Client, local_stack: RunningStack, generated: tuple[Any, Any]
) -> None:
    with smtp_server() as (box, port):
        settings = local_stack.settings.model_copy(
            update={
                "routing": local_stack.settings.routing.model_copy(update={"smtp_port": port}),
                "reports": ReportSettings(recipients="giamdoc@tinh.gov.vn, pgd@tinh.gov.vn"),
            }
        )
        first = send_daily(filled, settings, DAY)
        again = send_daily(filled, settings, DAY)
    assert first == {"giamdoc@tinh.gov.vn": "sent", "pgd@tinh.gov.vn": "sent"}
    assert again == {"giamdoc@tinh.gov.vn": "already sent", "pgd@tinh.gov.vn": "already sent"}
    assert sorted(m["To"] for m in box.messages) == ["giamdoc@tinh.gov.vn", "pgd@tinh.gov.vn"]
    (attachment,) = list(box.messages[0].iter_attachments())
    assert attachment.get_filename() == f"daily-{DAY.isoformat()}.pdf"
    assert attachment.get_content().startswith(b"%PDF")
    assert f"{DAY:%d/%m/%Y}" in box.messages[0]["Subject"]
    ledger = filled.query(
        "SELECT address, status FROM report_deliveries FINAL WHERE destination = 'email' AND report_id = {r:String}",
        parameters={"r": f"daily:{DAY.isoformat()}"},
    ).result_rows
    assert sorted(ledger) == [
        ("g***@tinh.gov.vn", "sent"),
        ("p***@tinh.gov.vn", "sent"),
    ]  # masked, as notifications


def test_the_exporter_retries_until_accepted_keeps_a_refusal_and_never_sends_twice(
    filled: Client, local_stack: RunningStack, generated: tuple[Any, Any], tmp_path: Path
) -> None:
    receiver = Receiver([0, 422, 503, 200])  # times out, refuses, fails, accepts
    earlier = DAY - timedelta(days=1)
    generate_daily(filled, local_stack.settings, earlier, tmp_path)  # near empty, and finished
    settings = ReportSettings(
        upward_url=receiver.url, upward_secret="bi-mat",  # noqa: S106 - the loopback receiver's test secret
 upward_timeout_s=0.5, upward_retry_base_s=60,
        upward_horizon_days=3,
    )  # fmt: skip
    mapping = load_mapping(settings.national_codes)
    transport = HttpTransport(receiver.url, b"bi-mat", settings.upward_timeout_s)
    t0 = END + timedelta(hours=8)

    def run(after_s: float) -> list[tuple[str, int, str]]:
        sent = drain(filled, transport, mapping, settings, province_code="75", province_vi="Tỉnh Đồng Nai",
                     now=t0 + timedelta(seconds=after_s))  # fmt: skip
        return [(s.report_id, s.attempt, s.outcome.status) for s in sent]

    first, second = f"daily:{earlier.isoformat()}", f"daily:{DAY.isoformat()}"
    try:
        assert run(0) == [(first, 1, "failed"), (second, 1, "refused")]  # timed out; refused
        assert run(30) == []  # the failed one waits 60 s, the refused one is final
        assert run(61) == [(first, 2, "failed")]  # 503
        assert run(61 + 121) == [(first, 3, "accepted")]
        assert run(86_400) == []  # accepted and refused: never again
    finally:
        transport.close()
        receiver.server.shutdown()
    assert len(receiver.requests) == 4
    for headers, body in receiver.requests:
        signed = hmac.new(b"bi-mat", headers["X-IOC-Timestamp"].encode() + b"." + body, hashlib.sha256)
        assert headers["X-IOC-Signature"] == f"sha256={signed.hexdigest()}"
        document = json.loads(body)
        assert (
            headers["Idempotency-Key"] == document["idempotency_key"] == f"ioc-75-{document['report']['id']}"
        )
    keys = [headers["Idempotency-Key"] for headers, _ in receiver.requests]
    assert keys == [f"ioc-75-{first}", f"ioc-75-{second}", f"ioc-75-{first}", f"ioc-75-{first}"]
    refused = json.loads(receiver.requests[1][1])
    codes = {i["province_code"]: i for i in refused["indicators"]}
    assert codes["daily.public_service.dossiers_received"]["national_code"] == "DVC.0101"
    assert codes["daily.public_service.dossiers_received"]["value"] == sum(10 + 3 * i for i in range(20))
    assert refused["attachment"]["media_type"] == "application/pdf"
    assert refused["report"]["period"]["start"].endswith("+07:00")

    ledger = filled.query(
        "SELECT report_id, attempt, status, reason FROM report_deliveries FINAL WHERE destination = 'government' "
        "AND report_id IN {ids:Array(String)} ORDER BY report_id, attempt",
        parameters={"ids": [first, second]},
    ).result_rows
    assert [(r[0], r[1], r[2]) for r in ledger] == [
        (first, 1, "failed"), (first, 2, "failed"), (first, 3, "accepted"), (second, 1, "refused")
    ]  # fmt: skip
    assert "ma chi tieu khong hop le" in ledger[3][3]
    assert "503" in ledger[1][3]
