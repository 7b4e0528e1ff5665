"""The router end to end without Kafka: a real SMTP server (aiosmtpd) and a real HTTP receiver on
loopback, a manual clock for shifts, grouping, retries and escalation, and restarts on the same state
file. The receivers are reused by the broker test in tests/integration/test_routing_broker.py."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ioc.province import Area, Province
from ioc.settings import RoutingSettings
from ioc.stack.ports import free_port
from routing.ack import AckSigner, ack_app
from routing.actions import AckResult, ActionRequest, apply_request
from routing.channels.factory import build_channels
from routing.clock import ManualClock
from routing.roster import RosterSource
from routing.router import Router
from routing.state import Store
from tests.mail_box import MailBox, smtp_server

# Monday 2 March 2026, 09:00 in Vietnam (02:00 UTC): the day shift is on.
MONDAY_9AM = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
WEBHOOK_SECRET = "bi-mat-webhook"  # noqa: S105 - a test secret for a loopback receiver

PROVINCE = Province(
    code="75",
    name_vi="Tỉnh Đồng Nai",
    areas=(
        Area(code="75", name_vi="Tỉnh Đồng Nai", level="province"),
        Area(code="26001", name_vi="Phường Trấn Biên", level="ward", parent="75"),
        Area(code="26002", name_vi="Phường Biên Hòa", level="ward", parent="75"),
    ),
)


class HttpReceiver:
    """A real HTTP server on loopback recording every POST; `fail_with` makes it answer an error."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail_with = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = receiver.fail_with or 200
                answer = json.dumps({"ok": True, "error": 0}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                """Quiet: pytest shows failures, not every request."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def on(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == path]


@pytest.fixture
def mailbox() -> Iterator[tuple[MailBox, int]]:
    with smtp_server() as running:
        yield running


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    http = HttpReceiver()
    yield http
    http.server.shutdown()


ROSTER = """
escalation: {to_shift_lead_min: 10, to_unit_head_min: 20}
fallback_unit: IOC
holidays: [{date: 2026-04-30, name_vi: Ngày Giải phóng}]
officers:
  - {id: minh, name_vi: Trần Văn Minh, unit: CSGT, contacts: [{channel: email, address: minh@csgt.test}]}
  - {id: nam, name_vi: Hoàng Văn Nam, unit: CSGT, contacts: [{channel: webhook, address: "WEBHOOK/nam"}]}
  - {id: tuan, name_vi: Bùi Anh Tuấn, unit: CSGT, contacts: [{channel: email, address: tuan@csgt.test}]}
  - {id: cuong, name_vi: Đặng Quốc Cường, unit: CSGT, contacts: [{channel: email, address: cuong@csgt.test}]}
  - {id: thu, name_vi: Lê Thị Thu, unit: IOC, contacts: [{channel: email, address: thu@ioc.test}]}
units:
  - code: CSGT
    name_vi: Phòng Cảnh sát giao thông
    head: cuong
    categories: [traffic]
    min_severity: Moderate
    areas: ["75"]
    shifts:
      - {name_vi: Ca ngày, days: [mon, tue, wed, thu, fri], start: "07:00", end: "19:00", officers: [minh, nam], lead: tuan}
  - code: IOC
    name_vi: Tổ trực IOC
    head: thu
    categories: [input_health]
    areas: ["75"]
silences:
  - id: thi-cong
    reason_vi: Thi công
    starts_at: "2026-03-02T00:00:00"
    ends_at: "2026-03-03T00:00:00"
    match: {entity_id: CAM-WORKS}
maintenance_windows: []
"""


def alert(alert_id: str, revision: int = 0, state: str = "open", **changes: Any) -> dict[str, Any]:
    """An alert change as the alerts agent writes it (decoded)."""
    record = {
        "alert_id": alert_id,
        "identifier": f"{alert_id}:{revision}",
        "sender": "ioc@localhost",
        "sent": MONDAY_9AM,
        "status": "Actual",
        "msg_type": "Alert" if state == "open" else "Update",
        "scope": "Restricted",
        "references": "",
        "cap_category": "Transport",
        "event": "Tai nạn giao thông",
        "urgency": "Immediate",
        "severity": "Severe",
        "certainty": "Observed",
        "area_desc": "Phường Trấn Biên",
        "area_code": "26001",
        "latitude": None,
        "longitude": None,
        "category": "traffic",
        "rule_id": "incident.accident",
        "state": state,
        "revision": revision,
        "opened_at": MONDAY_9AM - timedelta(minutes=2),
        "updated_at": MONDAY_9AM,
        "acknowledged_at": None,
        "acknowledged_by": "",
        "resolved_at": MONDAY_9AM + timedelta(minutes=30) if state == "resolved" else None,
        "entity_type": "camera",
        "entity_id": "CAM-0001",
        "values": {"confidence": 0.93},
        "headline_vi": "Tai nạn giao thông tại CAM-0001",
        "description_vi": "",
        "instruction_vi": "Điều lực lượng tới hiện trường",
        "dedup_key": f"incident.accident|{alert_id}",
    }
    return record | changes


class Harness:
    """A router on a state file, restartable: `restart()` drops everything held in memory."""

    def __init__(self, tmp: Path, port: int, receiver: HttpReceiver, **overrides: Any) -> None:
        roster = tmp / "roster.yaml"
        roster.write_text(ROSTER.replace("WEBHOOK", receiver.url), encoding="utf-8")
        self.settings = RoutingSettings(
            roster=roster,
            smtp_port=port,
            webhook_secret=WEBHOOK_SECRET,
            telegram_token="TOKEN",  # noqa: S106 - test credentials for a loopback receiver
            telegram_base_url=receiver.url,
            zalo_access_token="ZTOKEN",  # noqa: S106
            zalo_base_url=receiver.url,
            sms_url=f"{receiver.url}/sms",
            sms_token="STOKEN",  # noqa: S106
            http_timeout_s=5,
            **({"group_wait_s": 0.0, "retry_base_s": 30.0, "max_attempts": 3} | overrides),
        )
        self.path = tmp / "router.sqlite"
        self.clock = ManualClock(MONDAY_9AM)
        self.signer = AckSigner(b"bi-mat-xac-nhan", "http://ack.test", timedelta(hours=24))
        self.store: Store
        self.router: Router
        self.restart()

    def restart(self) -> None:
        if hasattr(self, "store"):
            self.store.close()
        self.store = Store(self.path)
        channels = build_channels(self.settings, self.clock)
        roster = RosterSource(self.settings.roster, PROVINCE)
        self.router = Router(self.store, roster, PROVINCE, channels, self.signer, self.clock, self.settings)

    def audit(self, alert_id: str) -> list[tuple[str, str, int]]:
        return [
            (record["action"], record["officer_id"], record["level"])
            for _, record in self.store.unpublished(10_000)
            if record["alert_id"] == alert_id
        ]

    def submit(self, request: ActionRequest) -> AckResult:
        """What the active router does with a request (without the topic between)."""
        return apply_request(self.store, self.router.roster.current(), request, self.clock.now())[0]

    def ack_client(self, console_token: str = "") -> TestClient:
        return TestClient(ack_app(self.store, self.signer, self.clock, self.submit, console_token))


@pytest.fixture
def harness(tmp_path: Path, mailbox: tuple[MailBox, int], receiver: HttpReceiver) -> Harness:
    return Harness(tmp_path, mailbox[1], receiver)


def test_new_alert_reaches_officers_on_duty_by_email_and_signed_webhook(
    harness: Harness, mailbox: tuple[MailBox, int], receiver: HttpReceiver
) -> None:
    box, _ = mailbox
    harness.router.handle(alert("A1"))
    harness.router.tick()

    (mail,) = box.to("minh@csgt.test")
    text = mail.get_content()
    assert "Tai nạn giao thông" in mail["Subject"] and "Nghiêm trọng" in mail["Subject"]
    assert "Phường Trấn Biên (26001)" in text  # where
    assert "Mức độ: Nghiêm trọng" in text  # how bad
    assert "Từ lúc: 08:58 02/03/2026 (giờ Việt Nam)" in text  # since when, local time
    assert "http://ack.test/ack?t=" in text and "ioc alerts ack A1 --by minh" in text  # how to acknowledge
    assert box.to("tuan@csgt.test") == [] and box.to("cuong@csgt.test") == []  # lead and head wait

    (hook,) = receiver.on("/nam")
    headers = {k.lower(): v for k, v in hook["headers"].items()}
    signed = headers["x-ioc-timestamp"].encode() + b"." + hook["body"]
    expected = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert headers["x-ioc-signature"] == expected
    payload = json.loads(hook["body"])
    assert [a["alert_id"] for a in payload["alerts"]] == ["A1"]
    assert headers["idempotency-key"] == payload["message_id"]
    assert [a for a, _, _ in harness.audit("A1")].count("sent") == 2


def test_related_alerts_within_the_group_wait_leave_as_one_message(
    tmp_path: Path, mailbox: tuple[MailBox, int], receiver: HttpReceiver
) -> None:
    box, port = mailbox
    harness = Harness(tmp_path, port, receiver, group_wait_s=30.0)
    harness.router.handle(alert("G1"))
    harness.clock.advance(seconds=10)
    harness.router.handle(alert("G2", entity_id="CAM-0002"))
    harness.router.tick()
    assert box.to("minh@csgt.test") == []  # the group's wait is not over
    harness.clock.advance(seconds=21)
    harness.router.tick()
    (mail,) = box.to("minh@csgt.test")
    assert "2 cảnh báo liên quan" in mail["Subject"]
    assert "ioc alerts ack G1" in mail.get_content() and "ioc alerts ack G2" in mail.get_content()


def test_unacknowledged_alert_escalates_and_a_restart_mid_escalation_sends_nothing_twice(
    harness: Harness, mailbox: tuple[MailBox, int]
) -> None:
    box, _ = mailbox
    harness.router.handle(alert("E1"))
    harness.router.tick()
    assert len(box.to("minh@csgt.test")) == 1

    harness.clock.advance(minutes=9)
    harness.router.tick()
    assert box.to("tuan@csgt.test") == []

    harness.restart()  # the router stops and starts again mid-escalation
    harness.router.handle(alert("E1"))  # Kafka re-delivers the uncommitted change after the restart
    harness.clock.advance(minutes=2)
    harness.router.tick()
    harness.router.tick()
    (to_lead,) = box.to("tuan@csgt.test")
    assert "CHUYỂN CẤP" in to_lead.get_content()
    assert len(box.to("minh@csgt.test")) == 1  # the first call was not repeated

    harness.restart()
    harness.clock.advance(minutes=20)
    harness.router.tick()
    assert len(box.to("cuong@csgt.test")) == 1  # unit head, after the lead's 20 minutes
    assert len(box.to("tuan@csgt.test")) == 1
    escalations = [(action, level) for action, _, level in harness.audit("E1") if action == "escalated"]
    assert escalations == [("escalated", 1), ("escalated", 2)]


def test_acknowledging_through_the_signed_link_stops_the_escalation(
    harness: Harness, mailbox: tuple[MailBox, int]
) -> None:
    box, _ = mailbox
    harness.router.handle(alert("K1"))
    harness.router.tick()
    link = next(line for line in box.to("minh@csgt.test")[0].get_content().splitlines() if "/ack?t=" in line)
    token = link.split("/ack?t=")[1].strip()
    client = harness.ack_client()

    page = client.get("/ack", params={"t": token})
    assert page.status_code == 200 and "<form" in page.text
    assert harness.store.alert("K1").acked_at is None  # opening the link alone does not acknowledge

    done = client.post("/ack", data={"t": token})
    assert done.status_code == 200 and "Đã xác nhận" in done.text
    state = harness.store.alert("K1")
    assert (state.acked_by, state.ack_via) == ("minh", "link")

    harness.clock.advance(minutes=45)
    harness.router.tick()
    assert box.to("tuan@csgt.test") == [] and box.to("cuong@csgt.test") == []
    assert client.post("/ack", data={"t": token}).status_code == 409  # already acknowledged


def test_a_channel_that_is_down_is_retried_with_backoff_then_the_alert_escalates(
    harness: Harness, mailbox: tuple[MailBox, int], receiver: HttpReceiver
) -> None:
    box, _ = mailbox
    receiver.fail_with = 503
    harness.router.handle(alert("D1", area_code="26002"))
    harness.router.tick()  # attempt 1 fails; retry after 30 s
    harness.clock.advance(seconds=29)
    harness.router.tick()
    assert len(receiver.on("/nam")) == 1  # the backoff is respected
    harness.clock.advance(seconds=1)
    harness.router.tick()  # attempt 2; retry after 60 s
    harness.clock.advance(seconds=60)
    harness.router.tick()  # attempt 3, the last: failed
    assert len(receiver.on("/nam")) == 3
    # Minh's e-mail got through, so level 0 reached someone: no early escalation yet.
    assert box.to("tuan@csgt.test") == []

    actions = [action for action, officer, _ in harness.audit("D1") if officer == "nam"]
    assert actions == ["retry", "retry", "failed"]


def test_when_every_message_of_a_level_fails_the_next_level_is_called_at_once(
    harness: Harness, mailbox: tuple[MailBox, int], receiver: HttpReceiver
) -> None:
    box, port = mailbox
    harness.settings = harness.settings.model_copy(update={"smtp_port": free_port()})  # no mail server there
    harness.restart()
    receiver.fail_with = 500
    harness.router.handle(alert("F1"))
    for _ in range(3):
        harness.router.tick()
        harness.clock.advance(minutes=2)
    harness.settings = harness.settings.model_copy(update={"smtp_port": port})  # the relay is back
    harness.restart()
    harness.router.tick()
    (to_lead,) = box.to("tuan@csgt.test")  # called after 6 minutes, not 10
    assert "CHUYỂN CẤP" in to_lead.get_content()
    audit = harness.audit("F1")
    assert {(a, o) for a, o, _ in audit if a == "failed"} == {("failed", "minh"), ("failed", "nam")}
    assert ("escalated", "", 1) in audit


def test_resolution_tells_who_was_told_and_drops_what_was_not_sent(
    harness: Harness, mailbox: tuple[MailBox, int], receiver: HttpReceiver
) -> None:
    box, _ = mailbox
    harness.router.handle(alert("R1"))
    harness.router.tick()
    harness.router.handle(alert("R1", revision=1, state="resolved"))
    harness.router.tick()
    notices = box.to("minh@csgt.test")
    assert len(notices) == 2 and "ĐÃ KẾT THÚC" in notices[1].get_content()
    assert "Kết thúc lúc: 09:30 02/03/2026" in notices[1].get_content()
    assert len(receiver.on("/nam")) == 2
    harness.clock.advance(minutes=40)
    harness.router.tick()
    assert box.to("tuan@csgt.test") == []  # a resolved alert does not escalate


def test_silenced_alert_is_audited_but_sent_to_nobody(harness: Harness, mailbox: tuple[MailBox, int]) -> None:
    box, _ = mailbox
    harness.router.handle(alert("S1", entity_id="CAM-WORKS"))
    harness.router.tick()
    assert box.messages == []
    assert harness.audit("S1") == [("silenced", "", -1)]


def test_telegram_zalo_and_sms_requests_follow_each_api(
    tmp_path: Path, mailbox: tuple[MailBox, int], receiver: HttpReceiver
) -> None:
    harness = Harness(tmp_path, mailbox[1], receiver)
    roster = harness.settings.roster
    text = roster.read_text(encoding="utf-8").replace(
        "contacts: [{channel: email, address: minh@csgt.test}]",
        'contacts: [{channel: telegram, address: "7100"}, {channel: zalo, address: "4018"}, '
        '{channel: sms, address: "+84900000001"}]',
    )
    roster.write_text(text, encoding="utf-8")
    harness.restart()
    harness.router.handle(alert("T1"))
    harness.router.tick()

    (telegram,) = receiver.on("/botTOKEN/sendMessage")
    assert json.loads(telegram["body"])["chat_id"] == "7100"
    (zalo,) = receiver.on("/v3.0/oa/message/cs")
    assert zalo["headers"]["access_token"] == "ZTOKEN"  # noqa: S105
    assert json.loads(zalo["body"])["recipient"] == {"user_id": "4018"}
    (sms,) = receiver.on("/sms")
    body = json.loads(sms["body"])
    assert sms["headers"]["Authorization"] == "Bearer STOKEN"
    assert body["to"] == "+84900000001" and "http://ack.test/ack?t=" in body["text"]


def test_rate_limit_holds_messages_back_without_counting_an_attempt(
    tmp_path: Path, mailbox: tuple[MailBox, int], receiver: HttpReceiver
) -> None:
    box, port = mailbox
    harness = Harness(tmp_path, port, receiver, rate_per_minute=1)
    harness.router.handle(alert("L1"))
    harness.router.handle(alert("L2", area_code="26002"))  # another group: a second e-mail
    harness.router.tick()
    assert len(box.to("minh@csgt.test")) == 1
    harness.clock.advance(seconds=61)
    harness.router.tick()
    assert len(box.to("minh@csgt.test")) == 2
    assert [a for a, o, _ in harness.audit("L2") if o == "minh"] == ["sent"]
