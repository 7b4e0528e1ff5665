"""The lifecycle of one alert, open → updated → resolved, kept in a JSON-able state entry.

An entry is the engine's state for one (rule, entity) pair, its dedup key; while an alert is open the
entry holds it under `alert`, so repeated firing updates that alert instead of opening another.
Revisions rise from 0 at opening, as `avro_schemas/derived/alerts.avsc` defines them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

Entry = dict[str, Any]
ChangeState = Literal["open", "updated", "acknowledged", "resolved"]
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class AlertChange:
    """One state change of an alert, everything `cap.to_alert_record` needs besides the rule."""

    alert_id: str
    dedup_key: str
    rule_id: str
    state: ChangeState
    revision: int
    opened_at: int
    updated_at: int
    resolved_at: int | None
    sent: int
    """The engine clock when the change was made: CAP `sent`."""
    entity_type: str
    entity_id: str
    area_code: str
    latitude: float | None
    longitude: float | None
    values: dict[str, float]
    texts: dict[str, str]
    """Texts of the observation the templates may use, such as an incident's description."""
    references: tuple[tuple[int, int], ...]
    """(revision, sent) of the earlier messages this one supersedes: the opening one and the last."""
    acknowledged_at: int | None = None
    acknowledged_by: str = ""
    cancelled: bool = False
    """Withdrawn by an operator as a false alarm: CAP msgType Cancel."""
    closed_by: str = ""
    """The officer who resolved or cancelled it; empty when the rule resolved it."""


def dedup_key(rule_id: str, entity_type: str, entity_id: str) -> str:
    """The key under which firings merge into one alert. The entity type is part of it because ids are
    only unique within a type (camera 12 and area 12 are different things)."""
    return f"{rule_id}|{entity_type}|{entity_id}"


def alert_id(rule_id: str, entity_type: str, entity_id: str, opened_at: int) -> str:
    """A readable id, the same on every replay of the same input: rule, entity and opening time (UTC,
    to the millisecond). Characters CAP identifiers must not hold are replaced, and a short hash of the
    original id is then added so that two ids differing only in those characters stay apart."""
    moment = datetime.fromtimestamp(opened_at // 1000, UTC)
    stamp = f"{moment:%Y%m%dT%H%M%S}.{opened_at % 1000:03d}Z"
    return f"ALR-{rule_id}-{_safe(entity_type)}-{_safe(entity_id)}-{stamp}"


def open_alert(entry: Entry, key: str, opened_at: int, sent: int) -> AlertChange:
    """Start a new episode. An episode never opens at or before the previous one's opening, so a new
    episode of the same key always gets a new alert id."""
    previous = entry["last_opened_at"]
    if previous is not None:
        opened_at = max(opened_at, previous + 1)
    entry["last_opened_at"] = opened_at
    entry["alert"] = {
        "alert_id": alert_id(entry["rule"], entry["entity_type"], entry["entity_id"], opened_at),
        "revision": 0,
        "opened_at": opened_at,
        "changed_at": opened_at,
        "published": dict(entry["values"]),
        "first_sent": sent,
        "last_sent": sent,
    }
    return _change(entry, key, "open", sent, ())


def update_due(entry: Entry, at: int, interval_s: int, reminder_s: int, material: bool) -> bool:
    """Whether an open alert should be updated now: never sooner than `interval_s` after its last
    change (no flood, however often it fires), then on a material change or after `reminder_s`."""
    elapsed = at - entry["alert"]["changed_at"]
    return elapsed >= interval_s * 1000 and (material or elapsed >= reminder_s * 1000)


def is_material(entry: Entry, name: str, fraction: float) -> bool:
    """Whether value `name` moved by at least `fraction` of what the last message said (any move
    from zero counts)."""
    old, new = entry["alert"]["published"].get(name), entry["values"].get(name)
    if old is None or new is None or old == 0:
        return bool(old != new)
    return bool(abs(new - old) >= fraction * abs(old))


def update_alert(entry: Entry, key: str, at: int, sent: int) -> AlertChange:
    """The alert still fires: publish its latest values under a new revision."""
    return _next(entry, key, "updated", at, sent)


def resolve_alert(
    entry: Entry, key: str, at: int, sent: int, *, by: str = "", cancelled: bool = False
) -> AlertChange:
    """End the episode; the next firing opens a new alert with a new id. `by`: the officer who ended
    it (empty when the rule did); `cancelled`: withdrawn as a false alarm."""
    change = _next(entry, key, "resolved", at, sent, cancelled=cancelled)
    entry["alert"] = None
    return replace(change, closed_by=by) if by else change


def acknowledge_alert(entry: Entry, key: str, by: str, at: int, sent: int) -> AlertChange | None:
    """An officer took the alert: a revision saying who and when, kept by every later revision.
    None when it was already acknowledged (a repeated request changes nothing)."""
    alert = entry["alert"]
    if alert.get("acknowledged_at") is not None:
        return None
    alert["acknowledged_at"], alert["acknowledged_by"] = at, by
    return _next(entry, key, "acknowledged", at, sent)


def _next(
    entry: Entry, key: str, state: ChangeState, at: int, sent: int, *, cancelled: bool = False
) -> AlertChange:
    alert = entry["alert"]
    if state == "updated" and alert.get("acknowledged_at") is not None:
        state = "acknowledged"  # still firing, still taken: the board keeps showing who has it
    references: tuple[tuple[int, int], ...] = ((0, alert["first_sent"]),)
    if alert["revision"] > 0:
        references += ((alert["revision"], alert["last_sent"]),)
    alert["revision"] += 1
    # A change stamped from the engine clock may come before the event time of the last one; an
    # alert's history must not run backwards.
    alert["changed_at"] = max(at, alert["changed_at"])
    alert["published"] = dict(entry["values"])
    alert["last_sent"] = sent
    return _change(entry, key, state, sent, references, cancelled)


def _change(
    entry: Entry,
    key: str,
    state: ChangeState,
    sent: int,
    references: tuple[tuple[int, int], ...],
    cancelled: bool = False,
) -> AlertChange:
    alert = entry["alert"]
    return AlertChange(
        alert_id=alert["alert_id"],
        dedup_key=key,
        rule_id=entry["rule"],
        state=state,
        revision=alert["revision"],
        opened_at=alert["opened_at"],
        updated_at=alert["changed_at"],
        resolved_at=alert["changed_at"] if state == "resolved" else None,
        sent=sent,
        entity_type=entry["entity_type"],
        entity_id=entry["entity_id"],
        area_code=entry["area_code"],
        latitude=entry["latitude"],
        longitude=entry["longitude"],
        values=dict(entry["values"]),
        texts=dict(entry["texts"]),
        references=references,
        acknowledged_at=alert.get("acknowledged_at"),
        acknowledged_by=alert.get("acknowledged_by", ""),
        cancelled=cancelled,
    )


def _safe(text: str) -> str:
    safe = _UNSAFE.sub("_", text)
    return safe if safe == text else f"{safe}~{hashlib.sha256(text.encode()).hexdigest()[:8]}"
