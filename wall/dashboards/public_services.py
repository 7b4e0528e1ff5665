"""Dịch vụ công: dossier on-time rate and overdue dossiers by department (Decision 766/QĐ-TTg figures),
the Decision 766 index of the month, the hotline's open and overdue tickets and time to resolve, and
the report forms' indicators furthest off their plan."""

from __future__ import annotations

from grafana_foundation_sdk.builders import bargauge, dashboard, stat

from streams.model.indicators import (
    PUBLIC_SERVICE_DOSSIERS_OVERDUE,
    PUBLIC_SERVICE_DOSSIERS_RECEIVED,
    PUBLIC_SERVICE_FORM_PLAN_GAP_PCT,
    PUBLIC_SERVICE_HOTLINE_RESOLVE_TIME_MEDIAN,
    PUBLIC_SERVICE_HOTLINE_TICKETS_OPEN,
    PUBLIC_SERVICE_HOTLINE_TICKETS_OVERDUE,
    PUBLIC_SERVICE_INDEX_766,
    PUBLIC_SERVICE_ON_TIME_RATE,
)
from wall.frame import HEADER_HEIGHT, screen
from wall.panels import bars, big_stat, falling_severity, rising_severity
from wall.sql import MONTH_LOOKBACK, latest_per_entity, latest_total

UID = "ioc-wall-public-services"
Y = HEADER_HEIGHT
ON_TIME_PANEL_TITLE = "Tỷ lệ giải quyết đúng hạn theo đơn vị (tháng)"
INDEX_PANEL_TITLE = "Chỉ số 766 theo đơn vị (tháng)"
MAX_AGE_S = 3600
# Month-to-date windows are longer than a day; today's are at most one (both aligned to local midnight).
MONTH = "dateDiff('hour', window_start, window_end) > 24"
TODAY = "dateDiff('hour', window_start, window_end) <= 24"
# Areas nest (a ward's figures are in its district's and the province's): totals read the province's own.
PROVINCE_AREA = "entity_id IN (SELECT code FROM dim_areas_current WHERE level = 'province')"
# Hotline categories as the simulator and the usual call centres send them; others show as sent.
CATEGORY_NAMES = {
    "traffic": "Giao thông",
    "environment": "Môi trường",
    "public_order": "Trật tự công cộng",
    "fire": "Cháy nổ",
    "flooding": "Ngập lụt",
    "infrastructure": "Hạ tầng",
    "urban_infrastructure": "Hạ tầng đô thị",
    "other": "Khác",
}
HOTLINE_ROW = Y + 27
# A form's period may be a year (config/report_forms/): its latest period started at most that long ago.
FORM_LOOKBACK = "INTERVAL 400 DAY"


def by_department_sql(indicator: str, window: str, order: str) -> str:
    return f"""
SELECT if(u.name_vi = '', l.entity_id, u.name_vi) AS name,
       if(l.age > {MAX_AGE_S}, NULL, l.latest) AS value, l.age AS data_age_s
FROM {latest_per_entity(indicator, "department", window, MONTH_LOOKBACK)} AS l
LEFT JOIN dim_reporting_units_current AS u ON u.code = l.entity_id
ORDER BY isNull(value), value {order}, name
LIMIT 20
"""  # noqa: S608 - assembled from code constants, never from input


def overdue_tickets_by_category_sql() -> str:
    """The province's overdue hotline tickets of today, one bar per category (entity `<province>/<category>`)."""
    codes = ", ".join(f"'{code}'" for code in CATEGORY_NAMES)
    names = ", ".join(f"'{name}'" for name in CATEGORY_NAMES.values())
    category = "splitByChar('/', l.entity_id)[2]"
    province_prefix = (
        "splitByChar('/', l.entity_id)[1] IN (SELECT code FROM dim_areas_current WHERE level = 'province')"
    )
    return f"""
SELECT transform({category}, [{codes}], [{names}], {category}) AS name,
       if(l.age > {MAX_AGE_S}, NULL, l.latest) AS value, l.age AS data_age_s
FROM {latest_per_entity(PUBLIC_SERVICE_HOTLINE_TICKETS_OVERDUE, "hotline_category", TODAY)} AS l
WHERE {province_prefix}
ORDER BY isNull(value), value DESC, name
LIMIT 20
"""  # noqa: S608 - assembled from code constants, never from input


def overdue_tickets_by_area_sql() -> str:
    """Today's overdue hotline tickets of each commune and ward, worst first."""
    return f"""
SELECT if(a.name_vi = '', l.entity_id, a.name_vi) AS name,
       if(l.age > {MAX_AGE_S}, NULL, l.latest) AS value, l.age AS data_age_s
FROM {latest_per_entity(PUBLIC_SERVICE_HOTLINE_TICKETS_OVERDUE, "area", TODAY)} AS l
INNER JOIN dim_areas_current AS a ON a.code = l.entity_id
WHERE a.level IN ('ward', 'commune', 'special_zone')
ORDER BY isNull(value), value DESC, name
LIMIT 20
"""  # noqa: S608 - assembled from code constants, never from input


def forms_off_plan_sql() -> str:
    """Each form indicator with a plan, its latest period's gap (province total, once every owning unit
    reported), furthest off first; named by the indicator's Vietnamese name (the record's label). A
    period's figures do not age like a sensor's: no freshness limit, and a gap not yet judged is left out."""
    return f"""
SELECT if(l.latest_label = '', l.entity_id, l.latest_label) AS name, l.latest AS value, l.age AS data_age_s
FROM {latest_per_entity(PUBLIC_SERVICE_FORM_PLAN_GAP_PCT, "form_indicator", "", FORM_LOOKBACK)} AS l
WHERE l.latest IS NOT NULL
ORDER BY value DESC, name
LIMIT 20
"""  # noqa: S608 - assembled from code constants, never from input


def hotline_and_index_panels() -> list[stat.Panel | bargauge.Panel]:
    """The row below the dossiers: the hotline today, the month's time to resolve and 766 index, and
    the forms off their plan."""
    province_today = f"{TODAY} AND {PROVINCE_AREA}"
    province_month = f"{MONTH} AND {PROVINCE_AREA}"
    return [
        big_stat(
            "Phản ánh đang xử lý",
            latest_total(PUBLIC_SERVICE_HOTLINE_TICKETS_OPEN, "area", "sum", MAX_AGE_S, where=province_today),
            unit="suffix: phản ánh",
            steps=((None, "blue"),),
            pos=(0, HOTLINE_ROW, 6, 7),
            decimals=0,
        ),
        big_stat(
            "Phản ánh quá hạn",
            latest_total(
                PUBLIC_SERVICE_HOTLINE_TICKETS_OVERDUE, "area", "sum", MAX_AGE_S, where=province_today
            ),
            unit="suffix: phản ánh",
            steps=rising_severity(1, 10),
            pos=(6, HOTLINE_ROW, 6, 7),
            decimals=0,
        ),
        big_stat(
            "Thời gian xử lý phản ánh (trung vị, tháng)",
            latest_total(
                PUBLIC_SERVICE_HOTLINE_RESOLVE_TIME_MEDIAN,
                "area",
                "max",
                MAX_AGE_S,
                where=province_month,
                lookback=MONTH_LOOKBACK,
            ),
            unit="suffix: giờ",
            steps=rising_severity(24, 48),
            pos=(12, HOTLINE_ROW, 6, 7),
            decimals=1,
        ),
        big_stat(
            "Chỉ số 766 toàn tỉnh (tháng)",
            latest_total(
                PUBLIC_SERVICE_INDEX_766,
                "area",
                "max",
                MAX_AGE_S,
                where=province_month,
                lookback=MONTH_LOOKBACK,
            ),
            unit="suffix: điểm",
            steps=falling_severity(50, 80),
            pos=(18, HOTLINE_ROW, 6, 7),
            decimals=1,
        ),
        bars(
            "Phản ánh quá hạn theo lĩnh vực",
            overdue_tickets_by_category_sql(),
            unit="suffix: phản ánh",
            steps=rising_severity(1, 5),
            pos=(0, HOTLINE_ROW + 7, 6, 18),
        ),
        bars(
            "Phản ánh quá hạn theo xã, phường",
            overdue_tickets_by_area_sql(),
            unit="suffix: phản ánh",
            steps=rising_severity(1, 5),
            pos=(6, HOTLINE_ROW + 7, 6, 18),
        ),
        bars(
            INDEX_PANEL_TITLE,
            by_department_sql(PUBLIC_SERVICE_INDEX_766, MONTH, "ASC"),
            unit="suffix: điểm",
            steps=falling_severity(50, 80),
            max_value=100,
            pos=(12, HOTLINE_ROW + 7, 6, 18),
        ),
        bars(
            "Chỉ tiêu báo cáo lệch kế hoạch",
            forms_off_plan_sql(),
            unit="percent",
            steps=rising_severity(5, 10),  # the alert rule public_service.form_off_plan fires at 10 %
            pos=(18, HOTLINE_ROW + 7, 6, 18),
        ),
    ]


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
    board = (
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
    for panel in hotline_and_index_panels():
        board.with_panel(panel)
    return board
