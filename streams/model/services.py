"""Public services: the Decision 766/QĐ-TTg dossier figures by department and by area (with every
area above it, up to the province), for the local day and the local month to date.

A dossier event counts in the totals of its department and of its area's lineage (no gate: a dossier's
events need no window of their own, and merging them is idempotent and order-free, so a resent or
reordered event changes nothing). Each total's series keeps, as its state, the group's dossiers
merged with `streams.model.dossiers.merge`; a window's figures are `dossiers.figures` over that
state *as of* the window: as of its end when final, as of the watermark while provisional.

As of an instant means from the events observed before it, and, for a window, from those that came
in time for it: an event observed after a window's end (the next day's first dossiers, a withdrawal
at 00:00:05) is absorbed before the window closes or after, depending on how far the other source
partitions have gone, so it must not change the window's final; an event too late for its own window
is absorbed (its dossier changes for the windows after) but not counted in that window. Every
dossier's events since the oldest open window are kept apart for this (`pending`); older ones are
merged into its `settled` state, so the state is one merged dossier plus a handful of events.

A finished dossier (resolved, cancelled or withdrawn) is forgotten once no open or future window can
count it (received, resolved and last heard before the oldest open window: a month keeps the
dossiers it counts until it closes) and its last event is `resend_margin_ms` behind, so that a late
resend of one of its events still finds it and changes nothing. State follows open dossiers, not
history.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from ioc.province import Province
from streams.model import dossiers
from streams.model.local_calendar import day_window, month_window
from streams.model.routes import NO_WINDOW, Acc, Place, Placement, Route, Value, WindowView
from streams.model.shapes import Calendar

DAY = Calendar("day", day_window)
MONTH = Calendar("month", month_window)
DEPARTMENT_DAY = Route("public_service/department/day", "department", DAY)
DEPARTMENT_MONTH = Route("public_service/department/month", "department", MONTH)
AREA_DAY = Route("public_service/area/day", "area", DAY)
AREA_MONTH = Route("public_service/area/month", "area", MONTH)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A slim event, as it travels in partials: [observed, type, department, area, received, due, resolved]
# (instants in epoch ms); kept pending with its id and whether it came too late for its own window.
OBSERVED, KIND, DEPARTMENT, AREA, RECEIVED, DUE, RESOLVED = range(7)
PENDING_ID, PENDING_LATE = 7, 8


def _when(ms: int | None) -> datetime | None:
    return None if ms is None else EPOCH + timedelta(milliseconds=ms)


def merge_event(dossier: dossiers.Dossier | None, event_id: str, event: list[Any]) -> dossiers.Dossier:
    """`dossiers.merge` of one slim event (its partition field, unused here, is dropped)."""
    merged = dossiers.merge(
        dossier,
        {
            "event_id": event_id,
            "observed_at": _when(event[OBSERVED]),
            "event_type": event[KIND],
            "department_code": event[DEPARTMENT],
            "area_code": event[AREA],
            "received_at": _when(event[RECEIVED]),
            "due_at": _when(event[DUE]),
            "resolved_at": _when(event[RESOLVED]),
        },
        0,
    )
    merged.pop("partition", None)
    return merged


def finished(dossier: dossiers.Dossier) -> bool:
    return dossier["resolved"] is not None or dossier["status"] in dossiers.CLOSED_WITHOUT_RESULT


class DossierModel:
    """Dossier figures per department and area; the series state is the group's dossiers:
    `{"open": [start, end] of the oldest open window (None before the first close), "d": {dossier id:
    [merged] or [merged, settled, pending events]}}`."""

    routes = (DEPARTMENT_DAY, DEPARTMENT_MONTH, AREA_DAY, AREA_MONTH)

    def __init__(self, province: Province, due_soon_ms: int, resend_margin_ms: int) -> None:
        self.province = province
        self.due_soon_ms = due_soon_ms
        self.resend_margin_ms = resend_margin_ms
        self.unit_areas = {unit.code: unit.area for unit in province.reporting_units}
        self._placements = cache(self._placement)

    # --- where a record counts ---------------------------------------------------------------

    def problem(self, record: dict[str, Any]) -> tuple[str, str] | None:
        """The contract already says everything a dossier event needs to be counted."""
        return None

    def event_ms(self, record: dict[str, Any]) -> int:
        return record["observed_at"]

    def place(self, record: dict[str, Any]) -> Placement:
        return self._placements(record["department_code"], record["area_code"])

    def _placement(self, department: str, area: str) -> Placement:
        """The department (when the portal named one: a figure for a nameless department is one
        nobody can act on), then the area and every area above it; the province is an area too."""
        totals = []
        if department:
            unit_area = self.unit_areas.get(department, "")
            totals += [
                Place(DEPARTMENT_DAY, department, unit_area),
                Place(DEPARTMENT_MONTH, department, unit_area),
            ]
        for code in self.province.area_lineage(area or self.province.code):
            totals += [Place(AREA_DAY, code, code), Place(AREA_MONTH, code, code)]
        return Placement.of(f"{department}|{area}", None, totals)

    # --- accumulators: the events of a batch, by dossier ---------------------------------------

    def empty(self, route: Route) -> Acc:
        return {}

    def add(self, route: Route, acc: Acc, record: dict[str, Any]) -> None:
        acc.setdefault(record["dossier_id"], {})[record["event_id"]] = [
            record["observed_at"],
            record["event_type"],
            record["department_code"],
            record["area_code"],
            record["received_at"],
            record["due_at"],
            record["resolved_at"],
        ]

    def merge(self, route: Route, acc: Acc, other: Acc) -> None:
        for dossier_id, events in other.items():
            acc.setdefault(dossier_id, {}).update(events)

    # --- the series state --------------------------------------------------------------------

    def absorb(self, route: Route, state: Any, acc: Acc, first: int) -> Any:
        """Merge each event into its dossier; one that may not count in every window still open is
        kept pending (with whether it came too late for its own window) until those windows close."""
        if state is None:
            state = {"open": None, "d": {}}
        late = first == NO_WINDOW
        settled_before = self._settled_before(state["open"], late)
        by_dossier = state["d"]
        for dossier_id, events in acc.items():
            entry = by_dossier.get(dossier_id)
            for event_id, event in events.items():
                entry = _absorb_event(entry, event_id, event, event[OBSERVED] < settled_before, late)
            by_dossier[dossier_id] = entry
        return state

    @staticmethod
    def _settled_before(open_window: list[int] | None, late: bool) -> int:
        """Events observed before this count in every window still to be emitted: before the oldest
        open window's end for one that came in time, before its start for a late one (it must not
        count in that window). Nothing is settled before the series' first close."""
        if open_window is None:
            return -(2**62)
        return open_window[0] if late else open_window[1]

    def prune(self, route: Route, state: Any, closed_through_ms: int) -> Any:
        """Settle the pending events no open window needs apart, and forget the finished dossiers
        no open or future window can count."""
        shape = route.shape
        start = shape.pane(closed_through_ms)
        previous = state["open"]
        if previous is None or start > previous[0]:
            state["open"] = previous = [start, shape.end(start)]
        start = previous[0]
        forget_before = min(start, closed_through_ms - self.resend_margin_ms)
        by_dossier = state["d"]
        for dossier_id, entry in list(by_dossier.items()):
            if len(entry) == 3:
                self._settle(entry, previous)
            dossier = entry[0]
            if (
                len(entry) == 1
                and finished(dossier)
                and dossier["received"] < start
                and (dossier["resolved"] or 0) < start
                and dossier["order"][0] < forget_before
            ):
                del by_dossier[dossier_id]
        return state if by_dossier else None

    def _settle(self, entry: list[Any], open_window: list[int]) -> None:
        keep = []
        settled = entry[1]
        for event in entry[2]:
            late = event[PENDING_LATE]
            if event[OBSERVED] < self._settled_before(open_window, late):
                settled = merge_event(settled, event[PENDING_ID], event)
            else:
                keep.append(event)
        if keep:
            entry[1], entry[2] = settled, keep
        else:
            del entry[1:]  # merging is order-free: everything merged is what was settled

    # --- figures -----------------------------------------------------------------------------

    def values(self, view: WindowView) -> list[Value]:
        state = view.state or {"d": {}}
        start, end = view.start_ms, view.end_ms
        known_before = end if view.final else view.as_of_ms + 1
        group = []
        for entry in state["d"].values():
            if len(entry) == 1:
                group.append(entry[0])
                continue
            counted = [
                event
                for event in entry[2]
                if event[OBSERVED] < known_before
                and not (event[PENDING_LATE] and start <= event[OBSERVED] < end)
            ]
            if len(counted) == len(entry[2]):
                group.append(entry[0])
                continue
            dossier = entry[1]
            for event in counted:
                dossier = merge_event(dossier, event[PENDING_ID], event)
            if dossier is not None:
                group.append(dossier)
        figures = dossiers.figures(group, start, end, view.as_of_ms, self.due_soon_ms)
        return [(code, value, unit, figures.dossiers, "") for code, value, unit in figures.indicators()]


def _absorb_event(
    entry: list[Any] | None, event_id: str, event: list[Any], settled: bool, late: bool
) -> list[Any]:
    """A dossier's entry (`[merged]`, or `[merged, settled, pending]`) with one more event."""
    if entry is None:
        merged = merge_event(None, event_id, event)
        return [merged] if settled else [merged, None, [[*event, event_id, late]]]
    if len(entry) == 3:
        if settled:
            entry[1] = merge_event(entry[1], event_id, event)
        else:
            _keep_pending(entry[2], event, event_id, late)
    elif not settled:
        entry += [entry[0], [[*event, event_id, late]]]
    entry[0] = merge_event(entry[0], event_id, event)
    return entry


def _keep_pending(pending: list[list[Any]], event: list[Any], event_id: str, late: bool) -> None:
    """Add an event to a dossier's pending ones; a resend is kept once, in time if either copy was."""
    for kept in pending:
        if kept[PENDING_ID] == event_id:
            kept[PENDING_LATE] = kept[PENDING_LATE] and late
            return
    pending.append([*event, event_id, late])
