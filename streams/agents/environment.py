"""Environment: air quality into hourly and daily VN_AQI, rainfall into 1 h and 24 h sums, water level
into its level, trend and alarm level, per station (streams/model/environment.py). Every window is
the station's own: no totals, so no internal topic beyond each feed's changelog."""

from __future__ import annotations

from streams.engine.topology import Node, Wiring
from streams.model.environment import AirQualityModel, RainfallModel, WaterLevelModel
from topics.catalog import (
    DLQ_SENSOR,
    ENVIRONMENT_AIR_QUALITY_TASKS,
    ENVIRONMENT_RAINFALL_TASKS,
    ENVIRONMENT_WATER_LEVEL_TASKS,
    SENSOR_AIR_QUALITY,
    SENSOR_RAINFALL,
    SENSOR_WATER_LEVEL,
)


def processors(wiring: Wiring) -> list[Node]:
    province = wiring.province
    trend_span_ms = int(wiring.settings.indicators.water_trend_span_s * 1000)
    return [
        *wiring.windowed(
            ENVIRONMENT_AIR_QUALITY_TASKS, SENSOR_AIR_QUALITY, DLQ_SENSOR, AirQualityModel(province)
        ),
        *wiring.windowed(ENVIRONMENT_RAINFALL_TASKS, SENSOR_RAINFALL, DLQ_SENSOR, RainfallModel(province)),
        *wiring.windowed(
            ENVIRONMENT_WATER_LEVEL_TASKS,
            SENSOR_WATER_LEVEL,
            DLQ_SENSOR,
            WaterLevelModel(province, trend_span_ms),
        ),
    ]
