"""Two gateway instances behind one address, on the real broker, registry and warehouse: they share
the API keys (added or revoked with `ioc ingest keys`, applied by both within seconds, no restart),
a record sent to both is stored once, and a key's rate is shared between them."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest.keys import hash_key, new_secret
from ingest.server import GatewayInstance
from ioc.contracts import apply_contracts
from ioc.embedded import demo_key, start_gateway
from ioc.stack.ports import free_port
from tests.integration.conftest import RunningStack, WorkerProcess
from tests.integration.helpers import wait_for, warehouse_client
from tests.integration.test_cli_errors import ioc
from tests.integration.test_ingest_http import counts, event_ids, gateway_settings, read_topic
from topics.apply import apply_topics
from topics.catalog import CAMERA_VEHICLE_COUNTS, INGEST_TOPICS

URL = "/v1/feeds/camera/vehicle-counts"
RATE_BURST = 2  # each of the two instances: a burst of 1


@pytest.fixture(scope="module")
def pair(
    local_stack: RunningStack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[GatewayInstance]]:
    """Two instances, as `ioc ingest serve` runs them: each its own port and dedup file."""
    instances: list[GatewayInstance] = []
    try:
        for name in ("a", "b"):
            settings = gateway_settings(
                local_stack,
                tmp_path_factory.mktemp(f"gateway-{name}"),
                rate_burst=RATE_BURST,
                instance_id=f"it-{name}",
                heartbeat_s=0.5,
                member_ttl_s=2.0,
            )
            instances.append(GatewayInstance(settings, port=free_port()).start())
        seen = wait_for(
            lambda: [g.members.count() for g in instances if g.members], lambda c: c == [2, 2], 15, 0.2
        )
        assert seen == [2, 2], f"each instance should see both: {seen}"
        yield instances
    finally:
        for instance in instances:
            instance.stop()


def keys_command(stack: RunningStack, *args: str) -> str:
    """`ioc ingest keys …` as an operator runs it, on the test stack; its standard output."""
    result = ioc(["ingest", "keys", *args], {"IOC_STACK_DIR": str(stack.dir), "COLUMNS": "200"}, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def post(url: str, secret: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(url + URL, json=body, headers={"X-API-Key": secret}, timeout=30)


def test_a_key_added_or_revoked_once_applies_on_every_instance_within_seconds(
    local_stack: RunningStack, pair: list[GatewayInstance]
) -> None:
    key_id, source = f"it-{uuid.uuid4().hex[:8]}", f"IT-{uuid.uuid4().hex[:8]}"
    camera, observed = f"CAM-{source}", datetime.now(UTC) - timedelta(minutes=1)
    secret = keys_command(local_stack, "add", key_id, "--feed", "camera.*", "--source", "IT-*").split()[-1]
    assert secret.startswith("ioc_")
    added = time.monotonic()
    for n, gateway in enumerate(pair):
        body = {"source_id": source, "records": [counts(camera, observed, f"{source}-{n}")]}
        reply = wait_for(
            lambda url=gateway.url, b=body: post(url, secret, b), lambda r: r.status_code == 200, 10, 0.2
        )
        assert reply.status_code == 200, reply.text
    assert time.monotonic() - added < 10

    keys_command(local_stack, "revoke", key_id)
    revoked = time.monotonic()
    # Probed with an empty envelope (422 while the key still works, never stored): until an instance
    # has read the revocation, well under a second here, the key still works there.
    probe = {"source_id": source, "records": []}
    for gateway in pair:
        reply = wait_for(
            lambda url=gateway.url: post(url, secret, probe), lambda r: r.status_code == 401, 10, 0.1
        )
        assert reply.status_code == 401, reply.text
    assert time.monotonic() - revoked < 10
    late = {"source_id": source, "records": [counts(camera, observed, f"{source}-after")]}
    for gateway in pair:
        reply = post(gateway.url, secret, late)
        assert reply.status_code == 401, reply.text
        assert reply.json()["error"] == "revoked-key"
        assert key_id in reply.json()["message"] and "revoked" in reply.json()["message"]
    listed = keys_command(local_stack, "list")
    assert key_id in listed and "revoked" in listed and secret not in listed
    assert sorted(event_ids(read_topic(local_stack, CAMERA_VEHICLE_COUNTS, source))) == [
        f"{source}-0",
        f"{source}-1",
    ]


def test_a_record_sent_to_both_instances_is_stored_and_counted_once(
    local_stack: RunningStack, pair: list[GatewayInstance], worker: WorkerProcess
) -> None:
    source = f"IT-{uuid.uuid4().hex[:8]}"
    camera, observed = f"CAM-{source}", datetime.now(UTC) - timedelta(seconds=30)
    # A generous rate: the burst is split over every live instance of the session (other tests'
    # gateways included), and a 429 here would be about rates, not about storing once.
    secret = keys_command(
        local_stack, "add", f"it-{source}", "--feed", "camera.*", "--source", source, "--rate", "1000"
    ).split()[-1]
    wait_for(lambda: all(g.keys and g.keys.by_id.get(f"it-{source}") for g in pair), bool, 10, 0.1)
    record = counts(camera, observed, f"{source}-same")  # 5 vehicles
    for gateway in pair:  # a vendor's retry that the load balancer sent to the other instance
        reply = post(gateway.url, secret, {"source_id": source, "records": [record]})
        assert (reply.status_code, reply.json()["accepted"]) == (200, 1)  # each instance's memory is its own
    # After both copies on the same partition (keyed by source) and in the same window: once the
    # marker is stored and counted, both copies were seen.
    marker = counts(camera, observed, f"{source}-marker", vehicle_count=1)
    assert post(pair[0].url, secret, {"source_id": source, "records": [marker]}).status_code == 200
    assert event_ids(read_topic(local_stack, CAMERA_VEHICLE_COUNTS, source)) == [
        f"{source}-same",
        f"{source}-same",
        f"{source}-marker",
    ]

    client = warehouse_client(local_stack.endpoints, local_stack.settings)
    query = "SELECT event_id, count() FROM camera_vehicle_counts WHERE camera_id = {camera:String} GROUP BY event_id"
    rows = wait_for(
        lambda: client.query(query, parameters={"camera": camera}).result_rows,
        lambda found: any(event == f"{source}-marker" for event, _ in found),
        60,
    )
    assert sorted(rows) == [(f"{source}-marker", 1), (f"{source}-same", 1)]
    volume = (
        "SELECT ifNull(max(value), 0) FROM indicators"
        " WHERE entity_id = {camera:String} AND indicator = 'traffic.volume'"
    )
    counted = wait_for(
        lambda: client.query(volume, parameters={"camera": camera}).result_rows[0][0], lambda v: v >= 6, 60
    )
    assert counted == 6  # 5 + 1; the copy counted again would make 11


def test_a_keys_rate_is_shared_by_the_instances(
    local_stack: RunningStack, pair: list[GatewayInstance]
) -> None:
    rate, seconds = 10, 3.0
    key_id = f"it-rate-{uuid.uuid4().hex[:6]}"
    secret = keys_command(
        local_stack, "add", key_id, "--feed", "camera.*", "--source", "IT-*", "--sandbox", "--rate", str(rate)
    ).split()[-1]
    wait_for(lambda: all(g.keys and key_id in g.keys.by_id for g in pair), bool, 10, 0.1)
    assert [g.members.count() for g in pair if g.members] == [2, 2]
    body = {"source_id": "IT-RATE", "records": [counts("CAM-RATE", datetime.now(UTC), "rate-1")]}
    clients = [httpx.Client(base_url=g.url, headers={"X-API-Key": secret}, timeout=30) for g in pair]
    answers: dict[int, int] = {}
    try:
        end, n = time.monotonic() + seconds, 0
        while time.monotonic() < end:  # alternating, as a round-robin load balancer would
            status = clients[n % 2].post(URL, json=body).status_code
            answers[status] = answers.get(status, 0) + 1
            n += 1
    finally:
        for client in clients:
            client.close()
    allowed, refused = answers.get(200, 0), answers.get(429, 0)
    assert set(answers) <= {200, 429}, answers
    # Together: the burst (1 each) and the key's rate; alone, each would allow as much again.
    expected = RATE_BURST + rate * seconds
    assert refused > allowed, answers
    assert 0.75 * expected <= allowed <= 1.2 * expected + 2, answers


def test_ioc_runs_demo_key_reaches_its_gateway(local_stack: RunningStack, tmp_path: Path) -> None:
    """`ioc run` publishes its sandbox key to the keys topic and starts a gateway that follows it."""
    prefix = f"r{uuid.uuid4().hex[:6]}."  # a deployment of its own: its keys topic has no demo key yet
    apply_contracts(local_stack.endpoints, prefix, lambda _message: None)
    port = free_port()
    settings = gateway_settings(local_stack, tmp_path, port=port).model_copy(update={"topic_prefix": prefix})
    shown: list[str] = []
    stop = threading.Event()
    thread = start_gateway(settings, stop, shown.append)
    try:
        [secret] = [line.split()[-1] for line in shown if line.startswith("Sandbox key")]
        body = {"source_id": "IT-DEMO", "records": [counts("CAM-DEMO", datetime.now(UTC), "demo-1")]}
        reply = wait_for(
            lambda: _post_or_none(f"http://127.0.0.1:{port}", secret, body),
            lambda r: r is not None and r.status_code == 200,
            30,
            0.2,
        )
        assert reply is not None and reply.json()["sandbox"] is True, reply and reply.text
        assert demo_key(settings) is None  # made once: the next run finds it on the topic
    finally:
        stop.set()
        thread.join(30)


def _post_or_none(url: str, secret: str, body: dict[str, Any]) -> httpx.Response | None:
    try:
        return post(url, secret, body)
    except httpx.TransportError:  # not listening yet
        return None


def test_a_former_keys_file_is_imported_once_and_its_keys_work_on_every_instance(
    local_stack: RunningStack, pair: list[GatewayInstance], tmp_path: Path
) -> None:
    key_id, secret = f"it-old-{uuid.uuid4().hex[:6]}", new_secret()
    former = tmp_path / "keys.yaml"
    former.write_text(
        f"keys:\n  - {{id: {key_id}, sha256: '{hash_key(secret)}', feeds: ['camera.*'], sources: ['*'],"
        " sandbox: true}\n"
    )
    result = ioc(
        ["ingest", "keys", "import", str(former)], {"IOC_STACK_DIR": str(local_stack.dir)}, timeout=60
    )
    assert result.returncode == 0 and f"imported {key_id}" in " ".join(result.stderr.split()), result.stderr
    body = {"source_id": "IT-OLD", "records": [counts("CAM-OLD", datetime.now(UTC), "old-1")]}
    for gateway in pair:
        reply = wait_for(
            lambda url=gateway.url: post(url, secret, body), lambda r: r.status_code == 200, 10, 0.2
        )
        assert reply.status_code == 200, reply.text
    again = ioc(
        ["ingest", "keys", "import", str(former)], {"IOC_STACK_DIR": str(local_stack.dir)}, timeout=60
    )
    assert again.returncode == 0 and f"skipped {key_id}" in " ".join(again.stderr.split()), again.stderr


def test_the_shared_state_topics_are_applied_as_declared(local_stack: RunningStack) -> None:
    """Compacted keys, compacted-and-expiring members: the broker keeps the configs the catalog says."""
    prefix = f"k{uuid.uuid4().hex[:6]}."
    first = apply_topics(local_stack.endpoints.kafka_client(), prefix, INGEST_TOPICS)
    assert {c.action for c in first} == {"created"}
    again = apply_topics(local_stack.endpoints.kafka_client(), prefix, INGEST_TOPICS)
    assert [(c.topic, c.action) for c in again] == [(t.full_name(prefix), "unchanged") for t in INGEST_TOPICS]
