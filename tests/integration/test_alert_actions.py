"""Operators' actions on the real stack: an incident opens an alert in the stream worker, the router
(as `ioc alerts run` runs it, with a manual clock) routes it; the console's API acknowledges it and the
acknowledged revision, with who and when, reaches `alerts_current` in the warehouse; a second ack is
refused, before and after a router restart; a false alarm is a CAP Cancel that leaves `alerts_current`,
and the escalation it stopped never comes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from ioc.settings import RoutingSettings, Settings, StackSettings
from ioc.stack.ports import free_port
from routing.clock import ManualClock
from tests.integration.conftest import RunningStack, WorkerProcess
from tests.integration.helpers import DUTY_DESK_ROSTER, wait_for, warehouse_client
from tests.integration.test_alerts import send_accident
from tests.integration.test_routing_broker import RouterThread
from tests.mail_box import MailBox
from tests.unit import test_routing_delivery as delivery

mailbox = delivery.mailbox  # the real SMTP server of the unit tests, as a fixture here too
TOKEN = "console-" + uuid.uuid4().hex  # noqa: S105 - a test token


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC))


@pytest.fixture
def router(
    local_stack: RunningStack, tmp_path: Path, mailbox: tuple[MailBox, int], clock: ManualClock
) -> Iterator[RouterThread]:
    roster = tmp_path / "roster.yaml"
    roster.write_text(DUTY_DESK_ROSTER, encoding="utf-8")
    port = free_port()
    settings = Settings(
        stack=StackSettings(dir=local_stack.dir),
        routing=RoutingSettings(
            roster=roster,
            state_dir=tmp_path / "routing",
            group_id=f"router-{uuid.uuid4().hex[:8]}",
            smtp_port=mailbox[1],
            group_wait_s=0.0,
            tick_s=0.2,
            ack_port=port,
            ack_public_url=f"http://127.0.0.1:{port}",
            console_token=TOKEN,
        ),
    )
    running = RouterThread(settings, clock)
    running.start()
    yield running
    running.stop()


def act(router: RouterThread, alert_id: str, **body: str) -> httpx.Response:
    """The console's call."""
    port = router.settings.routing.ack_port
    return httpx.post(
        f"http://127.0.0.1:{port}/api/alerts/{alert_id}/actions",
        json=body,
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )


def answered(router: RouterThread, alert_id: str, **body: str) -> httpx.Response | None:
    """The answer once the router serves its API and is active (None before: refused connection, 202)."""
    try:
        answer = act(router, alert_id, **body)
    except httpx.ConnectError:
        return None
    return None if answer.status_code == 202 else answer


def opened_alert(local_stack: RunningStack, box: MailBox, camera: str) -> str:
    """Raise an accident at `camera`; its alert id once the officer on duty has been told."""
    send_accident(local_stack, camera, f"{camera}-1")
    (mail,) = wait_for(lambda: [m for m in box.to("minh@ioc.test") if camera in m.get_content()], bool, 90)
    return next(word for word in mail.get_content().split() if word.startswith("ALR-") and camera in word)


def current(local_stack: RunningStack, alert_id: str) -> list[tuple[Any, ...]]:
    client = warehouse_client(local_stack.endpoints, local_stack.settings)
    return [
        tuple(row)
        for row in client.query(
            "SELECT state, revision, acknowledged_by, acknowledged_at, msg_type FROM alerts_current "
            "WHERE alert_id = {a:String}",
            parameters={"a": alert_id},
        ).result_rows
    ]


def revisions(local_stack: RunningStack, alert_id: str) -> list[tuple[Any, ...]]:
    client = warehouse_client(local_stack.endpoints, local_stack.settings)
    return [
        tuple(row)
        for row in client.query(
            "SELECT revision, state, msg_type, acknowledged_by FROM alerts FINAL WHERE alert_id = {a:String} "
            "ORDER BY revision",
            parameters={"a": alert_id},
        ).result_rows
    ]


def test_an_ack_from_the_console_reaches_alerts_current_once_and_survives_a_router_restart(
    local_stack: RunningStack, worker: WorkerProcess, router: RouterThread, mailbox: tuple[MailBox, int]
) -> None:
    box, _ = mailbox
    alert_id = opened_alert(local_stack, box, f"CAM-ACK-{uuid.uuid4().hex[:6]}")
    before = datetime.now(UTC)

    done = act(router, alert_id, kind="ack", by="minh")
    assert (done.status_code, done.json()) == (200, {"done": True})
    ((state, revision, by, at, msg_type),) = wait_for(
        lambda: current(local_stack, alert_id), lambda rows: rows and rows[0][0] == "acknowledged", 60
    )
    assert (state, revision, by, msg_type) == ("acknowledged", 1, "minh", "Update")
    assert abs((at.replace(tzinfo=UTC) - before).total_seconds()) < 60

    second = act(router, alert_id, kind="ack", by="nam")
    assert second.status_code == 409 and "đã được minh xác nhận" in second.json()["reason"]

    router.stop()
    router.start()
    again = wait_for(lambda: answered(router, alert_id, kind="ack", by="nam"), lambda r: r is not None, 60)
    assert again is not None  # the restarted router serves the API and is active again
    assert again.status_code == 409 and "minh" in again.json()["reason"]
    assert [r[1] for r in revisions(local_stack, alert_id)] == ["open", "acknowledged"]  # one ack revision


def test_a_false_alarm_leaves_alerts_current_and_its_escalation_never_comes(
    local_stack: RunningStack,
    worker: WorkerProcess,
    router: RouterThread,
    clock: ManualClock,
    mailbox: tuple[MailBox, int],
) -> None:
    box, _ = mailbox
    camera = f"CAM-FA-{uuid.uuid4().hex[:6]}"
    alert_id = opened_alert(local_stack, box, camera)
    wait_for(lambda: current(local_stack, alert_id), bool, 60)

    done = act(router, alert_id, kind="false_alarm", by="tuan", text="Camera nhận nhầm bóng cây")
    assert done.status_code == 200
    wait_for(lambda: revisions(local_stack, alert_id), lambda rows: len(rows) == 2, 60)
    assert revisions(local_stack, alert_id)[-1][1:3] == ("resolved", "Cancel")
    assert current(local_stack, alert_id) == []  # off alerts_current, so off the wall's board

    clock.advance(minutes=25)  # past the lead's and the head's deadlines
    refused = act(router, alert_id, kind="ack", by="minh")
    assert refused.status_code == 409 and "báo nhầm" in refused.json()["reason"]
    # A later request is applied in a later round, after the escalations due at the advanced clock.
    assert act(router, alert_id, kind="note", by="minh", text="Đã kiểm tra").status_code == 200
    assert not [m for m in box.to("tuan@ioc.test") + box.to("thu@ioc.test") if camera in m.get_content()]
