"""Dịch vụ công: dossier on-time rate and overdue dossiers by department (Decision 766/QĐ-TTg figures)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from streams.model.indicators import (
    PUBLIC_SERVICE_DOSSIERS_OVERDUE,
    PUBLIC_SERVICE_DOSSIERS_RECEIVED,
    PUBLIC_SERVICE_ON_TIME_RATE,
)
from wall.frame import HEADER_HEIGHT, screen
from wall.panels import bars, big_stat, falling_severity, rising_severity
from wall.sql import MONTH_LOOKBACK, latest_per_entity, latest_total

UID = "ioc-wall-public-services"
Y = HEADER_HEIGHT
ON_TIME_PANEL_TITLE = "Tỷ lệ giải quyết đúng hạn theo đơn vị (tháng)"
MAX_AGE_S = 3600
# Month-to-date windows are longer than a day; today's are at most one (both aligned to local midnight).
MONTH = "dateDiff('hour', window_start, window_end) > 24"
TODAY = "dateDiff('hour', window_start, window_end) <= 24"


def by_department_sql(indicator: str, window: str, order: str) -> str:
    return f"""
SELECT if(u.name_vi = '', l.entity_id, u.name_vi) AS name,
       if(l.age > {MAX_AGE_S}, NULL, l.latest) AS value, l.age AS data_age_s
FROM {latest_per_entity(indicator, "department", window, MONTH_LOOKBACK)} AS l
LEFT JOIN dim_reporting_units_current AS u ON u.code = l.entity_id
ORDER BY isNull(value), value {order}, name
LIMIT 20
"""  # noqa: S608 - assembled from code constants, never from input


def received_today_sql() -> str:
    """Dossiers received today over every department (the daily brief reads this too)."""
    return latest_total(PUBLIC_SERVICE_DOSSIERS_RECEIVED, "department", "sum", MAX_AGE_S, where=TODAY)


def overdue_today_sql() -> str:
    """Dossiers past their due time today over every department (the daily brief reads this too)."""
    return latest_total(PUBLIC_SERVICE_DOSSIERS_OVERDUE, "department", "sum", MAX_AGE_S, where=TODAY)


def overdue_by_department_sql() -> str:
    return by_department_sql(PUBLIC_SERVICE_DOSSIERS_OVERDUE, TODAY, "DESC")


def build() -> dashboard.Dashboard:
    """The public-services screen."""
    return (
        screen(UID, "Dịch vụ công", "Hồ sơ thủ tục hành chính: tiếp nhận, đúng hạn, quá hạn.")
        .with_panel(
            big_stat(
                "Hồ sơ tiếp nhận hôm nay",
                received_today_sql(),
                unit="suffix: hồ sơ",
                steps=((None, "blue"),),
                pos=(0, Y, 8, 7),
                decimals=0,
            )
        )
        .with_panel(
            big_stat(
                "Hồ sơ quá hạn",
                overdue_today_sql(),
                unit="suffix: hồ sơ",
                steps=rising_severity(1, 20),
                pos=(8, Y, 8, 7),
                decimals=0,
            )
        )
        .with_panel(
            big_stat(
                "Đúng hạn toàn tỉnh (tháng)",
                latest_total(
                    PUBLIC_SERVICE_ON_TIME_RATE,
                    "department",
                    "avg",
                    MAX_AGE_S,
                    where=MONTH,
                    lookback=MONTH_LOOKBACK,
                ),
                unit="percent",
                steps=falling_severity(80, 95),
                pos=(16, Y, 8, 7),
                decimals=1,
            )
        )
        .with_panel(
            bars(
                ON_TIME_PANEL_TITLE,
                by_department_sql(PUBLIC_SERVICE_ON_TIME_RATE, MONTH, "ASC"),
                unit="percent",
                steps=falling_severity(80, 95),
                max_value=100,
                pos=(0, Y + 7, 12, 20),
            )
        )
        .with_panel(
            bars(
                "Hồ sơ quá hạn theo đơn vị",
                overdue_by_department_sql(),
                unit="suffix: hồ sơ",
                steps=rising_severity(1, 10),
                pos=(12, Y + 7, 12, 20),
            )
        )
    )
