"""The report values' task: the topic has one partition, so one task sees every value, in order, and
the wall clock (`tick`) can judge what has not come. It runs several models of the values
(`ReportRules`: report lateness, streams/model/report_lateness.py, and the forms' figures,
streams/model/form_figures.py), each with a store of its own, over one decoding: a value one model
cannot take is dead-lettered once, with that model's reason, and counts for none."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from confluent_kafka import Message

from streams.engine.inputs import Intake, Origin, Output
from streams.engine.outputs import send_all
from streams.engine.runtime import Outputs
from streams.engine.store import Store
from streams.engine.upstream import Sinks


class ReportRules(Protocol):
    """What a model of the report values says; entries are the task's store."""

    def problem(self, record: dict[str, Any]) -> tuple[str, str] | None:
        """(field, rule) of a value the model cannot take, which is dead-lettered."""

    def submit(self, entries: Store, record: dict[str, Any], now: int) -> list[dict[str, Any]] | None:
        """The indicator records a value produced; None when it came too late to change anything."""

    def tick(self, entries: Store, now: int) -> list[dict[str, Any]]:
        """The indicator records the wall clock produced (and entries forgotten)."""

    def window_end_ms(self, record: dict[str, Any]) -> int:
        """The end of the period a late value reports on."""

    def processor(self, record: dict[str, Any]) -> str:
        """Who judged a late value, for the late-events table."""


class ReportValuesTask:
    """The report values (one partition): submissions and the clock into each model's entries."""

    def __init__(self, models: Sequence[tuple[ReportRules, Store]], intake: Intake, sinks: Sinks) -> None:
        """`intake` refuses the values any model cannot take (`refusal`)."""
        self.models = models
        self.intake = intake
        self.sinks = sinks

    def process(self, topic: str, messages: Sequence[Message], out: Outputs) -> None:
        dead: list[Output] = []
        self.step(self.intake.records(messages, dead), out)
        send_all(out, self.sinks.dead_topic, dead)

    def step(self, items: Sequence[tuple[Origin, dict[str, Any]]], out: Outputs) -> None:
        late: list[Output] = []
        for origin, record in items:
            for rules, store in self.models:
                produced = rules.submit(store, record, out.now)
                if produced is None:
                    late.append(self._late(rules, origin, record, out.now))
                    continue
                for indicator in produced:
                    self.sinks.indicators.add(indicator)
        self.sinks.indicators.send(out)
        send_all(out, self.sinks.late_topic, late)

    def tick(self, out: Outputs) -> None:
        for rules, store in self.models:
            for indicator in rules.tick(store, out.now):
                self.sinks.indicators.add(indicator)
        self.sinks.indicators.send(out)

    def flush(self, out: Outputs) -> None:
        """Figures are sent as they change; nothing is held back."""

    def _late(self, rules: ReportRules, origin: Origin, record: dict[str, Any], now: int) -> Output:
        """A value for a period the rules no longer follow."""
        return self.sinks.late.record(
            origin,
            record,
            processor=rules.processor(record),
            event_ms=record["observed_at"],
            window_end_ms=rules.window_end_ms(record),
            watermark_ms=now,
            now_ms=now,
            timestamp_fields=self.intake.decoder.timestamp_fields,
        )


def refusal(models: Sequence[ReportRules]) -> Callable[[dict[str, Any]], tuple[str, str] | None]:
    """The intake's check: the first model's problem with a value, in the models' order."""

    def problem(record: dict[str, Any]) -> tuple[str, str] | None:
        for rules in models:
            found = rules.problem(record)
            if found is not None:
                return found
        return None

    return problem
