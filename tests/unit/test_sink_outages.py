"""The sink through a registry or warehouse outage: a record whose writer's schema cannot be fetched
is read again later, never rejected; a rebalance while ClickHouse is away waits for it instead of
ending the sink's thread (both found by the chaos run; fakes stand in for Kafka and ClickHouse)."""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

import pytest
from confluent_kafka import TopicPartition

from ioc.serde import RegistryUnavailableError
from sinks import sink as sink_module
from sinks.sink import Messages
from tests.unit.test_sink_commit import Arrived, ConsumerWithArrivals, sink_with


class Message(Arrived):
    """A consumed message whose bytes name where it is, so the fake decoder can tell them apart."""

    def value(self) -> bytes:
        return f"{self.partition()}@{self.offset()}".encode()


class RegistryDownFor:
    """Decodes every message but the listed ones, for which the registry does not answer."""

    def __init__(self, *down: str) -> None:
        self.down = {ref.encode() for ref in down}

    def decode(self, data: bytes | None) -> dict[str, Any]:
        if data in self.down:
            raise RegistryUnavailableError("the registry did not answer for schema id 7")
        return {}


class NoRows:
    """A table mapping that makes no rows of a record (the rows are not what is tested here)."""

    @staticmethod
    def rows(record: dict[str, Any]) -> list[Any]:
        return []


def test_a_batch_is_handed_back_from_the_record_the_registry_could_not_explain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sink_module, "REGISTRY_WAIT_S", 0.1)
    consumer = ConsumerWithArrivals([])
    sink = sink_with(consumer)
    sink.decoder = RegistryDownFor("1@51")  # type: ignore[assignment]
    sink.mapping = NoRows()  # type: ignore[assignment]
    batch = [Message(0, 10), Message(1, 50), Message(1, 51), Message(0, 11), Message(2, 5), Message(1, 52)]
    pending: dict[int, Messages] = defaultdict(list)
    sink._take_all(batch, pending, threading.Event())  # type: ignore[arg-type]
    # Taken: the two before the outage; handed back: each partition from its first message not taken.
    assert {p: [offset for offset, _ in messages] for p, messages in pending.items()} == {0: [10], 1: [50]}
    assert consumer.position == {1: 51, 0: 11, 2: 5}
    assert sink.rejected_messages == 0


class WarehouseAwayTwice:
    """A ClickHouse client whose first two queries fail, as a warehouse restarting."""

    def __init__(self) -> None:
        self.failures = 2

    def query(self, sql: str, parameters: dict[str, Any]) -> Any:
        if self.failures:
            self.failures -= 1
            raise ConnectionResetError("Remote end closed connection without response")
        return type("Result", (), {"result_rows": [(0, 41)]})()


class AssigningConsumer(ConsumerWithArrivals):
    def __init__(self) -> None:
        super().__init__([])
        self.assigned: list[TopicPartition] = []

    def committed(self, partitions: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        return [TopicPartition(p.topic, p.partition, 30) for p in partitions]

    def assign(self, partitions: list[TopicPartition]) -> None:
        self.assigned = partitions


def test_a_rebalance_while_the_warehouse_is_away_waits_for_it() -> None:
    consumer = AssigningConsumer()
    sink = sink_with(consumer)
    sink.client = WarehouseAwayTwice()  # type: ignore[assignment]
    sink._stop.wait = lambda seconds: False  # type: ignore[method-assign]  # no real waiting
    sink._on_assign(consumer, [TopicPartition(sink.topic, 0), TopicPartition(sink.topic, 1)])  # type: ignore[arg-type]
    # Partition 0 resumes after the rows the table holds (41), beyond its committed offset (30).
    assert [(tp.partition, tp.offset) for tp in consumer.assigned] == [
        (0, 42),
        (1, TopicPartition("t", 1).offset),
    ]
