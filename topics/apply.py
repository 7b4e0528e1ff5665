"""`ioc topics apply`: make the broker's topics match the catalog, idempotently, and report drift.

Creates what is missing, sets configs that differ, adds partitions when the catalog asks for more.
It never deletes a topic or removes partitions (Kafka cannot, and data would be lost): such drift
is reported for a person to decide.
"""

from __future__ import annotations

from dataclasses import dataclass

from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewPartitions,
    NewTopic,
)

from topics.catalog import ALL_TOPICS, INTERNAL_TOPICS, TopicSpec


@dataclass(frozen=True)
class Change:
    """One thing apply did or found: `action` is created, altered, partitions, drift or unchanged."""

    topic: str
    action: str
    detail: str = ""


def apply_topics(
    kafka: dict[str, str],
    prefix: str = "",
    specs: tuple[TopicSpec, ...] = ALL_TOPICS + INTERNAL_TOPICS,
    timeout_s: float = 30.0,
) -> list[Change]:
    """Bring the broker in line with `specs` (`kafka`: `Endpoints.kafka_client()`); returns what
    changed (only `unchanged` on a second run)."""
    admin = AdminClient(kafka)
    existing = admin.list_topics(timeout=timeout_s).topics
    changes: list[Change] = []
    to_create = [s for s in specs if s.full_name(prefix) not in existing]
    if to_create:
        brokers = len(admin.list_topics(timeout=10).brokers)
        futures = admin.create_topics(
            [
                NewTopic(
                    s.full_name(prefix), s.partitions, s.copies(brokers), config=s.config(s.copies(brokers))
                )
                for s in to_create
            ],
            operation_timeout=timeout_s,
        )
        for name, future in futures.items():
            future.result()
            changes.append(Change(name, "created"))
    for spec in specs:
        name = spec.full_name(prefix)
        if name not in existing:
            continue
        layout = existing[name].partitions
        copies = len(layout[0].replicas) if layout else 1
        changes.extend(_reconcile(admin, spec, name, len(layout), copies, timeout_s))
    return changes


def _reconcile(
    admin: AdminClient, spec: TopicSpec, name: str, partitions: int, copies: int, timeout_s: float
) -> list[Change]:
    changes = []
    if partitions < spec.partitions:
        admin.create_partitions([NewPartitions(name, spec.partitions)])[name].result(timeout_s)
        changes.append(Change(name, "partitions", f"{partitions} → {spec.partitions}"))
    elif partitions > spec.partitions:
        changes.append(
            Change(name, "drift", f"broker has {partitions} partitions, code says {spec.partitions}")
        )
    resource = ConfigResource(ConfigResource.Type.TOPIC, name)
    current = admin.describe_configs([resource])[resource].result(timeout_s)
    wanted = spec.config(copies)
    differing = {k: v for k, v in wanted.items() if current[k].value != v}
    if differing:
        entries = [
            ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET) for k, v in differing.items()
        ]
        admin.incremental_alter_configs(
            [ConfigResource(ConfigResource.Type.TOPIC, name, incremental_configs=entries)]
        )[resource].result(timeout_s)
        detail = ", ".join(f"{k}: {current[k].value} → {v}" for k, v in differing.items())
        changes.append(Change(name, "altered", detail))
    if not changes:
        changes.append(Change(name, "unchanged"))
    return changes
