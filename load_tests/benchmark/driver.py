"""Offering load and watching what a pipeline makes of it: open-loop sending at a rate, a backlog kept
topped up to find the highest rate a pipeline can process, consumer lag from its committed offsets,
and latency probes polled in ClickHouse."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, MemberDescription

from load_tests.benchmark.data import TrafficData

TICK_S = 0.01
PROBE_POLL_S = 0.2


class LagMeter:
    """Messages on the input topic not yet committed by the pipeline's consumer group."""

    def __init__(self, bootstrap: str, topic: str, partitions: int, group: str) -> None:
        self.partitions = [TopicPartition(topic, p) for p in range(partitions)]
        self.consumer = Consumer(
            {"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False}
        )

    def end(self) -> int:
        return sum(self.consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in self.partitions)

    def committed(self) -> int:
        """Committed messages; a partition without a commit yet counts from its low watermark."""
        total = 0
        for tp in self.consumer.committed(self.partitions, timeout=10):
            total += tp.offset if tp.offset >= 0 else self.consumer.get_watermark_offsets(tp, timeout=10)[0]
        return total

    def lag(self) -> int:
        return max(0, self.end() - self.committed())

    def close(self) -> None:
        self.consumer.close()


def input_partitions(members: list[MemberDescription], topic: str) -> dict[str, int]:
    """How many partitions of the input topic each member of a group holds, by instance id (member id
    for a member without one)."""
    return {
        member.group_instance_id or member.member_id: sum(
            1 for tp in member.assignment.topic_partitions if tp.topic == topic
        )
        for member in members
    }


def group_members(admin: AdminClient, group: str, topic: str) -> dict[str, int]:
    """The group's members now and the input partitions each holds (`input_partitions`)."""
    description = admin.describe_consumer_groups([group], request_timeout=10)[group].result()
    return input_partitions(description.members, topic)


@dataclass
class Probes:
    """Probe records sent at known moments and the moment each first became queryable."""

    prefix: str
    find: Callable[[str], set[str]]  # probe ids visible in ClickHouse, given their common prefix
    sent: dict[str, float] = field(default_factory=dict)
    seen: dict[str, float] = field(default_factory=dict)

    def watch(self, stop: threading.Event) -> None:
        while not stop.is_set():
            for probe in self.find(self.prefix) - self.seen.keys():
                self.seen[probe] = time.monotonic()
            stop.wait(PROBE_POLL_S)

    def latencies(self) -> list[float]:
        return sorted(self.seen[p] - self.sent[p] for p in self.sent if p in self.seen)


class Driver:
    """Sends the benchmark data to one pipeline's input topic."""

    def __init__(self, bootstrap: str, topic: str, data: TrafficData) -> None:
        self.topic = topic
        self.data = data
        self.producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": 1})
        self._cursor = 0
        self.events_sent = 0

    def _send_next(self) -> int:
        messages = self.data.messages(datetime.now(UTC))
        (key, value), records = messages[self._cursor % len(messages)]
        self._cursor += 1
        while True:
            try:
                self.producer.produce(self.topic, key=key, value=value)
                break
            except BufferError:
                self.producer.poll(0.05)
        self.events_sent += records
        return records

    def send_events(self, events: int) -> int:
        """At least `events` records as fast as the producer takes them; returns how many were sent."""
        sent = 0
        while sent < events:
            sent += self._send_next()
        self.producer.poll(0)
        return sent

    def offer(
        self, rate: float, seconds: float, probes: Probes | None = None, probe_every_s: float = 0.5
    ) -> None:
        """Open loop: `rate` records per second for `seconds`, whatever the pipeline does."""
        started = time.monotonic()
        sent, next_probe, n = 0, started, 0
        while (now := time.monotonic()) - started < seconds:
            owed = (now - started) * rate - sent
            while owed > 0:
                sent_now = self._send_next()
                sent += sent_now
                owed -= sent_now
            if probes is not None and now >= next_probe:
                n += 1
                probe_id = f"{probes.prefix}{n}"
                self.producer.produce(
                    self.topic, key=b"BENCH-PROBE", value=self.data.probe(probe_id, datetime.now(UTC))
                )
                probes.sent[probe_id] = time.monotonic()
                next_probe += probe_every_s
            self.producer.poll(0)
            time.sleep(TICK_S)
        self.producer.flush(30)

    def flush(self) -> None:
        self.producer.flush(30)
