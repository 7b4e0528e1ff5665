"""Backpressure on the real broker and warehouse: while ClickHouse cannot be reached the sink pauses
and retries, stays in its consumer group through an outage longer than `max.poll.interval.ms`, and
once ClickHouse is back stores every record exactly once and commits."""

from __future__ import annotations

import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from confluent_kafka import Consumer, TopicPartition

from avro_schemas import load_schema
from ioc.schemas import register_subject
from ioc.serde import AvroDecoder, registry_client
from ioc.settings import Settings, StackSettings
from load_tests.live import kafka_sender
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


class SwitchableProxy:
    """A TCP forwarder on loopback that can be taken down (connections refused, open ones cut) and
    brought back on the same port: ClickHouse becoming unreachable without stopping the warehouse."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        # shutdown() before close(): a bare close() from another thread neither wakes a blocked
        # accept()/recv() nor tells the peer, so the port would keep answering.
        with self._lock:
            sockets = self._open + ([self._listener] if self._listener is not None else [])
            self._listener = None
            self._open = []
        for conn in sockets:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
            except OSError:
                client.close()  # the client sees a closed connection, as with ClickHouse down
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for conn in (src, dst):
                try:
                    conn.close()
                except OSError:
                    pass


def test_sink_pauses_while_clickhouse_is_down_then_stores_everything_once(local_stack: RunningStack) -> None:
    prefix = f"bp-{uuid.uuid4().hex[:6]}."
    spec = CAMERA_VEHICLE_COUNTS
    topic = spec.full_name(prefix)
    apply_topics(local_stack.endpoints.kafka, prefix, (spec,))
    registry = registry_client(local_stack.endpoints.registry)
    register_subject(registry, spec.subject(prefix), load_schema(spec.schema))
    settings = Settings(stack=StackSettings(dir=local_stack.dir), topic_prefix=prefix)
    sender = kafka_sender(settings)

    def send(batch: int, count: int) -> None:
        records = [
            record(f"{prefix}{batch}-{i}", f"CAM-BP-{i % 4}", T0 + timedelta(seconds=batch), 1 + i % 3, 35.0)
            for i in range(count)
        ]
        sender.send({"source_id": "SRC-BP", "sent_at": datetime.now(UTC), "records": records})
        assert sender.flush() == 0

    warehouse_url = urlsplit(local_stack.endpoints.clickhouse)
    proxy = SwitchableProxy(warehouse_url.port or 80)
    proxy.up()

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

        proxy.down()
        send(1, 40)
        send(2, 50)
        # Longer than max.poll.interval.ms: a sink that stopped polling would have left its group.
        assert wait_for(lambda: sink.insert_failures, lambda n: n >= 4, 60) >= 4
        threading.Event().wait(2 * POLL_INTERVAL_MS / 1000)
        assert stored() == (30, 30), "nothing can be stored while ClickHouse is unreachable"
        assert thread.is_alive()

        proxy.up()
        assert wait_for(stored, lambda n: n[0] >= 120, 90) == (120, 120)
        committed = wait_for(
            lambda: committed_offset(local_stack, group, topic), lambda offset: offset >= 3, 30
        )
        assert committed == 3, "the three messages are committed once stored"
        assert thread.is_alive(), "the sink survived the outage (its commit was not refused)"
    finally:
        stop.set()
        thread.join(30)
        proxy.down()


def committed_offset(stack: RunningStack, group: str, topic: str) -> int:
    """The group's committed offset on partition 0 (the test's messages share one key)."""
    consumer = Consumer({"bootstrap.servers": stack.endpoints.kafka, "group.id": group})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        offsets = consumer.committed([TopicPartition(topic, p) for p in partitions], timeout=10)
        return sum(max(tp.offset, 0) for tp in offsets)
    finally:
        consumer.close()
