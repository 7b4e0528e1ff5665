"""Every topic of the platform, declared once.

Naming: `ioc.<family>.<feed>` for inputs (family: camera, sensor, department), `ioc.derived.<name>`
for what the platform computes, `ioc.dlq.<family>` for each family's dead letters. The value schema
subject follows the Confluent topic-name strategy, `<topic>-value`, so standard clients find it.
Input topics use LogAppendTime: replays and simulators of past days carry old event times, which as
record timestamps would make retention delete them within minutes (event time stays in the payload).
"""

from __future__ import annotations

from dataclasses import dataclass, field

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class TopicSpec:
    """One topic: its name (without the deployment prefix), layout, retention and data contract."""

    name: str
    schema: str  # file under avro_schemas/, e.g. "camera/vehicle_counts"
    key: str  # what the message key holds, for integrators and for partitioning
    partitions: int
    retention_days: int
    cleanup_policy: str = "delete"
    log_append_time: bool = True
    extra_config: dict[str, str] = field(default_factory=dict)

    def full_name(self, prefix: str = "") -> str:
        """The topic's name on the broker; tests give each run its own prefix."""
        return f"{prefix}{self.name}"

    def subject(self, prefix: str = "") -> str:
        """The registry subject of the value schema (topic-name strategy)."""
        return f"{self.full_name(prefix)}-value"

    def config(self) -> dict[str, str]:
        """The topic-level settings the broker must have."""
        config = {
            "cleanup.policy": self.cleanup_policy,
            "retention.ms": str(self.retention_days * DAY_MS),
            "message.timestamp.type": "LogAppendTime" if self.log_append_time else "CreateTime",
        }
        return config | self.extra_config


CAMERA_VEHICLE_COUNTS = TopicSpec(
    name="ioc.camera.vehicle-counts",
    schema="camera/vehicle_counts",
    key="source_id of the batch (each camera is reported by one source, so its windows stay on one partition)",
    partitions=6,
    retention_days=7,
)
INDICATORS = TopicSpec(
    name="ioc.derived.indicators",
    schema="derived/indicators",
    key="indicator|entity_id|window_start",
    partitions=3,
    retention_days=30,
    log_append_time=False,
)
DLQ_CAMERA = TopicSpec(
    name="ioc.dlq.camera",
    schema="derived/dead_letters",
    key="source_id",
    partitions=1,
    retention_days=30,
)

ALL_TOPICS: tuple[TopicSpec, ...] = (CAMERA_VEHICLE_COUNTS, INDICATORS, DLQ_CAMERA)


def by_name(name: str) -> TopicSpec:
    """The spec of a topic, by its unprefixed name."""
    for spec in ALL_TOPICS:
        if spec.name == name:
            return spec
    raise KeyError(name)
