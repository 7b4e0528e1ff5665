"""Every topic of the platform, declared once.

Naming: `ioc.<family>.<feed>` for inputs (family: camera, sensor, department; feed in kebab-case,
its schema `avro_schemas/<family>/<feed_in_snake_case>.avsc`), `ioc.derived.<name>` for what the
platform computes, `ioc.dlq.<family>` for each family's dead letters. The value schema
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


SOURCE_KEY = "source_id of the batch (a device or camera is reported by one source, so its state stays on one partition)"


def _input(family: str, feed: str, partitions: int, retention_days: int, schema: str = "") -> TopicSpec:
    """An input feed's topic: batch envelopes keyed by source, LogAppendTime, family dead letters."""
    return TopicSpec(
        name=f"ioc.{family}.{feed}",
        schema=schema or f"{family}/{feed.replace('-', '_')}",
        key=SOURCE_KEY,
        partitions=partitions,
        retention_days=retention_days,
    )


CAMERA_VEHICLE_COUNTS = _input("camera", "vehicle-counts", 6, 7)
CAMERA_SPEEDS = _input("camera", "speeds", 6, 7)
# Plate numbers are personal data (Decree 13/2023/NĐ-CP): the shortest retention that serves processing.
CAMERA_PLATE_READS = _input("camera", "plate-reads", 6, 3)
CAMERA_VIOLATIONS = _input("camera", "violations", 3, 30)
CAMERA_CROWD_DENSITY = _input("camera", "crowd-density", 3, 7)
CAMERA_INCIDENTS = _input("camera", "incidents", 3, 30)
CAMERA_HEARTBEATS = _input("camera", "heartbeats", 3, 3)

SENSOR_AIR_QUALITY = _input("sensor", "air-quality", 3, 7)
SENSOR_WATER_LEVEL = _input("sensor", "water-level", 3, 7)
SENSOR_RAINFALL = _input("sensor", "rainfall", 3, 7)
SENSOR_WEATHER = _input("sensor", "weather", 3, 7)
SENSOR_TRAFFIC_COUNTERS = _input("sensor", "traffic-counters", 3, 7)
SENSOR_DEVICES = _input("sensor", "devices", 1, 365)

DEPARTMENT_DOSSIER_EVENTS = _input("department", "dossier-events", 3, 30)
DEPARTMENT_REPORT_VALUES = _input("department", "report-values", 1, 90)
DEPARTMENT_HOTLINE_REPORTS = _input("department", "hotline-reports", 1, 30)

INDICATORS = TopicSpec(
    name="ioc.derived.indicators",
    schema="derived/indicators",
    key="entity_type|entity_id (every window of one entity stays in order on one partition, which alerting needs)",
    partitions=3,
    retention_days=30,
    log_append_time=False,
)
ALERTS = TopicSpec(
    name="ioc.derived.alerts",
    schema="derived/alerts",
    key="alert_id (every change of one alert stays in order on one partition)",
    partitions=3,
    retention_days=90,
    log_append_time=False,
)
NOTIFICATIONS = TopicSpec(
    name="ioc.derived.notifications",
    schema="derived/notifications",
    key="alert_id (the audit trail of one alert stays in order on one partition)",
    partitions=1,
    retention_days=30,
    log_append_time=False,
)
LATE_EVENTS = TopicSpec(
    name="ioc.derived.late-events",
    schema="derived/late_events",
    key="source topic|partition",
    partitions=1,
    retention_days=30,
)


def _dead_letters(family: str) -> TopicSpec:
    return TopicSpec(
        name=f"ioc.dlq.{family}",
        schema="derived/dead_letters",
        key="source_id",
        partitions=1,
        retention_days=30,
    )


DLQ_CAMERA = _dead_letters("camera")
DLQ_SENSOR = _dead_letters("sensor")
DLQ_DEPARTMENT = _dead_letters("department")
# Derived records the warehouse refuses (an indicator or alert ClickHouse will not store).
DLQ_DERIVED = _dead_letters("derived")

INPUT_TOPICS: tuple[TopicSpec, ...] = (
    CAMERA_VEHICLE_COUNTS,
    CAMERA_SPEEDS,
    CAMERA_PLATE_READS,
    CAMERA_VIOLATIONS,
    CAMERA_CROWD_DENSITY,
    CAMERA_INCIDENTS,
    CAMERA_HEARTBEATS,
    SENSOR_AIR_QUALITY,
    SENSOR_WATER_LEVEL,
    SENSOR_RAINFALL,
    SENSOR_WEATHER,
    SENSOR_TRAFFIC_COUNTERS,
    SENSOR_DEVICES,
    DEPARTMENT_DOSSIER_EVENTS,
    DEPARTMENT_REPORT_VALUES,
    DEPARTMENT_HOTLINE_REPORTS,
)
DERIVED_TOPICS: tuple[TopicSpec, ...] = (INDICATORS, ALERTS, LATE_EVENTS, NOTIFICATIONS)
DEAD_LETTER_TOPICS: tuple[TopicSpec, ...] = (DLQ_CAMERA, DLQ_SENSOR, DLQ_DEPARTMENT, DLQ_DERIVED)
ALL_TOPICS: tuple[TopicSpec, ...] = INPUT_TOPICS + DERIVED_TOPICS + DEAD_LETTER_TOPICS


def family(spec: TopicSpec) -> str:
    """The family of a topic: camera, sensor, department, derived or dlq."""
    return spec.name.split(".")[1]


def dead_letter_topic(spec: TopicSpec) -> TopicSpec | None:
    """Where a topic's rejected records go: its family's dead-letter topic; None for the dead-letter
    topics themselves (a refused dead letter is logged, it cannot be moved any further)."""
    families = {
        "camera": DLQ_CAMERA,
        "sensor": DLQ_SENSOR,
        "department": DLQ_DEPARTMENT,
        "derived": DLQ_DERIVED,
    }
    return families.get(family(spec))


def by_name(name: str) -> TopicSpec:
    """The spec of a topic, by its unprefixed name."""
    for spec in ALL_TOPICS:
        if spec.name == name:
            return spec
    raise KeyError(name)
