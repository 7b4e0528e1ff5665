"""Hotline (1022) tickets: received, open, overdue and resolved, and the time to resolve, by area (with
every area above it, up to the province) and by category in each of those areas, for the local day
and the local month to date.

A ticket is a case (streams/model/cases.py), like a dossier: every update of it counts in the totals
of its area's lineage, and of its category there; each series keeps its tickets merged, and a
window's figures are judged as of the window (its end once final, the watermark while provisional).

A ticket's state is merged from its events so that the figures are idempotent: the newest event by
observed_at decides its status, area and category; its resolution is the first moment it was seen
resolved or closed, and stays. A ticket is open from its report until then, unless cancelled; it is
overdue once open longer than the configured span (`IOC_INDICATORS_HOTLINE_DUE_H`), because the
contract carries no deadline of its own. A ticket whose area or category changes keeps counting in
the series its earlier events reached (as a dossier does when its department changes).
"""

from __future__ import annotations

import math
import statistics
from functools import cache
from typing import Any

from ioc.province import Province
from streams.model import indicators
from streams.model.cases import Case, CaseModel
from streams.model.routes import Place, Placement, Route, Value, WindowView
from streams.model.services import DAY, MONTH

AREA_DAY = Route("hotline/area/day", "area", DAY)
AREA_MONTH = Route("hotline/area/month", "area", MONTH)
CATEGORY_DAY = Route("hotline/category/day", "hotline_category", DAY)
CATEGORY_MONTH = Route("hotline/category/month", "hotline_category", MONTH)

# A slim event: [observed, status, area, category, reported] (instants in epoch ms).
OBSERVED, STATUS, AREA, CATEGORY, REPORTED = range(5)
RESOLVING = frozenset({"resolved", "closed"})
CANCELLED = "cancelled"
HOUR_MS = 3_600_000


def category_entity(area: str, category: str) -> str:
    """The entity id of one category in one area (the sorting key of `indicators` has no label)."""
    return f"{area}/{category}"


def merge(ticket: Case | None, event_id: str, event: list[Any]) -> Case:
    """The ticket's state after one more slim event (in any order, any number of times)."""
    order = [event[OBSERVED], event_id]
    state = dict(ticket) if ticket else {"order": order, "status": event[STATUS], "resolved": None}
    if order >= state["order"]:
        state.update(order=order, status=event[STATUS], area=event[AREA], category=event[CATEGORY])
        state["received"] = event[REPORTED]
    state.setdefault("area", event[AREA])
    state.setdefault("category", event[CATEGORY])
    state.setdefault("received", event[REPORTED])
    if event[STATUS] in RESOLVING:
        resolved = event[OBSERVED]
        state["resolved"] = min(resolved, state["resolved"] or resolved)
    return state


def nearest_rank(sorted_values: list[float], share: float) -> float:
    """The nearest-rank percentile of non-empty sorted values (a value that occurred)."""
    return sorted_values[max(0, math.ceil(share * len(sorted_values)) - 1)]


def figures(tickets: list[Case], start: int, end: int, as_of: int, due_ms: int) -> list[Value]:
    """The hotline indicators of the window [start, end) as of `as_of`."""
    received = open_now = overdue = counted = 0
    hours: list[float] = []
    for t in tickets:
        count = False
        if start <= t["received"] < end:
            received += 1
            count = True
        resolved = t["resolved"]
        if resolved is not None and start <= resolved < min(end, as_of + 1):
            hours.append((resolved - t["received"]) / HOUR_MS)
            count = True
        is_open = t["received"] <= as_of and (resolved is None or resolved > as_of)
        if is_open and t["status"] != CANCELLED:
            open_now += 1
            overdue += t["received"] + due_ms < as_of
            count = True
        counted += count
    hours.sort()
    median = statistics.median(hours) if hours else None
    p90 = nearest_rank(hours, 0.9) if hours else None
    return [
        (indicators.PUBLIC_SERVICE_HOTLINE_TICKETS_RECEIVED, float(received), "tickets", counted, ""),
        (indicators.PUBLIC_SERVICE_HOTLINE_TICKETS_OPEN, float(open_now), "tickets", counted, ""),
        (indicators.PUBLIC_SERVICE_HOTLINE_TICKETS_OVERDUE, float(overdue), "tickets", counted, ""),
        (indicators.PUBLIC_SERVICE_HOTLINE_TICKETS_RESOLVED, float(len(hours)), "tickets", counted, ""),
        (indicators.PUBLIC_SERVICE_HOTLINE_RESOLVE_TIME_MEDIAN, median, "h", len(hours), ""),
        (indicators.PUBLIC_SERVICE_HOTLINE_RESOLVE_TIME_P90, p90, "h", len(hours), ""),
    ]


class HotlineModel(CaseModel):
    """Hotline ticket figures per area and per category in each area."""

    routes = (AREA_DAY, AREA_MONTH, CATEGORY_DAY, CATEGORY_MONTH)
    id_field = "ticket_id"

    def __init__(self, province: Province, due_ms: int, resend_margin_ms: int) -> None:
        super().__init__(resend_margin_ms)
        self.province = province
        self.due_ms = due_ms
        self._placements = cache(self._placement)

    def place(self, record: dict[str, Any]) -> Placement:
        return self._placements(record["area_code"], record["category"])

    def _placement(self, area: str, category: str) -> Placement:
        """The area and every area above it (a ticket without one counts for the province), and the
        ticket's category in each of them."""
        totals = []
        for code in self.province.area_lineage(area or self.province.code):
            entity = category_entity(code, category or "other")
            totals += [
                Place(AREA_DAY, code, code),
                Place(AREA_MONTH, code, code),
                Place(CATEGORY_DAY, entity, code),
                Place(CATEGORY_MONTH, entity, code),
            ]
        return Placement.of(f"{area}|{category}", None, totals)

    def slim(self, record: dict[str, Any]) -> list[Any]:
        return [
            record["observed_at"],
            record["ticket_status"],
            record["area_code"],
            record["category"],
            record["reported_at"],
        ]

    def merge_event(self, case: Case | None, event_id: str, event: list[Any]) -> Case:
        return merge(case, event_id, event)

    def finished(self, case: Case) -> bool:
        return case["resolved"] is not None or case["status"] == CANCELLED

    def figures(self, group: list[Case], view: WindowView) -> list[Value]:
        return figures(group, view.start_ms, view.end_ms, view.as_of_ms, self.due_ms)
