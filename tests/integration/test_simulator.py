"""The province simulator against the real broker and registry: every input feed receives decodable
batches, and the invalid records on the topics are exactly the injected ones, in the configured share."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition

from avro_schemas import load_schema
from ioc.province import load_province
from ioc.serde import AvroDecoder, registry_client
from load_tests.cameras import CameraRates
from load_tests.departments import DepartmentRates
from load_tests.faults import FaultConfig, plausibility_problem
from load_tests.live import feed_sender
from load_tests.pacing import send_batched
from load_tests.province_sim import ProvinceSimulator, SimConfig
from tests.integration.conftest import RunningStack
from topics.catalog import INPUT_TOPICS, TopicSpec

T0 = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
INVALID_SHARE = 0.05
CONFIG = SimConfig(
    cameras=60,
    faults=FaultConfig(invalid_share=INVALID_SHARE, duplicate_share=0.02, out_of_order_share=0.02),
    camera_rates=CameraRates(incident_per_min=0.02),
    department_rates=DepartmentRates(hotline_per_min=3.0, dossiers_per_min=2.0),
)


def high_watermarks(consumer: Consumer, topic: str, partitions: int) -> dict[int, int]:
    return {
        p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(partitions)
    }


def read_range(
    consumer: Consumer, topic: str, start: dict[int, int], end: dict[int, int], decoder: AvroDecoder
) -> list[dict[str, Any]]:
    """Every batch between the offsets, decoded; its records, flattened."""
    wanted = {p for p in start if end[p] > start[p]}
    consumer.assign([TopicPartition(topic, p, start[p]) for p in wanted])
    records: list[dict[str, Any]] = []
    while wanted:
        message = consumer.poll(10)
        assert message is not None, f"{topic}: nothing more to read before offsets {end}"
        assert message.error() is None, message.error()
        records += decoder.decode(message.value())["records"]
        if message.offset() + 1 >= end[message.partition()]:
            wanted.discard(message.partition())
    return records


def test_every_feed_reaches_its_topic_decodable_with_the_configured_share_of_invalid(
    local_stack: RunningStack,
) -> None:
    settings, endpoints = local_stack.settings, local_stack.endpoints
    simulator = ProvinceSimulator(load_province(settings.province_file), 21, T0, CONFIG)
    emissions = simulator.due(T0 + timedelta(minutes=6))
    consumer = Consumer(
        endpoints.kafka_client() | {"group.id": "test-simulator", "enable.auto.commit": False}
    )
    specs: dict[str, TopicSpec] = {spec.name: spec for spec in INPUT_TOPICS}
    before = {
        name: high_watermarks(consumer, spec.full_name(), spec.partitions) for name, spec in specs.items()
    }

    sender = feed_sender(settings)
    send_batched(sender, emissions, 100)
    assert sender.flush() == 0

    registry = registry_client(endpoints)
    sent = Counter(e.feed.name for e in emissions)
    injected = Counter(e.feed.name for e in emissions if e.fault == "invalid")
    received_invalid = 0
    for name, spec in specs.items():
        after = high_watermarks(consumer, spec.full_name(), spec.partitions)
        records = read_range(
            consumer, spec.full_name(), before[name], after, AvroDecoder(registry, load_schema(spec.schema))
        )
        assert len(records) == sent[name] > 0, name
        invalid = sum(plausibility_problem(name, record) is not None for record in records)
        assert invalid == injected[name], name
        received_invalid += invalid
    consumer.close()
    assert received_invalid / len(emissions) == pytest.approx(INVALID_SHARE, rel=0.25)
