"""Producing with full acknowledgement, and waiting for it: the gateway answers only after the broker.

An idempotent confluent-kafka producer (acks=all, no duplicates from its own retries), with a
bounded delivery timeout and a bounded local queue: when the broker is away, a message fails after
`delivery_timeout_s` instead of waiting in memory, and the gateway answers 503. A background thread
serves the delivery callbacks so that concurrent requests wait only for their own messages.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from confluent_kafka import KafkaError, KafkaException, Message, Producer

log = logging.getLogger(__name__)
# Bounded local buffering: what cannot be delivered in time is refused, not queued without end.
QUEUE_MAX_KBYTES = 65_536


@dataclass(frozen=True)
class OutgoingMessage:
    topic: str
    key: bytes
    value: bytes


class _Waiter:
    """Collects the delivery reports of one request's messages, by their index."""

    def __init__(self, expected: int) -> None:
        self.failures: list[str | None] = [None] * expected  # None: no report yet
        self.remaining = expected
        self.done = threading.Event()
        self._lock = threading.Lock()
        if expected == 0:
            self.done.set()

    def report(self, index: int, failure: str) -> None:
        with self._lock:
            self.failures[index] = failure
            self.remaining -= 1
            if self.remaining <= 0:
                self.done.set()

    def callback(self, index: int) -> Callable[[KafkaError | None, Message], None]:
        def delivered(err: KafkaError | None, msg: Message) -> None:
            self.report(index, "" if err is None else f"{msg.topic()}: {err.str()}")

        return delivered


class DeliveryProducer:
    """Sends a request's messages and blocks until each is acknowledged or has failed."""

    def __init__(self, kafka: dict[str, str], delivery_timeout_s: float) -> None:
        self.delivery_timeout_s = delivery_timeout_s
        self._config = kafka | {
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 5,
            "message.timeout.ms": int(delivery_timeout_s * 1000),
            "queue.buffering.max.kbytes": QUEUE_MAX_KBYTES,
            "client.id": "ioc-ingest",
        }
        self._producer = Producer(self._config)
        self._stop = threading.Event()
        self._poller = threading.Thread(target=self._poll, name="ingest-delivery", daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._producer.poll(0.1)

    def send(self, messages: list[OutgoingMessage]) -> list[str]:
        """Per message, an empty string when the broker acknowledged it, else why it failed."""
        waiter = _Waiter(len(messages))
        for index, message in enumerate(messages):
            try:
                self._producer.produce(
                    message.topic, key=message.key, value=message.value, on_delivery=waiter.callback(index)
                )
            except (BufferError, KafkaException) as exc:
                # Never queued, so never reported: report it (and the rest) as failed here.
                for rest in range(index, len(messages)):
                    waiter.report(rest, f"local queue refused the message: {exc}")
                break
        # librdkafka fails each message after its own timeout; the margin only covers the callback.
        waiter.done.wait(self.delivery_timeout_s + 5.0)
        return ["no delivery report in time" if failure is None else failure for failure in waiter.failures]

    def close(self, timeout_s: float = 10.0) -> None:
        """Deliver what is queued (bounded), then stop the callback thread."""
        deadline = time.monotonic() + timeout_s
        remaining = self._producer.flush(timeout_s)
        if remaining:
            log.warning("ingest producer closed with %d undelivered messages", remaining)
        self._stop.set()
        self._poller.join(max(0.1, deadline - time.monotonic()))
        self._producer.close()
