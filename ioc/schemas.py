"""`ioc schemas register | check`: the registry holds every topic's value schema, and no change
that breaks compatibility with earlier versions gets in.

Each subject is set to BACKWARD_TRANSITIVE before registering: a consumer on the new schema must
read every version ever written, because Kafka keeps old records and replays read them all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from avro_schemas import load_schema
from topics.catalog import ALL_TOPICS, TopicSpec

DEFAULT_COMPATIBILITY = "BACKWARD_TRANSITIVE"


class IncompatibleSchemaError(Exception):
    """A schema the registry refuses; the message names the subject and the registry's reason (field and rule)."""


@dataclass(frozen=True)
class Registration:
    """A subject and the id its current schema has."""

    subject: str
    schema_id: int


def _schema(spec: TopicSpec) -> Schema:
    return Schema(json.dumps(load_schema(spec.schema)), "AVRO")


def register_subject(
    client: SchemaRegistryClient,
    subject: str,
    schema: dict[str, Any],
    compatibility: str = DEFAULT_COMPATIBILITY,
) -> int:
    """Register one schema under a subject with its compatibility level; the registry's refusal
    (which names the field and its location) becomes IncompatibleSchemaError."""
    client.set_compatibility(subject, compatibility)
    try:
        return client.register_schema(subject, Schema(json.dumps(schema), "AVRO"))
    except SchemaRegistryError as exc:
        raise IncompatibleSchemaError(f"{subject}: {exc.error_message}") from exc


def register_all(
    client: SchemaRegistryClient, prefix: str = "", specs: tuple[TopicSpec, ...] = ALL_TOPICS
) -> list[Registration]:
    """Register every topic's schema under its subject; registering the same schema again is a no-op."""
    return [
        Registration(
            spec.subject(prefix), register_subject(client, spec.subject(prefix), load_schema(spec.schema))
        )
        for spec in specs
    ]


def check_all(
    client: SchemaRegistryClient, prefix: str = "", specs: tuple[TopicSpec, ...] = ALL_TOPICS
) -> list[str]:
    """Which subjects' schemas in the working tree the registry would refuse, with its reasons; empty when all pass."""
    problems = []
    registered = set(client.get_subjects())
    for spec in specs:
        subject = spec.subject(prefix)
        if subject not in registered:
            continue
        try:
            if not client.test_compatibility(subject, _schema(spec)):
                problems.append(f"{subject}: not compatible with its registered versions")
        except SchemaRegistryError as exc:
            problems.append(f"{subject}: {exc.error_message}")
    return problems
