"""The audit trail: every routing decision, notification, delivery result, acknowledgement and
escalation becomes an event on `ioc.derived.notifications`, which the sinks store in the
warehouse table `notifications`. Events wait in the state file until Kafka has taken them."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from confluent_kafka import Producer

from routing.state import Store

log = logging.getLogger(__name__)


def event(
    action: str,
    alert: dict[str, Any],
    at: datetime,
    *,
    unit: str = "",
    officer: str = "",
    level: int = -1,
    channel: str = "",
    address: str = "",
    kind: str = "",
    message_id: str = "",
    attempt: int = 0,
    detail: str = "",
) -> dict[str, Any]:
    """One audit event (the fields of avro_schemas/derived/notifications.avsc but `event_id`)."""
    return {
        "occurred_at": at,
        "action": action,
        "alert_id": alert["alert_id"],
        "alert_revision": alert["revision"],
        "category": alert["category"],
        "severity": alert["severity"],
        "area_code": alert["area_code"],
        "unit_code": unit,
        "officer_id": officer,
        "level": level,
        "channel": channel,
        "address": address,
        "kind": kind,
        "message_id": message_id,
        "attempt": attempt,
        "detail": detail,
    }


class AuditPublisher:
    """Moves queued audit events to Kafka, marking them published only once the broker has them."""

    def __init__(self, store: Store, producer: Producer, topic: str, encode: Any) -> None:
        self.store, self.producer, self.topic, self.encode = store, producer, topic, encode

    def publish(self, timeout_s: float = 10.0) -> int:
        pending = self.store.unpublished()
        if not pending:
            return 0
        failed: list[str] = []

        def delivered(err: Any, _msg: Any) -> None:
            if err is not None:
                failed.append(str(err))

        for _, record in pending:
            self.producer.produce(
                self.topic, key=record["alert_id"].encode(), value=self.encode(record), on_delivery=delivered
            )
        left = self.producer.flush(timeout_s)
        if left or failed:
            log.warning("audit events not yet published (%s left, errors %s); will retry", left, failed[:3])
            return 0
        self.store.mark_published([seq for seq, _ in pending])
        return len(pending)
