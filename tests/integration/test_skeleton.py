"""The walking skeleton end to end on the real stack: simulator-style producer → Kafka (Avro,
Confluent framing) → stream worker → indicator topic → sinks → ClickHouse, with exact numbers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from confluent_kafka import Consumer
from confluent_kafka.schema_registry import topic_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from ioc.serde import registry_client
from load_tests.live import kafka_sender
from tests.integration.conftest import RunningStack, WorkerProcess
from tests.integration.helpers import wait_for, warehouse_client
from topics.catalog import CAMERA_VEHICLE_COUNTS, INDICATORS

# An hour that ended hours ago, so the wall clock closes its windows once their cameras fall quiet. Not
# older: these run on the shared topics, where other tests send records stamped now, and a record more
# than the device horizon (a day) behind its partition's newest is late.
T0 = (datetime.now(UTC) - timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)


def record(event_id: str, camera: str, at: datetime, count: int, speed: float | None) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "camera_id": camera,
        "observed_at": at,
        "interval_seconds": 60,
        "lane": 1,
        "vehicle_class": "car",
        "vehicle_count": count,
        "average_speed_kmh": speed,
    }


def final_indicators(
    stack: RunningStack, cameras: list[str]
) -> dict[tuple[str, str, datetime], tuple[float, int]]:
    rows = (
        warehouse_client(stack.endpoints, stack.settings)
        .query(
            "SELECT indicator, entity_id, window_start, value, sample_count FROM indicators_current "
            "WHERE is_final AND entity_id IN {cameras:Array(String)}",
            parameters={"cameras": cameras},
        )
        .result_rows
    )
    return {(ind, cam, start.replace(tzinfo=UTC)): (value, n) for ind, cam, start, value, n in rows}


def test_vehicle_counts_become_exact_one_minute_indicators(
    local_stack: RunningStack, worker: WorkerProcess
) -> None:
    run = uuid.uuid4().hex[:6]
    cam_a, cam_b = f"CAM-A-{run}", f"CAM-B-{run}"
    records = [
        # camera A, minute 01:00: 10 cars at 40 km/h and 30 at 60 → volume 40, speed (400 + 1800) / 40 = 55
        record(f"{run}-1", cam_a, T0 + timedelta(seconds=10), 10, 40.0),
        record(f"{run}-2", cam_a, T0 + timedelta(seconds=50), 30, 60.0),
        # camera A, minute 01:01: one record, 7 at 35 → volume 7, speed 35
        record(f"{run}-3", cam_a, T0 + timedelta(minutes=1, seconds=5), 7, 35.0),
        # camera B, minute 01:00: 5 with no speed and 15 at 30 → volume 20, speed weighted over 15 only = 30
        record(f"{run}-4", cam_b, T0 + timedelta(seconds=30), 5, None),
        record(f"{run}-5", cam_b, T0 + timedelta(seconds=59, milliseconds=999), 15, 30.0),
    ]
    sender = kafka_sender(local_stack.settings)
    sender.send({"source_id": f"SRC-{run}", "sent_at": datetime.now(UTC), "records": records})
    assert sender.flush() == 0

    minute0, minute1 = T0, T0 + timedelta(minutes=1)
    expected = {
        ("traffic.volume", cam_a, minute0): (40.0, 2),
        ("traffic.average_speed", cam_a, minute0): (55.0, 2),
        ("traffic.volume", cam_a, minute1): (7.0, 1),
        ("traffic.average_speed", cam_a, minute1): (35.0, 1),
        ("traffic.volume", cam_b, minute0): (20.0, 2),
        ("traffic.average_speed", cam_b, minute0): (30.0, 2),
    }
    found = wait_for(
        lambda: final_indicators(local_stack, [cam_a, cam_b]), lambda rows: len(rows) >= len(expected)
    )
    assert found == expected

    raw = (
        warehouse_client(local_stack.endpoints, local_stack.settings)
        .query(
            "SELECT count(), sum(vehicle_count) FROM camera_vehicle_counts WHERE camera_id IN ({a:String}, {b:String})",
            parameters={"a": cam_a, "b": cam_b},
        )
        .result_rows
    )
    assert raw == [(5, 67)]


def test_late_record_does_not_change_a_final_window(local_stack: RunningStack, worker: WorkerProcess) -> None:
    run = uuid.uuid4().hex[:6]
    camera = f"CAM-L-{run}"
    sender = kafka_sender(local_stack.settings)
    sender.send(
        {
            "source_id": f"SRC-{run}",
            "sent_at": datetime.now(UTC),
            "records": [record(f"{run}-1", camera, T0, 4, 20.0)],
        }
    )
    assert sender.flush() == 0
    key = ("traffic.volume", camera, T0)
    first = wait_for(lambda: final_indicators(local_stack, [camera]), lambda rows: key in rows)
    assert first[key] == (4.0, 1)

    # The same window again, after it closed: counted as late, never folded into the final value.
    sender.send(
        {
            "source_id": f"SRC-{run}",
            "sent_at": datetime.now(UTC),
            "records": [record(f"{run}-2", camera, T0, 9, 20.0)],
        }
    )
    assert sender.flush() == 0
    raw_count = wait_for(
        lambda: (
            warehouse_client(local_stack.endpoints, local_stack.settings)
            .query(
                "SELECT count() FROM camera_vehicle_counts WHERE camera_id = {c:String}",
                parameters={"c": camera},
            )
            .result_rows[0][0]
        ),
        lambda n: n == 2,
    )
    assert raw_count == 2
    assert final_indicators(local_stack, [camera])[key] == (4.0, 1)
    assert "late record" in worker.log.read_text()


def test_standard_kafka_client_decodes_what_the_platform_writes(
    local_stack: RunningStack, worker: WorkerProcess
) -> None:
    """confluent-kafka's own AvroDeserializer, knowing only the registry URL, reads both the input and
    the indicator topics: no private framing anywhere.

    confluent-kafka 2.16 defaults to an "associated name" strategy that asks an associations endpoint
    Apicurio does not have (the request hangs); the classic topic-name strategy is set explicitly."""
    registry = registry_client(local_stack.endpoints)
    deserializer = AvroDeserializer(registry, conf={"subject.name.strategy": topic_subject_name_strategy})
    for spec, required in ((CAMERA_VEHICLE_COUNTS, "records"), (INDICATORS, "indicator")):
        consumer = Consumer(
            {
                "bootstrap.servers": local_stack.endpoints.kafka,
                "group.id": f"standard-client-{uuid.uuid4().hex}",
                "auto.offset.reset": "earliest",
            }
        )
        consumer.subscribe([spec.full_name()])
        message = wait_for(lambda c=consumer: c.poll(1.0), lambda m: m is not None and m.error() is None, 60)
        consumer.close()
        assert message is not None and message.error() is None
        value = deserializer(message.value(), SerializationContext(spec.full_name(), MessageField.VALUE))
        assert required in value


def test_worker_killed_and_restarted_continues_from_its_changelog(
    local_stack: RunningStack, worker: WorkerProcess
) -> None:
    """SIGKILL the worker after windows were closed and forgotten, restart it: it recovers its table
    from the changelog (closed windows included) and goes on producing exact windows."""
    run = uuid.uuid4().hex[:6]
    camera = f"CAM-R-{run}"
    sender = kafka_sender(local_stack.settings)
    sender.send(
        {
            "source_id": f"SRC-{run}",
            "sent_at": datetime.now(UTC),
            "records": [record(f"{run}-1", camera, T0, 3, 50.0)],
        }
    )
    assert sender.flush() == 0
    key0 = ("traffic.volume", camera, T0)
    assert wait_for(lambda: final_indicators(local_stack, [camera]), lambda rows: key0 in rows)[key0] == (
        3.0,
        1,
    )

    worker.kill()
    worker.start()

    later = T0 + timedelta(minutes=5)
    sender.send(
        {
            "source_id": f"SRC-{run}",
            "sent_at": datetime.now(UTC),
            "records": [record(f"{run}-2", camera, later, 8, 40.0)],
        }
    )
    assert sender.flush() == 0
    key1 = ("traffic.volume", camera, later)
    rows = wait_for(lambda: final_indicators(local_stack, [camera]), lambda found: key1 in found)
    assert rows[key1] == (8.0, 1)
    assert rows[key0] == (3.0, 1)
