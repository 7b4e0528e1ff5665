"""Load the province's configuration (config/province.yaml) into the warehouse's dimension tables.

The wall's maps need where each camera and station is, and its panels show names, not ids; analysts
join on the same tables. The load is idempotent and minimal: it reads what the tables hold now and
inserts only the difference (new or changed entries with a higher version, removed ones as
`is_deleted` tombstones), so running it at every warehouse start and again by hand
(`ioc db sync-province`) changes nothing when the file has not changed. Migration 040 holds the DDL.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clickhouse_connect.driver.client import Client

from ioc.province import Province, ProvinceError, load_province

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Dimension:
    """One dimension table: its columns (the key first) and the rows the configuration implies."""

    table: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]


@dataclass
class SyncReport:
    """What one sync changed, per table: (inserted or changed, removed)."""

    changes: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(upserts or removals for upserts, removals in self.changes.values())


def dimensions(province: Province) -> list[Dimension]:
    """Every dimension table's desired content for `province`."""
    intersections = {i.id: i for i in province.intersections}
    return [
        Dimension(
            "dim_areas",
            ("code", "name_vi", "level", "parent", "former_codes"),
            tuple(
                (a.code, a.name_vi, a.level, a.parent or "", tuple(a.former_codes)) for a in province.areas
            ),
        ),
        Dimension(
            "dim_intersections",
            ("id", "name_vi", "area_code", "latitude", "longitude", "free_flow_kmh"),
            tuple(
                (i.id, i.name_vi, i.area, i.latitude, i.longitude, i.free_flow_kmh)
                for i in province.intersections
            ),
        ),
        Dimension(
            "dim_cameras",
            ("id", "intersection_id", "crowd_zone_id", "area_code", "latitude", "longitude"),
            tuple(
                (
                    c.id,
                    c.intersection,
                    c.crowd_zone or "",
                    intersections[c.intersection].area,
                    intersections[c.intersection].latitude,
                    intersections[c.intersection].longitude,
                )
                for c in province.cameras
            ),
        ),
        Dimension(
            "dim_crowd_zones",
            ("id", "name_vi", "area_code", "crowded_density"),
            tuple((z.id, z.name_vi, z.area, z.crowded_density) for z in province.crowd_zones),
        ),
        Dimension(
            "dim_stations",
            (
                "id",
                "name_vi",
                "kind",
                "area_code",
                "latitude",
                "longitude",
                "reporting_interval_s",
                "alarm_level_1_cm",
                "alarm_level_2_cm",
                "alarm_level_3_cm",
            ),
            tuple(
                (
                    s.id,
                    s.name_vi,
                    s.kind,
                    s.area,
                    s.latitude,
                    s.longitude,
                    s.reporting_interval_s,
                    s.alarm_levels.level_1_cm if s.alarm_levels else None,
                    s.alarm_levels.level_2_cm if s.alarm_levels else None,
                    s.alarm_levels.level_3_cm if s.alarm_levels else None,
                )
                for s in province.stations
            ),
        ),
        Dimension(
            "dim_reporting_units",
            ("code", "name_vi", "area_code"),
            tuple((u.code, u.name_vi, u.area) for u in province.reporting_units),
        ),
    ]


def _comparable(row: Sequence[Any]) -> Row:
    """Arrays come back from ClickHouse as lists; compare them as tuples."""
    return tuple(tuple(value) if isinstance(value, list) else value for value in row)


def _insertable(row: Row) -> list[Any]:
    return [list(value) if isinstance(value, tuple) else value for value in row]


def _stored(client: Client, dimension: Dimension) -> dict[Any, Row]:
    columns = ", ".join(dimension.columns)
    result = client.query(f"SELECT {columns} FROM {dimension.table} FINAL WHERE is_deleted = 0")  # noqa: S608 - names from code, never from input
    return {row[0]: _comparable(row) for row in result.result_rows}


def sync_dimensions(client: Client, province: Province, version: int | None = None) -> SyncReport:
    """Make the dimension tables match `province`, inserting only what differs; returns the changes.

    `version` (Unix milliseconds by default) must rise between syncs for a change to win.
    """
    stamp = version if version is not None else time.time_ns() // 1_000_000
    report = SyncReport()
    for dimension in dimensions(province):
        stored = _stored(client, dimension)
        wanted = {row[0]: _comparable(row) for row in dimension.rows}
        upserts = [row for key, row in wanted.items() if stored.get(key) != row]
        removals = [row for key, row in stored.items() if key not in wanted]
        rows = [[*_insertable(row), stamp, 0] for row in upserts]
        rows += [[*_insertable(row), stamp, 1] for row in removals]
        if rows:
            client.insert(dimension.table, rows, column_names=[*dimension.columns, "version", "is_deleted"])
        report.changes[dimension.table] = (len(upserts), len(removals))
    return report


def sync_at_start(client: Client, province_file: Path) -> None:
    """The warehouse's start-up sync: a broken province file is logged, not fatal, because the
    warehouse must keep storing data even when the wall cannot show names."""
    try:
        report = sync_dimensions(client, load_province(province_file))
    except ProvinceError as exc:
        logging.error("dimension tables not synced: %s", exc)
        return
    for table, (upserts, removals) in report.changes.items():
        if upserts or removals:
            logging.info("synced %s: %d inserted or changed, %d removed", table, upserts, removals)
