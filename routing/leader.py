"""Which router is active, and how an acknowledgement reaches it.

Every router of a deployment joins one consumer group on `ioc.internal.routing.acks`, a topic of one
partition: the router assigned that partition is the active one (it consumes the alerts, escalates and
sends); the others are hot standbys that copy its state (replica.py) and send nothing. The assignment
is cooperative-sticky, so a standby joining does not take the partition from a live active router;
a dead one's partition moves after the group's session timeout (`IOC_ROUTING_FAILOVER_SESSION_MS`).

The partition's records are the acknowledgements: a link opened on any router, or `ioc alerts ack`,
writes a request there, and the active router applies it to its state (and commits the offset after
its state holds it). The request's router waits until its own copy of the state shows the result, so
an officer sees the same answer whichever instance served the link.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from typing import Any

from confluent_kafka import Consumer, Message, Producer

from routing.ack import AckResult, refusal
from routing.state import Store, from_ms, to_ms

log = logging.getLogger(__name__)


def ack_request(group: str, alert_id: str, officer_id: str, via: str, at: datetime) -> bytes:
    return json.dumps(
        {"router": group, "alert_id": alert_id, "officer_id": officer_id, "via": via, "at": to_ms(at)},
        ensure_ascii=False,
    ).encode()


def parse_ack(group: str, value: bytes | None) -> tuple[str, str, str, datetime] | None:
    """(alert id, officer id, via, when) of this deployment's request; None for another's or garbage."""
    try:
        request: dict[str, Any] = json.loads(value or b"")
        if request.get("router") != group:
            return None
        return request["alert_id"], request["officer_id"], request["via"], from_ms(int(request["at"]))
    except (ValueError, KeyError, TypeError):
        log.warning("acknowledgement request not understood: %r", (value or b"")[:200])
        return None


def outcome(store: Store, alert_id: str, officer_id: str, at: datetime) -> AckResult | None:
    """This request's result as the local copy of the state shows it; None while not yet applied."""
    state = store.alert(alert_id)
    if state is None or state.acked_at is None:
        return None
    if state.acked_by == officer_id and to_ms(state.acked_at) == to_ms(at):
        return AckResult(True)
    return refusal(state, alert_id)


class Leadership:
    """The leader group's consumer: `active` while this router holds the partition."""

    def __init__(self, consumer: Consumer, topic: str) -> None:
        self.consumer, self.active = consumer, False
        consumer.subscribe([topic], on_assign=self._assigned, on_revoke=self._revoked, on_lost=self._revoked)

    def _assigned(self, _consumer: Consumer, partitions: list[Any]) -> None:
        if partitions:
            self.active = True

    def _revoked(self, _consumer: Consumer, partitions: list[Any]) -> None:
        if partitions:
            self.active = False

    def poll(self, timeout_s: float) -> list[Message]:
        """Keep the membership alive; the acknowledgement requests when active."""
        messages = self.consumer.consume(num_messages=100, timeout=timeout_s)
        found = []
        for message in messages:
            if message.error() is not None:
                log.warning("acknowledgements topic: %s", message.error())
            else:
                found.append(message)
        return found


class AckRequests:
    """Hands acknowledgements to the active router through the topic and waits for the result."""

    def __init__(self, producer: Producer, topic: str, group: str, store: Store, wait_s: float) -> None:
        self.producer, self.topic, self.group = producer, topic, group
        self.store, self.wait_s = store, wait_s

    def submit(self, alert_id: str, officer_id: str, via: str, at: datetime) -> AckResult:
        state = self.store.alert(alert_id)
        early = refusal(state, alert_id)
        if early is not None:
            return early
        self.producer.produce(
            self.topic, key=alert_id.encode(), value=ack_request(self.group, alert_id, officer_id, via, at)
        )
        if self.producer.flush(self.wait_s):
            return AckResult(False, "Chưa gửi được yêu cầu xác nhận (mất kết nối Kafka); xin thử lại sau.")
        deadline = time.monotonic() + self.wait_s
        while time.monotonic() < deadline:
            result = outcome(self.store, alert_id, officer_id, at)
            if result is not None:
                return result
            time.sleep(0.1)
        return AckResult(
            False,
            "Đã ghi nhận yêu cầu xác nhận; bộ định tuyến đang hoạt động sẽ áp dụng ngay khi nhận được.",
            pending=True,
        )
