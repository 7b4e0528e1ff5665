"""The gateways' shared state on Kafka: compacted topics that every instance reads whole and follows.

Kafka is already what every gateway instance depends on (nothing is stored without it), so keeping
the API keys and the list of live instances there adds no service to run, back up or secure: a
compacted topic holds the newest entry per key for good, and each instance, reading it to its end
at start and then following it, sees a change within a poll (under a second). A warehouse table
would also be shared, but the gateway does not otherwise need ClickHouse, and polling it for
changes is slower than following a topic.

`TopicFollower` reads a topic to its end (blocking, so a gateway answers only once it knows every
key) and then hands each new record to its callback from a background thread. `publish` writes
records and waits for the broker's acknowledgement.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition

from ingest.errors import ConfigError

log = logging.getLogger(__name__)
# key, value (None: a tombstone), the record's timestamp in milliseconds
OnRecord = Callable[[str, bytes | None, int], None]


class TopicFollower:
    """Reads one topic from its beginning, then keeps following it in a daemon thread."""

    def __init__(self, kafka: dict[str, str], topic: str, on_record: OnRecord) -> None:
        self.topic = topic
        self.on_record = on_record
        # A group id of its own, never committed: each instance reads the whole topic every time.
        self._consumer = Consumer(
            kafka
            | {
                "group.id": f"ioc-ingest-follow-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "fetch.wait.max.ms": 100,
            }
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name=f"follow-{topic}", daemon=True)

    def start(self, timeout_s: float = 30.0) -> TopicFollower:
        """Read the topic to the end it had now, then follow it; ConfigError when it is missing."""
        self.catch_up(timeout_s)
        self._thread.start()
        return self

    def catch_up(self, timeout_s: float = 30.0) -> None:
        """Hand every record up to the topic's current end to the callback (in this thread)."""
        try:
            metadata = self._consumer.list_topics(self.topic, timeout=timeout_s).topics.get(self.topic)
        except KafkaException as exc:
            raise ConfigError(f"Kafka did not answer about {self.topic}: {exc}") from None
        if metadata is None or metadata.error is not None or not metadata.partitions:
            raise ConfigError(
                f"topic {self.topic} does not exist: run `ioc topics apply` (or `ioc stack up`)"
            )
        ends: dict[int, int] = {}
        for partition in metadata.partitions:
            low, high = self._consumer.get_watermark_offsets(
                TopicPartition(self.topic, partition), timeout=timeout_s
            )
            if high > low:
                ends[partition] = high
        self._consumer.assign([TopicPartition(self.topic, p, OFFSET_BEGINNING) for p in metadata.partitions])
        deadline = time.monotonic() + timeout_s
        while ends:
            self._take(self._consumer.consume(500, timeout=0.5))
            positions = self._consumer.position([TopicPartition(self.topic, p) for p in ends])
            for position in positions:
                if position.offset >= ends[position.partition]:
                    del ends[position.partition]
            if ends and time.monotonic() > deadline:
                raise ConfigError(f"could not read {self.topic} to its end within {timeout_s:.0f} s")

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)
        self._consumer.close()

    def _follow(self) -> None:
        while not self._stop.is_set():
            try:
                self._take(self._consumer.consume(500, timeout=0.5))
            except KafkaException as exc:  # the broker away: keep what is known, try again
                log.warning("following %s: %s", self.topic, exc)
                self._stop.wait(1.0)

    def _take(self, messages: list) -> None:  # type: ignore[type-arg]
        for message in messages:
            if message.error() is not None:
                log.debug("following %s: %s", self.topic, message.error())
                continue
            key = (message.key() or b"").decode("utf-8", "replace")
            try:
                self.on_record(key, message.value(), message.timestamp()[1])
            except (ValueError, KeyError, TypeError, ConfigError) as exc:
                # One bad record (written by hand, or by a newer version) must not stop the follower.
                log.error("%s: record %r at offset %d ignored: %s", self.topic, key, message.offset(), exc)


def publish(
    kafka: dict[str, str], topic: str, records: list[tuple[str, bytes | None]], timeout_s: float = 30.0
) -> None:
    """Write `(key, value)` records (a None value is a tombstone) and wait until the broker has them."""
    failures: list[str] = []

    def delivered(err: object, msg: object) -> None:
        if err is not None:
            failures.append(str(err))

    producer = Producer(kafka | {"acks": "all", "enable.idempotence": True})
    for key, value in records:
        producer.produce(topic, key=key.encode("utf-8"), value=value, on_delivery=delivered)
    left = producer.flush(timeout_s)
    producer.close()
    if left or failures:
        raise ConfigError(f"{topic}: the broker did not acknowledge the change ({failures or 'timed out'})")
