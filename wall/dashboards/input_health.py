"""Tình trạng nguồn dữ liệu: cameras online, sensors gone quiet, reporting units late, rejected and
late records, so the centre knows which numbers on the other screens it can trust."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from streams.model.indicators import (
    INPUT_HEALTH_CAMERA_ONLINE_RATIO,
    INPUT_HEALTH_REPORT_LATENESS,
    INPUT_HEALTH_SENSOR_STALENESS,
)
from wall.frame import HEADER_HEIGHT, screen
from wall.levels import STATION_KIND, vi_names
from wall.panels import bars, big_stat, board, falling_severity, rising_severity
from wall.sql import latest_per_entity, latest_total, pipeline_age

UID = "ioc-wall-input-health"
Y = HEADER_HEIGHT
HEALTH_MAX_AGE_S = 300
# A report's lateness is recomputed daily at least.
LATENESS_MAX_AGE_S = 2 * 86400


def cameras_by_area_sql() -> str:
    return f"""
SELECT if(a.name_vi = '', l.entity_id, a.name_vi) AS name,
       if(l.age > {HEALTH_MAX_AGE_S}, NULL, l.latest) AS value, l.age AS data_age_s
FROM {latest_per_entity(INPUT_HEALTH_CAMERA_ONLINE_RATIO, "area")} AS l
LEFT JOIN dim_areas_current AS a ON a.code = l.entity_id
ORDER BY isNull(value), value ASC, name
LIMIT 20
"""  # noqa: S608 - assembled from code constants, never from input


def stale_sensors_sql() -> str:
    """Stations silent for more than two of their reporting intervals, longest first."""
    return f"""
SELECT if(s.name_vi = '', l.entity_id, s.name_vi) AS `Trạm`,
       {vi_names(STATION_KIND, "s.kind")} AS `Loại`,
       round(l.latest / 60) AS `Im lặng (phút)`,
       l.age AS data_age_s
FROM {latest_per_entity(INPUT_HEALTH_SENSOR_STALENESS, "station")} AS l
LEFT JOIN dim_stations_current AS s ON s.id = l.entity_id
WHERE l.latest > 2 * if(s.reporting_interval_s = 0, 300, s.reporting_interval_s)
ORDER BY l.latest DESC
LIMIT 20
"""  # noqa: S608 - assembled from code constants, never from input


def late_units_sql() -> str:
    """Reporting units whose periodic report is past its deadline (report code in `label`)."""
    return f"""
SELECT if(u.name_vi = '', l.entity_id, u.name_vi) AS `Đơn vị`,
       l.latest_label AS `Báo cáo`,
       l.latest AS `Chậm (ngày)`,
       l.age AS data_age_s
FROM {latest_per_entity(INPUT_HEALTH_REPORT_LATENESS, "reporting_unit")} AS l
LEFT JOIN dim_reporting_units_current AS u ON u.code = l.entity_id
WHERE l.latest > 0
ORDER BY l.latest DESC
LIMIT 20
"""  # noqa: S608 - assembled from code constants, never from input


def recent_count_sql(table: str, time_column: str) -> str:
    """Rows of `table` in the last hour; NULL while the pipeline is stale (then zero means nothing)."""
    return f"""
SELECT if(age IS NULL OR age > 600, NULL, recent) AS value, age AS data_age_s
FROM (
    SELECT countIf({time_column} > $__toTime - INTERVAL 1 HOUR AND {time_column} <= $__toTime) AS recent,
           {pipeline_age()} AS age
    FROM {table}
)
"""  # noqa: S608 - assembled from code constants, never from input


def build() -> dashboard.Dashboard:
    """The input-health screen."""
    return (
        screen(UID, "Tình trạng nguồn dữ liệu", "Camera, cảm biến và đơn vị báo cáo: nguồn nào đang im lặng.")
        .with_panel(
            big_stat(
                "Camera trực tuyến",
                latest_total(INPUT_HEALTH_CAMERA_ONLINE_RATIO, "province", "avg", HEALTH_MAX_AGE_S),
                unit="percent",
                steps=falling_severity(80, 95),
                pos=(0, Y, 8, 7),
                decimals=1,
            )
        )
        .with_panel(
            big_stat(
                "Bản ghi bị từ chối (1 giờ)",
                recent_count_sql("dead_letters", "rejected_at"),
                unit="suffix: bản ghi",
                steps=rising_severity(1, 100),
                pos=(8, Y, 8, 7),
                decimals=0,
            )
        )
        .with_panel(
            big_stat(
                "Bản ghi đến muộn (1 giờ)",
                recent_count_sql("late_events", "detected_at"),
                unit="suffix: bản ghi",
                steps=rising_severity(1, 100),
                pos=(16, Y, 8, 7),
                decimals=0,
            )
        )
        .with_panel(
            bars(
                "Camera trực tuyến theo địa bàn",
                cameras_by_area_sql(),
                unit="percent",
                steps=falling_severity(80, 95),
                max_value=100,
                pos=(0, Y + 7, 10, 20),
            )
        )
        .with_panel(
            board("Trạm cảm biến mất tín hiệu", stale_sensors_sql(), pos=(10, Y + 7, 14, 10), max_age_s=600)
        )
        .with_panel(
            board(
                "Đơn vị chậm báo cáo",
                late_units_sql(),
                pos=(10, Y + 17, 14, 10),
                max_age_s=LATENESS_MAX_AGE_S,
            )
        )
    )
