"""Micro-benchmark of each stream agent's per-batch work: `python -m load_tests.agent_bench`.

Measures what an agent does with a batch of Kafka messages once Faust hands it over: Avro decoding,
folding into windows, encoding indicator records, closing windows. Kafka, the registry and Faust's
own per-message cost (~75 us, see the README) are left out on purpose: they are the same for every
agent and are measured by the platform's load test. The table is an in-memory stand-in that keeps
the changelog writes as a list, so their cost is counted but nothing leaves the process.

Each case is a function `(Province) -> Case`, listed in `CASES`; add an agent by appending one.
The numbers are for comparing agents and versions on one machine, not a promise of throughput.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from confluent_kafka.schema_registry import Schema

from avro_schemas import load_schema
from ioc.province import Province, load_province
from ioc.serde import AvroDecoder, AvroEncoder
from ioc.settings import Settings
from streams.batch_io import BatchCodec
from streams.environment_agent import EnvironmentProcessor
from streams.health_agent import CameraOnline
from streams.late_events import LateEventSink
from streams.public_order import CrowdModel, IncidentModel
from streams.services_agent import DossierFigures
from streams.station_feeds import AIR_QUALITY
from streams.station_windows import StationWindows
from streams.traffic import TrafficModel, ViolationModel
from streams.windowed import Decoding, WindowedAggregator, WindowModel
from topics.catalog import (
    CAMERA_CROWD_DENSITY,
    CAMERA_HEARTBEATS,
    CAMERA_INCIDENTS,
    CAMERA_VEHICLE_COUNTS,
    CAMERA_VIOLATIONS,
    DEPARTMENT_DOSSIER_EVENTS,
    DLQ_CAMERA,
    INDICATORS,
    LATE_EVENTS,
    SENSOR_AIR_QUALITY,
    TopicSpec,
)

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
RECORDS_PER_MESSAGE = 100
MESSAGES_PER_BATCH = 20
REPLAYS = 5  # times `traffic-counts-replayed` offers each minute's records


@dataclass
class Case:
    """One agent's workload: `run` processes every prepared batch once and returns the record count."""

    name: str
    run: Callable[[], int]


class MemoryTable:
    """Just what the aggregators use of a Faust table: `data` and `send_changelog`."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.changelog = 0

    def send_changelog(self, partition: int, key: str, value: Any) -> None:
        self.changelog += 1


class StaticRegistry:
    """Answers the decoder's one schema lookup without a server."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = Schema(json.dumps(schema), "AVRO")

    def get_schema(self, schema_id: int) -> Schema:
        return self.schema


def messages(spec: TopicSpec, records: list[dict[str, Any]]) -> list[list[SimpleNamespace]]:
    """The records as Faust-like events in batches, each message a batch envelope of one source."""
    encoder = AvroEncoder(load_schema(spec.schema), 1)
    events = [
        SimpleNamespace(
            message=SimpleNamespace(
                topic=spec.name,
                partition=0,
                offset=offset,
                key=b"BENCH",
                value=encoder.encode(
                    {"source_id": "BENCH", "sent_at": T0, "records": records[i : i + RECORDS_PER_MESSAGE]}
                ),
            )
        )
        for offset, i in enumerate(range(0, len(records), RECORDS_PER_MESSAGE))
    ]
    return [events[i : i + MESSAGES_PER_BATCH] for i in range(0, len(events), MESSAGES_PER_BATCH)]


def windowed_case(name: str, spec: TopicSpec, model: WindowModel, records: list[dict[str, Any]]) -> Case:
    """A case for an agent built on `streams.windowed`: decode, fold, then close every window."""
    batches = messages(spec, records)

    def run() -> int:
        decoding = Decoding(
            AvroDecoder(StaticRegistry(load_schema(spec.schema)), load_schema(spec.schema)),  # type: ignore[arg-type]
            AvroEncoder(load_schema(DLQ_CAMERA.schema), 2),
            model.problem,
        )
        aggregator = WindowedAggregator(
            MemoryTable(),  # type: ignore[arg-type]
            model,
            AvroEncoder(load_schema(INDICATORS.schema), 3),
            LateEventSink(AvroEncoder(load_schema(LATE_EVENTS.schema), 4)),
            grace_ms=30_000,
            idle_ms=60_000,
            provisional_ms=5_000,
        )
        now = int(T0.timestamp() * 1000)
        for batch in batches:
            by_partition, _ = decoding.items(batch)  # type: ignore[arg-type]
            for partition, items in by_partition.items():
                aggregator.fold(partition, items, now)
            now += 500
        aggregator.close_due(now + 10 * 86_400_000)
        return len(records)

    return Case(name, run)


def camera_minutes(province: Province, minutes: int, per_camera: int) -> list[tuple[str, datetime, int]]:
    """(camera, time, sequence) for every configured camera, `per_camera` records a minute, in time order."""
    cameras = [camera.id for camera in province.cameras]
    return [
        (camera, T0 + timedelta(minutes=minute, seconds=lane * 7), lane)
        for minute in range(minutes)
        for lane in range(per_camera)
        for camera in cameras
    ]


def traffic_counts(province: Province) -> Case:
    return windowed_case(
        "traffic-counts", CAMERA_VEHICLE_COUNTS, TrafficModel(province), count_records(province)
    )


def traffic_counts_replayed(province: Province) -> Case:
    """The stream benchmark's input: each minute's messages offered again and again (round-robin) to
    reach its rate, so most records are duplicates that must be recognised and counted once."""
    records = count_records(province)
    per_minute = len(province.cameras) * 3
    replayed = [
        record
        for i in range(0, len(records), per_minute)
        for _ in range(REPLAYS)
        for record in records[i : i + per_minute]
    ]
    return windowed_case("traffic-counts-replayed", CAMERA_VEHICLE_COUNTS, TrafficModel(province), replayed)


def count_records(province: Province) -> list[dict[str, Any]]:
    """Ten minutes of vehicle counts, three lanes a minute from every configured camera."""
    rng = random.Random(1)
    return [
        {
            "event_id": f"{camera}-{at.isoformat()}-{lane}",
            "camera_id": camera,
            "observed_at": at,
            "interval_seconds": 60,
            "lane": lane,
            "vehicle_class": "motorbike",
            "vehicle_count": rng.randint(0, 60),
            "average_speed_kmh": rng.uniform(5, 60),
        }
        for camera, at, lane in camera_minutes(province, 10, 3)
    ]


def traffic_violations(province: Province) -> Case:
    kinds = ("red_light", "wrong_way", "illegal_parking", "speeding")
    records = [
        {
            "event_id": f"V-{camera}-{at.isoformat()}-{n}",
            "camera_id": camera,
            "observed_at": at,
            "lane": 1,
            "violation_type": kinds[n % len(kinds)],
            "vehicle_class": "car",
            "plate_number": None,
            "speed_kmh": None,
            "speed_limit_kmh": None,
            "confidence": 0.9,
            "evidence_ref": "",
        }
        for camera, at, n in camera_minutes(province, 10, 2)
    ]
    return windowed_case("traffic-violations", CAMERA_VIOLATIONS, ViolationModel(province), records)


def crowd_density(province: Province) -> Case:
    rng = random.Random(2)
    zoned = [camera for camera in province.cameras if camera.crowd_zone is not None] or list(province.cameras)
    records = [
        {
            "event_id": f"C-{camera.id}-{minute}-{n}",
            "camera_id": camera.id,
            "observed_at": T0 + timedelta(minutes=minute, seconds=n * 10),
            "zone_id": camera.crowd_zone or "Z",
            "person_count": rng.randint(0, 400),
            "density_persons_per_m2": rng.uniform(0, 5),
            "zone_area_m2": 100.0,
        }
        for minute in range(60)
        for n in range(6)
        for camera in zoned
    ]
    return windowed_case("public-order-crowd", CAMERA_CROWD_DENSITY, CrowdModel(province), records)


def incidents(province: Province) -> Case:
    kinds = ("accident", "fire_smoke", "fight")
    records = [
        {
            "event_id": f"I-{camera}-{at.isoformat()}-{n}",
            "camera_id": camera,
            "observed_at": at,
            "incident_type": kinds[n % len(kinds)],
            "confidence": 0.8,
            "severity_hint": "unknown",
            "description": "",
            "latitude": None,
            "longitude": None,
            "evidence_ref": "",
        }
        for camera, at, n in camera_minutes(province, 10, 1)
    ]
    return windowed_case("public-order-incidents", CAMERA_INCIDENTS, IncidentModel(province), records)


def _part_a_case(
    name: str, spec: TopicSpec, records: list[dict[str, Any]], build: Callable[[Any], Any]
) -> Case:
    """A case for a part-A agent: `build(codec)` gives an object whose `process(events, now)` is the
    agent's batch step and whose `close(now)` finalises what is left."""
    batches = messages(spec, records)

    def run() -> int:
        schema = load_schema(spec.schema)
        codec = BatchCodec(
            spec.name,
            AvroDecoder(StaticRegistry(schema), schema),  # type: ignore[arg-type]
            AvroEncoder(load_schema(DLQ_CAMERA.schema), 2),
        )
        agent = build(codec)
        now = int(T0.timestamp() * 1000)
        for batch in batches:
            agent.process(batch, now)
            now += 500
        agent.close(now + 40 * 86_400_000)
        return len(records)

    return Case(name, run)


def _indicator_encoder() -> AvroEncoder:
    return AvroEncoder(load_schema(INDICATORS.schema), 3)


def _late_sink() -> LateEventSink:
    return LateEventSink(AvroEncoder(load_schema(LATE_EVENTS.schema), 4))


def air_quality(province: Province) -> Case:
    rng = random.Random(3)
    stations = [s.id for s in province.stations if s.kind == "air_quality"]
    records = [
        {"event_id": f"A-{station}-{minute}", "device_id": "", "observed_at": T0 + timedelta(minutes=minute),
         "station_id": station, "interval_seconds": 60, "pm25_ugm3": rng.uniform(5, 120),
         "pm10_ugm3": rng.uniform(10, 200), "o3_ugm3": rng.uniform(20, 250), "no2_ugm3": rng.uniform(5, 150),
         "so2_ugm3": None, "co_ugm3": rng.uniform(500, 9000), "temperature_c": None, "relative_humidity_pct": None}
        for minute in range(180)
        for station in stations
    ]  # fmt: skip

    def build(codec: BatchCodec) -> Any:
        windows = StationWindows(MemoryTable(), province, grace_ms=30_000, idle_ms=60_000)  # type: ignore[arg-type]
        processor = EnvironmentProcessor(AIR_QUALITY, windows, codec, _indicator_encoder(), _late_sink())
        return SimpleNamespace(process=processor.process, close=processor.close_idle)

    return _part_a_case("environment-air-quality", SENSOR_AIR_QUALITY, records, build)


def dossier_events(province: Province) -> Case:
    departments = [unit.code for unit in province.reporting_units]
    records = [
        {"event_id": f"D-{n}-{kind}", "dossier_id": f"D-{n}", "observed_at": T0 + timedelta(seconds=n + step * 3600),
         "event_type": kind, "department_code": departments[n % len(departments)], "procedure_code": "1.0",
         "received_at": T0 + timedelta(seconds=n), "due_at": T0 + timedelta(days=3),
         "resolved_at": T0 + timedelta(seconds=n + 3600) if kind == "resolved" else None,
         "channel": "online", "area_code": ""}
        for step, kind in enumerate(("received", "resolved"))
        for n in range(3000)
    ]  # fmt: skip

    def build(codec: BatchCodec) -> Any:
        figures = DossierFigures(
            MemoryTable(), province, codec, _indicator_encoder(), _late_sink(),  # type: ignore[arg-type]
            grace_ms=30_000, idle_ms=60_000, due_soon_ms=48 * 3_600_000,
        )  # fmt: skip
        return SimpleNamespace(process=figures.process, close=figures.close)

    return _part_a_case("services-dossiers", DEPARTMENT_DOSSIER_EVENTS, records, build)


def heartbeats(province: Province) -> Case:
    records = [
        {"event_id": f"H-{camera}-{minute}", "camera_id": camera, "observed_at": at,
         "status": "online" if minute % 7 else "offline", "status_reason": "", "uptime_seconds": None,
         "firmware_version": "", "stream_fps": None}
        for camera, at, minute in camera_minutes(province, 10, 1)
    ]  # fmt: skip

    def build(codec: BatchCodec) -> Any:
        cameras = CameraOnline(MemoryTable(), province, 30_000, 60_000, 300_000)  # type: ignore[arg-type]

        def process(events: list[Any], now: int) -> None:
            for partition, decoded in codec.decode(events).records.items():
                cameras.fold(partition, decoded, now)

        return SimpleNamespace(process=process, close=cameras.close)

    return _part_a_case("health-heartbeats", CAMERA_HEARTBEATS, records, build)


CASES: list[Callable[[Province], Case]] = [
    traffic_counts,
    traffic_counts_replayed,
    traffic_violations,
    crowd_density,
    incidents,
    air_quality,
    dossier_events,
    heartbeats,
]


def main() -> None:
    """Run every case (or those named) `--repeat` times and print the best rate of each."""
    parser = argparse.ArgumentParser(
        description="Đo tốc độ xử lý theo lô của từng agent — agent micro-benchmark"
    )
    parser.add_argument("names", nargs="*", help="only these cases (default: all)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best is reported")
    args = parser.parse_args()
    province = load_province(Settings().province_file)
    print(f"{'agent':<28}{'records':>10}{'seconds':>10}{'records/s':>12}")
    for build in CASES:
        case = build(province)
        if args.names and case.name not in args.names:
            continue
        best = float("inf")
        count = 0
        for _ in range(args.repeat):
            started = time.process_time()
            count = case.run()
            best = min(best, time.process_time() - started)
        print(f"{case.name:<28}{count:>10}{best:>10.2f}{count / best:>12,.0f}")


if __name__ == "__main__":
    main()
