"""The sink's promises on the real broker and chDB: nothing lost and nothing stored twice when it is
killed between insert and commit, no rollup short when it is killed in the middle of an insert, and
rows ClickHouse refuses go to dead letters with its reason while the good rows of their message are
stored."""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from confluent_kafka import Consumer

from avro_schemas import load_schema
from ioc.schemas import register_subject
from ioc.serde import AvroDecoder, registry_client
from ioc.settings import Settings, StackSettings
from load_tests.live import kafka_sender
from tests.integration import sink_child
from tests.integration.conftest import RunningStack
from tests.integration.helpers import wait_for, warehouse_client
from tests.integration.test_skeleton import record
from topics.apply import apply_topics
from topics.catalog import CAMERA_VEHICLE_COUNTS, DLQ_CAMERA

T0 = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)


BATCHES, PER_BATCH = 40, 25
EXPECTED_VEHICLES = BATCHES * sum(1 + i % 5 for i in range(PER_BATCH))


def _topic_of_records(local_stack: RunningStack, kind: str) -> str:
    """A vehicle-count topic of its own holding BATCHES × PER_BATCH records of the last hour (the
    minute rollups keep 90 days); returns its prefix."""
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    prefix = f"{kind}-{uuid.uuid4().hex[:6]}."
    spec = CAMERA_VEHICLE_COUNTS
    apply_topics(local_stack.endpoints.kafka_client(), prefix, (spec,))
    register_subject(
        registry_client(local_stack.endpoints),
        spec.subject(prefix),
        load_schema(spec.schema),
    )
    settings = Settings(stack=StackSettings(dir=local_stack.dir), topic_prefix=prefix)
    sender = kafka_sender(settings)
    for b in range(BATCHES):
        records = [
            record(f"{prefix}{b}-{i}", f"CAM-X-{i % 7}", start + timedelta(seconds=b), 1 + i % 5, 30.0)
            for i in range(PER_BATCH)
        ]
        sender.send({"source_id": f"SRC-{b % 3}", "sent_at": datetime.now(UTC), "records": records})
    assert sender.flush() == 0
    return prefix


def _sink_child(local_stack: RunningStack, chdb_path: str, prefix: str, mode: str) -> int:
    child = sink_child.command(local_stack.dir, chdb_path, prefix, mode)
    done = subprocess.run(child, capture_output=True, text=True, timeout=180)
    assert done.returncode in (0, -9), done.stderr[-2000:]
    return done.returncode


def _raw_totals(client: Client) -> tuple[int, int, int]:
    total, distinct, vehicles = client.query(
        "SELECT count(), uniqExact(event_id), sum(vehicle_count) FROM camera_vehicle_counts"
    ).result_rows[0]
    return int(total), int(distinct), int(vehicles)


def _rollup_totals(client: Client, grain: str) -> tuple[int, int]:
    records, vehicles = client.query(
        f"SELECT sum(records), sum(vehicles) FROM camera_vehicle_counts_{grain}"  # noqa: S608 - grain from the test
    ).result_rows[0]
    return int(records), int(vehicles)


def test_sink_killed_between_insert_and_commit_loses_nothing_and_stores_nothing_twice(
    local_stack: RunningStack, tmp_path: object
) -> None:
    prefix = _topic_of_records(local_stack, "crash")
    chdb_path = f"{tmp_path}/chdb"
    assert _sink_child(local_stack, chdb_path, prefix, "crash") == -9
    assert _sink_child(local_stack, chdb_path, prefix, "drain") == 0

    # The crashed process stored a first batch; the second resumed after it and stored the rest.
    client = clickhouse_connect.get_client(dsn=f"chdb://{chdb_path}", database="ioc")
    assert _raw_totals(client) == (BATCHES * PER_BATCH, BATCHES * PER_BATCH, EXPECTED_VEHICLES)
    client.close()


def test_sink_killed_mid_insert_leaves_no_rollup_short(local_stack: RunningStack, tmp_path: object) -> None:
    """Killed after ClickHouse stored the raw rows of its first insert and before their rollups (the
    chaos run's warehouse kill): the next sink finds that insert named in the committed offset's
    metadata and repeats it, so the rollups count every raw row once."""
    prefix = _topic_of_records(local_stack, "cut")
    chdb_path = f"{tmp_path}/chdb"
    assert _sink_child(local_stack, chdb_path, prefix, "cut") == -9
    client = clickhouse_connect.get_client(dsn=f"chdb://{chdb_path}", database="ioc")
    cut_rows = _raw_totals(client)[0]
    assert cut_rows > 0  # the cut as a kill leaves it: raw rows, no rollup rows
    assert [_rollup_totals(client, grain) for grain in ("1m", "1h", "1d")] == [(0, 0)] * 3
    client.close()

    assert _sink_child(local_stack, chdb_path, prefix, "drain") == 0
    client = clickhouse_connect.get_client(dsn=f"chdb://{chdb_path}", database="ioc")
    assert _raw_totals(client) == (BATCHES * PER_BATCH, BATCHES * PER_BATCH, EXPECTED_VEHICLES)
    for grain in ("1m", "1h", "1d"):
        assert _rollup_totals(client, grain) == (BATCHES * PER_BATCH, EXPECTED_VEHICLES), grain
    client.close()


def test_rows_clickhouse_refuses_go_to_dead_letters_with_its_reason(local_stack: RunningStack) -> None:
    """One message of three records, the middle one absurd: ClickHouse's constraint refuses it, the
    two good ones of the same message are stored, and the absurd one alone is dead-lettered with
    ClickHouse's reason, the column it names, and the row as JSON."""
    run = uuid.uuid4().hex[:6]
    sender = kafka_sender(local_stack.settings)
    records = [
        record(f"{run}-ok-1", f"CAM-G-{run}", T0, 12, 40.0),
        record(f"{run}-bad", f"CAM-G-{run}", T0, 500_000, 40.0),
        record(f"{run}-ok-2", f"CAM-G-{run}", T0 + timedelta(seconds=1), 7, 40.0),
    ]
    sender.send({"source_id": f"SRC-{run}", "sent_at": datetime.now(UTC), "records": records})
    assert sender.flush() == 0

    stored = wait_for(
        lambda: (
            warehouse_client(local_stack.endpoints, local_stack.settings)
            .query(
                "SELECT event_id FROM camera_vehicle_counts WHERE camera_id = {c:String} ORDER BY event_id",
                parameters={"c": f"CAM-G-{run}"},
            )
            .result_rows
        ),
        lambda rows: len(rows) >= 2,
    )
    assert stored == [(f"{run}-ok-1",), (f"{run}-ok-2",)]

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
        registry_client(local_stack.endpoints),
        load_schema(DLQ_CAMERA.schema),
    )

    def next_dead_letter() -> dict[str, Any] | None:
        # In batches: earlier tests of the session (the simulator's invalid share) fill this topic too.
        for message in consumer.consume(num_messages=1000, timeout=1.0):
            if message.error() is None:
                letter = decoder.decode(message.value())
                if letter["rule"] == "clickhouse-rejected" and f"{run}-bad" in letter["record_ref"]:
                    return letter
        return None

    letter = wait_for(next_dead_letter, lambda found: found is not None, 60)
    consumer.close()
    assert letter is not None
    assert re.fullmatch(
        rf"{re.escape(CAMERA_VEHICLE_COUNTS.full_name())}\[\d+\]@\d+ records\[1\] \(event_id={run}-bad\)",
        str(letter["record_ref"]),
    )
    assert "code 469: Constraint `vehicle_count_plausible`" in str(letter["reason"])
    assert "VIOLATED_CONSTRAINT" in str(letter["reason"])
    assert (letter["field_path"], letter["source_id"]) == ("vehicle_count", f"SRC-{run}")
    row = json.loads(letter["payload"])
    assert (row["event_id"], row["camera_id"], row["vehicle_count"]) == (
        f"{run}-bad",
        f"CAM-G-{run}",
        500_000,
    )
