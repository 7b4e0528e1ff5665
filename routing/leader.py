"""Which router is active, and how an acknowledgement reaches it.

Every router of a deployment joins one consumer group on `ioc.internal.routing.acks`, a topic of one
partition: the router assigned that partition is the active one (it consumes the alerts, escalates and
sends); the others are hot standbys that copy its state (replica.py) and send nothing. The assignment
is cooperative-sticky, so a standby joining does not take the partition from a live active router;
a dead one's partition moves after the group's session timeout (`IOC_ROUTING_FAILOVER_SESSION_MS`).

The partition's records are operators' requests (routing/actions.py): a link opened on any router,
`ioc alerts ack` or the console's API writes a request there, and the active router applies it to its
state (and commits the offset after its state holds it). The request's router waits until its own
copy of the state shows the answer (the state keeps each request's answer), so an officer sees the
same answer whichever instance served the request.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from confluent_kafka import Consumer, Message, Producer

from routing.actions import AckResult, ActionRequest
from routing.state import Store

log = logging.getLogger(__name__)


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
    """Hands operators' requests to the active router through the topic and waits for the answer."""

    def __init__(self, producer: Producer, topic: str, group: str, store: Store, wait_s: float) -> None:
        self.producer, self.topic, self.group = producer, topic, group
        self.store, self.wait_s = store, wait_s

    def submit(self, request: ActionRequest) -> AckResult:
        self.producer.produce(self.topic, key=request.alert_id.encode(), value=request.to_json(self.group))
        if self.producer.flush(self.wait_s):
            return AckResult(False, "Chưa gửi được yêu cầu (mất kết nối Kafka); xin thử lại sau.")
        deadline = time.monotonic() + self.wait_s
        while time.monotonic() < deadline:
            outcome = self.store.request_outcome(request.request_id)
            if outcome is not None:
                return AckResult(*outcome)
            time.sleep(0.1)
        return AckResult(
            False,
            "Đã ghi nhận yêu cầu; bộ định tuyến đang hoạt động sẽ áp dụng ngay khi nhận được.",
            pending=True,
        )
