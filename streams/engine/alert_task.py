"""The alerts task: observations in (indicator windows, incidents, camera heartbeats and sensor readings
as liveness), alert changes out, the rules' state in a changelogged store.

The rules and their state machines are pure (streams/model/alerting); this task feeds them one
partition's observations and keeps one partition's entries (rule × entity). Every source topic is
keyed so that one entity's observations stay on one partition (indicators by entity, inputs by source),
so each entry has one owner. An entry is written to the changelog when an observation or a tick
changed it, in the same transaction as the offsets and the alert changes: a restarted worker resumes
every open alert, its timers and its baselines exactly, and never sends a change twice.

Operators' decisions (acknowledged, resolved, false alarm) arrive on `ioc.internal.alerts.actions`,
published by the router to the partition numbered like the task that owns the alert (every alert is
written to the alerts partition of its task's number, so the router knows it). Applied here, they
become alert revisions in the same transaction as everything else: once, whatever restarts.

Absence rules measure silence from when data arrived here (the wall clock), so a replayed backlog is
not silent; the tick runs on the wall clock for the same reason.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Message

from ioc.dead_letters import dead_letter_record
from ioc.serde import AvroEncoder
from streams.engine.inputs import Intake, Origin, Output, payload_of
from streams.engine.outputs import send_all
from streams.engine.runtime import Outputs
from streams.engine.store import Store
from streams.model.alerting import AlertEngine, ObservationError, RuleSet, to_alert_record
from streams.model.alerting.inputs import Observe
from streams.model.alerting.operator import ActionError, apply_action, parse_action

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertSource:
    """One topic the alerts task reads: how its messages decode and become observations, and where
    what cannot be observed goes (its family's dead letters)."""

    topic: str
    observe: Observe  # one decoded record -> the observations the rules read
    intake: Intake  # decoding, and the dead letters of its family
    dead_topic: str
    envelopes: bool  # batch envelopes of an input feed (else one record per message)
    # Undecodable input messages are dead-lettered by the feed's own agent; saying so twice helps nobody.
    reports_undecodable: bool


class AlertTask:
    """One partition's alert entries."""

    def __init__(
        self,
        store: Store,
        ruleset: RuleSet,
        sources: Sequence[AlertSource],
        encoder: AvroEncoder,
        topic: str,
        sender: str,
        partition: int,
        actions_topic: str,
    ) -> None:
        """`partition`: this task's number, which is also the alerts partition it writes to."""
        self.store = store
        self.ruleset = ruleset
        self.engine = AlertEngine(ruleset, state=store.data)
        self.sources = {source.topic: source for source in sources}
        self.encoder = encoder
        self.topic = topic
        self.sender = sender
        self.partition = partition
        self.actions_topic = actions_topic

    def process(self, topic: str, messages: Sequence[Message], out: Outputs) -> None:
        if topic == self.actions_topic:
            self._actions(messages, out)
            return
        source = self.sources[topic]
        dead: list[Output] = []
        changes = []
        for origin, record in self._records(source, messages, dead):
            for observation in source.observe(record):
                try:
                    changes += self.engine.observe(observation, out.now)
                except ObservationError as exc:
                    dead.append(self._refuse(source, origin, observation, exc))
        for key in self.engine.take_observed():
            self.store.touch(key)
        self._send(changes, out)
        send_all(out, source.dead_topic, dead)

    def tick(self, out: Outputs) -> None:
        changes = self.engine.tick(out.now)
        for change in changes:
            self.store.touch(change.dedup_key)
        self._send(changes, out)

    def flush(self, out: Outputs) -> None:
        """Alert changes are sent as they happen; nothing is held back."""

    def _records(
        self, source: AlertSource, messages: Sequence[Message], dead: list[Output]
    ) -> list[tuple[Origin, dict[str, Any]]]:
        if source.envelopes:
            return source.intake.records(messages, dead if source.reports_undecodable else [])
        records = []
        for message in messages:
            record = source.intake.envelope(message, dead)
            if record is not None:
                records.append((Origin(message.topic(), message.partition(), message.offset()), record))
        return records

    def _refuse(
        self, source: AlertSource, origin: Origin, observation: dict[str, Any], exc: ObservationError
    ) -> Output:
        """The dead letter of an observation the rules cannot read, naming the field the error names."""
        field = str(exc).split(":", 1)[0]
        reason = f"{origin.ref}: {exc}"
        log.warning("dead letter: %s", reason)
        value = dead_letter_record(
            origin.topic,
            origin.ref,
            "alert-observation",
            reason,
            payload_of(observation, source.intake.decoder.timestamp_fields),
            source_id=origin.source_id,
            field_path=field,
        )
        return origin.source_id.encode(), source.intake.dead_letters.encode(value)

    def _actions(self, messages: Sequence[Message], out: Outputs) -> None:
        """Operators' decisions; one the router wrote wrongly is logged and passed over (no dead
        letters: nobody outside the platform writes this topic)."""
        changes = []
        for message in messages:
            try:
                action = parse_action(message.value())
            except ActionError as exc:
                log.error("operator action at offset %s passed over: %s", message.offset(), exc)
                continue
            change = apply_action(self.engine.state, action, out.now)
            if change is None:
                log.info(
                    "%s of %s by %s: the alert is no longer open here",
                    action.kind,
                    action.alert_id,
                    action.officer_id,
                )
                continue
            self.store.touch(action.dedup_key)
            changes.append(change)
        self._send(changes, out)

    def _send(self, changes: list[Any], out: Outputs) -> None:
        for change in changes:
            record = to_alert_record(change, self.ruleset.by_id[change.rule_id], self.sender)
            out.send(self.topic, change.alert_id.encode(), self.encoder.encode(record), self.partition)
