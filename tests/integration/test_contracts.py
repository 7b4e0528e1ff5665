"""Data contracts on the real registry and broker: every schema registered, every example payload
round-trips through Kafka, an incompatible change is refused naming the field, topics apply is idempotent."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource

from avro_schemas import SCHEMA_DIR, load_schema
from avro_schemas.json_records import JsonRecordConverter
from ioc.schemas import DEFAULT_COMPATIBILITY, IncompatibleSchemaError, register_subject
from ioc.serde import AvroDecoder, AvroEncoder, registry_client
from tests.integration.conftest import RunningStack
from tests.integration.helpers import wait_for
from topics.apply import apply_topics
from topics.catalog import ALL_TOPICS, INPUT_TOPICS, TopicSpec


def test_every_topic_schema_is_registered_backward_transitive(local_stack: RunningStack) -> None:
    client = registry_client(local_stack.endpoints)
    subjects = set(client.get_subjects())
    for spec in ALL_TOPICS:
        assert spec.subject() in subjects
        assert client.get_compatibility(spec.subject()) == DEFAULT_COMPATIBILITY


def _produce_and_read_back(stack: RunningStack, spec: TopicSpec, value: bytes) -> bytes:
    """Produce one message and read exactly that message back by its partition and offset."""
    delivered: list[Any] = []
    producer = Producer(stack.endpoints.kafka_client() | {"enable.idempotence": True})
    producer.produce(
        spec.full_name(), key=uuid.uuid4().bytes, value=value, on_delivery=lambda e, m: delivered.append(m)
    )
    assert producer.flush(30) == 0
    message = delivered[0]
    assert message.error() is None
    consumer = Consumer(stack.endpoints.kafka_client() | {"group.id": f"rt-{uuid.uuid4().hex}"})
    consumer.assign([TopicPartition(spec.full_name(), message.partition(), message.offset())])
    read = consumer.poll(30)
    consumer.close()
    assert read is not None and read.error() is None
    return bytes(read.value())


@pytest.mark.parametrize(
    "spec", [s for s in ALL_TOPICS if s.name.split(".")[1] != "dlq"], ids=lambda s: s.name
)
def test_example_payload_round_trips_through_kafka(local_stack: RunningStack, spec: TopicSpec) -> None:
    example = json.loads((SCHEMA_DIR / "examples" / f"{spec.schema}.json").read_text(encoding="utf-8"))
    schema = load_schema(spec.schema)
    datum = JsonRecordConverter(schema).convert(example)
    client = registry_client(local_stack.endpoints)
    encoded = AvroEncoder.for_subject(client, spec.subject(), schema).encode(datum)
    decoded = AvroDecoder(client, schema).decode(_produce_and_read_back(local_stack, spec, encoded))
    assert decoded == datum


def test_incompatible_change_is_refused_naming_the_field(local_stack: RunningStack) -> None:
    client = registry_client(local_stack.endpoints)
    subject = f"compat-{uuid.uuid4().hex[:8]}-value"
    original = load_schema("derived/indicators")
    register_subject(client, subject, original)
    breaking = json.loads(json.dumps(original))
    breaking["fields"].append(
        {"name": "zone_code", "type": "string", "doc": "no default: old records lack it"}
    )
    with pytest.raises(IncompatibleSchemaError) as refused:
        register_subject(client, subject, breaking)
    assert subject in str(refused.value)
    assert "zone_code" in str(refused.value)

    compatible = json.loads(json.dumps(original))
    compatible["fields"].append(
        {"name": "zone_code", "type": "string", "default": "", "doc": "with a default"}
    )
    assert register_subject(client, subject, compatible) > 0


def test_topics_apply_twice_changes_nothing_and_mends_drift(local_stack: RunningStack) -> None:
    prefix = f"apply-{uuid.uuid4().hex[:6]}."
    specs = INPUT_TOPICS[:3]
    first = apply_topics(local_stack.endpoints.kafka_client(), prefix, specs)
    assert {c.action for c in first} == {"created"}
    second = apply_topics(local_stack.endpoints.kafka_client(), prefix, specs)
    assert [(c.topic, c.action) for c in second] == [(s.full_name(prefix), "unchanged") for s in specs]

    drifted = specs[0].full_name(prefix)
    admin = AdminClient(local_stack.endpoints.kafka_client())
    entry = ConfigEntry("retention.ms", "1000", incremental_operation=AlterConfigOpType.SET)
    resource = ConfigResource(ConfigResource.Type.TOPIC, drifted, incremental_configs=[entry])
    admin.incremental_alter_configs([resource])[resource].result(30)
    # The broker applies config changes through its controller: wait until the drift is visible.
    described = ConfigResource(ConfigResource.Type.TOPIC, drifted)
    wait_for(
        lambda: admin.describe_configs([described])[described].result(30)["retention.ms"].value,
        lambda value: value == "1000",
        30,
    )
    third = apply_topics(local_stack.endpoints.kafka_client(), prefix, specs)
    assert [(c.topic, c.action) for c in third if c.action != "unchanged"] == [(drifted, "altered")]
    assert "retention.ms: 1000 →" in next(c.detail for c in third if c.action == "altered")
    fourth = apply_topics(local_stack.endpoints.kafka_client(), prefix, specs)
    assert {c.action for c in fourth} == {"unchanged"}
