"""The HTTP door on the real broker, registry and warehouse: records stored once, rejections in the
dead letters, sandbox keys storing nothing, department files all-or-nothing.

Also home of the fixtures the other ingestion tests share (a gateway server, a topic reader).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, TopicPartition

from avro_schemas import load_schema
from ingest.keys import KeyStore
from ingest.server import BackgroundServer
from ingest.wiring import connect_gateway
from ioc.serde import AvroDecoder, registry_client
from ioc.settings import IngestSettings, Settings
from ioc.stack.ports import free_port
from tests.integration.conftest import RunningStack
from tests.integration.helpers import wait_for, warehouse_client
from topics.catalog import CAMERA_VEHICLE_COUNTS, DEPARTMENT_REPORT_VALUES, DLQ_CAMERA, TopicSpec


@dataclass
class Gateway:
    url: str
    keys: dict[str, str]
    server: BackgroundServer


def gateway_settings(stack: RunningStack, folder: Path, **ingest: Any) -> Settings:
    """The stack's settings with a gateway of its own: own dedup file, short delivery timeout."""
    options = {"dedup_file": folder / "dedup.sqlite3", "delivery_timeout_s": 5, "retry_after_s": 2} | ingest
    return stack.settings.model_copy(update={"ingest": IngestSettings(**options)})


@pytest.fixture(scope="module")
def gateway(local_stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    settings = gateway_settings(local_stack, tmp_path_factory.mktemp("ingest"), rate_per_key_per_s=1e6)
    keys = KeyStore([])
    secrets = {
        "vendor": keys.add("vendor", ["camera.*"], ["IT-*"]),
        "department": keys.add("department", ["department.*"], ["SO-*"]),
        "sandbox": keys.add("sandbox", ["camera.*"], ["IT-*"], sandbox=True),
    }
    server = BackgroundServer(connect_gateway(settings), keys, settings, port=free_port()).start()
    try:
        yield Gateway(server.url, secrets, server)
    finally:
        server.stop()


def read_topic(stack: RunningStack, spec: TopicSpec, source_id: str) -> list[dict[str, Any]]:
    """Every message on the topic (to its current end) whose key is `source_id`, decoded."""
    consumer = Consumer(
        {
            "bootstrap.servers": stack.endpoints.kafka,
            "group.id": f"it-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
        }
    )
    decoder = AvroDecoder(registry_client(stack.endpoints), load_schema(spec.schema))
    metadata = consumer.list_topics(spec.full_name(), timeout=10).topics[spec.full_name()]
    ends = {
        p: consumer.get_watermark_offsets(TopicPartition(spec.full_name(), p), timeout=10)[1]
        for p in metadata.partitions
    }
    consumer.assign([TopicPartition(spec.full_name(), p, 0) for p, end in ends.items() if end > 0])
    remaining = {p for p, end in ends.items() if end > 0}
    found = []
    while remaining:
        for message in consumer.consume(500, timeout=5):
            if message.error() is not None:
                continue
            if message.key() == source_id.encode():
                found.append(decoder.decode(message.value()))
            if message.offset() + 1 >= ends[message.partition()]:
                remaining.discard(message.partition())
    consumer.close()
    return found


def event_ids(batches: list[dict[str, Any]]) -> list[str]:
    return [record["event_id"] for batch in batches for record in batch["records"]]


def counts(camera: str, observed: datetime, event_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "camera_id": camera,
        "observed_at": observed.isoformat(),
        "vehicle_count": 5,
    } | changes


def test_http_records_are_stored_once_and_rejections_dead_lettered(
    local_stack: RunningStack, gateway: Gateway
) -> None:
    source, camera = f"IT-{uuid.uuid4().hex[:8]}", f"CAM-IT-{uuid.uuid4().hex[:6]}"
    observed = datetime.now(UTC) - timedelta(minutes=2)
    records = [counts(camera, observed, f"{camera}-{i}", lane=i) for i in range(3)]
    body = {"source_id": source, "records": [*records, counts(camera, observed, f"{camera}-x", lane="one")]}
    headers = {"X-API-Key": gateway.keys["vendor"]}
    first = httpx.post(
        f"{gateway.url}/v1/feeds/camera/vehicle-counts", json=body, headers=headers, timeout=30
    )
    assert first.status_code == 207
    assert (first.json()["accepted"], first.json()["rejected"][0]["field"]) == (3, "records[3].lane")
    resend = httpx.post(
        f"{gateway.url}/v1/feeds/camera/vehicle-counts", json=body, headers=headers, timeout=30
    )
    assert (resend.json()["accepted"], resend.json()["duplicates"]) == (0, 3)

    assert sorted(event_ids(read_topic(local_stack, CAMERA_VEHICLE_COUNTS, source))) == [
        r["event_id"] for r in records
    ]
    letters = read_topic(local_stack, DLQ_CAMERA, source)
    assert [(d["field_path"], d["rule"], d["source_topic"]) for d in letters] == [
        ("records[3].lane", "type", "ioc.camera.vehicle-counts")
    ] * 2  # each sending of the bad record is a rejection of its own
    client = warehouse_client(local_stack.endpoints, local_stack.settings)
    query = "SELECT event_id, count() FROM camera_vehicle_counts WHERE camera_id = {camera:String} GROUP BY event_id"
    rows = wait_for(
        lambda: client.query(query, parameters={"camera": camera}).result_rows,
        lambda found: len(found) >= 3,
        60,
    )
    assert sorted(rows) == sorted((r["event_id"], 1) for r in records)


def test_a_sandbox_key_answers_like_production_and_stores_nothing(
    local_stack: RunningStack, gateway: Gateway
) -> None:
    source, camera = f"IT-{uuid.uuid4().hex[:8]}", "CAM-SANDBOX"
    body = {"source_id": source, "records": [counts(camera, datetime.now(UTC), "sb-1"), {"event_id": "sb-2"}]}
    sandbox = httpx.post(
        f"{gateway.url}/v1/feeds/camera/vehicle-counts",
        json=body,
        headers={"X-API-Key": gateway.keys["sandbox"]},
        timeout=30,
    )
    assert sandbox.status_code == 207
    reply = sandbox.json()
    assert (reply["sandbox"], reply["accepted"], [r["rule"] for r in reply["rejected"]]) == (
        True,
        1,
        ["required"],
    )
    assert read_topic(local_stack, CAMERA_VEHICLE_COUNTS, source) == []
    assert read_topic(local_stack, DLQ_CAMERA, source) == []


def test_a_department_file_is_stored_whole_or_not_at_all(local_stack: RunningStack, gateway: Gateway) -> None:
    source = f"SO-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC).isoformat()
    header = (
        "event_id,reporting_unit_code,observed_at,report_code,indicator_code,period_start,period_end,value\n"
    )
    good = f"{source}-1,SO-TNMT,{now},BC-MT-QUY,MT-01,2026-06-15,2026-09-14,97.5\n"
    bad = f"{source}-2,SO-TNMT,{now},BC-MT-QUY,MT-03,2026-06-15,2026-09-14,mười\n"
    url = f"{gateway.url}/v1/uploads/department/report-values"
    headers = {"X-API-Key": gateway.keys["department"]}
    files = {"file": ("bao-cao.csv", (header + good + bad).encode())}
    refused = httpx.post(url, files=files, data={"source_id": source}, headers=headers, timeout=30)
    assert refused.status_code == 422
    assert [(r["index"], r["field"], r["rule"]) for r in refused.json()["rejected"]] == [
        (1, "records[1].value", "type")
    ]
    assert read_topic(local_stack, DEPARTMENT_REPORT_VALUES, source) == []
    kept = httpx.post(
        url, files=files, data={"source_id": source, "valid_only": "true"}, headers=headers, timeout=30
    )
    assert kept.status_code == 207
    assert event_ids(read_topic(local_stack, DEPARTMENT_REPORT_VALUES, source)) == [f"{source}-1"]
