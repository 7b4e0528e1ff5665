"""Trật tự công cộng: crowd levels by zone and incidents detected by cameras."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from streams.model.indicators import FAMILIES, PUBLIC_ORDER_CROWD_LEVEL, PUBLIC_ORDER_INCIDENTS, CrowdLevel
from wall.frame import HEADER_HEIGHT, screen
from wall.levels import CROWD, INCIDENT_TYPE, level_steps, vi_names
from wall.panels import bars, big_stat, board, rising_severity, trend, value_texts
from wall.sql import latest_per_entity, latest_total, pipeline_age

UID = "ioc-wall-public-order"
Y = HEADER_HEIGHT
INCIDENTS_PANEL_TITLE = "Sự cố mới nhất"
ACCIDENTS = FAMILIES[PUBLIC_ORDER_INCIDENTS].member("accident")
OVERLOADED = int(CrowdLevel.OVERLOADED)


def crowd_sql() -> str:
    return f"""
SELECT if(z.name_vi = '', l.entity_id, z.name_vi) AS name,
       if(l.age > 300, NULL, l.latest) AS value, l.age AS data_age_s
FROM {latest_per_entity(PUBLIC_ORDER_CROWD_LEVEL, "zone")} AS l
LEFT JOIN dim_crowd_zones_current AS z ON z.id = l.entity_id
ORDER BY isNull(value), value DESC, name
LIMIT 15
"""  # noqa: S608 - assembled from code constants, never from input


def incidents_sql() -> str:
    """The newest incidents the cameras reported, with where they happened, in Vietnam time."""
    return f"""
SELECT formatDateTime(e.observed_at, '%H:%i %d/%m', 'Asia/Ho_Chi_Minh') AS `Thời điểm`,
       {vi_names(INCIDENT_TYPE, "e.incident_type")} AS `Loại sự cố`,
       if(a.name_vi = '', c.area_code, a.name_vi) AS `Địa bàn`,
       e.camera_id AS `Camera`,
       e.description AS `Mô tả`,
       {pipeline_age()} AS data_age_s
FROM camera_incidents AS e FINAL
LEFT JOIN dim_cameras_current AS c ON c.id = e.camera_id
LEFT JOIN dim_areas_current AS a ON a.code = c.area_code
WHERE $__timeFilter(e.observed_at)
ORDER BY e.observed_at DESC
LIMIT 30
"""  # noqa: S608 - assembled from code constants, never from input


def incidents_per_hour_sql() -> str:
    return """
SELECT $__timeInterval(observed_at) AS time, 'Sự cố' AS series, count() AS value
FROM camera_incidents FINAL
WHERE $__timeFilter(observed_at)
GROUP BY time, series ORDER BY time
"""


def build() -> dashboard.Dashboard:
    """The public-order screen."""
    return (
        screen(UID, "Trật tự công cộng", "Mật độ đông người theo khu vực và sự cố do camera phát hiện.")
        .with_panel(
            bars(
                "Mức đông người theo khu vực",
                crowd_sql(),
                unit="none",
                steps=level_steps(CROWD),
                mappings=[value_texts(CROWD)],
                max_value=max(CrowdLevel),
                pos=(0, Y, 12, 14),
            )
        )
        .with_panel(
            big_stat(
                "Khu vực quá tải",
                latest_total(
                    PUBLIC_ORDER_CROWD_LEVEL, "zone", "count", 300, condition=f"latest >= {OVERLOADED}"
                ),
                unit="suffix: khu vực",
                steps=rising_severity(1, 3),
                pos=(12, Y, 6, 7),
                decimals=0,
            )
        )
        .with_panel(
            big_stat(
                "Tai nạn trong giờ",
                latest_total(ACCIDENTS, "area", "sum", 7200),
                unit="suffix: vụ",
                steps=rising_severity(1, 5),
                pos=(18, Y, 6, 7),
                decimals=0,
                description="Tai nạn giao thông trong giờ gần nhất, toàn tỉnh.",
            )
        )
        .with_panel(
            trend("Sự cố theo thời gian", incidents_per_hour_sql(), unit="suffix: vụ", pos=(12, Y + 7, 12, 7))
        )
        .with_panel(board(INCIDENTS_PANEL_TITLE, incidents_sql(), pos=(0, Y + 14, 24, 12), max_age_s=600))
    )
