"""Operators' actions at the router (routing/actions.py) through the console's API
(routing/console_api.py): a real router on a state file and a real HTTP app, a manual clock, the
request handed straight to `apply_request` as the active router would apply it. The path through
Kafka and the alert task is tested in tests/integration/test_alert_actions.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from routing.actions import ActionRequest, apply_request
from tests.mail_box import MailBox
from tests.unit.test_routing_delivery import Harness, HttpReceiver, alert, mailbox, receiver

__all__ = ["mailbox", "receiver"]  # fixtures of the delivery tests, used here too
TOKEN = "console-secret"  # noqa: S105 - a test token
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def harness(tmp_path: Path, mailbox: tuple[MailBox, int], receiver: HttpReceiver) -> Harness:
    harness = Harness(tmp_path, mailbox[1], receiver)
    harness.router.handle(alert("A1"))
    harness.router.tick()
    return harness


@pytest.fixture
def client(harness: Harness) -> TestClient:
    return harness.ack_client(console_token=TOKEN)


def act(client: TestClient, body: Any, alert_id: str = "A1", headers: dict[str, str] | None = None) -> Any:
    return client.post(
        f"/api/alerts/{alert_id}/actions", json=body, headers=AUTH if headers is None else headers
    )


def actions(harness: Harness, alert_id: str = "A1") -> list[tuple[str, str, str]]:
    """(action, officer, detail) of the audit events about operators' actions."""
    kept = ("acknowledged", "note", "handed_over", "resolved_by_operator", "false_alarm", "refused")
    return [
        (record["action"], record["officer_id"], record["detail"])
        for _, record in harness.store.unpublished(10_000)
        if record["alert_id"] == alert_id and record["action"] in kept
    ]


def test_an_ack_is_done_once_and_a_second_is_refused_and_audited(
    harness: Harness, client: TestClient
) -> None:
    first = act(client, {"kind": "ack", "by": "minh"})
    assert (first.status_code, first.json()) == (200, {"done": True})
    state = harness.store.alert("A1")
    assert (state.acked_by, state.ack_via) == ("minh", "console")
    assert harness.store.engagements("A1") == []  # escalation stopped

    second = act(client, {"kind": "ack", "by": "nam"})
    assert second.status_code == 409
    assert second.json()["done"] is False and "đã được minh xác nhận" in second.json()["reason"]
    audited = actions(harness)
    assert audited[0][:2] == ("acknowledged", "minh")
    assert audited[1][:2] == ("refused", "nam") and "ack via console" in audited[1][2]


@pytest.mark.parametrize(
    ("body", "alert_id", "words"),
    [
        ({"kind": "ack", "by": "ai-do"}, "A1", "Cán bộ ai-do không có trong lịch trực"),
        ({"kind": "ack", "by": "minh"}, "NO-SUCH", "Không có cảnh báo NO-SUCH"),
        ({"kind": "handover", "by": "minh", "unit": "PCCC"}, "A1", "Không có đơn vị PCCC trong lịch trực"),
        ({"kind": "handover", "by": "minh", "unit": "CSGT"}, "A1", "đang do đơn vị CSGT xử lý"),
    ],
)
def test_refusals_say_why_in_vietnamese_and_are_audited(
    harness: Harness, client: TestClient, body: dict[str, str], alert_id: str, words: str
) -> None:
    answer = act(client, body, alert_id)
    assert answer.status_code == 409 and words in answer.json()["reason"]
    ((action, officer, detail),) = actions(harness, alert_id)
    assert (action, officer) == ("refused", body["by"]) and words in detail


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("not json", "body"),
        (["ack"], "body"),
        ({"by": "minh"}, "kind"),
        ({"kind": "delete", "by": "minh"}, "kind"),
        ({"kind": "ack"}, "by"),
        ({"kind": "ack", "by": 7}, "by"),
        ({"kind": "note", "by": "minh"}, "text"),
        ({"kind": "handover", "by": "minh"}, "unit"),
        ({"kind": "ack", "by": "minh", "officer": "x"}, "officer"),
    ],
)
def test_a_malformed_body_is_a_400_naming_the_field(client: TestClient, body: Any, field: str) -> None:
    if isinstance(body, str):
        answer = client.post("/api/alerts/A1/actions", content=body.encode(), headers=AUTH)
    else:
        answer = act(client, body)
    assert answer.status_code == 400 and answer.json()["field"] == field


def test_a_missing_or_wrong_token_is_a_401(harness: Harness, client: TestClient) -> None:
    assert act(client, {"kind": "ack", "by": "minh"}, headers={}).status_code == 401
    assert (
        act(client, {"kind": "ack", "by": "minh"}, headers={"Authorization": "Bearer nope"}).status_code
        == 401
    )
    assert harness.store.alert("A1").acked_at is None
    # Without a configured token the API is not served at all.
    assert harness.ack_client().post("/api/alerts/A1/actions", json={}).status_code == 404


def test_a_note_is_audited_with_its_text(harness: Harness, client: TestClient) -> None:
    assert act(client, {"kind": "note", "by": "nam", "text": "Đã gọi CSGT khu vực"}).status_code == 200
    ((action, officer, detail),) = actions(harness)
    assert (action, officer) == ("note", "nam") and "Đã gọi CSGT khu vực" in detail


def test_a_handover_engages_the_new_unit_and_stops_the_old_ones(
    harness: Harness, client: TestClient, mailbox: tuple[MailBox, int]
) -> None:
    box, _ = mailbox
    answer = act(client, {"kind": "handover", "by": "minh", "unit": "IOC", "text": "Sự cố camera"})
    assert answer.status_code == 200
    (engagement,) = harness.store.engagements("A1")
    assert engagement.unit == "IOC" and engagement.levels[0] == ("thu",)
    harness.router.tick()
    assert len(box.to("thu@ioc.test")) == 1  # the new unit is told
    ((action, officer, detail),) = actions(harness)
    assert (
        (action, officer) == ("handed_over", "minh") and "CSGT > IOC" in detail and "Sự cố camera" in detail
    )


def test_a_false_alarm_stops_escalation_goes_to_the_alert_task_and_closes_the_alert(
    harness: Harness, client: TestClient
) -> None:
    request = ActionRequest.new("false_alarm", "A1", "tuan", "console", harness.clock.now(), "Camera lỗi")
    result, action = apply_request(
        harness.store, harness.router.roster.current(), request, harness.clock.now()
    )
    assert result.done and action is not None
    assert (action.kind, action.alert_id, action.dedup_key, action.officer_id) == (
        "false_alarm",
        "A1",
        "incident.accident|A1",
        "tuan",
    )
    assert harness.store.engagements("A1") == []
    # Read again after a crash: the stored answer, nothing applied or audited twice.
    again, repeated = apply_request(
        harness.store, harness.router.roster.current(), request, harness.clock.now()
    )
    assert again.done and repeated is None
    assert [a for a, _, _ in actions(harness)] == ["false_alarm"]
    # Until the Cancel comes back from the alert task, nothing else may be done but notes.
    refused = act(client, {"kind": "ack", "by": "minh"})
    assert refused.status_code == 409 and "tuan đánh dấu báo nhầm" in refused.json()["reason"]
    assert act(client, {"kind": "note", "by": "minh", "text": "ok"}).status_code == 200


def test_only_the_actions_that_change_the_alert_go_to_the_alert_task(harness: Harness) -> None:
    roster, now = harness.router.roster.current(), harness.clock.now()
    note = ActionRequest.new("note", "A1", "minh", "cli", now, "x")
    assert apply_request(harness.store, roster, note, now)[1] is None
    ack = ActionRequest.new("ack", "A1", "minh", "cli", now)
    sent = apply_request(harness.store, roster, ack, now)[1]
    assert sent is not None and sent.kind == "ack"
