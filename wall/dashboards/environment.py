"""Môi trường: VN_AQI by station in the official colours, rainfall, and water levels against the
alarm levels I/II/III of each station."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard

from streams.model.indicators import (
    ENVIRONMENT_AQI_HOURLY,
    ENVIRONMENT_RAINFALL_1H,
    ENVIRONMENT_WATER_ALARM_LEVEL,
    ENVIRONMENT_WATER_LEVEL,
    WaterAlarmLevel,
)
from wall.frame import HEADER_HEIGHT, screen
from wall.levels import WATER_ALARM, aqi_steps
from wall.panels import bars, big_stat, board, rising_severity, trend, value_texts
from wall.sql import latest_per_entity, latest_total

UID = "ioc-wall-environment"
Y = HEADER_HEIGHT
AQI_PANEL_TITLE = "VN_AQI theo trạm (giờ)"
WATER_PANEL_TITLE = "Mực nước so với báo động"
AQI_MAX_AGE_S = 7200
WATER_MAX_AGE_S = 1800


def aqi_by_station_sql() -> str:
    """Each station's newest hourly VN_AQI with its dominant pollutant in the name."""
    return f"""
SELECT concat(if(s.name_vi = '', l.entity_id, s.name_vi), if(l.latest_label = '', '', concat(' (', l.latest_label, ')')))
           AS name,
       if(l.age > {AQI_MAX_AGE_S}, NULL, l.latest) AS value, l.age AS data_age_s
FROM {latest_per_entity(ENVIRONMENT_AQI_HOURLY, "station")} AS l
LEFT JOIN dim_stations_current AS s ON s.id = l.entity_id
ORDER BY isNull(value), value DESC, name
LIMIT 20
"""  # noqa: S608 - assembled from code constants, never from input


def water_levels_sql() -> str:
    """Water-level stations with their newest level, alarm levels and the level reached (0-3)."""
    return f"""
SELECT if(s.name_vi = '', l.entity_id, s.name_vi) AS `Trạm`,
       round(l.latest) AS `Mực nước (cm)`,
       s.alarm_level_1_cm AS `BĐ I`, s.alarm_level_2_cm AS `BĐ II`, s.alarm_level_3_cm AS `BĐ III`,
       if(l.age > {WATER_MAX_AGE_S}, NULL,
          multiIf(l.latest >= s.alarm_level_3_cm, 3, l.latest >= s.alarm_level_2_cm, 2,
                  l.latest >= s.alarm_level_1_cm, 1, 0)) AS `Mức báo động`,
       l.age AS data_age_s
FROM {latest_per_entity(ENVIRONMENT_WATER_LEVEL, "station")} AS l
LEFT JOIN dim_stations_current AS s ON s.id = l.entity_id
ORDER BY isNull(`Mức báo động`), `Mức báo động` DESC, `Trạm`
LIMIT 20
"""  # noqa: S608 - assembled from code constants, never from input


def rainfall_sql() -> str:
    return f"""
SELECT $__timeInterval(window_start) AS time, 'Lượng mưa lớn nhất' AS series, max(value) AS value
FROM indicators_current
WHERE indicator = '{ENVIRONMENT_RAINFALL_1H}' AND entity_type = 'station' AND $__timeFilter(window_start)
GROUP BY time, series ORDER BY time
"""  # noqa: S608 - assembled from code constants, never from input


def build() -> dashboard.Dashboard:
    """The environment screen."""
    return (
        screen(UID, "Môi trường", "Chất lượng không khí VN_AQI, lượng mưa và mực nước.")
        .with_panel(
            bars(
                AQI_PANEL_TITLE,
                aqi_by_station_sql(),
                unit="none",
                steps=aqi_steps(),
                max_value=500,
                pos=(0, Y, 12, 16),
            )
        )
        .with_panel(
            big_stat(
                "VN_AQI cao nhất",
                latest_total(ENVIRONMENT_AQI_HOURLY, "station", "max", AQI_MAX_AGE_S),
                unit="none",
                steps=aqi_steps(),
                pos=(12, Y, 6, 6),
                decimals=0,
            )
        )
        .with_panel(
            big_stat(
                "Trạm vượt báo động",
                latest_total(
                    ENVIRONMENT_WATER_ALARM_LEVEL,
                    "station",
                    "count",
                    WATER_MAX_AGE_S,
                    condition=f"latest >= {int(WaterAlarmLevel.ALARM_I)}",
                ),
                unit="suffix: trạm",
                steps=rising_severity(1, 3),
                pos=(18, Y, 6, 6),
                decimals=0,
            )
        )
        .with_panel(
            trend("Lượng mưa 1 giờ (trạm lớn nhất)", rainfall_sql(), unit="lengthmm", pos=(12, Y + 6, 12, 10))
        )
        .with_panel(
            board(
                WATER_PANEL_TITLE,
                water_levels_sql(),
                pos=(0, Y + 16, 24, 12),
                max_age_s=WATER_MAX_AGE_S,
                column_mappings={"Mức báo động": [value_texts(WATER_ALARM)]},
            )
        )
    )
