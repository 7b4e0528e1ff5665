"""Public-service dossier figures (the ones provinces report under Decision 766/QĐ-TTg of 2022), pure.

A dossier's state is merged from its events so that the figures are idempotent: re-sending an event,
or receiving a dossier's events out of order, gives the same state (the latest event by observed_at
decides its status; a resolution, once seen, stays). Figures of a window [start, end) for a group of
dossiers, judged as of an instant (the window's end once final, the stream time while open):
- received: received in the window; resolved on time / late: resolved in the window, by or after
  the due time (no due time counts as on time);
- in progress: received, not resolved, not cancelled or withdrawn, as of the instant; of these,
  overdue (due time passed) and due soon (due within the configured span);
- on-time and late rates: percent of the window's resolved dossiers (None when none was resolved).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from streams.model import indicators
from streams.model.windows import to_millis

Dossier = dict[str, Any]
CLOSED_WITHOUT_RESULT = frozenset({"cancelled", "withdrawn"})


def merge(current: Dossier | None, event: dict[str, Any], partition: int) -> Dossier:
    """The dossier's state after one more event (in any order, any number of times)."""
    observed = to_millis(event["observed_at"])
    order = [observed, event["event_id"]]
    state = (
        dict(current) if current else {"partition": partition, "order": order, "status": event["event_type"]}
    )
    newest = order >= state["order"]
    if newest:
        state.update(order=order, status=event["event_type"])
        state.update(department=event["department_code"], area=event["area_code"])
        state["received"] = to_millis(event["received_at"])
        if event["due_at"] is not None:
            state["due"] = to_millis(event["due_at"])
    state.setdefault("department", event["department_code"])
    state.setdefault("area", event["area_code"])
    state.setdefault("received", to_millis(event["received_at"]))
    state.setdefault("due", to_millis(event["due_at"]) if event["due_at"] is not None else None)
    if event["resolved_at"] is not None:
        resolved = to_millis(event["resolved_at"])
        state["resolved"] = min(resolved, state.get("resolved") or resolved)
    state.setdefault("resolved", None)
    return state


@dataclass(frozen=True)
class Figures:
    """The counts of one group and window; rates derived from them."""

    received: int = 0
    in_progress: int = 0
    due_soon: int = 0
    resolved_on_time: int = 0
    resolved_late: int = 0
    overdue: int = 0
    dossiers: int = 0  # dossiers that count in any figure

    def rate(self, part: int) -> float | None:
        resolved = self.resolved_on_time + self.resolved_late
        return 100.0 * part / resolved if resolved else None

    def indicators(self) -> list[tuple[str, float | None, str]]:
        """(code, value, unit) of every figure (codes from the indicator catalog)."""
        counts = [
            (indicators.PUBLIC_SERVICE_DOSSIERS_RECEIVED, self.received),
            (indicators.PUBLIC_SERVICE_DOSSIERS_IN_PROGRESS, self.in_progress),
            (indicators.PUBLIC_SERVICE_DOSSIERS_DUE_SOON, self.due_soon),
            (indicators.PUBLIC_SERVICE_DOSSIERS_RESOLVED_ON_TIME, self.resolved_on_time),
            (indicators.PUBLIC_SERVICE_DOSSIERS_RESOLVED_LATE, self.resolved_late),
            (indicators.PUBLIC_SERVICE_DOSSIERS_OVERDUE, self.overdue),
        ]
        return [(code, float(value), "dossiers") for code, value in counts] + [
            (indicators.PUBLIC_SERVICE_ON_TIME_RATE, self.rate(self.resolved_on_time), "%"),
            (indicators.PUBLIC_SERVICE_LATE_RATE, self.rate(self.resolved_late), "%"),
        ]


def figures(dossiers: Iterable[Dossier], start: int, end: int, as_of: int, due_soon_ms: int) -> Figures:
    """The figures of the window [start, end) as of `as_of` (see the module docstring)."""
    counts = dict.fromkeys(("received", "in_progress", "due_soon", "on_time", "late", "overdue", "n"), 0)
    for d in dossiers:
        counted = False
        if start <= d["received"] < end:
            counts["received"] += 1
            counted = True
        resolved, due = d["resolved"], d["due"]
        if resolved is not None and start <= resolved < min(end, as_of + 1):
            counts["late" if due is not None and resolved > due else "on_time"] += 1
            counted = True
        open_now = d["received"] <= as_of and (resolved is None or resolved > as_of)
        if open_now and d["status"] not in CLOSED_WITHOUT_RESULT:
            counts["in_progress"] += 1
            counted = True
            if due is not None and due < as_of:
                counts["overdue"] += 1
            elif due is not None and due < as_of + due_soon_ms:
                counts["due_soon"] += 1
        counts["n"] += counted
    return Figures(
        counts["received"], counts["in_progress"], counts["due_soon"], counts["on_time"], counts["late"],
        counts["overdue"], counts["n"],
    )  # fmt: skip
