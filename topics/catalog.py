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


# On a cluster every topic keeps three copies, and a write is acknowledged once two have it: one broker
# may fail without a write being lost or refused. A broker of its own (the local default) keeps one.
COPIES = 3
MIN_INSYNC = 2


def replication(brokers: int, copies: int = COPIES, min_insync: int = MIN_INSYNC) -> tuple[int, int]:
    """(replication factor, min.insync.replicas) on a cluster of `brokers`: for the catalog's topics
    and for the broker's own (offsets, transactions)."""
    kept = min(copies, brokers)
    return kept, min(min_insync, kept)


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
    replication_factor: int = COPIES
    min_insync_replicas: int = MIN_INSYNC

    def full_name(self, prefix: str = "") -> str:
        """The topic's name on the broker; tests give each run its own prefix."""
        return f"{prefix}{self.name}"

    def subject(self, prefix: str = "") -> str:
        """The registry subject of the value schema (topic-name strategy)."""
        return f"{self.full_name(prefix)}-value"

    def copies(self, brokers: int) -> int:
        """The replication factor on a cluster of `brokers`."""
        return replication(brokers, self.replication_factor, self.min_insync_replicas)[0]

    def config(self, copies: int) -> dict[str, str]:
        """The topic-level settings the broker must have, for a topic kept in `copies` copies."""
        config = {
            "cleanup.policy": self.cleanup_policy,
            "retention.ms": str(self.retention_days * DAY_MS),
            "message.timestamp.type": "LogAppendTime" if self.log_append_time else "CreateTime",
            "min.insync.replicas": str(replication(copies, copies, self.min_insync_replicas)[1]),
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


# --- The stream engine's internal topics (streams/engine): not data contracts, no Avro schema. ---
# A changelog holds one task's state, one partition per partition of the task's source: compacted,
# so it keeps the newest value of each key and forgets deleted keys (tombstones) soon after. A segment
# rolls every minute so the cleaner can reach what was just written, and a tombstone is kept a minute
# once cleaned: a restore then reads little beyond the live state. A restore racing the cleaner may
# read a deleted key's old value without its tombstone; the engine drops such values (windows already
# closed by their clock, devices past their horizon), so the short retention is safe.
CHANGELOG_CONFIG = {
    "retention.ms": "-1",
    "segment.ms": "60000",
    "segment.bytes": str(8 * 1024 * 1024),
    "min.cleanable.dirty.ratio": "0.2",
    "delete.retention.ms": "60000",
}


def changelog(task: str, source: TopicSpec) -> TopicSpec:
    """The state of the tasks of `task` (a stream processor's name), co-partitioned with `source`."""
    return TopicSpec(
        name=f"ioc.internal.{task}.changelog",
        schema="",
        key="state key (MessagePack values; a null value deletes the key)",
        partitions=source.partitions,
        retention_days=0,
        cleanup_policy="compact",
        log_append_time=False,
        extra_config=CHANGELOG_CONFIG,
    )


def totals(task: str, partitions: int) -> TopicSpec:
    """Partial totals on their way from every source partition to the partition that owns each total."""
    return TopicSpec(
        name=f"ioc.internal.{task}.totals",
        schema="",
        key="the sending source topic|partition (the partition is the owner's, chosen by the sender)",
        partitions=partitions,
        retention_days=7,
        log_append_time=False,
    )


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


@dataclass(frozen=True)
class ProcessorTopics:
    """A stream processor's internal topics: its state, and for one that feeds totals over several
    sources (areas, departments), the topic its partials travel on and the state of their owners."""

    name: str
    state: TopicSpec
    totals: TopicSpec | None = None
    totals_state: TopicSpec | None = None

    @property
    def all(self) -> tuple[TopicSpec, ...]:
        return tuple(t for t in (self.state, self.totals, self.totals_state) if t is not None)


def processor_topics(name: str, source: TopicSpec, totals_partitions: int = 0) -> ProcessorTopics:
    if not totals_partitions:
        return ProcessorTopics(name, changelog(name, source))
    partials = totals(name, totals_partitions)
    return ProcessorTopics(name, changelog(name, source), partials, changelog(f"{name}-totals", partials))


# Vehicle counts are the hot path: their totals get as many owner partitions as the feed has.
TRAFFIC_COUNTS_TASKS = processor_topics("traffic-counts", CAMERA_VEHICLE_COUNTS, 6)
TRAFFIC_VIOLATIONS_TASKS = processor_topics("traffic-violations", CAMERA_VIOLATIONS, 3)
PUBLIC_ORDER_CROWD_TASKS = processor_topics("public-order-crowd", CAMERA_CROWD_DENSITY, 3)
PUBLIC_ORDER_INCIDENTS_TASKS = processor_topics("public-order-incidents", CAMERA_INCIDENTS, 3)
ENVIRONMENT_AIR_QUALITY_TASKS = processor_topics("environment-air-quality", SENSOR_AIR_QUALITY)
ENVIRONMENT_RAINFALL_TASKS = processor_topics("environment-rainfall", SENSOR_RAINFALL)
ENVIRONMENT_WATER_LEVEL_TASKS = processor_topics("environment-water-level", SENSOR_WATER_LEVEL)
SERVICES_DOSSIERS_TASKS = processor_topics("services-dossiers", DEPARTMENT_DOSSIER_EVENTS, 3)
SERVICES_HOTLINE_TASKS = processor_topics("services-hotline", DEPARTMENT_HOTLINE_REPORTS, 3)
HEALTH_HEARTBEATS_TASKS = processor_topics("health-heartbeats", CAMERA_HEARTBEATS, 3)
HEALTH_SENSORS_TASKS = processor_topics("health-sensors", SENSOR_AIR_QUALITY, 3)
# The report values' one task (streams/agents/report_values.py) keeps a store per model.
HEALTH_REPORTS_TASKS = processor_topics("health-reports", DEPARTMENT_REPORT_VALUES)
SERVICES_FORMS_TASKS = processor_topics("services-forms", DEPARTMENT_REPORT_VALUES)
ALERTS_TASKS = processor_topics("alerts", INDICATORS)
PROCESSOR_TOPICS: tuple[ProcessorTopics, ...] = (
    TRAFFIC_COUNTS_TASKS,
    TRAFFIC_VIOLATIONS_TASKS,
    PUBLIC_ORDER_CROWD_TASKS,
    PUBLIC_ORDER_INCIDENTS_TASKS,
    ENVIRONMENT_AIR_QUALITY_TASKS,
    ENVIRONMENT_RAINFALL_TASKS,
    ENVIRONMENT_WATER_LEVEL_TASKS,
    SERVICES_DOSSIERS_TASKS,
    SERVICES_HOTLINE_TASKS,
    HEALTH_HEARTBEATS_TASKS,
    HEALTH_SENSORS_TASKS,
    HEALTH_REPORTS_TASKS,
    SERVICES_FORMS_TASKS,
    ALERTS_TASKS,
)

# --- The ingestion gateways' shared state: plain JSON, read only by the gateways (no Avro contract). ---
# Every gateway instance reads both topics to their end at start and follows them, so N instances
# behind one address share their API keys and know how many of them are alive (each takes its share
# of a key's rate). One partition each: a few hundred keys and instances, read whole by everyone.
# The keys are compacted and never expired: the newest entry per key id is kept for good.
SHARED_STATE_CONFIG = {
    "retention.ms": "-1",
    "segment.ms": "3600000",
    "min.cleanable.dirty.ratio": "0.1",
    "delete.retention.ms": str(DAY_MS),
}
INGEST_KEYS = TopicSpec(
    name="ioc.internal.ingest.keys",
    schema="",
    key="key id; value the key's entry as JSON (SHA-256 of the secret, scope, rate, or when it was revoked)",
    partitions=1,
    retention_days=0,
    cleanup_policy="compact",
    log_append_time=False,
    extra_config=SHARED_STATE_CONFIG,
)
# Member ids are new at every start; a crashed instance's last heartbeat is deleted with its segment
# after a day (a live instance's newest heartbeat is always in a recent segment).
INGEST_MEMBERS = TopicSpec(
    name="ioc.internal.ingest.members",
    schema="",
    key="gateway instance id; value its heartbeat as JSON, every few seconds (a null value: it stopped)",
    partitions=1,
    retention_days=1,
    cleanup_policy="compact,delete",
    log_append_time=True,  # the broker's clock dates each heartbeat, whatever the sender's clock says
    extra_config={
        "segment.ms": "600000",
        "min.cleanable.dirty.ratio": "0.1",
        "delete.retention.ms": "600000",
    },
)
INGEST_TOPICS: tuple[TopicSpec, ...] = (INGEST_KEYS, INGEST_MEMBERS)

# --- The alert routers' shared state (routing/replica.py, routing/leader.py): JSON, no Avro contract. ---
# The active router writes every change of its state (alerts, escalations, outbox rows, audit events
# still to publish, its alerts-topic offsets) here in Kafka transactions, before it sends anything;
# the standby follows it, and a new active router reads it to its end before it acts. Compacted: the
# newest value of each row is kept for good, a deleted row (a published audit event) is forgotten.
ROUTING_STATE = TopicSpec(
    name="ioc.internal.routing.state",
    schema="",
    key="router group|table|primary key as JSON; value the row as JSON (a null value: the row was deleted)",
    partitions=1,
    retention_days=0,
    cleanup_policy="compact",
    log_append_time=False,
    extra_config=SHARED_STATE_CONFIG,
)
# One partition, one consumer group of every router: whoever is assigned it is the active router. Its
# records are the acknowledgements (links, `ioc alerts ack`) any router or the CLI received, so they
# reach the active router's state whichever instance the officer's link reached.
ROUTING_ACKS = TopicSpec(
    name="ioc.internal.routing.acks",
    schema="",
    key="alert id; value the acknowledgement request as JSON (router group, officer, via, when)",
    partitions=1,
    retention_days=7,
    log_append_time=False,
)
# Operators' decisions that change an alert (acknowledged, resolved, false alarm), from the active router
# to the alert task that owns the alert, which writes the CAP revision in its own transaction (the one
# writer of alert revisions). The alert task writes every alert to the alerts partition numbered like
# its own, and the router writes an action to that same partition number here: so the action reaches
# the task holding the alert. JSON, not a contract: only the router writes it and only the engine
# reads it; what operators did is published in `notifications`.
ALERT_ACTIONS = TopicSpec(
    name="ioc.internal.alerts.actions",
    schema="",
    key="alert id; the partition is the alert's on ioc.derived.alerts; value the action as JSON",
    partitions=ALERTS.partitions,
    retention_days=7,
    log_append_time=False,
)
ROUTING_TOPICS: tuple[TopicSpec, ...] = (ROUTING_STATE, ROUTING_ACKS, ALERT_ACTIONS)
INTERNAL_TOPICS: tuple[TopicSpec, ...] = (
    tuple(t for p in PROCESSOR_TOPICS for t in p.all) + INGEST_TOPICS + ROUTING_TOPICS
)
