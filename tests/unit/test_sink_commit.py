"""The sink's commit after a stored batch: a broker that is restarting is waited for, and a group that
moved on is not worth the sink's life; and its pause while ClickHouse is away hands back what arrived
meanwhile (a fake consumer stands in for Kafka)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from sinks.sink import TopicSink
from sinks.tables import MAPPINGS


class FakeConsumer:
    """Refuses the first commits with the given errors, then accepts."""

    def __init__(self, refusals: list[int]) -> None:
        self.refusals = refusals
        self.commits: list[list[TopicPartition]] = []

    def commit(self, offsets: list[TopicPartition], asynchronous: bool) -> None:
        self.commits.append(offsets)
        if self.refusals:
            raise KafkaException(KafkaError(self.refusals.pop(0)))

    def assignment(self) -> list[TopicPartition]:
        return []

    def pause(self, partitions: list[TopicPartition]) -> None: ...

    def resume(self, partitions: list[TopicPartition]) -> None: ...

    def consume(self, num_messages: int, timeout: float) -> list[Any]:
        return []


def sink_with(consumer: FakeConsumer) -> TopicSink:
    sink = TopicSink(
        MAPPINGS[0],
        "ioc.camera.vehicle-counts",
        {"bootstrap.servers": "127.0.0.1:9", "group.id": "unit"},
        decoder=None,  # type: ignore[arg-type]
        client_factory=lambda: None,  # type: ignore[arg-type,return-value]
        dead_letters=None,
        batch_max_records=10,
        batch_max_seconds=1.0,
    )
    sink.consumer.close()
    sink.consumer = consumer  # type: ignore[assignment]
    return sink


def test_a_coordinator_that_is_moving_is_waited_for() -> None:
    consumer = FakeConsumer([KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_LOAD_IN_PROGRESS])
    sink_with(consumer).commit({0: 41, 3: 7}, threading.Event())
    assert len(consumer.commits) == 3
    assert [(tp.partition, tp.offset) for tp in consumer.commits[-1]] == [(0, 42), (3, 8)]


@pytest.mark.parametrize("code", [KafkaError.UNKNOWN_MEMBER_ID, KafkaError.ILLEGAL_GENERATION])
def test_a_group_that_moved_on_is_logged_not_fatal(code: int, caplog: pytest.LogCaptureFixture) -> None:
    consumer = FakeConsumer([code])
    sink_with(consumer).commit({0: 41}, threading.Event())
    assert len(consumer.commits) == 1
    assert "offsets not committed" in caplog.text


def test_stopping_ends_the_retries() -> None:
    consumer = FakeConsumer([KafkaError.NOT_COORDINATOR] * 100)
    stop = threading.Event()
    stop.set()
    sink_with(consumer).commit({0: 1}, stop)
    assert len(consumer.commits) == 1


class Arrived:
    """A message as `consume` returns it."""

    def __init__(self, partition: int, offset: int) -> None:
        self._partition, self._offset = partition, offset

    def error(self) -> None:
        return None

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset


class ConsumerWithArrivals(FakeConsumer):
    """Delivers one batch of messages during the pause (a partition assigned meanwhile), then none;
    records where each partition was sought to."""

    def __init__(self, batch: list[Arrived]) -> None:
        super().__init__([])
        self.batches = [batch]
        self.position: dict[int, int] = {}

    def consume(self, num_messages: int, timeout: float) -> list[Any]:
        return self.batches.pop(0) if self.batches else []

    def seek(self, partition: TopicPartition) -> None:
        self.position[partition.partition] = partition.offset


def test_messages_that_arrive_during_a_pause_are_all_delivered_again() -> None:
    arrived = [Arrived(0, offset) for offset in range(206, 241)] + [Arrived(1, 124), Arrived(1, 125)]
    consumer = ConsumerWithArrivals(arrived)
    sink_with(consumer)._pause_for(0.6, threading.Event())
    assert consumer.position == {0: 206, 1: 124}
