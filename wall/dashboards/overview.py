"""Tổng quan đô thị: the centre of the wall, one big number per field, each linked to its detail screen."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from streams.model.indicators import (
    ENVIRONMENT_AQI_HOURLY,
    ENVIRONMENT_RAINFALL_24H,
    INPUT_HEALTH_CAMERA_ONLINE_RATIO,
    PUBLIC_SERVICE_ON_TIME_RATE,
    TRAFFIC_CONGESTION_LEVEL,
    TRAFFIC_VOLUME,
    CongestionLevel,
)
from wall.dashboards.traffic import province_speed, province_volume
from wall.frame import HEADER_HEIGHT, screen
from wall.levels import aqi_steps
from wall.panels import big_stat, falling_severity, rising_severity, trend
from wall.sql import MONTH_LOOKBACK, latest_total, pipeline_age

UID = "ioc-wall-overview"
Y = HEADER_HEIGHT


def open_alerts_sql() -> str:
    """Open alerts, NULL while the pipeline is stale (a count of zero would then be a lie)."""
    return f"""
SELECT if(age IS NULL OR age > 600, NULL, open_alerts) AS value, age AS data_age_s
FROM (SELECT countIf(state != 'resolved') AS open_alerts, {pipeline_age()} AS age FROM alerts_current)
"""  # noqa: S608 - assembled from code constants, never from input


def hourly_volume_sql() -> str:
    return f"""
SELECT $__timeInterval(window_start) AS time, 'Toàn tỉnh' AS series, sum(value) AS value
FROM indicators_current
WHERE indicator = '{TRAFFIC_VOLUME}' AND entity_type = 'camera' AND $__timeFilter(window_start)
GROUP BY time, series ORDER BY time
"""  # noqa: S608 - assembled from code constants, never from input


def build() -> dashboard.Dashboard:
    """The overview screen."""
    return (
        screen(UID, "Tổng quan đô thị", "Chỉ số chính của tỉnh, cập nhật mỗi 10 giây.")
        .with_panel(province_volume((0, Y, 6, 7)))
        .with_panel(province_speed((6, Y, 6, 7)))
        .with_panel(
            big_stat(
                "Nút giao ùn tắc",
                latest_total(
                    TRAFFIC_CONGESTION_LEVEL,
                    "intersection",
                    "count",
                    300,
                    condition=f"latest >= {int(CongestionLevel.CONGESTED)}",
                ),
                unit="suffix: nút",
                steps=rising_severity(1, 5),
                pos=(12, Y, 6, 7),
                decimals=0,
            )
        )
        .with_panel(
            big_stat(
                "Cảnh báo đang mở",
                open_alerts_sql(),
                unit="suffix: cảnh báo",
                steps=rising_severity(1, 10),
                pos=(18, Y, 6, 7),
                decimals=0,
            )
        )
        .with_panel(
            big_stat(
                "VN_AQI cao nhất (giờ)",
                latest_total(ENVIRONMENT_AQI_HOURLY, "station", "max", 7200),
                unit="none",
                steps=aqi_steps(),
                pos=(0, Y + 7, 6, 7),
                decimals=0,
            )
        )
        .with_panel(
            big_stat(
                "Hồ sơ đúng hạn (tháng)",
                latest_total(
                    PUBLIC_SERVICE_ON_TIME_RATE,
                    "department",
                    "avg",
                    3600,
                    where="dateDiff('hour', window_start, window_end) > 24",
                    lookback=MONTH_LOOKBACK,
                ),
                unit="percent",
                steps=falling_severity(80, 95),
                pos=(6, Y + 7, 6, 7),
                decimals=1,
            )
        )
        .with_panel(
            big_stat(
                "Camera trực tuyến",
                latest_total(INPUT_HEALTH_CAMERA_ONLINE_RATIO, "province", "avg", 300),
                unit="percent",
                steps=falling_severity(80, 95),
                pos=(12, Y + 7, 6, 7),
                decimals=1,
            )
        )
        .with_panel(
            big_stat(
                "Mưa lớn nhất 24 giờ",
                latest_total(ENVIRONMENT_RAINFALL_24H, "station", "max", 7200),
                unit="lengthmm",
                steps=rising_severity(50, 100),
                pos=(18, Y + 7, 6, 7),
                decimals=0,
            )
        )
        .with_panel(
            trend("Lưu lượng xe toàn tỉnh", hourly_volume_sql(), unit="suffix: xe", pos=(0, Y + 14, 24, 9))
        )
    )
