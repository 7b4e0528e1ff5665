"""How many gateway instances are alive, so that together they allow each key its rate.

Every instance writes a heartbeat to the compacted topic `ioc.internal.ingest.members` every
`every_s` seconds (and a tombstone when it stops cleanly) and follows that topic. An instance is
alive while its newest heartbeat is at most `ttl_s` old; each instance's token bucket then refills
at the key's rate divided by the live count (see `ingest/http_app.py`). The total is exactly the
key's rate when the load balancer spreads a key's requests evenly over the instances; a client
pinned to one instance (one keep-alive connection behind a connection-level balancer) gets only its
share. After an instance dies the others keep dividing by the old count for up to `ttl_s`, and a new
instance is counted by the others within one heartbeat.

A heartbeat's age is measured on the broker's clock (the topic uses LogAppendTime) against this
host's clock, clamped at zero: hosts whose clocks drift apart by more than `ttl_s` see each other as
dead and each allows more (never less) than its share.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

from confluent_kafka import Producer

from ingest.shared_topics import TopicFollower

log = logging.getLogger(__name__)


def member_id(instance: str = "") -> str:
    """Unique per process: two gateways on one host (or in one test process) are two members."""
    return f"{instance or socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class LiveMembers:
    """The heartbeats seen, and how many instances they say are alive (always counting this one)."""

    def __init__(
        self,
        me: str,
        ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.me = me
        self.ttl_s = ttl_s
        self.clock = clock
        self.wall = wall
        self._seen: dict[str, float] = {}  # member -> when its newest heartbeat was written, on `clock`
        self._lock = threading.Lock()

    def record(self, member: str, value: bytes | None, timestamp_ms: int) -> None:
        """One record of the members topic."""
        with self._lock:
            if value is None:
                self._seen.pop(member, None)
                return
            age = min(max(0.0, self.wall() - timestamp_ms / 1000.0), 10 * self.ttl_s)
            self._seen[member] = self.clock() - age

    def count(self) -> int:
        now = self.clock()
        with self._lock:
            alive = {member for member, at in self._seen.items() if now - at <= self.ttl_s}
        return len(alive | {self.me})


class Membership:
    """This instance's heartbeat and its view of the others'."""

    def __init__(self, kafka: dict[str, str], topic: str, me: str, every_s: float, ttl_s: float) -> None:
        self.topic = topic
        self.every_s = every_s
        self.live = LiveMembers(me, ttl_s)
        self._producer = Producer(kafka | {"linger.ms": 0, "acks": "1"})
        self._follower = TopicFollower(kafka, topic, self.live.record)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="ingest-heartbeat", daemon=True)

    @property
    def me(self) -> str:
        return self.live.me

    def count(self) -> int:
        return self.live.count()

    def start(self) -> Membership:
        self._send(alive=True)
        self._producer.flush(10)
        self._follower.start()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Say goodbye (a tombstone), so the others count one fewer at once."""
        self._stop.set()
        self._thread.join(10)
        self._send(alive=False)
        self._producer.flush(5)
        self._producer.close()
        self._follower.stop()

    def _send(self, alive: bool) -> None:
        value = json.dumps({"member": self.me, "every_s": self.every_s}).encode() if alive else None
        try:
            self._producer.produce(self.topic, key=self.me.encode("utf-8"), value=value)
        except BufferError as exc:  # the broker away for long: skip a beat, the next one may pass
            log.warning("heartbeat not queued: %s", exc)
        self._producer.poll(0)

    def _beat(self) -> None:
        while not self._stop.wait(self.every_s):
            self._send(alive=True)
