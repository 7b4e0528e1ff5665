"""Backpressure on the real broker and warehouse: while ClickHouse cannot be reached the sink pauses
and retries, stays in its consumer group through an outage longer than `max.poll.interval.ms`, and
once ClickHouse is back stores every record exactly once and commits."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient

from avro_schemas import load_schema
from ioc.schemas import register_subject
from ioc.serde import AvroDecoder, registry_client
from ioc.settings import Settings, StackSettings
from load_tests.chaos.proxy import TcpProxy
from load_tests.live import kafka_sender
from load_tests.simulator import KafkaSender
from sinks.sink import TopicSink
from sinks.tables import MAPPINGS
from tests.integration.conftest import RunningStack
from tests.integration.helpers import wait_for, warehouse_client
from tests.integration.test_skeleton import record
from topics.apply import apply_topics
from topics.catalog import CAMERA_VEHICLE_COUNTS
from warehouse.users import WRITER, client_auth

T0 = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
POLL_INTERVAL_MS = 6000


def vehicle_counts_of_its_own(
    stack: RunningStack, name: str
) -> tuple[str, str, SchemaRegistryClient, KafkaSender]:
    """A vehicle-counts topic under a prefix of its own, its schema registered, and a sender to it:
    (prefix, topic, registry client, sender)."""
    prefix = f"{name}-{uuid.uuid4().hex[:6]}."
    spec = CAMERA_VEHICLE_COUNTS
    apply_topics(stack.endpoints.kafka_client(), prefix, (spec,))
    registry = registry_client(stack.endpoints)
    register_subject(registry, spec.subject(prefix), load_schema(spec.schema))
    sender = kafka_sender(Settings(stack=StackSettings(dir=stack.dir), topic_prefix=prefix))
    return prefix, spec.full_name(prefix), registry, sender


def test_sink_pauses_while_clickhouse_is_down_then_stores_everything_once(local_stack: RunningStack) -> None:
    prefix, topic, registry, sender = vehicle_counts_of_its_own(local_stack, "bp")
    spec = CAMERA_VEHICLE_COUNTS

    def send(batch: int, count: int) -> None:
        records = [
            record(f"{prefix}{batch}-{i}", f"CAM-BP-{i % 4}", T0 + timedelta(seconds=batch), 1 + i % 3, 35.0)
            for i in range(count)
        ]
        sender.send({"source_id": "SRC-BP", "sent_at": datetime.now(UTC), "records": records})
        assert sender.flush() == 0

    warehouse_url = urlsplit(local_stack.endpoints.clickhouse)
    proxy = TcpProxy(warehouse_url.port or 80)

    def client() -> Client:
        return clickhouse_connect.get_client(
            host="127.0.0.1",
            port=proxy.port,
            database="ioc",
            connect_timeout=10,
            send_receive_timeout=60,
            **client_auth(local_stack.settings, WRITER),
        )

    group = f"{prefix}backpressure"
    sink = TopicSink(
        next(m for m in MAPPINGS if m.topic == spec),
        topic,
        {
            "bootstrap.servers": local_stack.endpoints.kafka,
            "group.id": group,
            "max.poll.interval.ms": POLL_INTERVAL_MS,
            "session.timeout.ms": POLL_INTERVAL_MS,
        },
        AvroDecoder(registry, load_schema(spec.schema)),
        client,
        None,
        batch_max_records=1000,
        batch_max_seconds=0.5,
    )
    stop = threading.Event()
    thread = threading.Thread(target=sink.run, args=(stop,), daemon=True)
    thread.start()
    reader = warehouse_client(local_stack.endpoints, local_stack.settings)

    def stored() -> tuple[int, int]:
        row = reader.query(
            "SELECT count(), uniqExact(event_id) FROM camera_vehicle_counts WHERE kafka_topic = {t:String}",
            parameters={"t": topic},
        ).result_rows[0]
        return int(row[0]), int(row[1])

    try:
        send(0, 30)
        assert wait_for(stored, lambda n: n[0] >= 30, 60) == (30, 30)

        proxy.cut()
        send(1, 40)
        send(2, 50)
        # Longer than max.poll.interval.ms: a sink that stopped polling would have left its group.
        assert wait_for(lambda: sink.insert_failures, lambda n: n >= 4, 60) >= 4
        threading.Event().wait(2 * POLL_INTERVAL_MS / 1000)
        assert stored() == (30, 30), "nothing can be stored while ClickHouse is unreachable"
        assert thread.is_alive()

        proxy.restore()
        assert wait_for(stored, lambda n: n[0] >= 120, 90) == (120, 120)
        committed = wait_for(
            lambda: committed_offset(local_stack, group, topic), lambda offset: offset >= 3, 30
        )
        assert committed == 3, "the three messages are committed once stored"
        assert thread.is_alive(), "the sink survived the outage (its commit was not refused)"
    finally:
        stop.set()
        thread.join(30)
        proxy.close()


def committed_offset(stack: RunningStack, group: str, topic: str) -> int:
    """The group's committed offset on partition 0 (the test's messages share one key)."""
    consumer = Consumer(stack.endpoints.kafka_client() | {"group.id": group})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        offsets = consumer.committed([TopicPartition(topic, p) for p in partitions], timeout=10)
        return sum(max(tp.offset, 0) for tp in offsets)
    finally:
        consumer.close()


def test_partitions_that_come_back_after_a_rebalance_deliver_even_if_they_were_paused(
    local_stack: RunningStack,
) -> None:
    # librdkafka keeps a partition's pause across a rebalance. A sink whose outage pause ended while
    # its group rebalanced got its partitions back paused and never read them again (the chaos run).
    prefix, topic, registry, sender = vehicle_counts_of_its_own(local_stack, "rb")
    spec = CAMERA_VEHICLE_COUNTS
    for source in range(60):  # sources spread over every partition
        at = T0 + timedelta(seconds=source)
        records = [record(f"{prefix}{source}", f"CAM-RB-{source}", at, 1, 30.0)]
        sender.send({"source_id": f"SRC-RB-{source}", "sent_at": datetime.now(UTC), "records": records})
    assert sender.flush() == 0
    group = local_stack.endpoints.kafka_client() | {"group.id": f"{prefix}sinks"}
    sink = TopicSink(
        next(m for m in MAPPINGS if m.topic == spec),
        topic,
        group | {"session.timeout.ms": POLL_INTERVAL_MS},
        AvroDecoder(registry, load_schema(spec.schema)),
        lambda: warehouse_client(local_stack.endpoints, local_stack.settings),
        None,
        batch_max_records=1000,
        batch_max_seconds=0.5,
    )
    other = Consumer(group | {"auto.offset.reset": "earliest", "enable.auto.commit": False})
    try:
        sink.consumer.subscribe([topic], on_assign=sink._on_assign)
        assert wait_for(lambda: sink.consumer.consume(10, 0.2) and sink.assigned, bool, 30)
        sink.consumer.pause(sink.consumer.assignment())  # as an outage's pause leaves them
        other.subscribe([topic])
        before = list(sink.assigned)

        def rebalanced() -> list[int]:
            other.consume(10, 0.1)
            sink.consumer.consume(10, 0.1)
            return sink.assigned

        kept = wait_for(rebalanced, lambda held: bool(held) and held != before, 60)
        assert kept and kept != before, "no rebalance happened"

        def delivered() -> int:
            other.consume(10, 0.1)
            return len([m for m in sink.consumer.consume(100, 0.2) if m.error() is None])

        assert wait_for(delivered, lambda n: n > 0, 20) > 0, f"partitions {kept} stayed paused"
    finally:
        other.close()
        sink.consumer.close()
