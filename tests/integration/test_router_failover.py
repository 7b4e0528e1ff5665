"""Two alert routers as compose runs them (`ioc alerts run`, two processes, one deployment): one is
active, the other a hot standby. Alerts stream in on the real alerts topic; an acknowledgement link
opened on the standby stops that alert's escalation; the active router is SIGKILLed mid-stream; the
standby takes over, routes the rest and fires the escalations the dead one had pending. Every
(alert, officer) notification reaches the signed webhook receiver exactly once across both routers
(the one exception, a send the dead router had started, is allowed only as a repeat with the same
message id, and only if the new router says it found one)."""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from confluent_kafka import Producer

from avro_schemas import load_schema
from ioc.serde import AvroEncoder, registry_client
from ioc.stack import process
from ioc.stack.ports import free_port
from routing.ack import AckSigner
from tests.integration.conftest import RunningStack
from tests.integration.helpers import wait_for
from tests.unit.test_routing_delivery import HttpReceiver, alert
from topics.catalog import ALERTS

ACK_SECRET = "bi-mat-xac-nhan-chung"  # noqa: S105 - a test secret shared by the two routers
ALERTS_SENT = 16
KILL_AFTER = 6  # alerts published before the active router is killed
# The shift lead is called 15 s after an unacknowledged alert was routed: after the kill for the first
# alerts, so the standby must fire escalations the dead router had pending.
ROSTER = """
escalation: {to_shift_lead_min: 0.25, to_unit_head_min: 30}
fallback_unit: IOC
officers:
  - {id: nam, name_vi: Hoàng Văn Nam, unit: CSGT, contacts: [{channel: webhook, address: "WEBHOOK/nam"}]}
  - {id: tuan, name_vi: Bùi Anh Tuấn, unit: CSGT, contacts: [{channel: webhook, address: "WEBHOOK/tuan"}]}
  - {id: thu, name_vi: Lê Thị Thu, unit: IOC, contacts: [{channel: webhook, address: "WEBHOOK/thu"}]}
units:
  - code: CSGT
    name_vi: Phòng Cảnh sát giao thông
    head: thu
    categories: [traffic]
    areas: ["75"]
    shifts:
      - {name_vi: Trực 24 giờ, days: [mon, tue, wed, thu, fri, sat, sun, holiday], start: "00:00", end: "00:00", officers: [nam], lead: tuan}
  - {code: IOC, name_vi: Tổ trực IOC, head: thu, categories: [input_health], areas: ["75"]}
"""


class Router:
    """One `ioc alerts run` process with its own state folder and acknowledgement port."""

    def __init__(self, name: str, stack: RunningStack, env: dict[str, str], tmp: Path) -> None:
        self.name, self.port = name, free_port()
        self.log = tmp / f"{name}.log"
        self.env = env | {
            "IOC_ROUTING_STATE_DIR": str(tmp / name),
            "IOC_ROUTING_ACK_PORT": str(self.port),
            "IOC_ROUTING_ACK_PUBLIC_URL": f"http://127.0.0.1:{self.port}",
        }
        self.pid = process.start(
            name, [sys.executable, "-m", "ioc.cli", "alerts", "run"], self.log, env=self.env
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_up(self) -> None:
        def up() -> bool:
            assert process.is_alive(self.pid), process.tail(self.log, 40)
            try:
                return httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        assert wait_for(up, bool, 60), process.tail(self.log, 40)


@pytest.fixture
def routers(local_stack: RunningStack, tmp_path: Path) -> Iterator[tuple[HttpReceiver, list[Router]]]:
    receiver = HttpReceiver()
    roster = tmp_path / "roster.yaml"
    roster.write_text(ROSTER.replace("WEBHOOK", receiver.url), encoding="utf-8")
    env = {
        "IOC_STACK_DIR": str(local_stack.dir),
        "IOC_ROUTING_ROSTER": str(roster),
        "IOC_ROUTING_GROUP_ID": f"router-fo-{uuid.uuid4().hex[:8]}",
        "IOC_ROUTING_WEBHOOK_SECRET": "bi-mat",
        "IOC_ROUTING_ACK_SECRET": ACK_SECRET,
        "IOC_ROUTING_GROUP_WAIT_S": "0",
        "IOC_ROUTING_TICK_S": "0.2",
        # The routers read the shared alerts topic from its start: other tests' alerts must not use
        # up the webhook's rate before these are sent.
        "IOC_ROUTING_RATE_PER_MINUTE": "100000",
    }
    started: list[Router] = []
    try:
        # Started together, as compose starts replicas: whichever is elected first is the active one.
        started += [Router(name, local_stack, env, tmp_path) for name in ("router-a", "router-b")]
        for router in started:
            router.wait_up()

        def active() -> list[Router]:
            return [router for router in started if "router active" in router.text()]

        elected = wait_for(active, bool, 60)
        assert len(elected) == 1, [router.text()[-2000:] for router in started]
        yield receiver, sorted(started, key=lambda router: router not in elected)
    finally:
        for router in started:
            if process.is_alive(router.pid):
                process.stop(router.pid)
        receiver.server.shutdown()


def notices(receiver: HttpReceiver, officer: str) -> list[tuple[str, str]]:
    """(alert id, message id) of every alert in every message the officer's webhook received."""
    found = []
    for request in receiver.on(f"/{officer}"):
        body = json.loads(request["body"])
        found += [(item["alert_id"], body["message_id"]) for item in body["alerts"]]
    return found


def exactly_once(found: list[tuple[str, str]], ids: set[str], resent_allowed: bool) -> None:
    """Each alert once; a repeat only of the same message (the failover window), and only if allowed."""
    mine = [(a, m) for a, m in found if a in ids]
    per_alert = Counter(a for a, _ in mine)
    assert set(per_alert) == ids, f"never notified: {sorted(ids - set(per_alert))}"
    messages = {a: {m for b, m in mine if b == a} for a in ids}
    assert all(len(m) == 1 for m in messages.values()), f"different messages for one alert: {messages}"
    repeated = {a: n for a, n in per_alert.items() if n > 1}
    assert not repeated or resent_allowed, f"sent twice: {repeated}"
    assert all(n <= 2 for n in per_alert.values()), per_alert


def test_two_routers_one_killed_mid_stream_send_each_notification_once(
    local_stack: RunningStack, routers: tuple[HttpReceiver, list[Router]]
) -> None:
    receiver, (first, second) = routers
    assert "router active" not in second.text()  # a hot standby: it sends nothing
    encoder = AvroEncoder.for_subject(
        registry_client(local_stack.endpoints),
        ALERTS.subject(),
        load_schema(ALERTS.schema),
    )
    producer = Producer(local_stack.endpoints.kafka_client() | {"enable.idempotence": True})
    tag = uuid.uuid4().hex[:6]
    ids = [f"incident.accident|CAM-FO-{tag}-{n:02d}" for n in range(ALERTS_SENT)]

    def publish(alert_ids: list[str]) -> None:
        for alert_id in alert_ids:
            now = datetime.now(UTC)
            change = alert(alert_id, opened_at=now, updated_at=now, sent=now)
            producer.produce(ALERTS.full_name(), key=alert_id.encode(), value=encoder.encode(change))
            producer.flush(30)
            time.sleep(0.3)

    publish(ids[:KILL_AFTER])
    assert wait_for(lambda: {a for a, _ in notices(receiver, "nam")} >= set(ids[:2]), bool, 60)

    # The link of the first alert, opened on the standby: applied by the active router.
    signer = AckSigner(ACK_SECRET.encode(), f"http://127.0.0.1:{second.port}", timedelta(hours=1))
    token = signer.token(ids[0], "nam", datetime.now(UTC))
    answer = httpx.post(f"http://127.0.0.1:{second.port}/ack", data={"t": token}, timeout=30)
    assert answer.status_code == 200 and "Đã xác nhận" in answer.text, answer.text

    process.kill(first.pid)  # SIGKILL mid-stream: no final write, no goodbye to the group
    later = threading.Thread(target=publish, args=(ids[KILL_AFTER:],))
    later.start()
    assert wait_for(lambda: "router active" in second.text(), bool, 60), second.text()[-3000:]
    later.join()

    resent = "0 interrupted message(s)" not in second.text()
    every = set(ids)
    assert wait_for(lambda: {a for a, _ in notices(receiver, "nam")} >= every, bool, 60)
    escalated = every - {ids[0]}  # the acknowledged one is not escalated
    assert wait_for(lambda: {a for a, _ in notices(receiver, "tuan")} >= escalated, bool, 60)
    time.sleep(1.0)  # a repeat would arrive within a tick or two
    exactly_once(notices(receiver, "nam"), every, resent)
    exactly_once(notices(receiver, "tuan"), escalated, resent)
    assert ids[0] not in {a for a, _ in notices(receiver, "tuan")}
    assert "Traceback" not in second.text(), second.text()[-3000:]
