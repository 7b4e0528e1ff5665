"""An alert change as a record of `avro_schemas/derived/alerts.avsc`: the CAP 1.2 fields other
emergency systems read, and the platform's own lifecycle fields.

Message types: opening is an `Alert`, every later change an `Update`. A resolution is an `Update` with
urgency `Past` (and state `resolved`), not a `Cancel`: in CAP a Cancel withdraws the earlier messages,
which a receiving system may read as "this never happened", while an Update with urgency Past says
the event was real and is over; Google's CAP guidance likewise prefers an "All Clear" Update over a
Cancel for ending an event. Cancel is left for withdrawing a false alarm, an operator's decision
(streams/model/alerting/operator.py): state `resolved`, msgType Cancel, headline marked as a false alarm.
A resolution carries the rule's `resolved_description_vi` and no instruction: nothing is left to do.
An acknowledgement is an `Update` with state `acknowledged`; every later revision keeps who and when.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from streams.model.alerting.lifecycle import AlertChange
from streams.model.alerting.rules import Rule
from streams.model.alerting.templates import local_time, render

CapStatus = Literal["Actual", "Exercise", "System", "Test", "Draft"]
CapScope = Literal["Public", "Restricted", "Private"]
RESOLVED_PREFIX = "Đã kết thúc: "
"""Put before the headline of a resolution, so the wall does not show an ended alert as a new one."""
CANCELLED_PREFIX = "Báo nhầm, đã hủy: "
CANCELLED_DESCRIPTION = "Cán bộ {by} xác định đây là báo nhầm; cảnh báo được hủy."


def identifier(alert_id: str, revision: int) -> str:
    """The CAP identifier of one message: unique per change, and readable back to its alert."""
    return f"{alert_id}-r{revision}"


def cap_time(ms: int) -> str:
    """A CAP dateTime: whole seconds, with UTC written `-00:00` as CAP 1.2 requires (no `Z`)."""
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S-00:00")


def to_alert_record(
    change: AlertChange,
    rule: Rule,
    sender: str,
    *,
    area_desc: str = "",
    status: CapStatus = "Actual",
    scope: CapScope = "Restricted",
) -> dict[str, Any]:
    """The alerts-topic record of one change. `sender` identifies this centre (CAP sender, for example
    ioc@province.gov.vn); `area_desc` is the area's Vietnamese name, which the caller looks up from the
    configured area hierarchy (templates fall back to the area code when it is not known); `status`
    Exercise or Test marks drills and trials."""
    texts = {
        "rule_id": change.rule_id,
        "entity_type": change.entity_type,
        "entity_id": change.entity_id,
        "area_code": change.area_code,
        "area_desc": area_desc or change.area_code,
        "opened": local_time(change.opened_at),
        "time": local_time(change.updated_at),
        **change.texts,
    }
    resolved = change.state == "resolved"
    headline = render(rule.headline_vi, texts, change.values)
    return {
        "alert_id": change.alert_id,
        "identifier": identifier(change.alert_id, change.revision),
        "sender": sender,
        "sent": change.sent,
        "status": status,
        "msg_type": "Cancel" if change.cancelled else "Alert" if change.state == "open" else "Update",
        "scope": scope,
        "references": " ".join(
            f"{sender},{identifier(change.alert_id, revision)},{cap_time(sent)}"
            for revision, sent in change.references
        ),
        "cap_category": rule.cap_category,
        "event": render(rule.event_vi, texts, change.values),
        "urgency": "Past" if resolved else rule.urgency,
        "severity": rule.severity,
        "certainty": rule.certainty,
        "area_desc": area_desc,
        "area_code": change.area_code,
        "latitude": change.latitude,
        "longitude": change.longitude,
        "category": rule.category,
        "rule_id": change.rule_id,
        "state": change.state,
        "revision": change.revision,
        "opened_at": change.opened_at,
        "updated_at": change.updated_at,
        "acknowledged_at": change.acknowledged_at,
        "acknowledged_by": change.acknowledged_by,
        "resolved_at": change.resolved_at,
        "entity_type": change.entity_type,
        "entity_id": change.entity_id,
        "values": dict(change.values),
        "headline_vi": _headline(change, headline),
        "description_vi": CANCELLED_DESCRIPTION.format(by=change.closed_by)
        if change.cancelled
        else render(rule.resolved_description_vi if resolved else rule.description_vi, texts, change.values),
        "instruction_vi": "" if resolved else render(rule.instruction_vi, texts, change.values),
        "dedup_key": change.dedup_key,
    }


def _headline(change: AlertChange, headline: str) -> str:
    if change.cancelled:
        return CANCELLED_PREFIX + headline
    return RESOLVED_PREFIX + headline if change.state == "resolved" else headline
