"""Which topic lands in which table, and how a decoded message becomes rows.

Every table ends with `kafka_topic, kafka_partition, kafka_offset`: the sink reads the highest
offset per partition of its topic back on assignment to resume exactly after what ClickHouse
already holds (see `sink.py`). Several topics may share a table (the dead letters of each family).
A table keyed by `event_id` names its sorting key (`event_key`): the sink inserts no row whose key
the table already holds (see `dedup.py`), so a resend never reaches the rollups.

Input topics carry batch envelopes (`source_id`, `sent_at`, `records`): each record becomes one row
holding the envelope's `source_id`, and the record's fields keep their contract names as column
names, so a mapping is only the list of fields. The DDL is in `migrations/`; `tests/unit/test_tables.py`
checks that every mapped column exists there.

Personal data (`ioc/personal_data.py`): dead letters and late events land in `restricted_` tables
with their payload clear and masked, and materialized views copy the masked form into the tables
readers see (`dead_letters`, `late_events`); an audit event's officer address is masked before it
is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from ioc.personal_data import mask_address, mask_copy
from sinks.dedup import EventKey
from topics.catalog import (
    ALERTS,
    CAMERA_CROWD_DENSITY,
    CAMERA_HEARTBEATS,
    CAMERA_INCIDENTS,
    CAMERA_PLATE_READS,
    CAMERA_SPEEDS,
    CAMERA_VEHICLE_COUNTS,
    CAMERA_VIOLATIONS,
    DEAD_LETTER_TOPICS,
    DEPARTMENT_DOSSIER_EVENTS,
    DEPARTMENT_HOTLINE_REPORTS,
    DEPARTMENT_REPORT_VALUES,
    INDICATORS,
    LATE_EVENTS,
    NOTIFICATIONS,
    SENSOR_AIR_QUALITY,
    SENSOR_DEVICES,
    SENSOR_RAINFALL,
    SENSOR_TRAFFIC_COUNTERS,
    SENSOR_WATER_LEVEL,
    SENSOR_WEATHER,
    TopicSpec,
)

Row = list[Any]
Rows = Callable[[dict[str, Any]], Iterable[Row]]


@dataclass(frozen=True)
class TableMapping:
    """One topic's table, its columns (without the Kafka columns), the row extractor, and the
    table's sorting key when it holds `event_id` (rows already stored under it are not inserted)."""

    topic: TopicSpec
    table: str
    columns: tuple[str, ...]
    rows: Rows
    event_key: EventKey | None = None

    def all_columns(self) -> list[str]:
        return [*self.columns, "kafka_topic", "kafka_partition", "kafka_offset"]


def batch_mapping(
    topic: TopicSpec, table: str, fields: tuple[str, ...], key: tuple[str, ...]
) -> TableMapping:
    """A batch envelope exploded to one row per record: `source_id`, then the named record fields;
    `key` is the table's ORDER BY (event_id and observed_at among it).

    `itemgetter` reads the fields in C, which matters at a province's peak of thousands of records
    per second through one Python thread per topic."""
    pick = itemgetter(*fields)

    def rows(batch: dict[str, Any]) -> Iterable[Row]:
        source = batch["source_id"]
        return ([source, *pick(record)] for record in batch["records"])

    return TableMapping(topic, table, ("source_id", *fields), rows, EventKey(key))


def record_mapping(
    topic: TopicSpec, table: str, fields: tuple[str, ...], key: EventKey | None = None
) -> TableMapping:
    """A topic whose every message is one record, stored as one row of the named fields."""
    pick = itemgetter(*fields)

    def rows(record: dict[str, Any]) -> Iterable[Row]:
        return ([*pick(record)],)

    return TableMapping(topic, table, fields, rows, key)


def _indicator_rows(ind: dict[str, Any]) -> Iterable[Row]:
    yield [
        ind["indicator"],
        ind["entity_type"],
        ind["entity_id"],
        ind["area_code"],
        ind["window_start"],
        ind["window_end"],
        # Part of the table's key: an area's minute and its hour hopping by 5 min can share a start.
        round((ind["window_end"] - ind["window_start"]).total_seconds()),
        ind["value"],
        ind["unit"],
        ind["sample_count"],
        ind["revision"],
        int(ind["is_final"]),
        ind["computed_at"],
        ind["label"],
    ]


def _dead_letter_rows(dl: dict[str, Any]) -> Iterable[Row]:
    # The clear payload and reason stay in this restricted table; readers get the masked ones through
    # the view dead_letters_masked_mv writes into `dead_letters` (migration 090).
    masked = mask_copy(dl["source_topic"], dl["payload"], dl["reason"])
    yield [
        dl["source_topic"],
        dl["source_id"],
        dl["record_ref"],
        dl["field_path"],
        dl["rule"],
        dl["reason"],
        dl["payload"].decode("utf-8", "replace"),
        dl["rejected_at"],
        masked.reason,
        masked.payload,
        masked.kind,
    ]


def _late_event_rows(late: dict[str, Any]) -> Iterable[Row]:
    # `partition`/`offset` of the late record become source_partition/source_offset, so they cannot
    # be mistaken for the position of the late-event message itself (kafka_partition/kafka_offset).
    # As for dead letters, readers get the masked payload through `late_events` (migration 090).
    masked = mask_copy(late["source_topic"], late["payload"], "")
    yield [
        late["source_topic"],
        late["partition"],
        late["offset"],
        late["source_id"],
        late["record_ref"],
        late["processor"],
        late["event_time"],
        late["window_end"],
        late["grace_ms"],
        late["lateness_ms"],
        late["payload"].decode("utf-8", "replace"),
        late["detected_at"],
        masked.payload,
        masked.kind,
    ]


def _notification_rows(event: dict[str, Any]) -> Iterable[Row]:
    """An audit event with the officer's address masked, here and wherever the channel's answer
    quotes it: the warehouse keeps no clear address (the roster and the router's state have them)."""
    address = event["address"]
    masked = mask_address(address)
    detail = event["detail"].replace(address, masked) if address else event["detail"]
    yield [*_pick_notification(event | {"address": masked, "detail": detail})]


ALERT_FIELDS = (
    "alert_id",
    "identifier",
    "sender",
    "sent",
    "status",
    "msg_type",
    "scope",
    "references",
    "cap_category",
    "event",
    "urgency",
    "severity",
    "certainty",
    "area_desc",
    "area_code",
    "latitude",
    "longitude",
    "category",
    "rule_id",
    "state",
    "revision",
    "opened_at",
    "updated_at",
    "acknowledged_at",
    "acknowledged_by",
    "resolved_at",
    "entity_type",
    "entity_id",
    "values",
    "headline_vi",
    "description_vi",
    "instruction_vi",
    "dedup_key",
)

NOTIFICATION_FIELDS = (
    "event_id",
    "occurred_at",
    "action",
    "alert_id",
    "alert_revision",
    "category",
    "severity",
    "area_code",
    "unit_code",
    "officer_id",
    "level",
    "channel",
    "address",
    "kind",
    "message_id",
    "attempt",
    "detail",
)

_pick_notification = itemgetter(*NOTIFICATION_FIELDS)

# The raw tables' ORDER BY (migrations 001 and 004-007), most of them per camera or device.
CAMERA_KEY = ("camera_id", "observed_at", "event_id")
DEVICE_KEY = ("device_id", "observed_at", "event_id")

MAPPINGS: tuple[TableMapping, ...] = (
    batch_mapping(
        CAMERA_VEHICLE_COUNTS,
        "camera_vehicle_counts",
        (
            "event_id",
            "camera_id",
            "observed_at",
            "interval_seconds",
            "lane",
            "vehicle_class",
            "vehicle_count",
            "average_speed_kmh",
        ),
        CAMERA_KEY,
    ),
    batch_mapping(
        CAMERA_SPEEDS,
        "camera_speeds",
        (
            "event_id",
            "camera_id",
            "observed_at",
            "interval_seconds",
            "lane",
            "vehicle_class",
            "vehicle_count",
            "average_speed_kmh",
            "p85_speed_kmh",
            "max_speed_kmh",
            "speed_limit_kmh",
        ),
        CAMERA_KEY,
    ),
    batch_mapping(
        CAMERA_PLATE_READS,
        "restricted_camera_plate_reads",
        (
            "event_id",
            "camera_id",
            "observed_at",
            "lane",
            "plate_number",
            "vehicle_class",
            "direction",
            "confidence",
            "image_ref",
        ),
        CAMERA_KEY,
    ),
    batch_mapping(
        CAMERA_VIOLATIONS,
        "restricted_camera_violations",
        (
            "event_id",
            "camera_id",
            "observed_at",
            "lane",
            "violation_type",
            "vehicle_class",
            "plate_number",
            "speed_kmh",
            "speed_limit_kmh",
            "confidence",
            "evidence_ref",
        ),
        CAMERA_KEY,
    ),
    batch_mapping(
        CAMERA_CROWD_DENSITY,
        "camera_crowd_density",
        (
            "event_id",
            "camera_id",
            "observed_at",
            "zone_id",
            "person_count",
            "density_persons_per_m2",
            "zone_area_m2",
        ),
        ("camera_id", "zone_id", "observed_at", "event_id"),
    ),
    batch_mapping(
        CAMERA_INCIDENTS,
        "restricted_camera_incidents",
        (
            "event_id",
            "camera_id",
            "observed_at",
            "incident_type",
            "confidence",
            "severity_hint",
            "description",
            "latitude",
            "longitude",
            "evidence_ref",
        ),
        CAMERA_KEY,
    ),
    batch_mapping(
        CAMERA_HEARTBEATS,
        "camera_heartbeats",
        (
            "event_id",
            "camera_id",
            "observed_at",
            "status",
            "status_reason",
            "uptime_seconds",
            "firmware_version",
            "stream_fps",
        ),
        CAMERA_KEY,
    ),
    batch_mapping(
        SENSOR_AIR_QUALITY,
        "sensor_air_quality",
        (
            "event_id",
            "device_id",
            "observed_at",
            "station_id",
            "interval_seconds",
            "pm25_ugm3",
            "pm10_ugm3",
            "o3_ugm3",
            "no2_ugm3",
            "so2_ugm3",
            "co_ugm3",
            "temperature_c",
            "relative_humidity_pct",
        ),
        DEVICE_KEY,
    ),
    batch_mapping(
        SENSOR_WATER_LEVEL,
        "sensor_water_level",
        ("event_id", "station_id", "observed_at", "device_id", "water_level_cm", "flow_m3s"),
        ("station_id", "observed_at", "event_id"),
    ),
    batch_mapping(
        SENSOR_RAINFALL,
        "sensor_rainfall",
        ("event_id", "device_id", "observed_at", "station_id", "interval_seconds", "rainfall_mm"),
        DEVICE_KEY,
    ),
    batch_mapping(
        SENSOR_WEATHER,
        "sensor_weather",
        (
            "event_id",
            "device_id",
            "observed_at",
            "station_id",
            "interval_seconds",
            "temperature_c",
            "relative_humidity_pct",
            "wind_speed_ms",
            "wind_direction_deg",
            "atmospheric_pressure_hpa",
            "precipitation_mm",
        ),
        DEVICE_KEY,
    ),
    batch_mapping(
        SENSOR_TRAFFIC_COUNTERS,
        "sensor_traffic_counters",
        (
            "event_id",
            "device_id",
            "observed_at",
            "interval_seconds",
            "lane",
            "lane_direction",
            "vehicle_class",
            "intensity_vehicles",
            "average_vehicle_speed_kmh",
            "occupancy_pct",
            "congested",
        ),
        DEVICE_KEY,
    ),
    batch_mapping(
        SENSOR_DEVICES,
        "sensor_devices",
        (
            "event_id",
            "device_id",
            "observed_at",
            "event_type",
            "name",
            "device_category",
            "controlled_property",
            "station_id",
            "latitude",
            "longitude",
            "area_code",
            "owner",
            "manufacturer",
            "model",
            "serial_number",
            "firmware_version",
            "battery_level_pct",
            "reporting_interval_seconds",
            "installed_at",
        ),
        DEVICE_KEY,
    ),
    batch_mapping(
        DEPARTMENT_DOSSIER_EVENTS,
        "department_dossier_events",
        (
            "event_id",
            "dossier_id",
            "observed_at",
            "event_type",
            "department_code",
            "procedure_code",
            "received_at",
            "due_at",
            "resolved_at",
            "channel",
            "area_code",
            "digitised",
            "paid_online",
            "satisfaction",
        ),
        ("department_code", "observed_at", "event_id"),
    ),
    batch_mapping(
        DEPARTMENT_REPORT_VALUES,
        "department_report_values",
        (
            "event_id",
            "reporting_unit_code",
            "observed_at",
            "report_code",
            "indicator_code",
            "period_type",
            "period_start",
            "period_end",
            "value",
            "unit_of_measure",
            "area_code",
            "revision",
            "note",
        ),
        ("reporting_unit_code", "report_code", "indicator_code", "observed_at", "event_id"),
    ),
    batch_mapping(
        DEPARTMENT_HOTLINE_REPORTS,
        "department_hotline_reports",
        (
            "event_id",
            "ticket_id",
            "observed_at",
            "reported_at",
            "ticket_status",
            "channel",
            "category",
            "priority",
            "description",
            "area_code",
            "address",
            "latitude",
            "longitude",
            "assigned_unit_code",
        ),
        ("ticket_id", "observed_at", "event_id"),
    ),
    TableMapping(
        INDICATORS,
        "indicators",
        (
            "indicator",
            "entity_type",
            "entity_id",
            "area_code",
            "window_start",
            "window_end",
            "window_seconds",
            "value",
            "unit",
            "sample_count",
            "revision",
            "is_final",
            "computed_at",
            "label",
        ),
        _indicator_rows,
    ),
    record_mapping(ALERTS, "alerts", ALERT_FIELDS),
    TableMapping(
        NOTIFICATIONS,
        "notifications",
        NOTIFICATION_FIELDS,
        _notification_rows,
        EventKey(("alert_id", "occurred_at", "event_id"), time="occurred_at"),
    ),
    TableMapping(
        LATE_EVENTS,
        "restricted_late_events",
        (
            "source_topic",
            "source_partition",
            "source_offset",
            "source_id",
            "record_ref",
            "processor",
            "event_time",
            "window_end",
            "grace_ms",
            "lateness_ms",
            "payload",
            "detected_at",
            "payload_masked",
            "personal_data",
        ),
        _late_event_rows,
    ),
    *(
        TableMapping(
            dlq,
            "restricted_dead_letters",
            (
                "source_topic",
                "source_id",
                "record_ref",
                "field_path",
                "rule",
                "reason",
                "payload",
                "rejected_at",
                "reason_masked",
                "payload_masked",
                "personal_data",
            ),
            _dead_letter_rows,
        )
        for dlq in DEAD_LETTER_TOPICS
    ),
)
