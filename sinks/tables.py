"""Which topic lands in which table, and how a decoded message becomes rows.

Every table ends with `kafka_topic, kafka_partition, kafka_offset`: the sink reads the highest
offset per partition of its topic back on assignment to resume exactly after what ClickHouse
already holds (see `sink.py`). Several topics may share a table (the dead letters of each family).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from topics.catalog import CAMERA_VEHICLE_COUNTS, DEAD_LETTER_TOPICS, INDICATORS, TopicSpec

Row = list[Any]
Rows = Callable[[dict[str, Any]], Iterable[Row]]


@dataclass(frozen=True)
class TableMapping:
    """One topic's table, its columns (without the two Kafka columns) and the row extractor."""

    topic: TopicSpec
    table: str
    columns: tuple[str, ...]
    rows: Rows

    def all_columns(self) -> list[str]:
        return [*self.columns, "kafka_topic", "kafka_partition", "kafka_offset"]


def _vehicle_count_rows(batch: dict[str, Any]) -> Iterable[Row]:
    source = batch["source_id"]
    for r in batch["records"]:
        yield [
            r["event_id"],
            source,
            r["camera_id"],
            r["observed_at"],
            r["interval_seconds"],
            r["lane"],
            r["vehicle_class"],
            r["vehicle_count"],
            r["average_speed_kmh"],
        ]


def _indicator_rows(ind: dict[str, Any]) -> Iterable[Row]:
    yield [
        ind["indicator"],
        ind["entity_type"],
        ind["entity_id"],
        ind["area_code"],
        ind["window_start"],
        ind["window_end"],
        ind["value"],
        ind["unit"],
        ind["sample_count"],
        ind["revision"],
        int(ind["is_final"]),
        ind["computed_at"],
    ]


def _dead_letter_rows(dl: dict[str, Any]) -> Iterable[Row]:
    yield [
        dl["source_topic"],
        dl["source_id"],
        dl["record_ref"],
        dl["field_path"],
        dl["rule"],
        dl["reason"],
        dl["payload"].decode("utf-8", "replace"),
        dl["rejected_at"],
    ]


MAPPINGS: tuple[TableMapping, ...] = (
    TableMapping(
        CAMERA_VEHICLE_COUNTS,
        "camera_vehicle_counts",
        (
            "event_id",
            "source_id",
            "camera_id",
            "observed_at",
            "interval_seconds",
            "lane",
            "vehicle_class",
            "vehicle_count",
            "average_speed_kmh",
        ),
        _vehicle_count_rows,
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
            "value",
            "unit",
            "sample_count",
            "revision",
            "is_final",
            "computed_at",
        ),
        _indicator_rows,
    ),
    *(
        TableMapping(
            dlq,
            "dead_letters",
            (
                "source_topic",
                "source_id",
                "record_ref",
                "field_path",
                "rule",
                "reason",
                "payload",
                "rejected_at",
            ),
            _dead_letter_rows,
        )
        for dlq in DEAD_LETTER_TOPICS
    ),
)
