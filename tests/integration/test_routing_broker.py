"""Alert routing through the real stack: alert changes on the real `ioc.derived.alerts` topic → the
router (Kafka consumer, SQLite state) → a real SMTP server and a signed webhook on loopback; the
router is stopped and started again mid-escalation; the audit trail lands in the warehouse table
`notifications` through the ordinary sinks."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from confluent_kafka import Producer

from avro_schemas import load_schema
from ioc.serde import AvroEncoder, registry_client
from ioc.settings import RoutingSettings, Settings, StackSettings
from ioc.stack.ports import free_port
from routing.clock import ManualClock
from routing.service import run_router
from tests.integration.conftest import RunningStack
from tests.integration.helpers import wait_for, warehouse_client
from tests.mail_box import MailBox
from tests.unit import test_routing_delivery as delivery
from tests.unit.test_routing_delivery import HttpReceiver, alert
from topics.catalog import ALERTS

# The real SMTP server and HTTP receiver of the unit tests, as fixtures here too.
mailbox = delivery.mailbox
receiver = delivery.receiver

ROSTER = """
escalation: {to_shift_lead_min: 10, to_unit_head_min: 20}
fallback_unit: IOC
officers:
  - {id: minh, name_vi: Trần Văn Minh, unit: CSGT, contacts: [{channel: email, address: minh@csgt.test}]}
  - {id: nam, name_vi: Hoàng Văn Nam, unit: CSGT, contacts: [{channel: webhook, address: "WEBHOOK/nam"}]}
  - {id: tuan, name_vi: Bùi Anh Tuấn, unit: CSGT, contacts: [{channel: email, address: tuan@csgt.test}]}
  - {id: thu, name_vi: Lê Thị Thu, unit: IOC, contacts: [{channel: email, address: thu@ioc.test}]}
units:
  - code: CSGT
    name_vi: Phòng Cảnh sát giao thông
    head: thu
    categories: [traffic]
    areas: ["75"]
    shifts:
      - {name_vi: Trực 24 giờ, days: [mon, tue, wed, thu, fri, sat, sun, holiday], start: "00:00", end: "00:00", officers: [minh, nam], lead: tuan}
  - {code: IOC, name_vi: Tổ trực IOC, head: thu, categories: [input_health], areas: ["75"]}
"""


class RouterThread:
    """The router as `ioc alerts run` runs it, in a thread the test can stop and start again."""

    def __init__(self, settings: Settings, clock: ManualClock) -> None:
        self.settings, self.clock = settings, clock
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=run_router, args=(self.settings, self.stop_event, self.clock))
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=30)


@pytest.fixture
def router_settings(
    local_stack: RunningStack,
    tmp_path: Path,
    mailbox: tuple[MailBox, int],
    receiver: HttpReceiver,
) -> Settings:
    roster = tmp_path / "roster.yaml"
    roster.write_text(ROSTER.replace("WEBHOOK", receiver.url), encoding="utf-8")
    port = free_port()
    return Settings(
        stack=StackSettings(dir=local_stack.dir),
        routing=RoutingSettings(
            roster=roster,
            state_dir=tmp_path / "routing",
            group_id=f"router-{uuid.uuid4().hex[:8]}",
            smtp_port=mailbox[1],
            webhook_secret="bi-mat",  # noqa: S106 - a test secret for a loopback receiver
            group_wait_s=0.0,
            tick_s=0.2,
            ack_port=port,
            ack_public_url=f"http://127.0.0.1:{port}",
        ),
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC))


@pytest.fixture
def router(router_settings: Settings, clock: ManualClock) -> Iterator[RouterThread]:
    running = RouterThread(router_settings, clock)
    running.start()
    yield running
    running.stop()


def publish(stack: RunningStack, change: dict[str, object]) -> None:
    encoder = AvroEncoder.for_subject(
        registry_client(stack.endpoints),
        ALERTS.subject(),
        load_schema(ALERTS.schema),
    )
    producer = Producer(stack.endpoints.kafka_client() | {"enable.idempotence": True})
    producer.produce(ALERTS.full_name(), key=str(change["alert_id"]).encode(), value=encoder.encode(change))
    assert producer.flush(30) == 0


def test_alert_on_the_topic_is_routed_escalated_across_a_restart_and_audited_in_the_warehouse(
    local_stack: RunningStack,
    router: RouterThread,
    clock: ManualClock,
    mailbox: tuple[MailBox, int],
    receiver: HttpReceiver,
) -> None:
    box, _ = mailbox
    alert_id = f"incident.accident|CAM-RT-{uuid.uuid4().hex[:6]}"
    now = clock.now()
    publish(local_stack, alert(alert_id, opened_at=now, updated_at=now, sent=now))

    wait_for(lambda: box.to("minh@csgt.test"), bool, 60)
    wait_for(lambda: receiver.on("/nam"), bool, 10)
    assert alert_id in box.to("minh@csgt.test")[0].get_content()

    router.stop()  # mid-escalation: level 0 called, the shift lead not yet
    router.start()
    clock.advance(minutes=11)
    wait_for(lambda: box.to("tuan@csgt.test"), bool, 60)
    assert len(box.to("tuan@csgt.test")) == 1
    assert len(box.to("minh@csgt.test")) == 1 and len(receiver.on("/nam")) == 1  # nothing sent twice

    client = warehouse_client(local_stack.endpoints, local_stack.settings)

    def audit() -> list[tuple[str, str, int]]:
        rows = client.query(
            "SELECT action, officer_id, level FROM notifications FINAL WHERE alert_id = {a:String} "
            "ORDER BY occurred_at, action, officer_id",
            parameters={"a": alert_id},
        ).result_rows
        return [tuple(row) for row in rows]

    expected = [
        ("routed", "", 0),
        ("sent", "minh", 0),
        ("sent", "nam", 0),
        ("escalated", "", 1),
        ("sent", "tuan", 1),
    ]
    assert wait_for(audit, lambda rows: len(rows) >= len(expected), 60) == expected


def test_resolved_change_on_the_topic_sends_the_resolved_notice(
    local_stack: RunningStack,
    router: RouterThread,
    mailbox: tuple[MailBox, int],
) -> None:
    box, _ = mailbox
    alert_id = f"incident.accident|CAM-RS-{uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC)
    publish(local_stack, alert(alert_id, opened_at=now, updated_at=now, sent=now))
    wait_for(lambda: box.to("minh@csgt.test"), bool, 60)
    publish(
        local_stack,
        alert(
            alert_id,
            revision=1,
            state="resolved",
            opened_at=now,
            updated_at=now,
            resolved_at=now + timedelta(minutes=5),
        ),
    )
    notices = wait_for(lambda: box.to("minh@csgt.test"), lambda found: len(found) >= 2, 60)
    assert len(notices) == 2 and "ĐÃ KẾT THÚC" in notices[1].get_content()
