"""Public-service dossier figures (the ones provinces report under Decision 766/QĐ-TTg of 2022), pure.

A dossier's state is merged from its events so that the figures are idempotent: re-sending an event,
or receiving a dossier's events out of order, gives the same state (the latest event by observed_at
decides its status; a resolution, once seen, stays). Figures of a window [start, end) for a group of
dossiers, judged as of an instant (the window's end once final, the stream time while open):
- received: received in the window; resolved on time / late: resolved in the window, by or after
  the due time (no due time counts as on time);
- in progress: received, not resolved, not cancelled or withdrawn, as of the instant; of these,
  overdue (due time passed) and due soon (due within the configured span);
- on-time and late rates: percent of the window's resolved dossiers (None when none was resolved);
- what the Decision 766 index is scored from (streams/model/index766.py): of the dossiers received
  in the window, those with a due time, submitted online or offline, known digitised or not, known
  paid online or not; of those resolved in the window, the ones rated and the ones rated satisfied.

The facts the portal may send late (channel, digitised, paid online, satisfaction) are each the
newest known value by observed_at, so they too merge in any order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from streams.model import index766, indicators
from streams.model.windows import to_millis

Dossier = dict[str, Any]
CLOSED_WITHOUT_RESULT = frozenset({"cancelled", "withdrawn"})
FACTS = ("channel", "digitised", "paid_online", "satisfaction")
"""Event fields of the 766 index; each is unknown when it is None (or channel `unknown`)."""
SATISFIED = frozenset({"very_satisfied", "satisfied"})


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
    facts = dict(state.get("facts") or {})
    for name in FACTS:
        value = event.get(name)
        if value is not None and value != "unknown" and order >= facts.get(name, [[-1, ""]])[0]:
            facts[name] = [order, value]
    state["facts"] = facts
    return state


def fact(dossier: Dossier, name: str) -> Any:
    """The newest known value of one of the FACTS (None when never sent)."""
    known = (dossier.get("facts") or {}).get(name)
    return None if known is None else known[1]


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
    with_due: int = 0  # received in the window with a due time
    online: int = 0  # received in the window, submitted online
    offline: int = 0
    digitised: int = 0  # received in the window and digitised
    digitised_known: int = 0  # received in the window, digitised or known not to be
    paid_online: int = 0
    payment_known: int = 0
    satisfied: int = 0  # resolved in the window and rated (very) satisfied
    rated: int = 0  # resolved in the window and rated

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

    def index(self) -> list[tuple[str, float | None, str, str]]:
        """(code, points, unit, label) of the Decision 766 index and its five groups."""
        return index766.scores(self)


def figures(dossiers: Iterable[Dossier], start: int, end: int, as_of: int, due_soon_ms: int) -> Figures:
    """The figures of the window [start, end) as of `as_of` (see the module docstring)."""
    counts = dict.fromkeys(("received", "in_progress", "due_soon", "on_time", "late", "overdue", "n"), 0)
    shares = dict.fromkeys(_SHARES, 0)
    for d in dossiers:
        counted = False
        resolved, due = d["resolved"], d["due"]
        if start <= d["received"] < end:
            counts["received"] += 1
            counted = True
            _count_received(shares, d)
        if resolved is not None and start <= resolved < min(end, as_of + 1):
            counts["late" if due is not None and resolved > due else "on_time"] += 1
            counted = True
            rating = fact(d, "satisfaction")
            if rating is not None:
                shares["rated"] += 1
                shares["satisfied"] += rating in SATISFIED
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
        counts["overdue"], counts["n"], **shares,
    )  # fmt: skip


_SHARES = (
    "with_due", "online", "offline", "digitised", "digitised_known", "paid_online", "payment_known",
    "satisfied", "rated",
)  # fmt: skip


def _count_received(shares: dict[str, int], d: Dossier) -> None:
    """What a dossier received in the window adds to the index's shares."""
    shares["with_due"] += d["due"] is not None
    channel = fact(d, "channel")
    if channel in ("online", "offline"):
        shares[channel] += 1
    digitised, paid = fact(d, "digitised"), fact(d, "paid_online")
    if digitised is not None:
        shares["digitised_known"] += 1
        shares["digitised"] += bool(digitised)
    if paid is not None:
        shares["payment_known"] += 1
        shares["paid_online"] += bool(paid)
