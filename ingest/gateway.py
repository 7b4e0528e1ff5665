"""The one path every door takes: validate, drop what was already stored, produce, wait, remember.

HTTP, MQTT and file uploads all call `Gateway.submit`, so a record is judged and stored the same way
whichever door it came through. Valid records go to the feed's topic as batch envelopes keyed by
source id (at most `ENVELOPE_RECORDS` per message); rejected ones go to the family's dead-letter
topic with the rule and reason. Nothing is reported as stored before the broker acknowledged it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from ingest.dedup import DedupStore, Key
from ingest.errors import KafkaUnavailableError
from ingest.feeds import Feed
from ingest.producer import OutgoingMessage
from ingest.validation import Accepted, Rejection, TimeWindow, check_records
from ioc.dead_letters import dead_letter_record
from ioc.serde import AvroEncoder

ENVELOPE_RECORDS = 500


class Sender(Protocol):
    def send(self, messages: list[OutgoingMessage]) -> list[str]: ...

    def close(self) -> None: ...


@dataclass
class Outcome:
    """What happened to a request's records; the body of every 2xx and 422 reply."""

    feed: str
    source_id: str
    sandbox: bool
    received: int
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    stored: bool = True  # False: sandbox, or a file refused as a whole

    def as_dict(self) -> dict[str, Any]:
        return {
            "feed": self.feed,
            "source_id": self.source_id,
            "sandbox": self.sandbox,
            "stored": self.stored,
            "received": self.received,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [rejection.as_dict() for rejection in self.rejected],
        }


@dataclass(frozen=True)
class Encoders:
    """Registered writers: each feed's envelope and each family's dead letters, found once at start."""

    feeds: dict[str, AvroEncoder]
    dead_letters: dict[str, AvroEncoder]


class Gateway:
    """Validation, idempotency and delivery for every door."""

    def __init__(
        self,
        feeds: dict[str, Feed],
        encoders: Encoders,
        sender: Sender,
        dedup: DedupStore,
        window: TimeWindow,
        *,
        retry_after_s: int,
        topic_prefix: str = "",
    ) -> None:
        self.feeds = feeds
        self.encoders = encoders
        self.sender = sender
        self.dedup = dedup
        self.window = window
        self.retry_after_s = retry_after_s
        self.prefix = topic_prefix

    def close(self) -> None:
        """Deliver what is queued (bounded by the delivery timeout), then close the dedup store."""
        self.sender.close()
        self.dedup.close()

    def submit(
        self,
        feed: Feed,
        source_id: str,
        records: list[Any],
        *,
        door: str,
        sandbox: bool = False,
        all_or_nothing: bool = False,
        sent_at: datetime | None = None,
    ) -> Outcome:
        """Judge and store a request's records; KafkaUnavailableError when the broker did not acknowledge.

        `all_or_nothing`: any rejected record refuses the whole request (files, by default); nothing
        is stored, not even dead letters, since the sender gets the full report and sends again.
        """
        now = datetime.now(UTC)
        valid, rejected = check_records(feed, records, self.window, now)
        outcome = Outcome(feed.name, source_id, sandbox, len(records), rejected=rejected)
        if all_or_nothing and rejected:
            outcome.stored = False
            return outcome
        namespace = f"sandbox:{feed.name}" if sandbox else feed.name
        keys = {item.index: (namespace, source_id, item.event_id) for item in valid}
        claimed = self.dedup.claim(keys[item.index] for item in valid)
        fresh: list[Accepted] = []
        taken: set[Key] = set()
        for item in valid:
            key = keys[item.index]
            if key in claimed and key not in taken:
                taken.add(key)
                fresh.append(item)
        outcome.accepted, outcome.duplicates = len(fresh), len(valid) - len(fresh)
        if sandbox:
            self.dedup.commit(claimed)
            outcome.stored = False
            return outcome
        self._deliver(feed, namespace, source_id, fresh, rejected, records, door, sent_at or now, claimed)
        return outcome

    def refuse(self, feed: Feed, source_id: str, payload: str, rule: str, message: str, door: str) -> None:
        """Send an unreadable message (not JSON, not a record list) to the dead letters as it came."""
        rejection = Rejection(0, "", "", rule, message)
        failures = self.sender.send([self._dead_letter(feed, source_id, rejection, payload, door)])
        if failures[0]:
            raise KafkaUnavailableError(
                f"Kafka did not acknowledge the dead letter ({failures[0]})", self.retry_after_s
            )

    def _deliver(
        self,
        feed: Feed,
        namespace: str,
        source_id: str,
        fresh: list[Accepted],
        rejected: list[Rejection],
        records: list[Any],
        door: str,
        sent_at: datetime,
        claimed: set[Key],
    ) -> None:
        chunks = [fresh[i : i + ENVELOPE_RECORDS] for i in range(0, len(fresh), ENVELOPE_RECORDS)]
        messages = [self._envelope(feed, source_id, chunk, sent_at) for chunk in chunks]
        messages += [self._dead_letter(feed, source_id, r, records[r.index], door) for r in rejected]
        failures = self.sender.send(messages)
        stored: list[Key] = []
        for chunk, failure in zip(chunks, failures, strict=False):
            if not failure:
                stored += [(namespace, source_id, item.event_id) for item in chunk]
        self.dedup.commit(stored)
        self.dedup.release(claimed - set(stored))
        problems = [failure for failure in failures if failure]
        if problems:
            raise KafkaUnavailableError(
                f"Kafka did not acknowledge {len(problems)} of {len(messages)} messages ({problems[0]})",
                self.retry_after_s,
            )

    def _envelope(
        self, feed: Feed, source_id: str, chunk: list[Accepted], sent_at: datetime
    ) -> OutgoingMessage:
        batch = {"source_id": source_id, "sent_at": sent_at, "records": [item.datum for item in chunk]}
        value = self.encoders.feeds[feed.name].encode(batch)
        return OutgoingMessage(feed.spec.full_name(self.prefix), source_id.encode("utf-8"), value)

    def _dead_letter(
        self, feed: Feed, source_id: str, rejection: Rejection, raw: Any, door: str
    ) -> OutgoingMessage:
        payload = json.dumps(raw, ensure_ascii=False, default=str).encode("utf-8", "replace")
        record = dead_letter_record(
            feed.spec.full_name(self.prefix),
            f"{door}#{rejection.index}" + (f":{rejection.event_id}" if rejection.event_id else ""),
            rejection.rule,
            rejection.message,
            payload,
            source_id=source_id,
            field_path=rejection.field,
        )
        value = self.encoders.dead_letters[feed.family].encode(record)
        return OutgoingMessage(feed.dead_letters.full_name(self.prefix), source_id.encode("utf-8"), value)
