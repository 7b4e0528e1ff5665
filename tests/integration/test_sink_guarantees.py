"""The sink's promises on the real broker and chDB: nothing lost and nothing stored twice when it is
killed between insert and commit, and rows ClickHouse refuses go to dead letters with its reason."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import clickhouse_connect
from confluent_kafka import Consumer

from avro_schemas import load_schema
from ioc.schemas import register_subject
from ioc.serde import AvroDecoder, registry_client
from ioc.settings import Settings, StackSettings
from load_tests.live import kafka_sender
from tests.integration.conftest import RunningStack
from tests.integration.helpers import wait_for, warehouse_client
from tests.integration.test_skeleton import record
from topics.apply import apply_topics
from topics.catalog import CAMERA_VEHICLE_COUNTS, DLQ_CAMERA

T0 = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)


def test_sink_killed_between_insert_and_commit_loses_nothing_and_stores_nothing_twice(
    local_stack: RunningStack, tmp_path: object
) -> None:
    prefix = f"crash-{uuid.uuid4().hex[:6]}."
    spec = CAMERA_VEHICLE_COUNTS
    apply_topics(local_stack.endpoints.kafka_client(), prefix, (spec,))
    register_subject(
        registry_client(local_stack.endpoints.registry, local_stack.endpoints.registry_auth),
        spec.subject(prefix),
        load_schema(spec.schema),
    )
    settings = Settings(stack=StackSettings(dir=local_stack.dir), topic_prefix=prefix)
    sender = kafka_sender(settings)
    batches, per_batch = 40, 25
    for b in range(batches):
        records = [
            record(f"{prefix}{b}-{i}", f"CAM-X-{i % 7}", T0 + timedelta(seconds=b), 1 + i % 5, 30.0)
            for i in range(per_batch)
        ]
        sender.send({"source_id": f"SRC-{b % 3}", "sent_at": datetime.now(UTC), "records": records})
    assert sender.flush() == 0

    chdb_path = f"{tmp_path}/chdb"
    child = [sys.executable, "-m", "tests.integration.sink_child", str(local_stack.dir), chdb_path, prefix]
    crashed = subprocess.run([*child, "crash"], capture_output=True, text=True, timeout=180)
    assert crashed.returncode == -9, crashed.stderr[-2000:]
    drained = subprocess.run([*child, "drain"], capture_output=True, text=True, timeout=180)
    assert drained.returncode == 0, drained.stderr[-2000:]

    # The crashed process stored a first batch; the second resumed after it and stored the rest.
    client = clickhouse_connect.get_client(dsn=f"chdb://{chdb_path}", database="ioc")
    total, distinct, vehicles = client.query(
        "SELECT count(), uniqExact(event_id), sum(vehicle_count) FROM camera_vehicle_counts"
    ).result_rows[0]
    expected_vehicles = batches * sum(1 + i % 5 for i in range(per_batch))
    assert (total, distinct, vehicles) == (batches * per_batch, batches * per_batch, expected_vehicles)
    client.close()


def test_rows_clickhouse_refuses_go_to_dead_letters_with_its_reason(local_stack: RunningStack) -> None:
    run = uuid.uuid4().hex[:6]
    sender = kafka_sender(local_stack.settings)
    good = record(f"{run}-ok", f"CAM-G-{run}", T0, 12, 40.0)
    absurd = record(f"{run}-bad", f"CAM-G-{run}", T0, 500_000, 40.0)
    sender.send({"source_id": f"SRC-{run}", "sent_at": datetime.now(UTC), "records": [good]})
    sender.send({"source_id": f"SRC-{run}", "sent_at": datetime.now(UTC), "records": [absurd]})
    assert sender.flush() == 0

    stored = wait_for(
        lambda: (
            warehouse_client(local_stack.endpoints, local_stack.settings)
            .query(
                "SELECT event_id FROM camera_vehicle_counts WHERE camera_id = {c:String}",
                parameters={"c": f"CAM-G-{run}"},
            )
            .result_rows
        ),
        lambda rows: len(rows) >= 1,
    )
    assert stored == [(f"{run}-ok",)]

    consumer = Consumer(
        {
            "bootstrap.servers": local_stack.endpoints.kafka,
            "group.id": f"dlq-{run}",
            "auto.offset.reset": "earliest",
            # The stream worker writes this topic too, in transactions: skip what it aborted.
            "isolation.level": "read_committed",
        }
    )
    consumer.subscribe([DLQ_CAMERA.full_name()])
    decoder = AvroDecoder(
        registry_client(local_stack.endpoints.registry, local_stack.endpoints.registry_auth),
        load_schema(DLQ_CAMERA.schema),
    )

    def next_dead_letter() -> dict[str, object] | None:
        # In batches: earlier tests of the session (the simulator's invalid share) fill this topic too.
        for message in consumer.consume(num_messages=1000, timeout=1.0):
            if message.error() is None:
                letter = decoder.decode(message.value())
                if f"'{run}-bad'" in letter["payload"].decode():
                    return letter
        return None

    letter = wait_for(next_dead_letter, lambda found: found is not None, 60)
    consumer.close()
    assert letter is not None
    assert letter["rule"] == "clickhouse-rejected"
    assert "vehicle_count_plausible" in str(letter["reason"])
    assert str(letter["record_ref"]).startswith(f"{CAMERA_VEHICLE_COUNTS.full_name()}[")
