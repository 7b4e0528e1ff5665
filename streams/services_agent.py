"""The public-service agent: dossier figures (Decision 766/QĐ-TTg) by department and by area, for
the local day and the local month to date (see streams/model/dossiers.py for what each figure means).

The state is each dossier's merged status (`d|dossier_id`), so a resent or reordered event changes
nothing; windows (`win|entity_type|entity_id|period|start`) only carry their revision. Each batch
re-emits, as provisional, the windows its events fall in (by observed_at), computed from the dossiers
of their group; a window closes when the partition's stream time passes its end plus grace, or on
the wall clock, and is emitted once more as final, judged as of its end. An event whose day window
has already closed still updates its dossier (later windows see it) but is reported as a late event
and never revises the closed window. Finished dossiers are forgotten `RETAIN_FINISHED_MS` after
their last event. A department's dossiers come from one portal (one source, so one partition);
a deployment where one group spans partitions on several workers would split its figures.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import faust
from confluent_kafka.schema_registry import SchemaRegistryClient
from faust.types import EventT, TableT

from avro_schemas import load_schema
from ioc.province import Province, load_province
from ioc.serde import AvroDecoder, AvroEncoder
from ioc.settings import Settings
from streams import state
from streams.batch_io import BatchCodec, Output, plain
from streams.late_events import LateEventSink
from streams.model import dossiers
from streams.model.indicator_record import WindowStamp
from streams.model.local_calendar import DAY_MS, day_window, month_window
from streams.model.windows import is_closed, now_ms, to_millis
from topics.catalog import DEPARTMENT_DOSSIER_EVENTS, DLQ_DEPARTMENT, INDICATORS

RETAIN_FINISHED_MS = 62 * DAY_MS
PERIODS = {"day": day_window, "month": month_window}
Group = tuple[str, str, str]  # (entity_type, entity_id, area_code)


class DossierFigures:
    """Dossier states and open windows in one Faust table; one batch step and one closer."""

    def __init__(
        self,
        table: TableT,
        province: Province,
        codec: BatchCodec,
        indicator_encoder: AvroEncoder,
        late_sink: LateEventSink,
        *,
        grace_ms: int,
        idle_ms: int,
        due_soon_ms: int,
    ) -> None:
        self.table = table
        self.province = province
        self.unit_areas = {unit.code: unit.area for unit in province.reporting_units}
        self.codec = codec
        self.indicator_encoder = indicator_encoder
        self.late_sink = late_sink
        self.grace_ms = grace_ms
        self.idle_ms = idle_ms
        self.due_soon_ms = due_soon_ms

    def groups(self, dossier: dossiers.Dossier) -> list[Group]:
        """The department, then the dossier's area and every area above it (province level: the province).
        A dossier whose portal sent no department code still counts for its areas; a department
        entity without an id would be a figure nobody can act on (and the alert rules refuse it)."""
        department = dossier["department"]
        areas = self.province.area_lineage(dossier["area"] or self.province.code)
        by_department = (
            [("department", department, self.unit_areas.get(department, ""))] if department else []
        )
        return by_department + [("area", code, code) for code in areas]

    def _watermark(self, partition: int) -> int:
        entry = self.table.data.get(f"m|{partition}")
        return int(entry["ms"]) if entry else 0

    def process(self, events: Sequence[EventT], now: int) -> tuple[list[Output], list[Output], list[Output]]:
        """Returns (indicator messages, dead letters, late events) for a batch."""
        batch = self.codec.decode(events)
        outputs: list[Output] = []
        late: list[Output] = []
        for partition, records in batch.records.items():
            watermark = self._watermark(partition)
            touched: set[tuple[Group, str, int]] = set()
            for record in records:
                key = f"d|{record['dossier_id']}"
                merged = dossiers.merge(self.table.data.get(key), record, partition)
                state.put(self.table, merged["partition"], key, merged)
                observed = to_millis(record["observed_at"])
                day_start, day_end = day_window(observed)
                if day_end + self.grace_ms <= watermark:
                    late.append(self._late(record, observed, day_end, watermark, now))
                for group in self.groups(merged):
                    for period, window in PERIODS.items():
                        start, end = window(observed)
                        if end + self.grace_ms > watermark:
                            touched.add((group, period, start))
                watermark = max(watermark, observed)
            state.put(self.table, partition, f"m|{partition}", {"partition": partition, "ms": watermark})
            for group, period, start in touched:
                key = _window_key(group, period, start)
                entry = self.table.data.get(key) or {"partition": partition, "revision": 0}
                state.put(self.table, entry["partition"], key, entry)
            outputs += self._emit(sorted(touched), watermark, final=False, now=now)
            outputs += self.close(now, partition)
        return outputs, batch.dead, late

    def _late(self, record: dict[str, Any], observed: int, day_end: int, watermark: int, now: int) -> Output:
        return self.late_sink.record(
            record["_origin"],
            plain(record),
            processor="public_service/day",
            event_ms=observed,
            window_end_ms=day_end,
            grace_ms=self.grace_ms,
            watermark_ms=watermark,
            now_ms=now,
        )

    def close(self, now: int, partition: int | None = None) -> list[Output]:
        """Emit as final, then forget, every due window (of one partition, or all); prune old dossiers."""
        due = []
        for key, entry in state.items(self.table):
            if not key.startswith("win|") or partition not in (None, entry["partition"]):
                continue
            group, period, start = _parse_window_key(key)
            end = PERIODS[period](start)[1]
            if is_closed(
                start, end - start, self._watermark(entry["partition"]), self.grace_ms, now, self.idle_ms
            ):
                due.append((group, period, start))
        if not due:
            return []
        outputs = self._emit(sorted(due), None, final=True, now=now)
        for window in due:
            key = _window_key(*window)
            state.delete(self.table, self.table.data[key]["partition"], key)
        self._prune(now)
        return outputs

    def _prune(self, now: int) -> None:
        for key, dossier in state.items(self.table):
            finished = (
                dossier.get("resolved") is not None or dossier.get("status") in dossiers.CLOSED_WITHOUT_RESULT
            )
            if key.startswith("d|") and finished:
                newest = max(self._watermark(dossier["partition"]), now)
                if dossier["order"][0] + RETAIN_FINISHED_MS < newest:
                    state.delete(self.table, dossier["partition"], key)

    def _emit(
        self, windows: list[tuple[Group, str, int]], watermark: int | None, *, final: bool, now: int
    ) -> list[Output]:
        """Windows' figures; as of the window end when final, else of the stream time (capped at the end)."""
        wanted = {group for group, _, _ in windows}
        members: dict[Group, list[dossiers.Dossier]] = defaultdict(list)
        for key, dossier in state.items(self.table):
            if key.startswith("d|"):
                for group in self.groups(dossier):
                    if group in wanted:
                        members[group].append(dossier)
        outputs: list[Output] = []
        for group, period, start in windows:
            key = _window_key(group, period, start)
            entry = self.table.data[key]
            entry["revision"] += 1
            state.put(self.table, entry["partition"], key, entry)
            end = PERIODS[period](start)[1]
            as_of = end if final or watermark is None else min(end, watermark)
            figures = dossiers.figures(members[group], start, end, as_of, self.due_soon_ms)
            entity_type, entity_id, area = group
            stamp = WindowStamp(entity_type, entity_id, area, start, end, entry["revision"], final, now)
            record_key = f"{entity_type}|{entity_id}".encode()
            outputs += [
                (
                    record_key,
                    self.indicator_encoder.encode(stamp.indicator(code, value, unit, figures.dossiers)),
                )
                for code, value, unit in figures.indicators()
            ]
        return outputs


def _window_key(group: Group, period: str, start: int) -> str:
    entity_type, entity_id, area = group
    return f"win|{entity_type}|{entity_id}|{area}|{period}|{start}"


def _parse_window_key(key: str) -> tuple[Group, str, int]:
    _, entity_type, rest = key.split("|", 2)
    entity_id, area, period, start = rest.rsplit("|", 3)
    return (entity_type, entity_id, area), period, int(start)


def register(app: faust.App, settings: Settings, registry: SchemaRegistryClient) -> DossierFigures:
    """Declare the dossier agent, its table and its wall-clock closer on the app."""
    prefix = settings.topic_prefix
    source_name = DEPARTMENT_DOSSIER_EVENTS.full_name(prefix)
    source = app.topic(source_name, key_serializer="raw", value_serializer="raw")
    indicators = app.topic(INDICATORS.full_name(prefix), key_serializer="raw", value_serializer="raw")
    dead_letters = app.topic(DLQ_DEPARTMENT.full_name(prefix), key_serializer="raw", value_serializer="raw")
    late_events = app.topic(LateEventSink.topic_name(prefix), key_serializer="raw", value_serializer="raw")
    codec = BatchCodec(
        source_name,
        AvroDecoder(registry, load_schema(DEPARTMENT_DOSSIER_EVENTS.schema)),
        AvroEncoder.for_subject(registry, DLQ_DEPARTMENT.subject(prefix), load_schema(DLQ_DEPARTMENT.schema)),
    )
    figures = DossierFigures(
        app.Table("services-dossiers", default=None, partitions=DEPARTMENT_DOSSIER_EVENTS.partitions),
        load_province(settings.province_file),
        codec,
        AvroEncoder.for_subject(registry, INDICATORS.subject(prefix), load_schema(INDICATORS.schema)),
        LateEventSink.create(registry, prefix),
        grace_ms=int(settings.streams.window_grace_s * 1000),
        idle_ms=int(settings.streams.idle_close_s * 1000),
        due_soon_ms=int(settings.indicators.dossier_due_soon_h * 3_600_000),
    )
    batch, within = settings.streams.batch_size, settings.streams.batch_within_s

    @app.agent(source, name="services-dossiers")
    async def dossier_figures(stream: faust.StreamT[bytes]) -> None:
        async for events in stream.take_events(batch, within=within):
            outputs, dead, late = figures.process(events, now_ms())
            for key, value in outputs:
                await indicators.send(key=key, value=value)
            for key, value in dead:
                await dead_letters.send(key=key, value=value)
            for key, value in late:
                await late_events.send(key=key, value=value)

    @app.timer(interval=settings.streams.close_check_interval_s)
    async def close_idle_dossier_windows() -> None:
        for key, value in figures.close(now_ms()):
            await indicators.send(key=key, value=value)

    return figures
