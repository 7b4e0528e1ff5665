"""A resend changes no rollup, on the real broker and chDB: the same records sent again in a new Kafka
message (new offsets, as after an ingestion gateway killed between Kafka's acknowledgement and its
answer) are not inserted again, so the raw table holds each record once even before any merge, and
the 1m/1h/1d rollups count each record once. Also across a sink restart (a new process, nothing in
memory), and for every rollup family.

Each resend is followed by a message with one new record (the "sentinel") from the same source, so
the same partition: once the sentinel is stored, the sink has been through the resend."""

from __future__ import annotations

import subprocess
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import clickhouse_connect
import pytest
from clickhouse_connect.driver.client import Client

from avro_schemas import load_schema
from ioc.schemas import register_subject
from ioc.serde import registry_client
from ioc.settings import Settings, StackSettings
from load_tests.live import kafka_sender
from tests.integration import sink_child
from tests.integration.conftest import RunningStack
from tests.integration.test_warehouse_tables import (
    GRAINS,
    ROLLUPS,
    Rollup,
    _keyed,
    _vehicle_counts,
    as_utc,
    client_as,
    produce,
    same_values,
    stored_rows,
    wait_stored,
)
from topics.apply import apply_topics
from topics.catalog import CAMERA_VEHICLE_COUNTS

RUN = uuid.uuid4().hex[:8]
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(scope="module")
def writer(local_stack: RunningStack) -> Any:
    client = client_as(local_stack, "ioc_writer")
    yield client
    client.close()


def batch(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"source_id": f"SRC-RS-{RUN}", "sent_at": datetime.now(UTC), "records": records}


def sentinel(record: dict[str, Any]) -> dict[str, Any]:
    return record | {"event_id": f"{record['event_id']}-sentinel"}


def expected_vehicle_rollups(
    records: list[dict[str, Any]],
) -> dict[str, dict[tuple[Any, ...], tuple[int, int]]]:
    """(vehicles, records) per camera and bucket, each record counted once, computed here from the
    records themselves rather than from the raw table."""
    grains: dict[str, dict[tuple[Any, ...], list[int]]] = {g: defaultdict(lambda: [0, 0]) for g in GRAINS}
    for r in records:
        at = r["observed_at"]
        buckets = {
            "1m": at.replace(second=0, microsecond=0),
            "1h": at.replace(minute=0, second=0, microsecond=0),
            "1d": at.astimezone(VIETNAM).date(),
        }
        for grain, bucket in buckets.items():
            cell = grains[grain][(r["camera_id"], bucket)]
            cell[0] += r["vehicle_count"]
            cell[1] += 1
    return {g: {k: (v[0], v[1]) for k, v in cells.items()} for g, cells in grains.items()}


def vehicle_rollups(client: Client, cameras: list[str]) -> dict[str, dict[tuple[Any, ...], tuple[int, int]]]:
    found = {}
    for grain, (bucket, _) in GRAINS.items():
        rows = client.query(
            f"SELECT camera_id, {bucket}, vehicles, records FROM camera_vehicle_counts_{grain} "  # noqa: S608 - from code
            "WHERE camera_id IN {c:Array(String)}",
            parameters={"c": cameras},
        ).result_rows
        found[grain] = {
            (camera, b if isinstance(b, date) and not isinstance(b, datetime) else as_utc(b)): (
                int(v),
                int(n),
            )
            for camera, b, v, n in rows
        }
    return found


def raw_counts(client: Client, cameras: list[str]) -> tuple[int, int, int]:
    """Rows (no FINAL: what is physically there), distinct event ids, and rows with FINAL."""
    rows, distinct = client.query(
        "SELECT count(), uniqExact(event_id) FROM camera_vehicle_counts WHERE camera_id IN {c:Array(String)}",
        parameters={"c": cameras},
    ).result_rows[0]
    final = client.query(
        "SELECT count() FROM camera_vehicle_counts FINAL WHERE camera_id IN {c:Array(String)}",
        parameters={"c": cameras},
    ).result_rows[0][0]
    return rows, distinct, final


def test_a_resend_of_vehicle_counts_is_stored_once_and_counted_once_in_every_rollup(
    local_stack: RunningStack, writer: Client
) -> None:
    cameras = [f"CAM-RS-{RUN}-{n}" for n in range(2)]
    records = _vehicle_counts(cameras, f"RS-{RUN}")  # several minutes, three hours, two Vietnamese days
    first = produce(local_stack, CAMERA_VEHICLE_COUNTS, [batch(records)])[0]
    wait_stored(writer, first, len(records))

    # The same records again as a new message; then a message with one new record sent twice in it.
    extra = sentinel(records[0])
    resend, after = produce(local_stack, CAMERA_VEHICLE_COUNTS, [batch(records), batch([extra, extra])])
    assert resend.offset > first.offset and resend.partition == first.partition
    wait_stored(writer, after, 1)

    assert stored_rows(writer, resend) == []
    every = [*records, extra]
    assert raw_counts(writer, cameras) == (len(every), len(every), len(every))
    assert vehicle_rollups(writer, cameras) == expected_vehicle_rollups(every)


def test_a_resend_after_the_sink_restarted_is_not_stored_again(
    local_stack: RunningStack, tmp_path: Path
) -> None:
    """A sink process of its own (tests/integration/sink_child.py) drains the first copy and exits; a
    new process, with nothing of the first in memory, drains the resend: the table decides."""
    prefix = f"resend-{RUN}."
    spec = CAMERA_VEHICLE_COUNTS
    apply_topics(local_stack.endpoints.kafka_client(), prefix, (spec,))
    register_subject(
        registry_client(local_stack.endpoints),
        spec.subject(prefix),
        load_schema(spec.schema),
    )
    sender = kafka_sender(Settings(stack=StackSettings(dir=local_stack.dir), topic_prefix=prefix))
    cameras = [f"CAM-RR-{RUN}-{n}" for n in range(3)]
    records = _vehicle_counts(cameras, f"RR-{RUN}")
    chdb_path = f"{tmp_path}/chdb"
    drain = sink_child.command(local_stack.dir, chdb_path, prefix, "drain")

    sender.send(batch(records))
    assert sender.flush() == 0
    first = subprocess.run(drain, capture_output=True, text=True, timeout=180)
    assert first.returncode == 0, first.stderr[-2000:]

    extra = sentinel(records[-1])
    sender.send(batch(records))
    sender.send(batch([extra]))
    assert sender.flush() == 0
    second = subprocess.run(drain, capture_output=True, text=True, timeout=180)
    assert second.returncode == 0, second.stderr[-2000:]

    client = clickhouse_connect.get_client(dsn=f"chdb://{chdb_path}", database="ioc")
    every = [*records, extra]
    assert raw_counts(client, cameras) == (len(every), len(every), len(every))
    assert vehicle_rollups(client, cameras) == expected_vehicle_rollups(every)
    client.close()


def retagged(rollup: Rollup) -> list[dict[str, Any]]:
    """The family's records with ids of this module's own (event ids and the rollup's first key), so
    they meet no record of test_warehouse_tables in the same session."""
    key = rollup.keys[0]
    return [r | {"event_id": f"{r['event_id']}-rs", key: f"{r[key]}-rs"} for r in rollup.records]


@pytest.mark.parametrize("rollup", ROLLUPS, ids=lambda r: r.name)
def test_a_resend_changes_no_rollup_of_any_family(
    local_stack: RunningStack, writer: Client, rollup: Rollup
) -> None:
    records = retagged(rollup)
    first = produce(local_stack, rollup.spec, [batch(records)])[0]
    wait_stored(writer, first, len(records))
    extra = sentinel(records[0])
    resend, after = produce(local_stack, rollup.spec, [batch(records), batch([extra])])
    wait_stored(writer, after, 1)
    assert stored_rows(writer, resend) == []

    key = rollup.keys[0]
    ids = sorted({r[key] for r in records})
    rows, distinct = writer.query(
        f"SELECT count(), uniqExact(event_id) FROM {rollup.name} WHERE {key} IN {{ids:Array(String)}}",  # noqa: S608 - from code
        parameters={"ids": ids},
    ).result_rows[0]
    assert (rows, distinct) == (len(records) + 1, len(records) + 1)
    keys, measures = ", ".join(rollup.keys), list(rollup.measures)
    width = len(rollup.keys) + 1
    for grain, (bucket, bucket_sql) in GRAINS.items():
        raw = writer.query(
            f"SELECT {keys}, {bucket_sql} AS b, {', '.join(rollup.measures.values())} "  # noqa: S608 - from code
            f"FROM {rollup.name} FINAL WHERE {key} IN {{ids:Array(String)}} GROUP BY {keys}, b",
            parameters={"ids": ids},
        ).result_rows
        view = writer.query(
            f"SELECT {keys}, {bucket}, {', '.join(measures)} FROM {rollup.name}_{grain} "  # noqa: S608 - from code
            f"WHERE {key} IN {{ids:Array(String)}}",
            parameters={"ids": ids},
        ).result_rows
        expected, found = _keyed(raw, width), _keyed(view, width)
        assert found.keys() == expected.keys(), f"{rollup.name}_{grain}: buckets differ"
        for bucket_key, values in expected.items():
            assert same_values(found[bucket_key], values), f"{rollup.name}_{grain} {bucket_key}"


def test_two_copies_read_in_one_batch_are_stored_once(local_stack: RunningStack, writer: Client) -> None:
    """The copy right behind the first message: both reach the sink in the same batch."""
    camera = f"CAM-RB-{RUN}"
    records = _vehicle_counts([camera], f"RB-{RUN}")[:3]
    extra = sentinel(records[0])
    produced = produce(local_stack, CAMERA_VEHICLE_COUNTS, [batch(records), batch(records), batch([extra])])
    wait_stored(writer, produced[2], 1)
    assert len(stored_rows(writer, produced[0])) + len(stored_rows(writer, produced[1])) == len(records)
    every = [*records, extra]
    assert raw_counts(writer, [camera]) == (len(every), len(every), len(every))
    assert vehicle_rollups(writer, [camera]) == expected_vehicle_rollups(every)
