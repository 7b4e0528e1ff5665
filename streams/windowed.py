"""Event-time windows kept in a Faust table, shared by the traffic and public-order agents.

A model (`WindowModel`) says, for each decoded record, which windows it counts in (`Route`s: a
computation, an entity and a window shape) and how to fold it; this module does the rest the same
way for every indicator:

- The first route of a record is its *gate*: a tumbling window of the record's own device (camera
  minute, camera hour, zone minute). A record is accepted once, judged there: a record whose gate
  window has passed its grace is late (sent to the late-events topic, counted nowhere), and an
  event_id already in the gate window is a duplicate (counted nowhere again). So every indicator
  built from one feed agrees on which records it holds, and a replay after a crash cannot count a
  record twice while its gate window is open.
- Every other route (intersection, area, zone; tumbling or hopping) then takes the accepted record
  into each of its windows that is still open; a window of that route already past its grace
  refuses it and the refusal goes to the late-events topic under that route's name.
- Watermarks (newest event time) are kept per route and entity, so one slow camera never makes
  another's records late. Windows close on the watermark or, for quiet keys, on the wall clock
  (`close_due`, run by the agent's timer); a closed window is emitted once as final and forgotten.
- Provisional results of an open window are emitted at most every `provisional_ms`, so a busy
  area's hopping windows do not flood the indicators topic with one revision per batch.

Every entry lives on one changelog partition for its whole life (the partition of the events that
created it), so recovery after a SIGKILL reads one history per key. Rollups over entities whose
devices arrive on several partitions (an area's cameras from several sources) are exact when one
worker owns all partitions of the source topic; see the README for the multi-worker limitation.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import fastavro
import faust
from confluent_kafka.schema_registry import SchemaRegistryClient
from faust.types import EventT, TableT

from avro_schemas import load_schema
from ioc.dead_letters import dead_letter_record
from ioc.serde import HEADER, MAGIC_BYTE, AvroDecoder, AvroEncoder, SerdeError
from ioc.settings import Settings
from streams import state
from streams.late_events import LateEventSink, Origin, payload_of
from streams.model.windows import WindowSpec, is_closed, now_ms, to_millis
from topics.catalog import INDICATORS, LATE_EVENTS, TopicSpec

log = logging.getLogger(__name__)
Output = tuple[bytes, bytes]
Item = tuple[Origin, dict[str, Any]]
MARK = "__watermark__"


@dataclass(frozen=True)
class Route:
    """One computation a record counts in: e.g. `traffic/area/1h` for area 26001's hopping windows."""

    processor: str
    entity_type: str
    entity_id: str
    area_code: str
    spec: WindowSpec
    emit: bool = True  # a gate kept only to accept records once is not an indicator of its own

    @cached_property
    def step_ms(self) -> int:
        """Distance between window starts (read once per record and route, so kept as an attribute)."""
        return self.spec.step_ms

    @cached_property
    def mark_key(self) -> str:
        """The table key of this route's watermark for its entity (computed once per route)."""
        return f"{MARK}|{self.processor}|{self.entity_id}"

    def window_key(self, start_ms: int) -> str:
        """The table key of one window of this route."""
        return f"{self.processor}|{self.entity_id}|{start_ms}"


@dataclass(frozen=True)
class WindowRef:
    """Which window an accumulator belongs to, as the model needs it to build indicator records."""

    processor: str
    entity_type: str
    entity_id: str
    area_code: str
    start_ms: int
    end_ms: int


class WindowModel(Protocol):
    """What one kind of indicator knows; everything else is the aggregator's job."""

    def problem(self, record: dict[str, Any]) -> tuple[str, str] | None:
        """(field, rule) a decoded record breaks, or None when it can be counted."""

    def routes(self, record: dict[str, Any]) -> Sequence[Route]:
        """The windows the record counts in; the first is its gate (tumbling)."""

    def empty(self) -> dict[str, Any]:
        """The model's part of a new window's accumulator."""

    def add(self, acc: dict[str, Any], record: dict[str, Any]) -> None:
        """Fold one accepted record into a window (or a pane)."""

    def merge(self, acc: dict[str, Any], pane: dict[str, Any]) -> None:
        """Fold a pane (an `empty()` with records added) into a window."""

    def indicators(self, ref: WindowRef, acc: dict[str, Any]) -> list[tuple[str, float | None, str, int]]:
        """(indicator code, value, unit, sample count) of one window."""


def indicator_record(
    ref: WindowRef,
    values: tuple[str, float | None, str, int],
    *,
    revision: int,
    final: bool,
    now_ms: int,
) -> dict[str, Any]:
    """One record of `avro_schemas/derived/indicators.avsc`."""
    code, value, unit, samples = values
    return {
        "indicator": code,
        "entity_type": ref.entity_type,
        "entity_id": ref.entity_id,
        "area_code": ref.area_code,
        "window_start": ref.start_ms,
        "window_end": ref.end_ms,
        "value": value,
        "unit": unit,
        "sample_count": samples,
        "revision": revision,
        "is_final": final,
        "computed_at": now_ms,
    }


class Decoding:
    """Turns a batch of Kafka events into (origin, record) items; what cannot be read or counted
    becomes a dead letter naming the message, the record, the field and the rule."""

    def __init__(
        self,
        decoder: AvroDecoder,
        dead_letter_encoder: AvroEncoder,
        problem: Callable[[dict[str, Any]], tuple[str, str] | None],
    ) -> None:
        self.decoder = decoder
        self.dead_letter_encoder = dead_letter_encoder
        self.problem = problem

    def items(self, events: Sequence[EventT]) -> tuple[dict[int, list[Item]], list[Output]]:
        """Accepted records grouped by partition, in message order, and the dead letters."""
        by_partition: dict[int, list[Item]] = {}
        dead: list[Output] = []
        for event in events:
            message = event.message
            key = message.key or b""
            ref = f"{message.topic}[{message.partition}]@{message.offset}"
            try:
                batch = self.decoder.decode(message.value)
            except SerdeError as exc:
                reason = f"{ref}: {exc}"
                dead.append(
                    self._dead(message.topic, key, ref, "avro-confluent-framing", reason, message.value)
                )
                continue
            source = batch.get("source_id") or key.decode("utf-8", "replace")
            origin = Origin(message.topic, message.partition, message.offset, source)
            items = by_partition.setdefault(message.partition, [])
            for index, record in enumerate(batch["records"]):
                problem = self.problem(record)
                if problem is None:
                    items.append((origin, record))
                    continue
                field, rule = problem
                record_ref = f"{ref} records[{index}] (event_id={record.get('event_id', '')})"
                reason = f"{record_ref}: {field}: {rule}"
                dead.append(
                    self._dead(message.topic, key, record_ref, rule, reason, payload_of(record), field)
                )
        return by_partition, dead

    def _dead(
        self, topic: str, key: bytes, ref: str, rule: str, reason: str, payload: bytes | None, field: str = ""
    ) -> Output:
        source = key.decode("utf-8", "replace")
        value = dead_letter_record(
            topic, ref, rule, reason, payload or b"", source_id=source, field_path=field
        )
        log.warning("dead letter: %s", reason)
        return key, self.dead_letter_encoder.encode(value)


@dataclass
class _Batch:
    """What one `fold` call works on before it writes the table."""

    partition: int
    now: int
    marks: dict[str, int] = field(default_factory=dict)
    touched: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (route's mark key, newest window start, oldest open window start) -> (route, pane)
    panes: dict[tuple[str, int, int], tuple[Route, dict[str, Any]]] = field(default_factory=dict)
    late: list[Output] = field(default_factory=list)


class WindowedAggregator:
    """Folds accepted records into their windows and emits provisional and final indicator records."""

    def __init__(
        self,
        table: TableT,
        model: WindowModel,
        indicator_encoder: AvroEncoder,
        late_sink: LateEventSink,
        *,
        grace_ms: int,
        idle_ms: int,
        provisional_ms: int,
    ) -> None:
        self.table = table
        self.model = model
        self.indicator_encoder = indicator_encoder
        self.late_sink = late_sink
        self.grace_ms = grace_ms
        self.idle_ms = idle_ms
        self.provisional_ms = provisional_ms
        self.duplicates = 0
        # Gate window key -> (its stored id list, the same ids as a set): saves rebuilding the set
        # of a busy camera minute on every batch. Only a cache; the table's list is the truth.
        self._seen: dict[str, tuple[list[str], set[str]]] = {}

    def fold(self, partition: int, items: Sequence[Item], now: int) -> tuple[list[Output], list[Output]]:
        """Fold one partition's records, in order; returns (indicator outputs, late-event outputs).

        Lateness is judged record by record against the watermark as it advances, so the result
        depends only on the order of the records, never on how they were cut into batches. Rollup
        routes first collect the batch's records per pane (the span between two window starts)
        and then merge each pane into its windows once, instead of adding every record to each of a
        hopping route's overlapping windows. This loop runs for every record of every route, so it
        keeps to local names and integer arithmetic (the profile showed its calls and hashes).
        """
        batch = _Batch(partition, now)
        marks, touched, grace, add = batch.marks, batch.touched, self.grace_ms, self.model.add
        for origin, record in items:
            event_ms = to_millis(record["observed_at"])
            gate, *rollups = self.model.routes(record)
            size = gate.spec.size_ms
            start = event_ms - event_ms % size
            mark = marks.get(gate.mark_key)
            if mark is None:
                mark = self._mark(marks, gate)
            if start + size + grace <= mark:
                batch.late.append(self._late(origin, record, gate, event_ms, start + size, mark, now))
                continue
            key = gate.window_key(start)
            # A duplicate leaves its window untouched: nothing to write back or re-emit for it.
            acc = touched.get(key) or self._window(gate, start, partition)
            event_id = str(record["event_id"])
            ids = self._ids(key, acc)
            if event_id in ids:
                self.duplicates += 1
                continue
            touched[key] = acc
            ids.add(event_id)
            acc["ids"].append(event_id)
            add(acc, record)
            if event_ms > mark:
                marks[gate.mark_key] = event_ms
            for route in rollups:
                mark = marks.get(route.mark_key)
                if mark is None:
                    mark = self._mark(marks, route)
                step, span = route.step_ms, route.spec.size_ms - route.step_ms
                last = event_ms - event_ms % step
                first = last - span
                if first + span + step + grace <= mark:  # its oldest window is past grace
                    first = self._first_open(batch, route, origin, record, event_ms, mark)
                if first <= last:
                    pane_key = (route.mark_key, last, first)
                    pane = batch.panes.get(pane_key)
                    if pane is None:
                        pane = batch.panes[pane_key] = (route, self.model.empty())
                    add(pane[1], record)
                if event_ms > mark:
                    marks[route.mark_key] = event_ms
        for (_, last, first), (route, pane) in batch.panes.items():
            for start in range(first, last + 1, route.step_ms):
                self.model.merge(self._acc(touched, route, start, partition), pane)
        return self._persist(marks, touched, partition, now), batch.late

    def _ids(self, key: str, acc: dict[str, Any]) -> set[str]:
        """The event ids already in a gate window, as a set kept between batches. The set is rebuilt
        whenever it no longer mirrors the window's stored list (a new window, or one recovered from
        the changelog or written by another worker before a rebalance), so only its cache is lost."""
        stored = acc.setdefault("ids", [])
        cached = self._seen.get(key)
        if cached is None or cached[0] is not stored or len(cached[1]) != len(stored):
            cached = self._seen[key] = (stored, set(stored))
        return cached[1]

    def _first_open(
        self, batch: _Batch, route: Route, origin: Origin, record: dict[str, Any], event_ms: int, mark: int
    ) -> int:
        """The start of the record's oldest window of `route` that is still open; the record's
        refusal by the closed ones goes to the late-events topic (the rare path of `fold`)."""
        spec = route.spec
        starts = spec.starts(event_ms)
        # Windows starting at or before `closed` have passed their grace; the rest are open.
        closed = mark - self.grace_ms - spec.size_ms
        end = starts[0] + spec.size_ms
        batch.late.append(self._late(origin, record, route, event_ms, end, mark, batch.now))
        return closed - closed % spec.step_ms + spec.step_ms

    def _late(
        self,
        origin: Origin,
        record: dict[str, Any],
        route: Route,
        event_ms: int,
        end: int,
        mark: int,
        now: int,
    ) -> Output:
        return self.late_sink.record(
            origin,
            record,
            processor=f"{route.processor}/{route.entity_id}",
            event_ms=event_ms,
            window_end_ms=end,
            grace_ms=self.grace_ms,
            watermark_ms=mark,
            now_ms=now,
        )

    def _mark(self, marks: dict[str, int], route: Route) -> int:
        mark = marks.get(route.mark_key)
        if mark is None:
            entry = self.table.data.get(route.mark_key)
            mark = marks[route.mark_key] = int(entry["ms"]) if entry else 0
        return mark

    def _acc(
        self, touched: dict[str, dict[str, Any]], route: Route, start: int, partition: int
    ) -> dict[str, Any]:
        """A window's accumulator, noted as changed in this batch (so it is written and emitted)."""
        key = route.window_key(start)
        acc = touched.get(key)
        if acc is None:
            acc = touched[key] = self._window(route, start, partition)
        return acc

    def _window(self, route: Route, start: int, partition: int) -> dict[str, Any]:
        """A window's accumulator from the table, or a new empty one."""
        return (
            self.table.data.get(route.window_key(start))
            or {
                "proc": route.processor,
                "type": route.entity_type,
                "id": route.entity_id,
                "area": route.area_code,
                "start": start,
                "end": start + route.spec.size_ms,
                "mark": route.mark_key,
                "emit": route.emit,
                "p": partition,
                "rev": 0,
                "emitted": 0,
            }
            | self.model.empty()
        )

    def _persist(
        self, marks: dict[str, int], touched: dict[str, dict[str, Any]], partition: int, now: int
    ) -> list[Output]:
        """Watermarks first, then windows (gates before rollups, in the order they were touched): a
        crash between the writes then leaves a rollup behind its gate, never ahead of it."""
        for key, ms in marks.items():
            entry = self.table.data.get(key)
            if entry is None or int(entry["ms"]) != ms:
                home = int(entry["p"]) if entry else partition
                state.put(self.table, home, key, {"p": home, "ms": ms})
        pending: list[tuple[bytes, dict[str, Any]]] = []
        for key, acc in touched.items():
            if acc["emit"] and now - acc["emitted"] >= self.provisional_ms:
                acc["rev"] += 1
                acc["emitted"] = now
                pending += self._records(acc, final=False, now=now)
            state.put(self.table, int(acc["p"]), key, acc)
        return self._encode(pending)

    def keep_only(self, owned: set[int]) -> None:
        """After a rebalance: forget windows and watermarks of partitions this worker no longer owns
        (their new owner recovered them and will close them; closing them here too would emit their
        finals twice). An empty `owned` changes nothing, so a glitch cannot wipe the state."""
        if owned:
            for key, entry in list(state.items(self.table)):
                if int(entry["p"]) not in owned:
                    self.table.data.pop(key, None)
                    self._seen.pop(key, None)

    def close_due(self, now: int) -> list[Output]:
        """Emit as final and forget every window due to close, on its watermark or the wall clock.

        Closing a window moves its watermark to at least the window's end plus grace, so a record
        for it that arrives later is late even when it closed on the wall clock.
        """
        pending: list[tuple[bytes, dict[str, Any]]] = []
        for key, acc in state.items(self.table):
            if key.startswith(MARK):
                continue
            entry = self.table.data.get(acc["mark"])
            mark = int(entry["ms"]) if entry else 0
            size = acc["end"] - acc["start"]
            if not is_closed(acc["start"], size, mark, self.grace_ms, now, self.idle_ms):
                continue
            if acc["emit"]:
                acc["rev"] += 1
                pending += self._records(acc, final=True, now=now)
            state.delete(self.table, int(acc["p"]), key)
            self._seen.pop(key, None)
            closed_through = acc["end"] + self.grace_ms
            if closed_through > mark:
                home = int(entry["p"]) if entry else int(acc["p"])
                state.put(self.table, home, acc["mark"], {"p": home, "ms": closed_through})
        return self._encode(pending)

    def _records(self, acc: dict[str, Any], *, final: bool, now: int) -> list[tuple[bytes, dict[str, Any]]]:
        """(Kafka key, indicator record) of every value of one window."""
        ref = WindowRef(acc["proc"], acc["type"], acc["id"], acc["area"], acc["start"], acc["end"])
        key = f"{ref.entity_type}|{ref.entity_id}".encode()
        return [
            (key, indicator_record(ref, values, revision=acc["rev"], final=final, now_ms=now))
            for values in self.model.indicators(ref, acc)
        ]

    def _encode(self, pending: list[tuple[bytes, dict[str, Any]]]) -> list[Output]:
        """All of a batch's (or a close's) indicator records, encoded in one go."""
        values = encode_all(self.indicator_encoder, [record for _, record in pending])
        return [(key, value) for (key, _), value in zip(pending, values, strict=True)]


def encode_all(encoder: AvroEncoder, records: Sequence[dict[str, Any]]) -> list[bytes]:
    """Each record as framed Avro, written into one buffer and cut apart: the same bytes as
    `encoder.encode` per record, without a new buffer per record (a third of its cost when profiled)."""
    out = io.BytesIO()
    header = HEADER.pack(MAGIC_BYTE, encoder.schema_id)
    ends = []
    for record in records:
        out.write(header)
        fastavro.schemaless_writer(out, encoder.parsed, record)
        ends.append(out.tell())
    data = out.getvalue()
    return [data[start:end] for start, end in zip([0, *ends], ends, strict=False)]


@dataclass(frozen=True)
class Feed:
    """One input topic folded by one model: what `register_feed` needs to wire an agent."""

    name: str  # agent and table name, e.g. "traffic-counts"
    source: TopicSpec
    dead_letters: TopicSpec
    model: WindowModel


def register_feed(
    app: faust.App, settings: Settings, registry: SchemaRegistryClient, feed: Feed, late_sink: LateEventSink
) -> WindowedAggregator:
    """Declare the feed's table, its batch agent and its wall-clock closer on the app.

    The agent loops over batches of messages (each carrying many records); per batch it sends
    indicators, late events and dead letters without awaiting each one in between.
    """
    prefix, streams = settings.topic_prefix, settings.streams
    source = app.topic(feed.source.full_name(prefix), key_serializer="raw", value_serializer="raw")
    indicators = app.topic(INDICATORS.full_name(prefix), key_serializer="raw", value_serializer="raw")
    late_topic = app.topic(LATE_EVENTS.full_name(prefix), key_serializer="raw", value_serializer="raw")
    dead_topic = app.topic(feed.dead_letters.full_name(prefix), key_serializer="raw", value_serializer="raw")
    table = app.Table(feed.name, default=None, partitions=feed.source.partitions)
    aggregator = WindowedAggregator(
        table,
        feed.model,
        AvroEncoder.for_subject(registry, INDICATORS.subject(prefix), load_schema(INDICATORS.schema)),
        late_sink,
        grace_ms=int(streams.window_grace_s * 1000),
        idle_ms=int(streams.idle_close_s * 1000),
        provisional_ms=int(streams.provisional_interval_s * 1000),
    )
    decoding = Decoding(
        AvroDecoder(registry, load_schema(feed.source.schema)),
        AvroEncoder.for_subject(
            registry, feed.dead_letters.subject(prefix), load_schema(feed.dead_letters.schema)
        ),
        feed.model.problem,
    )

    async def send_all(topic: faust.TopicT, messages: list[Output]) -> None:
        # `send` only queues the message in the producer's buffer, which sends them in batches.
        for key, value in messages:
            await topic.send(key=key, value=value)

    async def fold(stream: faust.StreamT[bytes]) -> None:
        async for events in stream.take_events(streams.batch_size, within=streams.batch_within_s):
            by_partition, dead = decoding.items(events)
            outputs: list[Output] = []
            late: list[Output] = []
            for partition, items in by_partition.items():
                folded, refused = aggregator.fold(partition, items, now_ms())
                outputs += folded
                late += refused
                # A batch folds for up to a second; between partitions the loop runs Faust's
                # commit and the closer, which otherwise stall behind it (offsets then lag).
                await asyncio.sleep(0)
            await send_all(indicators, outputs)
            await send_all(late_topic, late)
            await send_all(dead_topic, dead)

    async def close_windows() -> None:
        if not app.tables.recovery.completed.is_set():
            return  # closing from a half-recovered table could finalise a window too early
        await send_all(indicators, aggregator.close_due(now_ms()))

    async def after_rebalance(sender: faust.App, **kwargs: Any) -> None:
        # Sent once the tables are recovered; the table is co-partitioned with the source topic.
        source_name = feed.source.full_name(prefix)
        aggregator.keep_only(
            {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == source_name}
        )

    app.on_rebalance_complete.connect(after_rebalance)
    app.agent(source, name=feed.name)(fold)
    app.timer(interval=streams.close_check_interval_s, name=f"{feed.name}-close")(close_windows)
    return aggregator
