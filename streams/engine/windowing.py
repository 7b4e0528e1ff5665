"""The one event-time window engine: series of panes, windows that open, revise, close and emit.

Every windowed indicator is a *route* (say `traffic/area/1h`, an area's volume over an hour hopping by
five minutes) computed for an *entity* (area 26001). The state of one route and entity is a *series*:
its panes (the slices of time its windows are made of, see streams/model/shapes.py), the windows that
exist (a window exists once its reported tail holds data) with their revision and last emission, and
the time through which its windows are closed. A series is one key of the task's store, so it is
written to the changelog once per commit at most, and deleted with a tombstone once it holds nothing.

Rules, the same for every route:
- **Watermark.** The greatest event time a task has seen on its stream: per device for the route a
  device's own records are judged on (its *gate*), per source partition for totals (see
  streams/engine/upstream.py), and for a total's owner the least of its source partitions' (see
  streams/engine/owner.py). A window closes once its end plus the grace period is at or behind the
  watermark, at once (before any later record is folded), or, for a series gone quiet, once the wall
  clock passes its end plus grace plus the idle timeout.
- **Late.** A record (or a partial total) whose windows have all closed counts nowhere and goes to
  the late-events topic; one that missed only the older of its windows counts in the others and the
  miss is reported. A pane keeps each contribution apart by the first window it may count in
  (`first`), so a window never includes what arrived after it was judged closed.
- **Emission.** A window touched since its last emission is emitted provisional (revision + 1) at the
  next commit, at most every `provisional_ms`; when it closes it is emitted once more, final, and
  forgotten. Routes kept only to accept records once (`emit=False`) never emit.
- **Ageing.** A model whose figures change with the instant they are judged as of, not only with its
  records (`ages`: a hotline ticket or a dossier becomes overdue while nothing is said of it), has its
  open windows judged again every `refresh_ms` at an owner (`refresh_ageing`), and emitted only when
  their figures changed: a quiet area's overdue count would otherwise stay what its last record made it.
"""

from __future__ import annotations

import heapq
import logging
import zlib
from collections.abc import Callable, Sequence
from typing import Any

from streams.model.routes import NO_WINDOW, Acc, Model, Place, Route, Value, WindowView
from streams.model.shapes import Shape

log = logging.getLogger(__name__)
Series = dict[str, Any]
# A window's meta: [revision, wall time of its last emission, TOUCHED or RECHECK or 0, and for an
# ageing model the digest of the figures last emitted provisional].
TOUCHED, RECHECK = 1, 2


class Book:
    """The series of one task, in its store: opening windows, closing them, emitting them."""

    def __init__(
        self,
        store: Any,
        model: Model,
        grace_ms: int,
        idle_ms: int,
        provisional_ms: int,
        emit: Callable[[dict[str, Any]], None],
        base_watermark: Callable[[Series], int],
        stream_time: Callable[[Series], int] | None = None,
        *,
        opened_ms: int,
        closes_due: bool = False,
        refresh_ms: int = 60_000,
    ) -> None:
        """`base_watermark` is a series' clock without its wall-clock closes: the device clock at a
        gate, the task's watermark at a total's owner. `stream_time` (default: the watermark) is the
        newest event time known there, as of which a provisional result is computed: at an owner the
        newest of its source partitions' progress, since the least of them may still be at zero while
        a silent partition has not yet been found idle. `closes_due`: the task closes series through
        `close_due` as one watermark passes them (an owner), so the book keeps a heap of due times; a
        gate closes its own series as its device clock passes them and keeps none (a heap nobody pops
        grew by an entry per window and second: 12.8 MiB in the benchmark's 10-minute soak).
        `opened_ms`: the wall clock when the task opened (`close_idle` waits one idle period after it).
        `refresh_ms`: how often an owner judges the open windows of an ageing model again."""
        self.store = store
        self.base_watermark = base_watermark
        self.stream_time = stream_time or self.watermark
        self.model = model
        self.routes = {route.name: route for route in model.routes}
        self.grace_ms = grace_ms
        self.idle_ms = idle_ms
        self.provisional_ms = provisional_ms
        self.emit = emit  # receives each indicator record
        self.stateful = hasattr(model, "absorb")
        # The field of a stateful model's state whose map grows with the data (a month's cases): the
        # store keeps each of its entries as a record of its own (streams/engine/store.py `Parts`).
        self.parts_field: str | None = getattr(model, "parts_field", None)
        self.ages: bool = getattr(model, "ages", False)
        self.refresh_ms = refresh_ms
        self._next_refresh = opened_ms + refresh_ms
        self.pending: set[str] = set()  # series with windows touched but not yet emitted
        self.closes_due = closes_due
        self._due: list[tuple[int, str]] = []  # (close due, series key): a heap, entries may be stale
        self.opened_ms = opened_ms
        for key, series in store.items():
            if not key.startswith("~"):
                if any(meta[2] for meta in series["w"].values()):
                    self.pending.add(key)
                self._schedule(key, series)
                self.keep_parts(key, series)
        if self.parts_field:
            store.unclaimed_parts()

    def discard_stale(self) -> None:
        """After a restore: drop, without emitting, windows that are already closed by their series'
        clock. Closing is immediate and commits with the clock that caused it, so no committed state
        holds such a window; one read back is an old value whose tombstone compaction removed while the
        changelog was being read (a restore racing the log cleaner). Its final was sent long ago."""
        grace = self.grace_ms
        for key, series in self.store.items():
            if key.startswith("~"):
                continue
            shape = self.route_of(key)[0].shape
            watermark = self.watermark(series)
            stale = [start for start in series["w"] if shape.end(start) + grace <= watermark]
            if stale:
                for start in stale:
                    del series["w"][start]
                self.pending.discard(key)
                self._reschedule(key, series)
                self.store.touch(key)

    # --- series ------------------------------------------------------------------------------

    def route_of(self, key: str) -> tuple[Route, str]:
        name, entity_id = key.split("|", 1)
        return self.routes[name], entity_id

    def series(self, place: Place) -> Series:
        """The series of a place, created empty on first sight."""
        series = self.store.data.get(place.key)
        if series is None:
            series = {"a": place.area_code, "c": 0, "s": 0, "n": None, "p": {}, "i": {}, "w": {}, "x": None}
            self.store.data[place.key] = series
        return series

    def keep_parts(self, key: str, series: Series) -> None:
        """Attach the growing map of the series' state to the store (once per state object)."""
        if self.parts_field and series["x"] is not None:
            self.store.attach(key, series["x"], self.parts_field)

    def open_from(self, shape: Shape, starts: Sequence[int], watermark: int) -> int | None:
        """The oldest of `starts` whose window is still open at `watermark`, or None when all closed."""
        grace = self.grace_ms
        for start in starts:
            if shape.end(start) + grace > watermark:
                return start
        return None

    def contribute(
        self, key: str, series: Series, route: Route, pane: int, first: int, starts: Sequence[int]
    ) -> Acc:
        """The accumulator of the pane's contribution that counts from window `first` on, with every
        window it counts in marked touched (windows whose tail it reaches are created)."""
        contributions = series["p"].get(pane)
        if contributions is None:
            contributions = series["p"][pane] = {}
        acc = contributions.get(first)
        if acc is None:
            acc = contributions[first] = self.model.empty(route)
        self.touch_windows(key, series, route, pane, first, starts)
        return acc

    def touch_windows(
        self, key: str, series: Series, route: Route, pane: int, first: int, starts: Sequence[int]
    ) -> None:
        windows, shape = series["w"], route.shape
        due = series["n"]
        for start in starts:
            if start < first:
                continue
            meta = windows.get(start)
            if meta is not None:
                meta[2] = TOUCHED
            elif shape.reports(start, pane):
                windows[start] = [0, 0, TOUCHED]
                end = shape.end(start) + self.grace_ms
                if due is None or end < due:
                    due = end
        if due != series["n"]:
            series["n"] = due
            self._schedule(key, series)
        self.pending.add(key)
        self.store.touch(key)

    # --- closing -----------------------------------------------------------------------------

    def close(self, key: str, series: Series, watermark: int, now: int, *, by_clock: bool = False) -> None:
        """Emit as final and forget every window closed at `watermark`; drop panes no window needs;
        delete the series once nothing is left (a gate keeps its clock: see `UpstreamTask.forget`)."""
        route, entity_id = self.route_of(key)
        shape, grace = route.shape, self.grace_ms
        windows = series["w"]
        place = Place(route, entity_id, series["a"])
        for start in sorted(windows):
            end = shape.end(start)
            if end + grace > watermark:
                break
            meta = windows.pop(start)
            if route.emit:
                meta[0] += 1
                self._send(place, *self._judge(place, series, start, True, end), meta[0], True)
            if by_clock and end + grace > series["s"]:
                series["s"] = end + grace
        panes = series["p"]
        for pane in [p for p in panes if shape.end(shape.windows(p)[-1]) + grace <= watermark]:
            del panes[pane]
            series["i"].pop(pane, None)
        if self.stateful and series["x"] is not None:
            series["x"] = self.model.prune(route, series["x"], watermark - grace)  # type: ignore[attr-defined]
            self.keep_parts(key, series)
        self._reschedule(key, series)
        self.store.touch(key)

    def _reschedule(self, key: str, series: Series) -> None:
        """The series' next due time: its oldest window's or pane's end plus grace; for a series left
        empty by the wall clock, the sealed time its clock must reach before it may be deleted."""
        route = self.route_of(key)[0]
        shape, grace = route.shape, self.grace_ms
        ends = [shape.end(start) + grace for start in series["w"]]
        ends += [shape.end(shape.windows(pane)[-1]) + grace for pane in series["p"]]
        if not ends and series["s"] > self.base_watermark(series):
            ends = [series["s"]]
        series["n"] = min(ends) if ends else None
        self._schedule(key, series)

    def _schedule(self, key: str, series: Series) -> None:
        if self.closes_due and series["n"] is not None:
            heapq.heappush(self._due, (series["n"], key))

    def close_due(self, watermark: int, now: int) -> None:
        """Close every series whose next window or pane is due at `watermark` (the owner's clock)."""
        while self._due and self._due[0][0] <= watermark:
            due, key = heapq.heappop(self._due)
            series = self.store.data.get(key)
            if series is None or series["n"] != due:
                continue  # a stale entry: the series moved on or is gone
            self.close(key, series, max(watermark, series["s"]), now)
            self.drop_if_empty(key, series)

    def watermark(self, series: Series) -> int:
        """The series' effective watermark: its clock, or later where the wall clock closed windows."""
        return max(self.base_watermark(series), series["s"])

    def close_idle(self, now: int) -> None:
        """Close windows of quiet series on the wall clock (end + grace + idle behind now). A series
        left with nothing but its sealed time, waiting for its clock to pass it (`drop_if_empty`), has
        nothing to close: it is not closed (and rescheduled) again at every tick.

        Nothing is closed before the task has run for one idle period: a series is quiet only if the
        task has been there to see it quiet. A task opened after an outage (its workers down longer
        than the idle period: the chaos run's registry outage kept them down three minutes) has a
        backlog to read first, and closing its windows by the wall clock at its first tick sent
        finals short of the records still in that backlog (280 intersection-minutes)."""
        if now - self.opened_ms < self.idle_ms:
            return
        idle_mark = now - self.idle_ms
        for key, series in self.store.items():
            if key.startswith("~") or series["n"] is None:
                continue
            if not series["w"] and not series["p"] and series["x"] is None:
                continue
            if series["n"] <= idle_mark and idle_mark > self.watermark(series):
                self.close(key, series, idle_mark, now, by_clock=True)
                self.drop_if_empty(key, series)

    def drop_if_empty(self, key: str, series: Series) -> None:
        """Delete (tombstone) a series with nothing left, once its clock covers what the wall clock had
        sealed, so that a straggler for one of its closed windows is still judged late. Gates keep
        their device clock: the task forgets a device only past its horizon (streams/engine/upstream.py)."""
        empty = not series["p"] and not series["w"] and series["x"] is None
        if empty and not series["c"] and series["s"] <= self.base_watermark(series):
            self.store.delete(key)
            self.pending.discard(key)

    # --- emission ----------------------------------------------------------------------------

    def emit_pending(self, now: int) -> None:
        """Provisional results of touched windows, each at most every `provisional_ms`."""
        still: set[str] = set()
        for key in self.pending:
            series = self.store.data.get(key)
            if series is None:
                continue
            route, entity_id = self.route_of(key)
            if not route.emit:
                continue
            place = Place(route, entity_id, series["a"])
            as_of = max(self.watermark(series), self.stream_time(series))
            for start, meta in series["w"].items():
                if not meta[2]:
                    continue
                if now - meta[1] < self.provisional_ms:
                    still.add(key)
                    continue
                view, values = self._judge(place, series, start, False, as_of)
                unchanged = False
                if self.ages:  # only windows judged again need the digest: off the traffic hot path
                    digest = zlib.crc32(repr(values).encode())
                    unchanged = meta[2] == RECHECK and meta[3:] == [digest]
                    meta[3:] = [digest]
                meta[1], meta[2] = now, 0
                if not unchanged:
                    meta[0] += 1
                    self._send(place, view, values, meta[0], False)
            self.store.touch(key)
        self.pending = still

    def refresh_ageing(self, now: int) -> None:
        """Mark every open window of an ageing model to be judged again at the next commit (see the
        module's docstring), every `refresh_ms` of the wall clock."""
        if not self.ages or now < self._next_refresh:
            return
        self._next_refresh = now + self.refresh_ms
        for key, series in self.store.items():
            if key.startswith("~") or not series["w"] or not self.route_of(key)[0].emit:
                continue
            for meta in series["w"].values():
                meta[2] = meta[2] or RECHECK
            self.pending.add(key)

    def _judge(
        self, place: Place, series: Series, start: int, final: bool, as_of: int
    ) -> tuple[WindowView, list[Value]]:
        """The window's view and its figures, as of `as_of` (its end when final)."""
        route = place.route
        shape = route.shape
        end = shape.end(start)
        view = WindowView(
            route,
            place.entity_id,
            place.area_code,
            shape.report_start(start),
            end,
            self.window_panes(route, series, start),
            series["x"],
            end if final else min(end, as_of),
            final,
        )
        return view, self.model.values(view)

    def _send(self, place: Place, view: WindowView, values: list[Value], revision: int, final: bool) -> None:
        route = place.route
        for code, value, unit, samples, label in values:
            self.emit(
                {
                    "indicator": code,
                    "entity_type": route.entity_type,
                    "entity_id": place.entity_id,
                    "area_code": place.area_code,
                    "window_start": view.start_ms,
                    "window_end": view.end_ms,
                    "value": value,
                    "unit": unit,
                    "sample_count": samples,
                    "revision": revision,
                    "is_final": final,
                    "computed_at": 0,  # stamped by the task at encoding
                    "label": label,
                }
            )

    def window_panes(self, route: Route, series: Series, start: int) -> list[tuple[int, Acc]]:
        """The window's panes with what counts in it: contributions whose first window is at or
        before its start (one per pane in the usual case, merged into a copy otherwise)."""
        panes = []
        contributions_by_pane = series["p"]
        for pane in route.shape.panes(start):
            contributions = contributions_by_pane.get(pane)
            if not contributions:
                continue
            counted = [acc for first, acc in contributions.items() if NO_WINDOW < first <= start]
            if len(counted) == 1:
                panes.append((pane, counted[0]))
            elif counted:
                merged = self.model.empty(route)
                for acc in counted:
                    self.model.merge(route, merged, acc)
                panes.append((pane, merged))
        return panes
