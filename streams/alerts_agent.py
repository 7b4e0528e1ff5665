"""The alerts agent: indicator windows and incident events in, alert changes (CAP fields) out.

The rules and their state machines live in `streams.model.alerting` (pure); this module feeds them and
keeps their state in a Faust table. Entries are persisted only when they changed, each on the
changelog partition of the entity's events, so a restarted worker resumes every open alert, its
timers and its learned baselines exactly where they were.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import faust
from confluent_kafka.schema_registry import SchemaRegistryClient
from faust.types import EventT, TableT

from avro_schemas import load_schema
from ioc.serde import AvroDecoder, AvroEncoder, SerdeError
from ioc.settings import Settings
from streams import state
from streams.model.alerting import AlertEngine, ObservationError, RuleSet, load_rules, to_alert_record
from streams.model.windows import now_ms
from topics.catalog import ALERTS, CAMERA_INCIDENTS, INDICATORS

log = logging.getLogger(__name__)
Output = tuple[bytes, bytes]


class AlertProcessor:
    """Owns the engine and mirrors its state into the table."""

    def __init__(self, ruleset: RuleSet, table: TableT, encoder: AvroEncoder, sender: str) -> None:
        self.ruleset = ruleset
        self.table = table
        self.encoder = encoder
        self.sender = sender
        self._engine: AlertEngine | None = None
        self._saved: dict[str, str] = {}
        self._partition_of: dict[str, int] = {}

    def engine(self) -> AlertEngine:
        """The engine, built on first use from the table (which Faust fills from its changelog
        before agents run, so this sees the recovered state)."""
        if self._engine is None:
            entries = {key: value["entry"] for key, value in state.items(self.table)}
            self._partition_of = {key: int(value["partition"]) for key, value in state.items(self.table)}
            self._saved = {key: json.dumps(entry, sort_keys=True) for key, entry in entries.items()}
            self._engine = AlertEngine(self.ruleset, state=entries)
        return self._engine

    def reset(self, owned: set[int]) -> None:
        """After a rebalance: drop the entries of changelog partitions this worker no longer owns (the
        new owner alerts for them) and rebuild the engine from the table on next use, so entries of
        newly assigned partitions, just recovered, are judged too. An empty `owned` only rebuilds:
        a worker that briefly owns nothing keeps its entries rather than lose them on a glitch."""
        if owned:
            for key, value in list(state.items(self.table)):
                if int(value["partition"]) not in owned:
                    self.table.data.pop(key, None)
        self._engine = None

    def observe(self, by_partition: dict[int, list[dict[str, Any]]], now: int) -> list[Output]:
        """Feed observations (grouped by the partition they came from) and return encoded alert changes."""
        engine = self.engine()
        changes, touched = [], set()
        for partition, records in by_partition.items():
            for record in records:
                try:
                    changes += engine.observe(record, now)
                except ObservationError as exc:
                    log.error("observation skipped: %s", exc)
            observed = engine.take_observed()
            for key in observed - self._partition_of.keys():  # first seen: its changelog partition
                self._partition_of[key] = partition
            touched |= observed
        self._persist(touched)
        return self._encode(changes)

    def tick(self, now: int) -> list[Output]:
        """Absence, minimum-duration openings and auto-resolution, on the wall clock."""
        engine = self.engine()
        changes = engine.tick(now)
        self._persist(engine.state.keys())
        return self._encode(changes)

    def _persist(self, keys: Iterable[str]) -> None:
        """Write the entries among `keys` whose content changed since they were last written."""
        entries = self.engine().state
        for key in keys:
            entry = entries[key]
            text = json.dumps(entry, sort_keys=True)
            if self._saved.get(key) != text:
                partition = self._partition_of.get(key, 0)
                state.put(self.table, partition, key, {"partition": partition, "entry": entry})
                self._saved[key] = text

    def _encode(self, changes: Iterable[Any]) -> list[Output]:
        outputs = []
        for change in changes:
            record = to_alert_record(change, self.ruleset.by_id[change.rule_id], self.sender)
            outputs.append((change.alert_id.encode(), self.encoder.encode(record)))
        return outputs


def _incident_observations(batch: dict[str, Any]) -> list[dict[str, Any]]:
    """Incident records in the shape the engine reads (`entity_id` is the camera)."""
    return [
        {
            "incident_type": r["incident_type"],
            "entity_type": "camera",
            "entity_id": r["camera_id"],
            "observed_at": r["observed_at"],
            "description": r["description"],
            "confidence": r["confidence"],
            "latitude": r["latitude"],
            "longitude": r["longitude"],
        }
        for r in batch["records"]
    ]


def _decode_by_partition(
    events: Sequence[EventT], decoders: dict[str, AvroDecoder], incidents_topic: str
) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        message = event.message
        try:
            value = decoders[message.topic].decode(message.value)
        except SerdeError as exc:
            log.error("%s[%d]@%d skipped: %s", message.topic, message.partition, message.offset, exc)
            continue
        grouped[message.partition] += (
            _incident_observations(value) if message.topic == incidents_topic else [value]
        )
    return grouped


def register(app: faust.App, settings: Settings, registry: SchemaRegistryClient) -> AlertProcessor:
    """Declare the alerts agent, its table and its wall-clock ticker on the app."""
    prefix = settings.topic_prefix
    indicators_name, incidents_name = INDICATORS.full_name(prefix), CAMERA_INCIDENTS.full_name(prefix)
    sources = app.topic(indicators_name, incidents_name, key_serializer="raw", value_serializer="raw")
    alerts = app.topic(ALERTS.full_name(prefix), key_serializer="raw", value_serializer="raw")
    table = app.Table("alert-state", default=None, partitions=INDICATORS.partitions)
    processor = AlertProcessor(
        load_rules(settings.streams.alert_rules),
        table,
        AvroEncoder.for_subject(registry, ALERTS.subject(prefix), load_schema(ALERTS.schema)),
        settings.streams.alert_sender,
    )
    decoders = {
        indicators_name: AvroDecoder(registry, load_schema(INDICATORS.schema)),
        incidents_name: AvroDecoder(registry, load_schema(CAMERA_INCIDENTS.schema)),
    }
    batch, within = settings.streams.batch_size, settings.streams.batch_within_s

    @app.agent(sources, name="alerts")
    async def alert_changes(stream: faust.StreamT[bytes]) -> None:
        async for events in stream.take_events(batch, within=within):
            for key, value in processor.observe(
                _decode_by_partition(events, decoders, incidents_name), now_ms()
            ):
                await alerts.send(key=key, value=value)

    @app.on_rebalance_complete.connect
    async def rebuild_after_rebalance(sender: faust.App, **kwargs: Any) -> None:
        # Sent once the tables are recovered; the table is co-partitioned with both source topics.
        actives = app.assignor.assigned_actives()
        processor.reset({tp.partition for tp in actives if tp.topic in (indicators_name, incidents_name)})

    @app.timer(interval=settings.streams.close_check_interval_s)
    async def alert_ticks() -> None:
        if not app.tables.recovery.completed.is_set():
            return  # the engine must be built from the recovered table, not from an empty one
        for key, value in processor.tick(now_ms()):
            await alerts.send(key=key, value=value)

    return processor
