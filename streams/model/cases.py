"""Cases followed over windows: things that open, change and close over days (a public-service
dossier, a hotline ticket), counted in totals whose series state is the group's cases merged from
their events, and whose windows are judged *as of* an instant.

A case's events count in totals (no gate: merging them is idempotent and order-free, so a resent or
reordered event changes nothing). Each total's series keeps the group's cases merged with the
model's `merge_event`; a window's figures are computed over that state as of the window: as of its
end when final, as of the watermark while provisional.

As of an instant means from the events observed before it, and, for a window, from those that came
in time for it: an event observed after a window's end (the next day's first dossiers, a withdrawal
at 00:00:05) is absorbed before the window closes or after, depending on how far the other source
partitions have gone, so it must not change the window's final; an event too late for its own window
is absorbed (its case changes for the windows after) but not counted in that window. Every case's
events since the oldest open window are kept apart for this (`pending`); older ones are merged into
its `settled` state, so the state is one merged case plus a handful of events.

A finished case is forgotten once no open or future window can count it (received, resolved and last
heard before the oldest open window: a month keeps the cases it counts until it closes) and its last
event is `resend_margin_ms` behind, so that a late resend of one of its events still finds it and
changes nothing. State follows open cases, not history.

Subclasses say how a record becomes a *slim event* (a list whose first item is the observed instant,
as it travels in partials), how slim events merge into a case (a dict holding at least `order`
[observed, event id], `received` and `resolved` instants), when a case is finished, where a record
counts and what a window's figures are.
"""

from __future__ import annotations

from typing import Any, ClassVar

from streams.model.routes import NO_WINDOW, Acc, Route, Value, WindowView

Case = dict[str, Any]
OBSERVED = 0  # the observed instant, first in every slim event
# A pending event is the slim event followed by its id and whether it came too late for its own
# window; read from the end, so that a slim event may grow fields without moving these.
PENDING_ID, PENDING_LATE = -2, -1


class CaseModel:
    """The state machinery of a stateful model over cases; the series state is
    `{"open": [start, end] of the oldest open window (None before the first close), "d": {case id:
    [merged] or [merged, settled, pending events]}}`."""

    id_field: ClassVar[str]
    """The record field naming the case (dossier_id, ticket_id)."""
    ages: ClassVar[bool] = True
    """A window's figures depend on the instant it is judged as of (an open case turns overdue with no
    event of its own): the engine judges open windows again as time passes (streams/engine/windowing.py)."""
    parts_field: ClassVar[str] = "d"
    """The map of the state that grows with the cases: the engine stores each case as its own
    changelog record (a month's cases of the province outgrew one Kafka message), so every change
    to a case is an assignment to it in that map."""

    def __init__(self, resend_margin_ms: int) -> None:
        self.resend_margin_ms = resend_margin_ms

    # --- what a subclass says ------------------------------------------------------------------

    def slim(self, record: dict[str, Any]) -> list[Any]:
        """The record as it travels in partials (observed instant first)."""
        raise NotImplementedError

    def merge_event(self, case: Case | None, event_id: str, event: list[Any]) -> Case:
        """The case after one more slim (or pending) event: idempotent and order-free."""
        raise NotImplementedError

    def finished(self, case: Case) -> bool:
        """Whether nothing more can happen to the case (resolved, cancelled, withdrawn)."""
        raise NotImplementedError

    def figures(self, group: list[Case], view: WindowView) -> list[Value]:
        """The indicator values of one window for the group's cases as of the view."""
        raise NotImplementedError

    # --- where a record counts (the placement is the subclass's) ---------------------------------

    def problem(self, record: dict[str, Any]) -> tuple[str, str] | None:
        """The contract already says everything a case's event needs to be counted."""
        return None

    def event_ms(self, record: dict[str, Any]) -> int:
        return record["observed_at"]

    # --- accumulators: the events of a batch, by case ---------------------------------------------

    def empty(self, route: Route) -> Acc:
        return {}

    def add(self, route: Route, acc: Acc, record: dict[str, Any]) -> None:
        acc.setdefault(record[self.id_field], {})[record["event_id"]] = self.slim(record)

    def merge(self, route: Route, acc: Acc, other: Acc) -> None:
        for case_id, events in other.items():
            acc.setdefault(case_id, {}).update(events)

    # --- the series state --------------------------------------------------------------------

    def absorb(self, route: Route, state: Any, acc: Acc, first: int) -> Any:
        """Merge each event into its case; one that may not count in every window still open is
        kept pending (with whether it came too late for its own window) until those windows close."""
        if state is None:
            state = {"open": None, "d": {}}
        late = first == NO_WINDOW
        settled_before = self._settled_before(state["open"], late)
        by_case = state["d"]
        for case_id, events in acc.items():
            entry = by_case.get(case_id)
            for event_id, event in events.items():
                entry = self._absorb_event(entry, event_id, event, event[OBSERVED] < settled_before, late)
            by_case[case_id] = entry
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
        """Settle the pending events no open window needs apart, and forget the finished cases no
        open or future window can count."""
        shape = route.shape
        start = shape.pane(closed_through_ms)
        previous = state["open"]
        if previous is None or start > previous[0]:
            state["open"] = previous = [start, shape.end(start)]
        start = previous[0]
        forget_before = min(start, closed_through_ms - self.resend_margin_ms)
        by_case = state["d"]
        for case_id, entry in list(by_case.items()):
            if len(entry) == 3:
                self._settle(entry, previous)
                by_case[case_id] = entry  # changed in place: said so to the store
            case = entry[0]
            if (
                len(entry) == 1
                and self.finished(case)
                and case["received"] < start
                and (case["resolved"] or 0) < start
                and case["order"][0] < forget_before
            ):
                del by_case[case_id]
        return state if by_case else None

    def _settle(self, entry: list[Any], open_window: list[int]) -> None:
        keep = []
        settled = entry[1]
        for event in entry[2]:
            if event[OBSERVED] < self._settled_before(open_window, event[PENDING_LATE]):
                settled = self.merge_event(settled, event[PENDING_ID], event)
            else:
                keep.append(event)
        if keep:
            entry[1], entry[2] = settled, keep
        else:
            del entry[1:]  # merging is order-free: everything merged is what was settled

    def _absorb_event(
        self, entry: list[Any] | None, event_id: str, event: list[Any], settled: bool, late: bool
    ) -> list[Any]:
        """A case's entry (`[merged]`, or `[merged, settled, pending]`) with one more event."""
        if entry is None:
            merged = self.merge_event(None, event_id, event)
            return [merged] if settled else [merged, None, [[*event, event_id, late]]]
        if len(entry) == 3:
            if settled:
                entry[1] = self.merge_event(entry[1], event_id, event)
            else:
                _keep_pending(entry[2], event, event_id, late)
        elif not settled:
            entry += [entry[0], [[*event, event_id, late]]]
        entry[0] = self.merge_event(entry[0], event_id, event)
        return entry

    # --- figures -----------------------------------------------------------------------------

    def values(self, view: WindowView) -> list[Value]:
        return self.figures(self.as_of(view), view)

    def as_of(self, view: WindowView) -> list[Case]:
        """The group's cases as the window sees them: each from the events observed before the
        window's end (final) or the watermark (provisional), less those too late for this window."""
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
            case = entry[1]
            for event in counted:
                case = self.merge_event(case, event[PENDING_ID], event)
            if case is not None:
                group.append(case)
        return group


def _keep_pending(pending: list[list[Any]], event: list[Any], event_id: str, late: bool) -> None:
    """Add an event to a case's pending ones; a resend is kept once, in time if either copy was."""
    for kept in pending:
        if kept[PENDING_ID] == event_id:
            kept[PENDING_LATE] = kept[PENDING_LATE] and late
            return
    pending.append([*event, event_id, late])
