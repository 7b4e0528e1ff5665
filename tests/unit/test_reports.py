"""The daily brief's parts without a warehouse: local-day bounds, the schedule's due days, the
rendering (missing is never zero, Vietnamese numbers, escaping), the charts, the mapping upward,
the signed transport against a loopback receiver, and the e-mail channel's attachment."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ioc.settings import ReportSettings
from reports import daily
from reports.charts import hourly_bars
from reports.daily import day_bounds, wall_range
from reports.model import DailyBrief, Figure, Section, Series, Table
from reports.render import daily_html
from reports.service import due_days
from reports.store import Attempts
from reports.upward.exporter import next_try
from reports.upward.mapping import MappingError, load_mapping
from reports.upward.transport import HttpTransport
from routing.channels.smtp import SmtpChannel
from routing.templates import Attachment, Message
from tests.mail_box import smtp_server
from wall.levels import CAP_SEVERITY

DAY = date(2026, 12, 5)


def test_a_local_day_is_17_00_utc_to_17_00_utc() -> None:
    start, end = day_bounds(DAY)
    assert start == datetime(2026, 12, 4, 17, tzinfo=UTC)
    assert end == datetime(2026, 12, 5, 17, tzinfo=UTC)


def test_the_wall_sql_runs_to_the_days_last_second_with_hourly_points() -> None:
    """A "today" panel at the next midnight would already read the next day's windows."""
    time_range = wall_range(DAY)
    assert time_range.end == datetime(2026, 12, 5, 16, 59, 59, tzinfo=UTC)
    assert time_range.interval == timedelta(hours=1)


@pytest.mark.parametrize(
    ("now_local", "expected_last"),
    [("2026-12-07T06:59", date(2026, 12, 5)), ("2026-12-07T07:00", date(2026, 12, 6))],
)
def test_yesterdays_brief_is_due_once_the_configured_local_time_has_passed(
    now_local: str, expected_last: date
) -> None:
    now = datetime.fromisoformat(now_local + "+07:00")
    days = due_days(now, "07:00", catch_up_days=2)
    assert days == [expected_last - timedelta(days=2), expected_last - timedelta(days=1), expected_last]


def test_a_failed_delivery_waits_longer_each_time_up_to_the_cap() -> None:
    last = datetime(2026, 12, 6, tzinfo=UTC)
    assert next_try(Attempts(0, False, None), 60, 3600) is None
    assert next_try(Attempts(1, False, last), 60, 3600) == last + timedelta(seconds=60)
    assert next_try(Attempts(3, False, last), 60, 3600) == last + timedelta(seconds=240)
    assert next_try(Attempts(30, False, last), 60, 3600) == last + timedelta(seconds=3600)


def _brief(sections: list[Section]) -> DailyBrief:
    start, end = day_bounds(DAY)
    return DailyBrief(DAY, start, end, datetime(2026, 12, 6, 0, 30, tzinfo=UTC), "Tỉnh Đồng Nai", sections)


def test_a_figure_without_data_reads_no_data_and_its_section_names_what_is_missing() -> None:
    section = Section(
        "environment",
        "Môi trường",
        figures=[Figure("daily.environment.aqi_daily_max", "VN_AQI ngày cao nhất", None)],
        missing=["2 trạm không khí không có VN_AQI ngày: Trạm 1, Trạm 2"],
    )
    html = daily_html(_brief([section]))
    figure = re.search(r'data-code="daily.environment.aqi_daily_max">(.*?)</div>\s*</div>', html, re.DOTALL)
    assert figure and "Không có dữ liệu" in figure.group(1) and ">0<" not in figure.group(1)
    assert "Trạm 1, Trạm 2" in html
    assert "Bản tin điều hành ngày 05/12/2026" in html
    # Vietnam time: the day runs 00:00 05/12 to 00:00 06/12, generated 07:30 06/12.
    assert "00:00 05/12/2026" in html and "00:00 06/12/2026" in html and "07:30 06/12/2026" in html


def test_numbers_are_written_the_vietnamese_way_and_text_is_escaped() -> None:
    section = Section(
        "traffic",
        "Giao thông",
        figures=[Figure("daily.traffic.vehicles", "Tổng lưu lượng xe", 1234567.0, "xe")],
        tables=[Table("Nút giao", ("Nút", "Tỷ lệ"), (("<b>A</b>", 12.5),))],
    )
    html = daily_html(_brief([section]))
    assert "1.234.567" in html
    assert "12,5" in html
    assert "&lt;b&gt;A&lt;/b&gt;" in html and "<b>A</b>" not in html


def test_the_hourly_chart_draws_a_bar_per_hour_at_its_local_hour() -> None:
    start, _ = day_bounds(DAY)
    points = tuple((start + timedelta(hours=h), float(h + 1)) for h in range(24))
    svg = hourly_bars(points, "xe")
    assert svg.count("<rect") == 24
    assert "<title>00:00 — 1 xe</title>" in svg and "<title>23:00 — 24 xe</title>" in svg
    assert "Không có dữ liệu" in hourly_bars((), "xe")


def test_a_series_becomes_an_inline_svg_in_the_html() -> None:
    start, _ = day_bounds(DAY)
    section = Section("traffic", "Giao thông", series=[Series("Lưu lượng", "xe", ((start, 5.0),))])
    assert "<svg" in daily_html(_brief([section]))


def test_every_figure_the_brief_can_produce_has_a_national_code() -> None:
    source = Path(daily.__file__).read_text()
    codes = set(re.findall(r'"(daily\.[a-z_]+\.[a-z_0-9]+)"', source))
    codes |= {f"daily.alerts.{severity.lower()}" for severity in CAP_SEVERITY}
    mapping = load_mapping(ReportSettings().national_codes)
    assert len(codes) > 15
    assert sorted(codes - set(mapping.indicators)) == []


@pytest.mark.parametrize(
    ("entry", "names"),
    [
        ("{national_code: GT.0101, name_vi: X}", "field 'unit'"),
        ("{national_code: gt-1, name_vi: X, unit: xe}", "field 'national_code'"),
        ("{national_code: GT.0101, name_vi: X, unit: xe, colour: red}", "unknown field"),
    ],
)
def test_a_mistake_in_the_mapping_names_file_indicator_and_field(
    tmp_path: Path, entry: str, names: str
) -> None:
    path = tmp_path / "national.yaml"
    path.write_text(f"system: x\nindicators:\n  daily.traffic.vehicles: {entry}\n")
    with pytest.raises(MappingError) as error:
        load_mapping(path)
    assert str(path) in str(error.value) and "'daily.traffic.vehicles'" in str(error.value)
    assert names in str(error.value)


def test_two_province_codes_cannot_share_one_national_code(tmp_path: Path) -> None:
    path = tmp_path / "national.yaml"
    path.write_text(
        "indicators:\n  a.b: {national_code: GT.0101, name_vi: X, unit: xe}\n"
        "  a.c: {national_code: GT.0101, name_vi: Y, unit: xe}\n"
    )
    with pytest.raises(MappingError, match="'a.c'.*also 'a.b'"):
        load_mapping(path)


class Receiver:
    """A real HTTP server on loopback that answers each POST with the next scripted status, or
    sleeps past the client's timeout for status 0."""

    def __init__(self, script: list[int]) -> None:
        self.script, self.requests = list(script), []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = receiver.script.pop(0)
                if status == 0:
                    time.sleep(1.5)
                    return
                answer = json.dumps(
                    {"error": "ma chi tieu khong hop le"} if status >= 400 else {"ok": 1}
                ).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/bao-cao"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[Receiver]:
    running = Receiver(request.param)
    yield running
    running.server.shutdown()


@pytest.mark.parametrize(
    ("receiver", "status", "reason"),
    [([200], "accepted", ""), ([422], "refused", "ma chi tieu khong hop le"), ([503], "failed", "503"),
     ([0], "failed", "unreachable")],
    indirect=["receiver"],
)  # fmt: skip
def test_the_transport_signs_each_request_and_tells_accepted_refused_and_failed(
    receiver: Receiver, status: str, reason: str
) -> None:
    transport = HttpTransport(receiver.url, b"bi-mat", timeout_s=0.5)
    now = datetime(2026, 12, 6, 1, tzinfo=UTC)
    outcome = transport.deliver(b'{"a":1}', "ioc-75-daily:2026-12-05", now)
    transport.close()
    assert outcome.status == status and reason in outcome.reason
    headers, body = receiver.requests[0]
    assert headers["Idempotency-Key"] == "ioc-75-daily:2026-12-05"
    timestamp = headers["X-IOC-Timestamp"]
    assert timestamp == str(int(now.timestamp()))
    expected = hmac.new(b"bi-mat", timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-IOC-Signature"] == f"sha256={expected}"


def test_the_email_channel_attaches_the_reports_pdf() -> None:
    with smtp_server() as (box, port):
        channel = SmtpChannel(
            "127.0.0.1", port, "ioc@tinh.gov.vn", starttls=False, user="", password="", timeout_s=5
        )
        pdf = b"%PDF-1.7 \x00\xff binary"
        channel.send(
            "lanhdao@tinh.gov.vn",
            Message(
                "report-1",
                "[IOC] Bản tin",
                "Kính gửi",
                (),
                (Attachment("daily-2026-12-05.pdf", "application/pdf", pdf),),
            ),
        )
    (mail,) = box.messages
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == "daily-2026-12-05.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == pdf
    assert mail.get_body(("plain",)).get_content().strip() == "Kính gửi"
