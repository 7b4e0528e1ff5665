"""Escalation: an alert nobody acknowledges moves up, unit by unit, from the officers on duty to the
shift lead, then to the unit head, each after the roster's waiting time. Deadlines are stored with
the engagement, so a router restarted mid-escalation continues exactly where it was."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from routing.audit import event
from routing.grouping import group_key
from routing.roster import Roster
from routing.state import Engagement, Store


def deadline_after(
    roster: Roster, levels: tuple[tuple[str, ...], ...], level: int, now: datetime
) -> datetime | None:
    """When the level after `level` is due, or None when `level` is the last."""
    if level + 1 >= len(levels):
        return None
    waits = (roster.escalation.to_shift_lead_min, roster.escalation.to_unit_head_min)
    return now + timedelta(minutes=waits[min(level, len(waits) - 1)])


def notify_officer(
    store: Store,
    roster: Roster,
    alert: dict[str, Any],
    kind: str,
    unit: str,
    level: int,
    officer_id: str,
    send_at: datetime,
    now: datetime,
) -> None:
    """Queue a message to every contact of the officer; an officer the roster no longer has is audited."""
    officer = roster.officer_by_id.get(officer_id)
    if officer is None:
        store.audit(event("no_contact", alert, now, unit=unit, officer=officer_id, level=level, kind=kind))
        return
    for contact in officer.contacts:
        key = group_key(unit, alert, kind)
        store.enqueue(alert, kind, unit, level, officer_id, contact.channel, contact.address, key, send_at)


def escalate(store: Store, roster: Roster, engagement: Engagement, now: datetime) -> None:
    """Call the next level of one engagement (inside the caller's transaction)."""
    state = store.alert(engagement.alert_id)
    if state is None or state.acked_at is not None:
        store.close_engagements(engagement.alert_id)
        return
    level = engagement.level + 1
    if level >= len(engagement.levels):
        store.set_level(engagement.alert_id, engagement.unit, engagement.level, None)
        store.audit(
            event("escalation_exhausted", state.record, now, unit=engagement.unit, level=engagement.level)
        )
        return
    store.set_level(
        engagement.alert_id, engagement.unit, level, deadline_after(roster, engagement.levels, level, now)
    )
    officers = engagement.levels[level]
    store.audit(
        event("escalated", state.record, now, unit=engagement.unit, level=level, detail=",".join(officers))
    )
    for officer_id in officers:
        notify_officer(
            store, roster, state.record, "escalation", engagement.unit, level, officer_id, now, now
        )


def escalate_due(store: Store, roster: Roster, now: datetime) -> int:
    """Escalate every engagement whose deadline has passed; returns how many moved."""
    due = store.due_engagements(now)
    for engagement in due:
        with store.transaction():
            escalate(store, roster, engagement, now)
    return len(due)
