"""Giao thông: a map of every camera coloured by its intersection's congestion, volumes, speeds and
violations."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard, stat

from streams.model.indicators import (
    TRAFFIC_AVERAGE_SPEED,
    TRAFFIC_CONGESTION_LEVEL,
    TRAFFIC_VIOLATIONS,
    TRAFFIC_VOLUME,
    CongestionLevel,
)
from wall.frame import HEADER_HEIGHT, screen
from wall.levels import CONGESTION, STALE_LEVEL, VIOLATION_TYPE, level_steps, vi_names
from wall.panels import bars, big_stat, falling_severity, point_map, rising_severity, trend, value_texts
from wall.sql import latest_per_entity, latest_total

UID = "ioc-wall-traffic"
Y = HEADER_HEIGHT
MAP_PANEL_TITLE = "Bản đồ ùn tắc theo camera"
CONGESTION_MAX_AGE_S = 300


def camera_map_sql() -> str:
    """Each camera at its intersection, with the intersection's newest congestion level (-1 when stale)."""
    return f"""
SELECT c.latitude AS latitude, c.longitude AS longitude,
       concat(c.id, ' · ', if(i.name_vi = '', c.intersection_id, i.name_vi)) AS name,
       if(l.entity_id = '' OR l.age > {CONGESTION_MAX_AGE_S}, {STALE_LEVEL}, toInt8(l.latest)) AS congestion_level,
       if(l.entity_id = '', NULL, l.age) AS data_age_s
FROM dim_cameras_current AS c
LEFT JOIN dim_intersections_current AS i ON i.id = c.intersection_id
LEFT JOIN {latest_per_entity(TRAFFIC_CONGESTION_LEVEL, "intersection")} AS l ON l.entity_id = c.intersection_id
"""  # noqa: S608 - assembled from code constants, never from input


def worst_intersections_sql() -> str:
    return f"""
SELECT if(i.name_vi = '', l.entity_id, i.name_vi) AS name,
       if(l.age > {CONGESTION_MAX_AGE_S}, NULL, l.latest) AS value, l.age AS data_age_s
FROM {latest_per_entity(TRAFFIC_CONGESTION_LEVEL, "intersection")} AS l
LEFT JOIN dim_intersections_current AS i ON i.id = l.entity_id
ORDER BY isNull(value), value DESC, name
LIMIT 12
"""  # noqa: S608 - assembled from code constants, never from input


def area_speed_sql() -> str:
    return f"""
SELECT $__timeInterval(s.window_start) AS time, if(a.name_vi = '', s.entity_id, a.name_vi) AS series,
       avg(s.value) AS value
FROM indicators_current AS s
LEFT JOIN dim_areas_current AS a ON a.code = s.entity_id
WHERE s.indicator = '{TRAFFIC_AVERAGE_SPEED}' AND s.entity_type = 'area' AND $__timeFilter(s.window_start)
GROUP BY time, series ORDER BY time
"""  # noqa: S608 - assembled from code constants, never from input


def violations_sql() -> str:
    """Violations per hour by type over the province, from each area's newest hourly window."""
    return f"""
SELECT {vi_names(VIOLATION_TYPE, "kind")} AS name,
       if(min(age) > 7200, NULL, sum(latest)) AS value, min(age) AS data_age_s
FROM (
    SELECT replaceOne(indicator, '{TRAFFIC_VIOLATIONS}.', '') AS kind, entity_id,
           argMax(value, window_start) AS latest,
           greatest(0, dateDiff('second', max(window_end), $__toTime)) AS age
    FROM indicators_current
    WHERE startsWith(indicator, '{TRAFFIC_VIOLATIONS}.') AND entity_type = 'area'
      AND window_start > $__toTime - INTERVAL 2 DAY AND window_start <= $__toTime
    GROUP BY kind, entity_id
)
GROUP BY kind
ORDER BY value DESC
"""  # noqa: S608 - assembled from code constants, never from input


def province_volume(pos: tuple[int, int, int, int]) -> stat.Panel:
    """Vehicles per minute over every camera: on the traffic screen and on the overview."""
    return big_stat(
        "Lưu lượng xe / phút",
        latest_total(TRAFFIC_VOLUME, "camera", "sum", 300),
        unit="suffix: xe",
        steps=((None, "blue"),),
        pos=pos,
        decimals=0,
    )


def province_speed(pos: tuple[int, int, int, int]) -> stat.Panel:
    """Average speed over every camera, red when traffic crawls."""
    return big_stat(
        "Tốc độ trung bình",
        latest_total(TRAFFIC_AVERAGE_SPEED, "camera", "avg", 300),
        unit="velocitykmh",
        steps=falling_severity(15, 25),
        pos=pos,
        decimals=0,
    )


def build(center: tuple[float, float]) -> dashboard.Dashboard:
    """The traffic screen; `center` is the middle of the province's intersections (from its config)."""
    return (
        screen(UID, "Giao thông", "Ùn tắc, lưu lượng, tốc độ và vi phạm giao thông.")
        .with_panel(
            point_map(
                MAP_PANEL_TITLE,
                camera_map_sql(),
                color_field="congestion_level",
                steps=level_steps(CONGESTION),
                mappings=[value_texts(CONGESTION)],
                center=center,
                zoom=10,
                pos=(0, Y, 14, 20),
            )
        )
        .with_panel(province_volume((14, Y, 5, 6)))
        .with_panel(province_speed((19, Y, 5, 6)))
        .with_panel(
            bars(
                "Nút giao ùn tắc nhất",
                worst_intersections_sql(),
                unit="none",
                steps=level_steps(CONGESTION),
                mappings=[value_texts(CONGESTION)],
                max_value=max(CongestionLevel),
                pos=(14, Y + 6, 10, 14),
            )
        )
        .with_panel(
            trend(
                "Tốc độ trung bình theo địa bàn", area_speed_sql(), unit="velocitykmh", pos=(0, Y + 20, 14, 9)
            )
        )
        .with_panel(
            bars(
                "Vi phạm giao thông / giờ",
                violations_sql(),
                unit="suffix: lượt",
                steps=rising_severity(50, 200),
                pos=(14, Y + 20, 10, 9),
            )
        )
    )
