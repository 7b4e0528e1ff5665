"""A windowed task on an input partition: each device's own windows, and its share of the totals.

Records arrive on the partition of their source. Here, in partition order:
- a record is checked (streams/engine/inputs.py) and placed by its model;
- at its device's *gate* (the camera minute, the station hour) it is judged once: late when every
  window holding it has closed on the device's clock, a duplicate when its event_id is already in its
  pane, else folded in (the device's windows are computed here, on the partition that owns the device);
- for each *total* it counts in (intersection, area, zone, department, province: entities fed by
  devices of several sources, so by several partitions) it is judged against its source's clock (the
  newest event time accepted from that `source_id`, which Kafka keeps in order on one partition) and
  added to a *partial*: one accumulator per total, pane and first window, for everything this task
  folded since its last commit.
At each commit the partials go to the totals' owners through an internal topic, one message per
owner partition carrying this partition's *progress* as well (the least clock of its sources still
sending), in the same transaction as the input offsets: a total's owner (streams/engine/owner.py)
never sees a partial twice or misses one.

Judging totals on the source's clock, and reporting progress as the least of them, is what makes totals
exact and repeatable: the owner closes a window only when every source partition's progress has passed
it, and each source said which of its records came in time on its own, whatever the order in which the
owner reads them. A source that lags holds the totals' finals back (their provisional values keep
coming); a source whose clock has not moved for the idle timeout stops holding them back.

A device silent for longer than the horizon is forgotten (its series is deleted with a tombstone), so
state follows the devices heard recently, not history; a record more than the horizon behind its
partition's clock is late outright, which keeps forgetting safe.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgpack
from confluent_kafka import Message

from streams.engine.inputs import Intake, Origin, Output
from streams.engine.late import LateEvents
from streams.engine.outputs import Indicators, send_all
from streams.engine.progress import least_moving_clock
from streams.engine.runtime import Outputs
from streams.engine.store import Store
from streams.engine.windowing import Book, Series
from streams.model.routes import NO_WINDOW, Model, Place, Placement
from streams.model.shapes import Shape

CLOCK_KEY = "~clock"


@dataclass(frozen=True)
class Timing:
    """The engine's time rules, from `StreamSettings`, shared by every windowed task."""

    grace_ms: int
    idle_ms: int
    provisional_ms: int
    horizon_ms: int
    refresh_ms: int = 60_000  # an owner judges the open windows of an ageing model again this often


@dataclass(frozen=True)
class TotalsTopic:
    """The internal topic through which partials reach their totals' owners."""

    name: str
    partitions: int

    def partition(self, entity_type: str, entity_id: str) -> int:
        """The owner partition of one total: a stable hash, the same on every worker and version."""
        return zlib.crc32(f"{entity_type}|{entity_id}".encode()) % self.partitions


@dataclass(frozen=True)
class Sinks:
    """Where a task's outputs go: indicators, late events and its family's dead letters."""

    indicators: Indicators
    late: LateEvents
    late_topic: str
    dead_topic: str


def partial_message(upstream: str, progress: int, parts: list[list[Any]]) -> bytes:
    """One message to a totals owner: who sends, its progress, and its partials (MessagePack, internal).
    A part is `[route name, entity id, area code, pane, first window, accumulator]`."""
    return msgpack.packb({"u": upstream, "c": progress, "t": parts}, use_bin_type=True)


def read_partials(data: bytes) -> tuple[str, int, list[list[Any]]]:
    """(upstream, progress, parts) of a message written by `partial_message`."""
    body = msgpack.unpackb(data, raw=False, strict_map_key=False)
    return body["u"], body["c"], body["t"]


class SourceTask:
    """One input partition folded by one model."""

    def __init__(
        self,
        partition: int,
        store: Store,
        model: Model,
        intake: Intake,
        sinks: Sinks,
        timing: Timing,
        totals: TotalsTopic | None,
        upstream_id: str,
        opened_ms: int,
    ) -> None:
        """`upstream_id` names this task to the totals' owners (its source topic and partition);
        `opened_ms` is the wall clock when it opened."""
        self.partition = partition
        self.upstream_id = upstream_id
        self.store = store
        self.model = model
        self.intake = intake
        self.sinks = sinks
        self.timing = timing
        self.totals = totals
        self.book = Book(
            store,
            model,
            timing.grace_ms,
            timing.idle_ms,
            timing.provisional_ms,
            sinks.indicators.add,
            base_watermark=lambda series: series["c"],
            opened_ms=opened_ms,
        )
        saved = store.get(CLOCK_KEY) or {"c": 0, "s": {}, "p": 0}
        self.clock: int = saved["c"]  # the newest event time accepted on the partition
        self.source_clocks: dict[str, int] = saved["s"]
        self.progress: int = saved["p"]
        # Wall-clock time each source's clock last moved (the task's start, after a restore).
        self.moved_at: dict[str, int] = dict.fromkeys(self.source_clocks, 0)
        self.opened = True  # the first tick stamps moved_at with the wall clock
        self.sent_progress = -1  # after a restart progress is sent again: owners ignore what they know
        # What this task added to totals since its last commit, per placement (device), shape, pane and
        # first window: spread over the placement's totals only at commit, once per device, not per record.
        self.deltas: dict[tuple[str, int, int, int], tuple[Placement, int, dict[str, Any]]] = {}
        self.late: list[Output] = []
        self.duplicates = 0
        # Gate pane -> (its stored id list, the same ids as a set), rebuilt when it no longer mirrors
        # the list (a restore); only a cache, the list in the series is the truth.
        self._seen: dict[tuple[str, int], tuple[list[str], set[str]]] = {}
        self.book.discard_stale()
        self.forget_silent_devices(restored=True)

    # --- the runtime's calls -----------------------------------------------------------------

    def process(self, topic: str, messages: Sequence[Message], out: Outputs) -> None:
        dead: list[Output] = []
        self.step(self.intake.records(messages, dead), out)
        send_all(out, self.sinks.dead_topic, dead)

    def step(self, items: Sequence[tuple[Origin, dict[str, Any]]], out: Outputs) -> None:
        """Fold decoded records and send what they produced at once (finals, late events)."""
        self.fold(items, out.now)
        self.sinks.indicators.send(out)
        send_all(out, self.sinks.late_topic, self.late)
        self.late = []

    def flush(self, out: Outputs) -> None:
        self.book.emit_pending(out.now)
        self.sinks.indicators.send(out)
        self._advance(out.now)
        if self.totals is not None and (self.deltas or self.progress > self.sent_progress):
            self._send_partials(out)
        saved = self.store.get(CLOCK_KEY)
        if (
            saved is None
            or saved["c"] != self.clock
            or saved["p"] != self.progress
            or saved["s"] != self.source_clocks
        ):
            self.store.put(CLOCK_KEY, {"c": self.clock, "s": dict(self.source_clocks), "p": self.progress})

    def _advance(self, now: int) -> None:
        """Progress: the least clock of the sources still sending (streams/engine/progress.py); it never
        goes back."""
        if self.opened:
            self.moved_at = dict.fromkeys(self.source_clocks, now)
            self.opened = False
        # With every source quiet the progress stays: the owners' idle rules take over from here.
        progress = least_moving_clock(self.source_clocks, self.moved_at, now, self.timing.idle_ms)
        if progress is not None and progress > self.progress:
            self.progress = progress

    def tick(self, out: Outputs) -> None:
        self.book.close_idle(out.now)
        self.forget_silent_devices()
        self.sinks.indicators.send(out)

    # --- folding -----------------------------------------------------------------------------

    def fold(self, items: Sequence[tuple[Origin, dict[str, Any]]], now: int) -> None:
        """Fold one partition's accepted records in order. Lateness is judged record by record against
        the clocks as they advance, so the result depends only on the order of the records, never on
        how they were cut into batches or commits."""
        model, horizon = self.model, self.timing.horizon_ms
        clock = self.clock
        sources, moved_at = self.source_clocks, self.moved_at
        last: Origin | None = None
        source, source_clock = "", 0
        for origin, record in items:
            if origin is not last:
                last, source = origin, origin.source_id
                source_clock = sources.get(source, 0)
            event_ms = model.event_ms(record)
            placement = model.place(record)
            gate = placement.gate
            if gate is not None:
                if event_ms < clock - horizon:
                    for place in (gate, *placement.also):
                        self._late(origin, record, place, event_ms, event_ms, clock - horizon, now)
                    continue
                accepted = self._gate(origin, record, event_ms, gate, now)
                for other in placement.also:  # judged alone; only the first gate decides for totals
                    self._gate(origin, record, event_ms, other, now, count_duplicate=False)
                if not accepted:
                    continue
            for index, (shape, places) in enumerate(placement.totals):
                self._total(origin, record, event_ms, placement, index, shape, places, source_clock, now)
            if event_ms > source_clock:
                source_clock = sources[source] = event_ms
                moved_at[source] = now
                if event_ms > clock:
                    clock = event_ms
        self.clock = clock

    def _gate(
        self,
        origin: Origin,
        record: dict[str, Any],
        event_ms: int,
        gate: Place,
        now: int,
        *,
        count_duplicate: bool = True,
    ) -> bool:
        """Judge and fold one record at one of its device's gates; False when it counts nowhere there.
        A duplicate is counted (`duplicates`) at the first gate only, so once per record."""
        key = gate.key
        book = self.book
        series = self.store.data.get(key) or book.series(gate)
        route = gate.route
        shape = route.shape
        watermark = series["c"] if series["c"] >= series["s"] else series["s"]
        pane = shape.pane(event_ms)
        starts = shape.windows(pane)
        first = book.open_from(shape, starts, watermark)
        if first is None:
            self._late(origin, record, gate, event_ms, shape.end(starts[0]), watermark, now)
            return False
        event_id = str(record["event_id"])
        seen = self._ids(key, series, pane)
        if event_id in seen:
            self.duplicates += count_duplicate
            return False
        seen.add(event_id)
        series["i"][pane].append(event_id)
        if first != starts[0]:
            self._late(origin, record, gate, event_ms, shape.end(starts[0]), watermark, now)
        self.model.add(route, book.contribute(key, series, route, pane, first, starts), record)
        if event_ms > series["c"]:
            series["c"] = event_ms
            due = series["n"]
            if due is not None and event_ms >= due:
                book.close(key, series, max(event_ms, series["s"]), now)
        return True

    def _ids(self, key: str, series: Series, pane: int) -> set[str]:
        stored = series["i"].get(pane)
        if stored is None:
            stored = series["i"][pane] = []
        cached = self._seen.get((key, pane))
        if cached is None or cached[0] is not stored or len(cached[1]) != len(stored):
            cached = self._seen[(key, pane)] = (stored, set(stored))
        return cached[1]

    def _total(
        self,
        origin: Origin,
        record: dict[str, Any],
        event_ms: int,
        placement: Placement,
        index: int,
        shape: Shape,
        places: tuple[Place, ...],
        clock: int,
        now: int,
    ) -> None:
        """Add one record to the totals of one shape, judged against its source's clock."""
        pane = shape.pane(event_ms)
        starts = shape.windows(pane)
        first = self.book.open_from(shape, starts, clock)
        if first != starts[0]:
            for place in places:
                self._late(origin, record, place, event_ms, shape.end(starts[0]), clock, now)
            if first is None:
                if not self.book.stateful:
                    return
                first = NO_WINDOW  # too late for any window, still part of the totals' state
        key = (placement.key, index, pane, first)
        delta = self.deltas.get(key)
        if delta is None:
            delta = self.deltas[key] = (placement, index, self.model.empty(places[0].route))
        self.model.add(places[0].route, delta[2], record)

    def _late(
        self,
        origin: Origin,
        record: dict[str, Any],
        place: Place,
        event_ms: int,
        window_end: int,
        watermark: int,
        now: int,
    ) -> None:
        self.late.append(
            self.sinks.late.record(
                origin,
                record,
                processor=f"{place.route.name}/{place.entity_id}",
                event_ms=event_ms,
                window_end_ms=window_end,
                watermark_ms=watermark,
                now_ms=now,
                timestamp_fields=self.intake.decoder.timestamp_fields,
            )
        )

    # --- partials and forgetting -------------------------------------------------------------

    def _send_partials(self, out: Outputs) -> None:
        """Spread each device's running sums over its totals, then one message per owner partition."""
        assert self.totals is not None  # noqa: S101 - only called with totals
        model = self.model
        partials: dict[tuple[str, str, int, int], tuple[Place, dict[str, Any]]] = {}
        for (_, _, pane, first), (placement, index, acc) in self.deltas.items():
            for place in placement.totals[index][1]:
                key = (place.route.name, place.entity_id, pane, first)
                partial = partials.get(key)
                if partial is None:
                    partial = partials[key] = (place, model.empty(place.route))
                model.merge(place.route, partial[1], acc)
        by_owner: dict[int, list[list[Any]]] = defaultdict(list)
        for (name, entity_id, pane, first), (place, acc) in partials.items():
            owner = self.totals.partition(place.route.entity_type, entity_id)
            by_owner[owner].append([name, entity_id, place.area_code, pane, first, acc])
        upstream = self.upstream_id.encode()
        for owner in range(self.totals.partitions):
            message = partial_message(self.upstream_id, self.progress, by_owner.get(owner, []))
            out.send(self.totals.name, upstream, message, owner)
        self.deltas.clear()
        self.sent_progress = self.progress

    def forget_silent_devices(self, restored: bool = False) -> None:
        """Delete the series of devices with no open window whose clock is a horizon behind the
        partition (and such sources' clocks), and the cached id sets of panes that closed. Right after a
        restore, a device that far behind is deleted even with windows: no committed state keeps one
        (the wall clock closes them long before), so it is an old value read back (see
        `Book.discard_stale`); a worker stopped for longer than the horizon loses such windows' finals."""
        limit = self.clock - self.timing.horizon_ms
        for source in [s for s, clock in self.source_clocks.items() if clock <= limit]:
            del self.source_clocks[source]
            self.moved_at.pop(source, None)
        for key, series in self.store.items():
            if key.startswith("~") or ((series["p"] or series["w"]) and not restored):
                continue
            if max(series["c"], series["s"]) <= limit:
                self.store.delete(key)
        data = self.store.data
        for key, pane in list(self._seen):
            series = data.get(key)
            if series is None or series["i"].get(pane) is not self._seen[(key, pane)][0]:
                del self._seen[(key, pane)]
