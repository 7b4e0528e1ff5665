"""The router's state beyond one host: the active router copies every row it writes (alerts,
escalations, outbox, audit events still to publish, its alerts-topic offsets) to the compacted topic
`ioc.internal.routing.state`, in Kafka transactions, and the standby copies them back into its own
state file. A router that becomes active reads the topic to its end before it does anything.

Why a compacted topic rather than rebuilding from the audit trail and the alerts topic: the audit
trail says what happened, not what is pending (an outbox row waiting for its group, an escalation's
deadline, an acknowledgement racing a send); rebuilding that would be a second router to keep right.
Copying the rows themselves keeps one router, whose state file is only a cache of the topic.

Why transactions: one fixed transactional id per router deployment. A router taking over calls
`init_transactions`, which fences the former active router's producer: from then on it cannot store a
row, and since a message is only sent after its 'sending' mark is stored (router.py), it cannot send
either. What it stored before is read by the new active router, which sends again the rows marked
'sending' but not 'sent' (the one window of at-least-once: the channel took the message, the host died
before 'sent' was stored; the same message id lets receivers drop the repeat).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from routing.state import Store

log = logging.getLogger(__name__)
Row = tuple[str, list[Any], dict[str, Any] | None]
Extra = tuple[str, int, bytes, bytes]
"""A record of another topic to write with the state: (topic, partition, key, value)."""
TAKEOVER = "takeover"


class ReplicaError(Exception):
    """The state could not be stored in Kafka (broker away, or this router was fenced): the router
    must stop acting as the active one."""


def state_key(group: str, table: str, key: list[Any]) -> bytes:
    return f"{group}|{table}|{json.dumps(key, ensure_ascii=False)}".encode()


def parse_record(group: str, key: bytes | None, value: bytes | None) -> Row | None:
    """A state record of this router deployment as (table, primary key, row or None); None for
    another deployment's records and for takeover markers."""
    if key is None:
        return None
    text = key.decode()
    if not text.startswith(f"{group}|"):
        return None
    table, _, pk = text[len(group) + 1 :].partition("|")
    if table == TAKEOVER:
        return None
    return table, json.loads(pk), json.loads(value) if value is not None else None


def encode_row(row: dict[str, Any] | None) -> bytes | None:
    return json.dumps(row, ensure_ascii=False).encode() if row is not None else None


class StateWriter:
    """The active router's producer of the state topic. Creating it fences every earlier one of the
    same deployment (and aborts what it left open)."""

    def __init__(self, client: dict[str, str], topic: str, group: str, timeout_s: float = 30.0) -> None:
        """`client`: where Kafka is and how to log in (Endpoints.kafka_client)."""
        self.topic, self.group, self.timeout_s = topic, group, timeout_s
        self.producer = Producer(
            client
            | {
                "transactional.id": f"{group}-state",
                "enable.idempotence": True,
                "transaction.timeout.ms": 60000,
            }
        )
        try:
            self.producer.init_transactions(timeout_s)
        except KafkaException as exc:
            raise ReplicaError(f"cannot take over the router's state: {exc}") from exc

    def _commit(self, records: list[tuple[bytes, bytes | None]], extra: Sequence[Extra] = ()) -> None:
        try:
            self.producer.begin_transaction()
            for key, value in records:
                self.producer.produce(self.topic, key=key, value=value)
            for topic, partition, key, value in extra:
                self.producer.produce(topic, key=key, value=value, partition=partition)
            self.producer.commit_transaction(self.timeout_s)
        except KafkaException as exc:
            if exc.args and exc.args[0].txn_requires_abort():
                try:
                    self.producer.abort_transaction(self.timeout_s)
                except KafkaException:
                    pass
            raise ReplicaError(f"router state not stored: {exc}") from exc

    def write(self, store: Store, extra: Sequence[Extra] = ()) -> int:
        """Store every row changed since the last call, and `extra` records in the same transaction
        (operators' actions for the alert task: published if and only if the state recording them
        is); raises ReplicaError when Kafka did not take it."""
        last, rows = store.changed_rows()
        if not rows and not extra:
            return 0
        records = [(state_key(self.group, table, key), encode_row(row)) for table, key, row in rows]
        self._commit(records, extra)
        store.forget_changes(last)
        return len(rows)

    def marker(self) -> bytes:
        """A takeover marker, stored after everything the former active router committed; reading up
        to it reads all of that. A tombstone, so compaction forgets it."""
        key = state_key(self.group, TAKEOVER, [uuid.uuid4().hex])
        self._commit([(key, None)])
        return key


class StateFollower:
    """Copies the state topic into the local state file, from where the file says it stopped."""

    def __init__(self, consumer: Consumer, topic: str, group: str, store: Store) -> None:
        self.consumer, self.topic, self.group, self.store = consumer, topic, group, store
        self.consumer.assign([TopicPartition(topic, 0, store.position())])

    def restart(self) -> None:
        """After `store.wipe()`: copy again from the start."""
        partition = TopicPartition(self.topic, 0, self.store.position())
        self.consumer.assign([partition])
        self.consumer.resume([partition])

    def pause(self) -> None:
        """While this router is the active one (the topic holds only its own writes): fetch nothing."""
        self.consumer.pause([TopicPartition(self.topic, 0)])

    def follow(self, timeout_s: float, until: bytes | None = None) -> bool:
        """Apply what arrives within `timeout_s`; True when the record keyed `until` was among it."""
        messages = self.consumer.consume(num_messages=1000, timeout=timeout_s)
        rows: list[Row] = []
        seen, position = False, None
        for message in messages:
            if message.error() is not None:
                log.warning("state topic: %s", message.error())
                continue
            position = message.offset() + 1
            seen = seen or (until is not None and message.key() == until)
            row = parse_record(self.group, message.key(), message.value())
            if row is not None:
                rows.append(row)
        if position is not None:
            self.store.apply_rows(rows, position)
        return seen

    def catch_up(self, marker: bytes, timeout_s: float) -> None:
        """Apply everything up to this router's takeover marker."""
        deadline = time.monotonic() + timeout_s
        while not self.follow(0.5, until=marker):
            if time.monotonic() > deadline:
                raise ReplicaError(f"state topic not read to its end within {timeout_s:.0f} s")
