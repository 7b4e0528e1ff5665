"""A total's owner: merges the partials every source partition sent for the totals it owns.

Each total (an area, an intersection, a department, the province) has one owner: the task of the
internal topic's partition its key hashes to (streams/engine/upstream.py `TotalsTopic`). The owner's
watermark is the least of its source partitions' clocks, as each partition reported with its
partials: a window closes once every partition has passed its end plus grace, so it holds every
partial that any partition judged in time, in whatever order the owner read them, with one worker or
ten. Kafka transactions give each partial to the owner exactly once.

A source partition that has sent nothing for the idle timeout (no data, or its worker down) stops
holding the totals back, as a quiet device does for its own windows (streams/engine/progress.py);
what it sends later for windows that have closed meanwhile is reported late, never counted in a final.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from confluent_kafka import Message

from streams.engine.inputs import Origin, Output
from streams.engine.outputs import send_all
from streams.engine.progress import least_moving_clock
from streams.engine.runtime import Outputs
from streams.engine.store import Store
from streams.engine.upstream import Sinks, Timing, read_partials
from streams.engine.windowing import NO_WINDOW, Book, Model, Place

PROGRESS_KEY = "~progress"


class OwnerTask:
    """One partition of a totals topic."""

    def __init__(
        self,
        store: Store,
        model: Model,
        sinks: Sinks,
        timing: Timing,
        upstreams: Sequence[str],
        opened_ms: int,
    ) -> None:
        """`upstreams` are every source partition that may send partials here (ids as they send them)."""
        self.store = store
        self.model = model
        self.sinks = sinks
        self.timing = timing
        saved = store.get(PROGRESS_KEY) or {"w": 0, "u": {}}
        self.watermark: int = saved["w"]
        self.clocks: dict[str, int] = {u: saved["u"].get(u, 0) for u in upstreams}
        # Wall-clock time each source partition's clock last moved (from the task's start, at first).
        self.moved_at: dict[str, int] = dict.fromkeys(upstreams, opened_ms)
        self.newest = max(self.clocks.values(), default=0)  # the newest progress any partition reported
        self.book = Book(
            store,
            model,
            timing.grace_ms,
            timing.idle_ms,
            timing.provisional_ms,
            sinks.indicators.add,
            base_watermark=lambda series: self.watermark,
            stream_time=lambda series: self.newest,
            opened_ms=opened_ms,
            closes_due=True,
            refresh_ms=timing.refresh_ms,
        )
        self.book.discard_stale()
        self.late: list[Output] = []

    def process(self, topic: str, messages: Sequence[Message], out: Outputs) -> None:
        now = out.now
        for message in messages:
            upstream, clock, parts = read_partials(message.value())
            origin = Origin(topic, message.partition(), message.offset(), upstream)
            for name, entity_id, area, pane, first, acc in parts:
                self._merge(origin, Place(self.book.routes[name], entity_id, area), pane, first, acc, now)
            known = self.clocks.get(upstream, 0)
            # The progress a restarted worker re-sends shows its partition alive as a newer one does;
            # a partition that never had data (clock 0) only announces itself.
            if clock and clock >= known:
                self.moved_at[upstream] = now
            if clock > known:
                self.clocks[upstream] = clock
                self.newest = max(self.newest, clock)
            self._advance(now)
        self.sinks.indicators.send(out)
        send_all(out, self.sinks.late_topic, self.late)
        self.late = []

    def flush(self, out: Outputs) -> None:
        self.book.emit_pending(out.now)
        self.sinks.indicators.send(out)
        saved = self.store.get(PROGRESS_KEY)
        if saved is None or saved["w"] != self.watermark or saved["u"] != self.clocks:
            self.store.put(PROGRESS_KEY, {"w": self.watermark, "u": dict(self.clocks)})

    def tick(self, out: Outputs) -> None:
        self._advance(out.now)
        self.book.close_idle(out.now)
        self.book.refresh_ageing(out.now)
        self.sinks.indicators.send(out)

    def _advance(self, now: int) -> None:
        """Move the watermark to the least clock of the source partitions still sending, or, when none
        is, to the newest clock any reported: nothing holds the totals back then, and a worker that
        restarted and re-sent what the owner already knew must not leave its windows open for good."""
        watermark = least_moving_clock(self.clocks, self.moved_at, now, self.timing.idle_ms)
        if watermark is None:
            watermark = self.newest
        if watermark > self.watermark:
            self.watermark = watermark
            self.book.close_due(self.watermark, now)

    def _merge(
        self, origin: Origin, place: Place, pane: int, first: int, acc: dict[str, Any], now: int
    ) -> None:
        route = place.route
        shape = route.shape
        book = self.book
        key = place.key
        series = book.series(place)
        watermark = max(self.watermark, series["s"])
        starts = shape.windows(pane)
        if first != NO_WINDOW:
            opened = book.open_from(shape, [start for start in starts if start >= first], watermark)
            if opened != first:
                self._late(origin, place, pane, acc, shape.end(first), watermark, now)
                first = NO_WINDOW if opened is None else opened
        if book.stateful:
            series["x"] = self.model.absorb(route, series["x"], acc, first)  # type: ignore[attr-defined]
            book.keep_parts(key, series)
        if first != NO_WINDOW:
            contributions = series["p"].setdefault(pane, {})
            merged = contributions.get(first)
            if merged is None:
                merged = contributions[first] = self.model.empty(route)
            if not book.stateful:  # a stateful model's state holds it; the pane only marks its windows
                self.model.merge(route, merged, acc)
            book.touch_windows(key, series, route, pane, first, starts)
        elif not book.stateful:
            book.drop_if_empty(key, series)
        self.store.touch(key)

    def _late(
        self,
        origin: Origin,
        place: Place,
        pane: int,
        acc: dict[str, Any],
        window_end: int,
        watermark: int,
        now: int,
    ) -> None:
        """A partial that came after its window closed here (its source partition had been idle)."""
        self.late.append(
            self.sinks.late.record(
                origin,
                {"route": place.route.name, "entity_id": place.entity_id, "pane_start": pane, "partial": acc},
                processor=f"{place.route.name}/{place.entity_id}",
                event_ms=pane,
                window_end_ms=window_end,
                watermark_ms=watermark,
                now_ms=now,
                ref=f"partial from {origin.source_id}",
            )
        )
