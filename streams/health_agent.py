"""The input-health agent: camera online ratio by area, sensor staleness per station, and each
reporting unit's report lateness (who has not reported) under Decree 09/2019 periods.

- Camera online ratio (1 min, event time, per area and its parents up to the province): of the
  cameras configured in the area plus those heard there, the percent whose status at the window's
  end is `online`: their latest heartbeat in the window, or else their last known one if it is at
  most `camera_heartbeat_timeout_s` old at the window's end. Windows close like the others
  (watermark per partition past end + grace, or the wall clock).
- Sensor staleness (wall clock): at every minute boundary, per station heard or configured, the
  seconds since its newest reading (null if never heard). Silence is what it measures, so it runs
  on the wall clock, not on event time.
- Report lateness: per configured unit and report, for the latest period whose deadline passed,
  days late (0 on time); while missing it is provisional and grows each day, the first submission
  makes it final. A value for an unconfigured unit or report goes to the dead-letter topic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import faust
from confluent_kafka.schema_registry import SchemaRegistryClient
from faust.types import EventT, TableT

from avro_schemas import load_schema
from ioc.province import PeriodicReport, Province, load_province
from ioc.serde import AvroDecoder, AvroEncoder
from ioc.settings import Settings
from streams import state
from streams.batch_io import BatchCodec, Output
from streams.model import reporting_periods
from streams.model.indicator_record import WindowStamp
from streams.model.windows import is_closed, is_late, now_ms, to_millis, window_start
from streams.station_feeds import station_of
from topics.catalog import (
    CAMERA_HEARTBEATS,
    DEPARTMENT_REPORT_VALUES,
    DLQ_CAMERA,
    DLQ_DEPARTMENT,
    DLQ_SENSOR,
    INDICATORS,
    SENSOR_AIR_QUALITY,
    SENSOR_RAINFALL,
    SENSOR_WATER_LEVEL,
)

MINUTE_MS = 60_000


class CameraOnline:
    """Camera heartbeats folded into per-area one-minute windows (`cw|area|start`) and the cameras'
    last known status (`cam|camera`)."""

    def __init__(
        self, table: TableT, province: Province, grace_ms: int, idle_ms: int, timeout_ms: int
    ) -> None:
        self.table = table
        self.province = province
        self.grace_ms, self.idle_ms, self.timeout_ms = grace_ms, idle_ms, timeout_ms
        self.configured: dict[str, set[str]] = defaultdict(set)
        for camera in province.cameras:
            for area in self.areas_of(camera.id):
                self.configured[area].add(camera.id)
        self.late_records = 0

    def areas_of(self, camera_id: str) -> tuple[str, ...]:
        intersection = self.province.intersection_of(camera_id)
        return self.province.area_lineage(intersection.area if intersection else self.province.code)

    def _watermark(self, partition: int) -> int:
        entry = self.table.data.get(f"m|{partition}")
        return int(entry["ms"]) if entry else 0

    def fold(self, partition: int, records: list[dict[str, Any]], now: int) -> list[Output]:
        """Returns indicator records (entity area) of the touched windows, provisional, then the closed ones."""
        watermark = self._watermark(partition)
        touched: set[str] = set()
        for record in records:
            at = to_millis(record["observed_at"])
            if is_late(at, MINUTE_MS, watermark, self.grace_ms):
                self.late_records += 1
                continue
            seen = [at, record["event_id"], record["status"]]
            camera = record["camera_id"]
            known = self.table.data.get(f"cam|{camera}")
            if known is None or seen[:2] > known["last"][:2]:
                state.put(self.table, partition, f"cam|{camera}", {"partition": partition, "last": seen})
            start = window_start(at, MINUTE_MS)
            for area in self.areas_of(camera):
                key = f"cw|{area}|{start}"
                window = self.table.data.get(key) or {"partition": partition, "revision": 0, "seen": {}}
                if camera not in window["seen"] or seen[:2] > window["seen"][camera][:2]:
                    window["seen"][camera] = seen
                state.put(self.table, window["partition"], key, window)
                touched.add(key)
            watermark = max(watermark, at)
        state.put(self.table, partition, f"m|{partition}", {"partition": partition, "ms": watermark})
        return self._emit(sorted(touched), final=False, now=now) + self.close(now, partition)

    def close(self, now: int, partition: int | None = None) -> list[tuple[str, dict[str, Any]]]:
        due = [
            key
            for key, window in state.items(self.table)
            if key.startswith("cw|")
            and partition in (None, window["partition"])
            and is_closed(
                int(key.rsplit("|", 1)[1]),
                MINUTE_MS,
                self._watermark(window["partition"]),
                self.grace_ms,
                now,
                self.idle_ms,
            )  # fmt: skip
        ]
        outputs = self._emit(due, final=True, now=now)
        for key in due:
            state.delete(self.table, self.table.data[key]["partition"], key)
        return outputs

    def _emit(self, keys: list[str], *, final: bool, now: int) -> list[tuple[str, dict[str, Any]]]:
        last_known = {
            key[4:]: entry["last"] for key, entry in state.items(self.table) if key.startswith("cam|")
        }
        outputs = []
        for key in keys:
            _, area, start_text = key.split("|")
            start = int(start_text)
            end = start + MINUTE_MS
            window = self.table.data[key]
            window["revision"] += 1
            state.put(self.table, window["partition"], key, window)
            cameras = self.configured[area] | set(window["seen"])
            cameras |= {c for c, last in last_known.items() if area in self.areas_of(c)}
            online = sum(self._online(camera, window["seen"], last_known, end) for camera in cameras)
            ratio = 100.0 * online / len(cameras) if cameras else None
            entity_type = "province" if area == self.province.code else "area"
            stamp = WindowStamp(entity_type, area, area, start, end, window["revision"], final, now)
            indicator = stamp.indicator("input_health.camera_online_ratio", ratio, "%", len(window["seen"]))
            outputs.append((f"{entity_type}|{area}", indicator))
        return outputs

    def _online(self, camera: str, seen: dict[str, list], last_known: dict[str, list], end: int) -> bool:
        if camera in seen:
            return seen[camera][2] == "online"
        last = last_known.get(camera)
        return last is not None and end - self.timeout_ms <= last[0] < end and last[2] == "online"


class SensorStaleness:
    """Each station's newest reading (`seen|station`) and the minute-boundary staleness indicators."""

    def __init__(self, table: TableT, province: Province) -> None:
        self.table = table
        self.province = province
        self.last_minute = 0

    def fold(self, partition: int, records: list[dict[str, Any]]) -> None:
        newest: dict[str, int] = {}
        for record in records:
            station = station_of(record)
            newest[station] = max(newest.get(station, 0), to_millis(record["observed_at"]))
        for station, ms in newest.items():
            known = self.table.data.get(f"seen|{station}")
            if known is None or ms > known["ms"]:
                state.put(self.table, partition, f"seen|{station}", {"partition": partition, "ms": ms})

    def tick(self, now: int) -> list[tuple[str, dict[str, Any]]]:
        """At a new wall-clock minute, the staleness of every station as of that minute's start."""
        minute = window_start(now, MINUTE_MS)
        if minute <= self.last_minute:
            return []
        self.last_minute = minute
        seen = {key[5:]: entry["ms"] for key, entry in state.items(self.table) if key.startswith("seen|")}
        stations = set(seen) | {s.id for s in self.province.stations}
        outputs = []
        for station in sorted(stations):
            config = self.province.station(station)
            last = seen.get(station)
            value = max(0, minute - last) / 1000 if last is not None else None
            stamp = WindowStamp(
                "station", station, config.area if config else "", minute - MINUTE_MS, minute, 1, True, now
            )
            indicator = stamp.indicator("input_health.sensor_staleness", value, "s", int(last is not None))
            outputs.append((f"station|{station}", indicator))
        return outputs


class ReportLateness:
    """Submissions per unit, report and period (`rp|unit|report|period_start`), judged against deadlines."""

    def __init__(self, table: TableT, province: Province) -> None:
        self.table = table
        self.units = {unit.code: unit for unit in province.reporting_units}

    def report(self, unit: str, code: str) -> PeriodicReport | None:
        config = self.units.get(unit)
        return next((r for r in config.reports if r.report_code == code), None) if config else None

    def fold(self, partition: int, records: list[dict[str, Any]], now: int) -> tuple[list[Any], list[Any]]:
        """Returns (indicators, refused records as (record, field, rule))."""
        outputs, refused = [], []
        for record in records:
            unit, code = record["reporting_unit_code"], record["report_code"]
            report = self.report(unit, code)
            if report is None:
                name = "reporting_unit_code" if unit not in self.units else "report_code"
                refused.append((record, name, "is not a report configured for this unit in province.yaml"))
                continue
            start, end = reporting_periods.period_containing(record["period_end"], report)
            key = f"rp|{unit}|{code}|{start.isoformat()}"
            entry = self.table.data.get(key) or {
                "partition": partition,
                "revision": 0,
                "submitted": None,
                "n": 0,
            }
            submitted = to_millis(record["observed_at"])
            entry["n"] += 1
            earlier = entry["submitted"] is None or submitted < entry["submitted"]
            if earlier:
                entry["submitted"] = submitted
                entry["revision"] += 1
                outputs.append(self._indicator(unit, code, report, start, end, entry, now))
            state.put(self.table, entry["partition"], key, entry)
        return outputs, refused

    def tick(self, now: int) -> list[tuple[str, dict[str, Any]]]:
        """The still-missing reports of the latest due period: provisional, re-emitted when a day passes."""
        outputs = []
        for unit in self.units.values():
            for report in unit.reports:
                start, end = reporting_periods.last_due_period(now, report)
                key = f"rp|{unit.code}|{report.report_code}|{start.isoformat()}"
                entry = self.table.data.get(key) or {"partition": 0, "revision": 0, "submitted": None, "n": 0}
                if entry["submitted"] is not None:
                    continue
                late = reporting_periods.days_late(None, reporting_periods.deadline_ms(end, report), now)
                if late != entry.get("days"):
                    entry["days"] = late
                    entry["revision"] += 1
                    state.put(self.table, entry["partition"], key, entry)
                    outputs.append(
                        self._indicator(unit.code, report.report_code, report, start, end, entry, now)
                    )
        return outputs

    def _indicator(
        self, unit: str, code: str, report: PeriodicReport, start: Any, end: Any, entry: dict, now: int
    ):
        deadline = reporting_periods.deadline_ms(end, report)
        days = reporting_periods.days_late(entry["submitted"], deadline, now)
        window_start_ms = reporting_periods.local_midnight_ms(start)
        window_end_ms = reporting_periods.local_midnight_ms(end) + reporting_periods.DAY_MS
        final = entry["submitted"] is not None
        stamp = WindowStamp("reporting_unit", unit, self.units[unit].area, window_start_ms, window_end_ms,
                            entry["revision"], final, now)  # fmt: skip
        value = float(days) if days is not None else None
        return f"reporting_unit|{unit}", stamp.indicator(
            "input_health.report_lateness", value, "days", entry["n"], code
        )


def _encoded(encoder: AvroEncoder, items: list[tuple[str, dict[str, Any]]]) -> list[Output]:
    return [(key.encode(), encoder.encode(indicator)) for key, indicator in items]


def register(app: faust.App, settings: Settings, registry: SchemaRegistryClient) -> None:
    """Declare the health agents (heartbeats, sensor readings, report values) and their timer."""
    prefix = settings.topic_prefix
    province = load_province(settings.province_file)
    raw = {"key_serializer": "raw", "value_serializer": "raw"}
    indicators = app.topic(INDICATORS.full_name(prefix), **raw)
    encoder = AvroEncoder.for_subject(registry, INDICATORS.subject(prefix), load_schema(INDICATORS.schema))
    table = app.Table("input-health", default=None, partitions=CAMERA_HEARTBEATS.partitions)
    reports_table = app.Table("report-lateness", default=None, partitions=DEPARTMENT_REPORT_VALUES.partitions)
    streams = settings.streams
    cameras = CameraOnline(
        table, province, int(streams.window_grace_s * 1000), int(streams.idle_close_s * 1000),
        int(settings.indicators.camera_heartbeat_timeout_s * 1000),
    )  # fmt: skip
    sensors = SensorStaleness(table, province)
    reports = ReportLateness(reports_table, province)
    batch, within = streams.batch_size, streams.batch_within_s

    def codec(spec: Any, dlq: Any) -> BatchCodec:
        name = spec.full_name(prefix)
        dead = AvroEncoder.for_subject(registry, dlq.subject(prefix), load_schema(dlq.schema))
        return BatchCodec(name, AvroDecoder(registry, load_schema(spec.schema)), dead)

    heartbeat_codec = codec(CAMERA_HEARTBEATS, DLQ_CAMERA)
    camera_dead = app.topic(DLQ_CAMERA.full_name(prefix), **raw)

    @app.agent(app.topic(CAMERA_HEARTBEATS.full_name(prefix), **raw), name="health-heartbeats")
    async def heartbeats(stream: faust.StreamT[bytes]) -> None:
        async for events in stream.take_events(batch, within=within):
            decoded = heartbeat_codec.decode(events)
            outputs = []
            for partition, records in decoded.records.items():
                outputs += cameras.fold(partition, records, now_ms())
            for key, value in _encoded(encoder, outputs):
                await indicators.send(key=key, value=value)
            for key, value in decoded.dead:
                await camera_dead.send(key=key, value=value)

    sensor_codecs = [
        codec(spec, DLQ_SENSOR) for spec in (SENSOR_AIR_QUALITY, SENSOR_RAINFALL, SENSOR_WATER_LEVEL)
    ]
    sensor_topics = [app.topic(c.topic, **raw) for c in sensor_codecs]
    by_topic = {c.topic: c for c in sensor_codecs}

    # Undecodable sensor messages are dead-lettered by the environment agent, which reads the same topics.
    @app.agent(app.topic(*[t.get_topic_name() for t in sensor_topics], **raw), name="health-sensors")
    async def sensor_readings(stream: faust.StreamT[bytes]) -> None:
        async for events in stream.take_events(batch, within=within):
            for topic, topic_events in _by_topic(events).items():
                for partition, records in by_topic[topic].decode(topic_events).records.items():
                    sensors.fold(partition, records)

    report_codec = codec(DEPARTMENT_REPORT_VALUES, DLQ_DEPARTMENT)
    department_dead = app.topic(DLQ_DEPARTMENT.full_name(prefix), **raw)

    @app.agent(app.topic(DEPARTMENT_REPORT_VALUES.full_name(prefix), **raw), name="health-reports")
    async def report_values(stream: faust.StreamT[bytes]) -> None:
        async for events in stream.take_events(batch, within=within):
            decoded = report_codec.decode(events)
            dead = list(decoded.dead)
            for partition, records in decoded.records.items():
                outputs, refused = reports.fold(partition, records, now_ms())
                dead += [report_codec.refuse(record, name, rule) for record, name, rule in refused]
                for key, value in _encoded(encoder, outputs):
                    await indicators.send(key=key, value=value)
            for key, value in dead:
                await department_dead.send(key=key, value=value)

    @app.timer(interval=streams.close_check_interval_s)
    async def health_clock() -> None:
        now = now_ms()
        outputs = cameras.close(now) + sensors.tick(now) + reports.tick(now)
        for key, value in _encoded(encoder, outputs):
            await indicators.send(key=key, value=value)


def _by_topic(events: Sequence[EventT]) -> dict[str, list[EventT]]:
    grouped: dict[str, list[EventT]] = defaultdict(list)
    for event in events:
        grouped[event.message.topic].append(event)
    return grouped
