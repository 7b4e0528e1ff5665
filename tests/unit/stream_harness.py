"""The window engine's tasks wired as the runtime wires them, without Kafka: for pure unit tests of the
engine and of every model through it.

A `Deployment` holds a model's source tasks (one per input partition) and the owners of its totals,
with an input log per partition and a partials log per owner partition, as Kafka would hold them.
`fold` appends records to an input partition and hands them to its source task; `deliver` hands an
owner partition the partial messages committed for it; `commit` does what a Kafka transaction commit
does: every task flushes, what they sent becomes visible (partials reach their owners' logs), the
read positions and the stores are kept. `crash` forgets everything since the last commit and reopens
every task from the stores as the changelogs hold them, as after a SIGKILL; reading resumes at the
committed positions (`feed`, `deliver`). Outputs are decoded with the platform's schemas; only what a
committed step produced counts as seen.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import fastavro

from avro_schemas import load_schema
from ioc.serde import AvroEncoder
from streams.engine.inputs import Intake, MillisDecoder, Origin
from streams.engine.late import LateEvents
from streams.engine.outputs import Indicators
from streams.engine.owner import OwnerTask
from streams.engine.store import Store
from streams.engine.upstream import Sinks, SourceTask, Timing, TotalsTopic
from streams.model.routes import Model

GRACE_MS = 30_000
IDLE_MS = 60_000
TIMING = Timing(grace_ms=GRACE_MS, idle_ms=IDLE_MS, provisional_ms=0, horizon_ms=86_400_000)
INDICATORS = "indicators"
LATE = "late"
TOTALS = "totals"
SOURCE = "input"
FinalKey = tuple[str, str, str, int, int]  # (code, entity type, entity id, start ms, end ms)


def read(schema: str, data: bytes) -> dict[str, Any]:
    """A framed Avro message back to a dict, with the platform's own schema (times as datetimes)."""
    return fastavro.schemaless_reader(io.BytesIO(data[5:]), fastavro.parse_schema(load_schema(schema)), None)  # type: ignore[return-value]


def to_ms(moment: Any) -> int:
    return int(moment.timestamp() * 1000)


class Out:
    """The runtime's `Outputs`: what tasks send, kept in order."""

    def __init__(self, now: int) -> None:
        self.now = now
        self.sent: list[tuple[str, bytes | None, bytes | None, int | None]] = []

    def send(self, topic: str, key: bytes | None, value: bytes | None, partition: int | None = None) -> None:
        self.sent.append((topic, key, value, partition))


@dataclass
class FakeMessage:
    """What a task reads of a confluent-kafka Message."""

    _value: bytes
    _partition: int
    _offset: int

    def value(self) -> bytes:
        return self._value

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset


def sinks() -> Sinks:
    return Sinks(
        Indicators(INDICATORS, AvroEncoder(load_schema("derived/indicators"), 1)),
        LateEvents(AvroEncoder(load_schema("derived/late_events"), 2), GRACE_MS),
        LATE,
        "dead",
    )


class Deployment:
    """A model's source tasks and totals owners, fed and committed by hand."""

    def __init__(
        self,
        model: Model,
        partitions: int = 2,
        owners: int = 3,
        timing: Timing = TIMING,
        schema: str = "camera/vehicle_counts",
        opened_ms: int = 0,
    ) -> None:
        """`schema` is the input topic's, for the timestamp fields late events show as ISO 8601;
        `opened_ms` is the wall clock when the tasks start (owners wait an idle timeout from then for
        source partitions that have sent nothing)."""
        self.model = model
        self.intake = Intake(
            MillisDecoder(None, load_schema(schema)),  # type: ignore[arg-type] - never asked for a writer
            AvroEncoder(load_schema("derived/dead_letters"), 3),
            model.problem,
        )
        self.timing = timing
        self.partitions = partitions
        self.totals = TotalsTopic(TOTALS, owners)
        self.upstreams = [f"{SOURCE}|{p}" for p in range(partitions)]
        self.stores: dict[tuple[str, int], Store] = {}
        # Each store's changelog as compaction leaves it (key -> its newest record), written by the
        # stores' own `flush` at each commit and read back by `Store.apply` after a crash.
        self.snapshot: dict[tuple[str, int], dict[str, bytes]] = {}
        self.largest: dict[str, int] = {}  # changelog key -> the largest record written for it
        self.committed: list[tuple[str, bytes | None, bytes | None, int | None]] = []
        self.pending: list[tuple[str, bytes | None, bytes | None, int | None]] = []
        self.inputs: dict[int, list[tuple[str, dict[str, Any]]]] = {p: [] for p in range(partitions)}
        self.inbox: dict[int, list[bytes]] = {r: [] for r in range(owners)}
        self.read: dict[tuple[str, int], int] = {}
        self.read_committed: dict[tuple[str, int], int] = {}
        self._open(opened_ms)

    def _open(self, now: int) -> None:
        self.sources = {p: self._source(p, now) for p in range(self.partitions)}
        self.owners = {r: self._owner(r, now) for r in range(self.totals.partitions)}

    def _store(self, kind: str, partition: int) -> Store:
        store = Store(kind, partition)
        for key, value in self.snapshot.get((kind, partition), {}).items():
            store.apply(key.encode(), value)
        self.stores[(kind, partition)] = store
        return store

    def _source(self, partition: int, now: int) -> SourceTask:
        return SourceTask(
            partition,
            self._store("source", partition),
            self.model,
            self.intake,  # records are handed over decoded: only its timestamp fields are used
            sinks(),
            self.timing,
            self.totals,
            f"{SOURCE}|{partition}",
            now,
        )

    def _owner(self, partition: int, now: int) -> OwnerTask:
        return OwnerTask(
            self._store("owner", partition), self.model, sinks(), self.timing, self.upstreams, now
        )

    # --- feeding -----------------------------------------------------------------------------

    def fold(self, partition: int, records: Sequence[dict[str, Any]], now: int, source: str = "SRC") -> None:
        """Append records to an input partition and hand them (and any unread before them) to its task."""
        self.inputs[partition] += [(source, record) for record in records]
        self.feed(partition, now)

    def feed(self, partition: int, now: int, upto: int | None = None) -> None:
        """Hand a source task its input from its read position (all of it, or up to offset `upto`)."""
        start = self.read.get(("source", partition), 0)
        end = len(self.inputs[partition]) if upto is None else upto
        if end <= start:
            return
        items = [
            (Origin(SOURCE, partition, offset, source), record)
            for offset, (source, record) in enumerate(self.inputs[partition][start:end], start)
        ]
        self.read[("source", partition)] = end
        out = Out(now)
        self.sources[partition].step(items, out)
        self.pending += out.sent

    def deliver(self, owner: int, now: int, upto: int | None = None) -> None:
        """Hand an owner partition its committed partial messages from its read position."""
        start = self.read.get(("owner", owner), 0)
        end = len(self.inbox[owner]) if upto is None else min(upto, len(self.inbox[owner]))
        if end <= start:
            return
        self.read[("owner", owner)] = end
        messages = [
            FakeMessage(value, owner, offset)
            for offset, value in enumerate(self.inbox[owner][start:end], start)
        ]
        out = Out(now)
        self.owners[owner].process(TOTALS, messages, out)
        self.pending += out.sent

    def tick(self, now: int) -> None:
        out = Out(now)
        for task in [*self.sources.values(), *self.owners.values()]:
            task.tick(out)
        self.pending += out.sent

    def commit(self, now: int) -> None:
        """What a transaction commit does: flush every task and make its outputs visible."""
        out = Out(now)
        for task in [*self.sources.values(), *self.owners.values()]:
            task.flush(out)
        for (kind, partition), store in self.stores.items():
            store.flush(self._changelog(self.snapshot.setdefault((kind, partition), {})))
        self.pending += out.sent
        for topic, key, value, partition in self.pending:
            if topic == TOTALS:
                assert partition is not None and value is not None
                self.inbox[partition].append(value)
            self.committed.append((topic, key, value, partition))
        self.pending = []
        self.read_committed = dict(self.read)

    def _changelog(self, log: dict[str, bytes]) -> Any:
        def send(topic: str, partition: int, key: bytes, value: bytes | None) -> None:
            name = key.decode()
            if value is None:
                log.pop(name, None)
                return
            log[name] = value
            self.largest[name] = max(self.largest.get(name, 0), len(value))

        return send

    def crash(self, now: int) -> None:
        """Forget everything since the last commit (outputs, state, reading) and reopen every task
        from the stores as the changelogs hold them, as after a SIGKILL and a restart at `now`."""
        self.pending = []
        self.read = dict(self.read_committed)
        self._open(now)

    def run_until_quiet(self, now: int) -> None:
        """Commit and deliver until every owner has read every partial."""
        self.commit(now)
        while any(self.read.get(("owner", r), 0) < len(log) for r, log in self.inbox.items()):
            for owner in self.inbox:
                self.deliver(owner, now)
            self.commit(now)

    # --- what came out -----------------------------------------------------------------------

    def indicators(self) -> list[dict[str, Any]]:
        return [read("derived/indicators", v) for t, _, v, _ in self.committed if t == INDICATORS and v]

    def late_events(self) -> list[dict[str, Any]]:
        return [read("derived/late_events", v) for t, _, v, _ in self.committed if t == LATE and v]

    def finals(self) -> dict[FinalKey, float | None]:
        """Every final, keyed by window; a window finalised twice fails the test."""
        found: dict[FinalKey, float | None] = {}
        for r in self.indicators():
            if r["is_final"]:
                key = (
                    r["indicator"],
                    r["entity_type"],
                    r["entity_id"],
                    to_ms(r["window_start"]),
                    to_ms(r["window_end"]),
                )
                assert key not in found, f"a second final for {key}"
                found[key] = r["value"]
        return found
