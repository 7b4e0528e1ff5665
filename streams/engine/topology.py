"""Wiring processors for the runtime: a windowed feed is two processors, its source tasks and the
owners of its totals, over the internal topics the catalog declares for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from confluent_kafka.schema_registry import SchemaRegistryClient

from avro_schemas import load_schema
from ioc.province import Province, load_province
from ioc.serde import AvroEncoder
from ioc.settings import Settings
from streams.engine.inputs import Intake, MillisDecoder, millis_encoder
from streams.engine.late import LateEvents
from streams.engine.outputs import Indicators
from streams.engine.owner import OwnerTask
from streams.engine.runtime import Task, now_ms
from streams.engine.store import Store
from streams.engine.upstream import Sinks, SourceTask, Timing, TotalsTopic
from streams.model.routes import Model
from topics.catalog import INDICATORS, LATE_EVENTS, ProcessorTopics, TopicSpec


@dataclass(frozen=True)
class Node:
    """A processor as the runtime sees it (streams/engine/runtime.py `Processor`)."""

    name: str
    sources: tuple[str, ...]
    changelogs: tuple[str, ...]
    factory: Callable[[int, list[Store]], Task]

    def task(self, partition: int, stores: list[Store]) -> Task:
        return self.factory(partition, stores)


class Wiring:
    """What every agent needs to build its processors: settings, the registry and shared encoders.
    Schemas are looked up here, once, at start-up."""

    def __init__(self, settings: Settings, registry: SchemaRegistryClient) -> None:
        self.settings = settings
        self.registry = registry
        self.prefix = settings.topic_prefix
        streams = settings.streams
        self.timing = Timing(
            grace_ms=int(streams.window_grace_s * 1000),
            idle_ms=int(streams.idle_close_s * 1000),
            provisional_ms=int(streams.provisional_interval_s * 1000),
            horizon_ms=int(streams.device_horizon_s * 1000),
            refresh_ms=int(streams.ageing_refresh_s * 1000),
        )
        self._encoders: dict[str, AvroEncoder] = {}

    def name(self, spec: TopicSpec) -> str:
        return spec.full_name(self.prefix)

    def encoder(self, spec: TopicSpec) -> AvroEncoder:
        """The encoder of a contract topic's registered schema (looked up once per topic), taking
        instants as epoch milliseconds as everything in the engine carries them."""
        encoder = self._encoders.get(spec.name)
        if encoder is None:
            encoder = self._encoders[spec.name] = millis_encoder(
                self.registry, spec.subject(self.prefix), load_schema(spec.schema)
            )
        return encoder

    def decoder(self, spec: TopicSpec) -> MillisDecoder:
        return MillisDecoder(self.registry, load_schema(spec.schema))

    @cached_property
    def province(self) -> Province:
        return load_province(self.settings.province_file)

    @cached_property
    def late(self) -> LateEvents:
        return LateEvents(self.encoder(LATE_EVENTS), self.timing.grace_ms)

    def sinks(self, dead_letters: TopicSpec) -> Sinks:
        """A task's outputs; each task gets its own indicator buffer."""
        return Sinks(
            Indicators(self.name(INDICATORS), self.encoder(INDICATORS)),
            self.late,
            self.name(LATE_EVENTS),
            self.name(dead_letters),
        )

    def windowed(
        self, topics: ProcessorTopics, source: TopicSpec, dead_letters: TopicSpec, model: Model
    ) -> list[Node]:
        """A feed folded by a model: its source tasks and, when it has totals, their owners."""
        source_name = self.name(source)
        totals = (
            TotalsTopic(self.name(topics.totals), topics.totals.partitions)
            if topics.totals is not None
            else None
        )

        def source_task(partition: int, stores: list[Store]) -> Task:
            intake = Intake(self.decoder(source), self.encoder(dead_letters), model.problem)
            return SourceTask(
                partition,
                stores[0],
                model,
                intake,
                self.sinks(dead_letters),
                self.timing,
                totals,
                f"{source_name}|{partition}",
                now_ms(),
            )

        nodes = [Node(topics.name, (source_name,), (self.name(topics.state),), source_task)]
        if totals is not None and topics.totals_state is not None:
            upstreams = [f"{source_name}|{p}" for p in range(source.partitions)]

            def owner_task(partition: int, stores: list[Store]) -> Task:
                return OwnerTask(stores[0], model, self.sinks(dead_letters), self.timing, upstreams, now_ms())

            nodes.append(
                Node(f"{topics.name}-totals", (totals.name,), (self.name(topics.totals_state),), owner_task)
            )
        return nodes
