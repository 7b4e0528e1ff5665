"""Dossier state merging (idempotent, order-free) and the Decision 766 figures of a window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from streams.model.dossiers import figures, merge

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
