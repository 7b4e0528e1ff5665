"""The input-health tasks that run on the wall clock, not in event-time windows (the camera online
ratio is a windowed model: streams/model/health.py, wired like any other).

- Sensor staleness. Readings of the air-quality, rainfall and water-level feeds arrive on the
  partition of their source, but each station's staleness must be emitted once, by one task, however
  many workers share the partitions. So a `StationClockTask` (one per partition number of the three
  co-partitioned feeds) sends, at each commit, the newest reading time of every station it read to
  the station's owner on the totals topic, in the engine's partial format and hashed like any total
  (streams/engine/upstream.py `partial_message`, `TotalsTopic`); a `StalenessOwnerTask` keeps the
  newest time per station it owns and, at every minute boundary of the wall clock, emits every
  station it owns: those heard, and the configured ones whose id hashes to its partition. The last
  minute emitted is in its store, so a restart neither repeats nor skips one.
- Report lateness: a `ReportValuesTask` (streams/engine/report_values.py) with the rules of
  streams/model/report_lateness.py.

Every task decodes and dead-letters through streams/engine/inputs.py `Intake` and sends indicators
through streams/engine/outputs.py `Indicators`; state is a changelogged `Store`, as for every task.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from confluent_kafka import Message

from ioc.province import Province
from streams.engine.inputs import Intake, Origin
from streams.engine.runtime import Outputs
from streams.engine.store import Store
from streams.engine.upstream import Sinks, TotalsTopic, partial_message, read_partials
from streams.model.health import MINUTE_MS, STATION_NEWEST, staleness, station_of
from streams.model.routes import NO_WINDOW

STATION_ENTITY = "station"
MINUTE_KEY = "~minute"


class StationClockTask:
    """One partition number of the sensor feeds: the newest reading per station, to its owner."""

    def __init__(
        self, intakes: dict[str, Intake], totals: TotalsTopic, upstream_id: str, province: Province
    ) -> None:
        """`intakes` by source topic; undecodable sensor messages are dead-lettered by the
        environment agent, which reads the same topics (saying it twice helps nobody)."""
        self.intakes = intakes
        self.totals = totals
        self.upstream_id = upstream_id
        self.province = province
        self.newest: dict[str, int] = {}  # since the last commit: sent at the next one

    def process(self, topic: str, messages: Sequence[Message], out: Outputs) -> None:
        self.step(self.intakes[topic].records(messages, []))

    def step(self, items: Sequence[tuple[Origin, dict[str, Any]]]) -> None:
        newest = self.newest
        for _, record in items:
            station = station_of(record)
            if station and record["observed_at"] > newest.get(station, -1):
                newest[station] = record["observed_at"]

    def tick(self, out: Outputs) -> None:
        """Nothing here depends on the wall clock: the owners keep it."""

    def flush(self, out: Outputs) -> None:
        """One message per owner partition with its stations' newest times, in this transaction."""
        by_owner: dict[int, list[list[Any]]] = defaultdict(list)
        for station, newest in self.newest.items():
            config = self.province.station(station)
            part = [STATION_NEWEST, station, config.area if config else "", newest, NO_WINDOW, {}]
            by_owner[self.totals.partition(STATION_ENTITY, station)].append(part)
        key = self.upstream_id.encode()
        for owner, parts in sorted(by_owner.items()):
            out.send(self.totals.name, key, partial_message(self.upstream_id, 0, parts), owner)
        self.newest = {}


class StalenessOwnerTask:
    """One partition of the staleness totals topic: the stations whose id hashes to it."""

    def __init__(
        self,
        partition: int,
        store: Store,
        province: Province,
        totals: TotalsTopic,
        sinks: Sinks,
        horizon_ms: int,
    ) -> None:
        """An unconfigured station silent for `horizon_ms` on the wall clock is forgotten (a
        configured one is emitted for ever, heard or not)."""
        self.store = store
        self.province = province
        self.sinks = sinks
        self.horizon_ms = horizon_ms
        self.configured = sorted(
            s.id for s in province.stations if totals.partition(STATION_ENTITY, s.id) == partition
        )

    def process(self, topic: str, messages: Sequence[Message], out: Outputs) -> None:
        store = self.store
        for message in messages:
            for _, station, _, newest, _, _ in read_partials(message.value())[2]:
                if newest > (store.get(station) or -1):
                    store.put(station, newest)

    def tick(self, out: Outputs) -> None:
        """At a new wall-clock minute, the staleness of every station owned here, as of its start."""
        minute = out.now - out.now % MINUTE_MS
        if minute <= (self.store.get(MINUTE_KEY) or 0):
            return
        self.store.put(MINUTE_KEY, minute)
        heard = {key: newest for key, newest in self.store.items() if not key.startswith("~")}
        for station in sorted(heard.keys() | set(self.configured)):
            self.sinks.indicators.add(staleness(self.province, station, heard.get(station), minute))
            newest = heard.get(station)
            if (
                newest is not None
                and minute - newest > self.horizon_ms
                and not self.province.station(station)
            ):
                self.store.delete(station)
        self.sinks.indicators.send(out)

    def flush(self, out: Outputs) -> None:
        """Staleness is sent as each minute starts; nothing is held back."""
