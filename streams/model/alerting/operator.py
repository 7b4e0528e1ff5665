"""Operators' decisions about an alert, as the alert engine applies them: an acknowledgement, a
resolution by an operator, a false alarm. Pure, like the engine: an action record in, at most one
alert change out.

Whether an operator may do it (the alert is known and open, not yet acknowledged, the officer is on
the roster) is decided once, by the router (routing/actions.py), before the action reaches this
topic. Here an action only finds the alert it names still open, or it does nothing: the router may
hand the same action over twice (it publishes at least once), and an alert may have ended by itself
between the operator's click and this; either way applying nothing is right.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from streams.model.alerting.lifecycle import AlertChange, Entry, acknowledge_alert, resolve_alert

ActionKind = Literal["ack", "resolve", "false_alarm"]
KINDS: tuple[str, ...] = ("ack", "resolve", "false_alarm")
"""The actions that change the alert itself (notes and hand-overs are the router's alone)."""


class ActionError(ValueError):
    """An action record that cannot be read; the message names the field."""


@dataclass(frozen=True)
class OperatorAction:
    """One decision, as the router publishes it on `ioc.internal.alerts.actions` (JSON)."""

    action_id: str
    kind: ActionKind
    alert_id: str
    dedup_key: str
    officer_id: str
    at: int
    """When the operator decided, epoch milliseconds UTC."""

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, ensure_ascii=False).encode()


def parse_action(value: bytes | None) -> OperatorAction:
    """An action record; ActionError names the field that is missing or wrong."""
    try:
        record: dict[str, Any] = json.loads(value or b"")
    except ValueError as exc:
        raise ActionError(f"value: not JSON ({exc})") from exc
    if not isinstance(record, dict):
        raise ActionError("value: not a JSON object")
    for name in ("action_id", "kind", "alert_id", "dedup_key", "officer_id"):
        if not isinstance(record.get(name), str) or not record[name]:
            raise ActionError(f"{name}: a non-empty string is required")
    if record["kind"] not in KINDS:
        raise ActionError(f"kind: {record['kind']!r} is not one of {', '.join(KINDS)}")
    if not isinstance(record.get("at"), int) or isinstance(record["at"], bool):
        raise ActionError("at: epoch milliseconds (an integer) are required")
    return OperatorAction(
        record["action_id"],
        record["kind"],
        record["alert_id"],
        record["dedup_key"],
        record["officer_id"],
        record["at"],
    )


def apply_action(state: Mapping[str, Entry], action: OperatorAction, now_ms: int) -> AlertChange | None:
    """The change `action` makes to the alert it names, stamped `now_ms` (CAP `sent`); None when that
    alert is no longer open here (ended, or this action was applied already)."""
    entry = state.get(action.dedup_key)
    alert = entry.get("alert") if entry is not None else None
    if entry is None or alert is None or alert["alert_id"] != action.alert_id:
        return None
    if action.kind == "ack":
        return acknowledge_alert(entry, action.dedup_key, action.officer_id, action.at, now_ms)
    return resolve_alert(
        entry,
        action.dedup_key,
        action.at,
        now_ms,
        by=action.officer_id,
        cancelled=action.kind == "false_alarm",
    )
