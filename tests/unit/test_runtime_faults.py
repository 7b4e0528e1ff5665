"""How the worker's loop answers a transaction that fails: which errors abort and restart the tasks
from their changelogs, which replace the producer, and which stop the worker. The producer and the
consumer are stand-ins (the behaviour against a real broker is in tests/integration/test_restart.py);
what is checked here is the decision, for errors a real stall produced (a CI run died of the first)."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from streams.engine.runtime import Runtime, RuntimeConfig


class StandInProducer:
    """Records the transactional calls; `produce` and `abort_transaction` fail as told."""

    def __init__(
        self, produce_error: KafkaError | None = None, abort_error: KafkaError | None = None
    ) -> None:
        self.produce_error = produce_error
        self.abort_error = abort_error
        self.calls: list[str] = []

    def begin_transaction(self) -> None:
        self.calls.append("begin")

    def produce(self, topic: str, value: Any, key: Any, partition: int | None = None) -> None:
        self.calls.append("produce")
        if self.produce_error is not None:
            raise KafkaException(self.produce_error)

    def abort_transaction(self) -> None:
        self.calls.append("abort")
        if self.abort_error is not None:
            raise KafkaException(self.abort_error)


class StandInConsumer:
    """No partitions assigned: reopening the tasks reads nothing."""

    def assignment(self) -> list[Any]:
        return []

    def committed(self, partitions: list[Any], timeout: float) -> list[Any]:
        return []


def runtime_with(producer: StandInProducer) -> Runtime:
    runtime = Runtime([], RuntimeConfig(bootstrap="127.0.0.1:9", group_id="g", instance_id="w1"))
    runtime.producer = runtime.out.producer = producer  # type: ignore[assignment]
    runtime.consumer = StandInConsumer()  # type: ignore[assignment]
    return runtime


def fail_on_send(runtime: Runtime) -> None:
    """What the loop does: a task sends, the send raises, the loop hands the error to `_fail`."""
    try:
        runtime.out.send("topic", b"k", b"v")
    except KafkaException as exc:
        runtime._fail(exc)


def test_a_record_refused_because_the_transaction_failed_in_the_background_aborts_it() -> None:
    """After a stall the broker aborts the open transaction; librdkafka then refuses records with
    _STATE ("Erroneous state"). The worker used to exit there; it must abort and start again."""
    producer = StandInProducer(produce_error=KafkaError(KafkaError._STATE))
    runtime = runtime_with(producer)

    fail_on_send(runtime)

    assert producer.calls == ["begin", "produce", "abort"]
    assert runtime._in_transaction is False


def test_an_abort_that_finds_no_transaction_leaves_the_producer_ready() -> None:
    producer = StandInProducer(
        produce_error=KafkaError(KafkaError._STATE), abort_error=KafkaError(KafkaError._STATE)
    )
    runtime = runtime_with(producer)

    fail_on_send(runtime)

    assert producer.calls[-1] == "abort"
    assert runtime.producer is producer
    producer.produce_error = None
    runtime.out.send("topic", b"k", b"v")  # a new transaction begins
    assert producer.calls[-2:] == ["begin", "produce"]


def test_an_error_no_abort_can_mend_stops_the_worker() -> None:
    producer = StandInProducer(produce_error=KafkaError(KafkaError.MSG_SIZE_TOO_LARGE))
    runtime = runtime_with(producer)

    with pytest.raises(KafkaException):
        fail_on_send(runtime)
    assert "abort" not in producer.calls
