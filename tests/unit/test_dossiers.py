"""Dossier state merging (idempotent, order-free) and the Decision 766 figures of a window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from streams.model.dossiers import FACTS, fact, figures, merge

T = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
HOUR_MS = 3_600_000
T_MS = int(T.timestamp() * 1000)


def event(
    event_id: str, kind: str, at: datetime, due: datetime | None, resolved: datetime | None
) -> dict[str, Any]:
    return {"event_id": event_id, "dossier_id": "D1", "observed_at": at, "event_type": kind,
            "department_code": "SO-A", "received_at": T, "due_at": due, "resolved_at": resolved,
            "area_code": "26001"}  # fmt: skip


def test_merge_is_idempotent_and_order_free() -> None:
    received = event("e1", "received", T, T + timedelta(days=3), None)
    resolved = event("e2", "resolved", T + timedelta(hours=5), T + timedelta(days=3), T + timedelta(hours=5))
    forward = merge(merge(None, received, 0), resolved, 0)
    backward = merge(merge(None, resolved, 0), received, 0)
    again = merge(forward, resolved, 0)
    assert forward == backward == again
    assert (forward["status"], forward["resolved"]) == ("resolved", T_MS + 5 * HOUR_MS)


def dossier(received: int, due: int | None, resolved: int | None, status: str = "received") -> dict[str, Any]:
    return {"received": received, "due": due, "resolved": resolved, "status": status}


def test_figures_of_a_window() -> None:
    start, end = T_MS, T_MS + 24 * HOUR_MS
    group = [
        dossier(start + HOUR_MS, end + 72 * HOUR_MS, start + 2 * HOUR_MS),  # received + resolved on time
        dossier(start - 96 * HOUR_MS, start - HOUR_MS, start + 3 * HOUR_MS),  # resolved late, received before
        dossier(start + HOUR_MS, start + 5 * HOUR_MS, None),  # overdue at the end
        dossier(start + HOUR_MS, end + 10 * HOUR_MS, None),  # due soon (within 48 h)
        dossier(start + HOUR_MS, end + 100 * HOUR_MS, None),  # in progress, not due soon
        dossier(start + HOUR_MS, None, None, status="withdrawn"),  # received, then withdrawn
    ]
    got = figures(group, start, end, end, due_soon_ms=48 * HOUR_MS)
    assert (got.received, got.in_progress, got.overdue, got.due_soon) == (5, 3, 1, 1)
    assert (got.resolved_on_time, got.resolved_late) == (1, 1)
    assert got.rate(got.resolved_on_time) == 50.0
    # as of 02:00 + 1 ms: the third dossier is not yet due, while the late one is still open and
    # already overdue, and its resolution (at 03:00) is not counted yet
    early = figures(group, start, end, start + 2 * HOUR_MS + 1, due_soon_ms=48 * HOUR_MS)
    assert (early.overdue, early.in_progress, early.resolved_late, early.resolved_on_time) == (1, 4, 0, 1)


def test_rates_are_none_without_resolutions() -> None:
    got = figures([dossier(T_MS, None, None)], T_MS, T_MS + HOUR_MS, T_MS + HOUR_MS, 0)
    rates = {code: value for code, value, _ in got.indicators() if code.endswith("rate")}
    assert rates == {"public_service.on_time_rate": None, "public_service.late_rate": None}


def test_the_index_facts_are_the_newest_known_in_any_order() -> None:
    """Channel, digitised, paid online and rating: each the newest value sent, an unknown one
    (None, channel `unknown`) never hiding a known one, whatever the order of the events."""
    first = event("e1", "received", T, None, None) | {
        "channel": "offline",
        "digitised": False,
        "paid_online": None,
    }
    second = event("e2", "in_progress", T + timedelta(hours=1), None, None) | {
        "channel": "unknown",
        "digitised": True,
    }
    rated = event("e3", "resolved", T + timedelta(hours=2), None, T + timedelta(hours=2)) | {
        "satisfaction": "satisfied"
    }
    orders = ([first, second, rated], [rated, second, first], [second, rated, first, second])
    states = []
    for events in orders:
        state = None
        for e in events:
            state = merge(state, e, 0)
        states.append(state)
    assert states[0] == states[1] == states[2]
    assert {name: fact(states[0], name) for name in FACTS} == {
        "channel": "offline",
        "digitised": True,
        "paid_online": None,
        "satisfaction": "satisfied",
    }


def test_index_points_of_a_window() -> None:
    """Shares counted from the group, and the points of each group (streams/model/index766.py)."""
    start, end = T_MS, T_MS + 24 * HOUR_MS

    def rated(received: int, due: int | None, resolved: int | None, **facts: Any) -> dict[str, Any]:
        known = {name: [[received, name], value] for name, value in facts.items()}
        return dossier(received, due, resolved) | {"facts": known}

    group = [
        rated(start + 1, start + HOUR_MS, start + 2 * HOUR_MS, channel="online", digitised=True,
              paid_online=True, satisfaction="dissatisfied"),  # late
        rated(start + 2, None, None, channel="offline", digitised=True),
        rated(start + 3, end, None, channel="online", paid_online=False),
        rated(start - 1, start + 10, start + 5, satisfaction="very_satisfied"),  # received before, on time
    ]  # fmt: skip
    got = figures(group, start, end, end, due_soon_ms=0)
    assert (got.with_due, got.online, got.offline, got.digitised, got.digitised_known) == (2, 2, 1, 2, 2)
    assert (got.paid_online, got.payment_known, got.satisfied, got.rated) == (1, 2, 1, 2)
    points = {code.rsplit(".", 1)[1]: value for code, value, _, _ in got.index()}
    assert points == {
        "index_766_publicity": 12.0,  # 18 x 2 of 3 received with a due time
        "index_766_progress": 10.0,  # 20 x 1 on time of 2 resolved
        "index_766_digitisation": 22.0,
        "index_766_online": 13.0,  # 12 x 2/3 + 10 x 1/2
        "index_766_satisfaction": 9.0,
        "index_766": 66.0,
    }
