"""Unit tests for streams.model.alerting.operator: operators' decisions as the alert engine applies
them, and their CAP form. T0 = 2024-01-01T00:00:00Z; clocks are plain epoch milliseconds."""

from __future__ import annotations

import json
from typing import Any

import fastavro
import fastavro.validation
import pytest

from avro_schemas import load_schema
from streams.model.alerting import AlertChange, AlertEngine, RuleSet, to_alert_record
from streams.model.alerting.operator import (
    ActionError,
    ActionKind,
    OperatorAction,
    apply_action,
    parse_action,
)
from tests.unit.test_alert_engine import ACCIDENT, SENDER, T0, incident
from topics.catalog import ALERT_ACTIONS, ALERTS, ALERTS_TASKS

PARSED_ALERTS = fastavro.parse_schema(load_schema("derived/alerts"))


def opened() -> tuple[AlertEngine, str, str]:
    """An engine holding one open accident alert: (engine, alert id, dedup key)."""
    alerts = AlertEngine(RuleSet("test", (ACCIDENT,)))
    (change,) = alerts.observe(incident(T0), T0)
    return alerts, change.alert_id, change.dedup_key


def action(
    kind: ActionKind, alert_id: str, key: str, by: str = "tuan.nv", at: int = T0 + 60_000
) -> OperatorAction:
    return OperatorAction(f"{kind}-1", kind, alert_id, key, by, at)


def record(change: AlertChange, alerts: AlertEngine) -> dict[str, Any]:
    result = to_alert_record(change, alerts.ruleset.by_id[change.rule_id], SENDER)
    assert fastavro.validation.validate(result, PARSED_ALERTS, raise_errors=True)
    return result


def test_an_ack_is_a_revision_naming_who_and_when_and_later_revisions_keep_it() -> None:
    alerts, alert_id, key = opened()
    change = apply_action(alerts.state, action("ack", alert_id, key), T0 + 61_000)
    assert change is not None
    cap = record(change, alerts)
    assert (cap["state"], cap["revision"], cap["msg_type"]) == ("acknowledged", 1, "Update")
    assert (cap["acknowledged_by"], cap["acknowledged_at"], cap["sent"]) == (
        "tuan.nv",
        T0 + 60_000,
        T0 + 61_000,
    )
    # The same action again (the router publishes at least once) changes nothing.
    assert apply_action(alerts.state, action("ack", alert_id, key, by="lan.tt"), T0 + 62_000) is None
    # The incident repeats: the update stays acknowledged, by the same officer.
    (later,) = alerts.observe(incident(T0 + 400_000), T0 + 400_000)
    later_cap = record(later, alerts)
    assert (later_cap["state"], later_cap["revision"]) == ("acknowledged", 2)
    assert (later_cap["acknowledged_by"], later_cap["acknowledged_at"]) == ("tuan.nv", T0 + 60_000)


def test_a_false_alarm_is_a_cap_cancel_that_ends_the_alert() -> None:
    alerts, alert_id, key = opened()
    change = apply_action(alerts.state, action("false_alarm", alert_id, key, by="lan.tt"), T0 + 61_000)
    assert change is not None
    cap = record(change, alerts)
    assert (cap["state"], cap["msg_type"], cap["resolved_at"]) == ("resolved", "Cancel", T0 + 60_000)
    assert cap["headline_vi"].startswith("Báo nhầm, đã hủy: ")
    assert "lan.tt" in cap["description_vi"]
    assert cap["instruction_vi"] == ""
    assert alerts.state[key]["alert"] is None
    # Applied twice, or after the alert ended: nothing.
    assert apply_action(alerts.state, action("false_alarm", alert_id, key), T0 + 62_000) is None
    assert apply_action(alerts.state, action("ack", alert_id, key), T0 + 62_000) is None


def test_an_operator_resolution_is_an_update_with_urgency_past() -> None:
    alerts, alert_id, key = opened()
    change = apply_action(alerts.state, action("resolve", alert_id, key), T0 + 61_000)
    assert change is not None
    cap = record(change, alerts)
    assert (cap["state"], cap["msg_type"], cap["urgency"]) == ("resolved", "Update", "Past")
    assert change.closed_by == "tuan.nv"


def test_an_action_for_another_episode_or_an_unknown_key_does_nothing() -> None:
    alerts, alert_id, key = opened()
    assert apply_action(alerts.state, action("ack", "ALR-other", key), T0) is None
    assert apply_action(alerts.state, action("ack", alert_id, "no|such|key"), T0) is None


def test_an_action_survives_its_json_form() -> None:
    sent = action("ack", "ALR-1", "a|b|c")
    assert parse_action(sent.to_json()) == sent


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (b"{", "value"),
        (b"[]", "value"),
        (
            json.dumps(
                {
                    "action_id": "x",
                    "kind": "ack",
                    "alert_id": "",
                    "dedup_key": "k",
                    "officer_id": "o",
                    "at": 1,
                }
            ).encode(),
            "alert_id",
        ),
        (
            json.dumps(
                {
                    "action_id": "x",
                    "kind": "note",
                    "alert_id": "a",
                    "dedup_key": "k",
                    "officer_id": "o",
                    "at": 1,
                }
            ).encode(),
            "kind",
        ),
        (
            json.dumps(
                {
                    "action_id": "x",
                    "kind": "ack",
                    "alert_id": "a",
                    "dedup_key": "k",
                    "officer_id": "o",
                    "at": "now",
                }
            ).encode(),
            "at",
        ),
    ],
)
def test_a_malformed_action_names_its_field(value: bytes, field: str) -> None:
    with pytest.raises(ActionError, match=f"^{field}:"):
        parse_action(value)


def test_the_actions_topic_is_partitioned_like_the_alert_tasks_and_the_alerts() -> None:
    """A task writes its alerts to its own partition number and the router sends an action to the
    alert's partition: the three topics must have as many partitions."""
    assert ALERT_ACTIONS.partitions == ALERTS.partitions == ALERTS_TASKS.state.partitions
