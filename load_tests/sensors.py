"""Sensor stations of the province: air quality with pollution episodes, rain events that raise rivers,
weather, traffic counters, and the device registry.

Each station reports once per its `reporting_interval_s`, on its own minute offset so the province's
readings spread over time. Weather is shared: a rain event falls on the whole province with a
random intensity per station, and every water-level station rises with the rain and falls back
slowly afterwards, so a long enough storm pushes some rivers past their alarm levels I, II and III.
A pollution episode multiplies one station's particulate readings for a few hours.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ioc.province import Province, Station
from load_tests.curves import daylight_factor, rush_factor
from load_tests.emission import event_id
from topics.catalog import (
    SENSOR_AIR_QUALITY,
    SENSOR_DEVICES,
    SENSOR_RAINFALL,
    SENSOR_TRAFFIC_COUNTERS,
    SENSOR_WATER_LEVEL,
    SENSOR_WEATHER,
    TopicSpec,
)

Record = tuple[TopicSpec, str, dict[str, Any]]
SOURCE = "SENSOR-GW"  # one MQTT/HTTP gateway per kind, see `_source`
COUNTER_EVERY_NTH_INTERSECTION = 10
PROPERTIES = {
    "air_quality": ["pm25", "pm10", "o3", "no2", "so2", "co"],
    "water_level": ["waterLevel"],
    "rainfall": ["precipitation"],
    "weather": ["temperature", "relativeHumidity", "windSpeed", "atmosphericPressure"],
}


@dataclass(frozen=True)
class WeatherRates:
    """How often episodes start, per minute, and how long they last."""

    rain_start_per_min: float = 0.002
    rain_minutes: tuple[int, int] = (20, 180)
    rain_mm_per_h: tuple[float, float] = (5.0, 60.0)
    pollution_start_per_min: float = 0.0002
    pollution_minutes: tuple[int, int] = (120, 480)


def _source(kind: str) -> str:
    return f"{SOURCE}-{kind.upper().replace('_', '-')}"


class SensorFeeds:
    """Generates one minute of every sensor feed, keeping the state episodes need between minutes."""

    def __init__(
        self, province: Province, rng: random.Random, rates: WeatherRates, limit: int | None = None
    ) -> None:
        self.stations = list(province.stations[:limit])
        self.counters = [i.id for i in province.intersections[::COUNTER_EVERY_NTH_INTERSECTION][:limit]]
        self.rng = rng
        self.rates = rates
        self.rain_until: datetime | None = None
        self.rain_mm_h: dict[str, float] = {}
        self.polluted_until: dict[str, tuple[datetime, float]] = {}
        # Water stations start some way below alarm level I.
        self.water_cm = {
            s.id: s.alarm_levels.level_1_cm - rng.uniform(40, 90)
            for s in self.stations
            if s.alarm_levels is not None
        }
        self.registered = False

    def minute(self, end: datetime) -> list[Record]:
        """Everything the stations report for the minute ending at `end`."""
        self._weather_step(end)
        out: list[Record] = []
        if not self.registered:
            out += [self._registration(station, end) for station in self.stations]
            self.registered = True
        minute_index = int(end.timestamp() // 60)
        for number, station in enumerate(self.stations):
            self._water_step(station, end)
            every = max(1, station.reporting_interval_s // 60)
            if (minute_index + number) % every != 0:
                continue
            at = end - timedelta(milliseconds=1 + number * 7919 % 59_999)
            if station.kind == "air_quality":
                out.append(self._air(station, at))
            elif station.kind == "rainfall":
                out.append(self._rain(station, at, every))
            elif station.kind == "water_level":
                out.append(self._water(station, at))
            else:
                out.append(self._weather(station, at, every))
        traffic = rush_factor(end)
        for number, intersection in enumerate(self.counters):
            if (minute_index + number) % 5 == 0:
                at = end - timedelta(milliseconds=1 + number * 7919 % 59_999)
                out += self._counter(intersection, at, traffic)
        return out

    def raining(self, moment: datetime) -> bool:
        return self.rain_until is not None and moment < self.rain_until

    def _weather_step(self, end: datetime) -> None:
        if not self.raining(end) and self.rng.random() < self.rates.rain_start_per_min:
            self.rain_until = end + timedelta(minutes=self.rng.randint(*self.rates.rain_minutes))
            peak = self.rng.uniform(*self.rates.rain_mm_per_h)
            self.rain_mm_h = {s.id: peak * self.rng.uniform(0.3, 1.2) for s in self.stations}
        for station in self.stations:
            if station.kind == "air_quality" and station.id not in self.polluted_until:
                if self.rng.random() < self.rates.pollution_start_per_min:
                    minutes = self.rng.randint(*self.rates.pollution_minutes)
                    self.polluted_until[station.id] = (
                        end + timedelta(minutes=minutes),
                        self.rng.uniform(2, 5),
                    )
            elif station.id in self.polluted_until and end >= self.polluted_until[station.id][0]:
                del self.polluted_until[station.id]

    def _rain_mm_h(self, station: Station, moment: datetime) -> float:
        if not self.raining(moment):
            return 0.0
        return self.rain_mm_h.get(station.id, 10.0) * self.rng.uniform(0.7, 1.3)

    def _water_step(self, station: Station, end: datetime) -> None:
        """Each minute: rain raises the river (1 mm/h of rain ≈ 0.2 cm/min), which recedes slowly."""
        if station.alarm_levels is None:
            return
        base = station.alarm_levels.level_1_cm - 60
        rain = self.rain_mm_h.get(station.id, 10.0) if self.raining(end) else 0.0
        level = self.water_cm[station.id]
        self.water_cm[station.id] = level + 0.2 * rain - 0.01 * (level - base)

    def _air(self, station: Station, at: datetime) -> Record:
        episode = self.polluted_until.get(station.id, (at, 1.0))[1]
        traffic = rush_factor(at)
        washout = 0.5 if self.raining(at) else 1.0
        pm25 = max(1.0, self.rng.gauss(18 + 20 * traffic, 5)) * episode * washout
        return (
            SENSOR_AIR_QUALITY,
            _source(station.kind),
            {
                "event_id": event_id("AQ", station.id, at),
                "device_id": f"{station.id}-D1",
                "observed_at": at,
                "station_id": station.id,
                "interval_seconds": station.reporting_interval_s,
                "pm25_ugm3": round(pm25, 1),
                "pm10_ugm3": round(pm25 * self.rng.uniform(1.4, 1.9), 1),
                "o3_ugm3": round(20 + 90 * daylight_factor(at) * self.rng.uniform(0.8, 1.2), 1),
                "no2_ugm3": round(max(1.0, self.rng.gauss(15 + 25 * traffic, 4)), 1),
                "so2_ugm3": round(max(0.5, self.rng.gauss(8, 2)), 1),
                "co_ugm3": round(max(100.0, self.rng.gauss(600 + 900 * traffic, 100)), 0),
                "temperature_c": round(25 + 7 * daylight_factor(at), 1),
                "relative_humidity_pct": round(85 - 25 * daylight_factor(at), 1),
            },
        )

    def _rain(self, station: Station, at: datetime, every_min: int) -> Record:
        mm = self._rain_mm_h(station, at) * every_min / 60
        return (
            SENSOR_RAINFALL,
            _source(station.kind),
            {
                "event_id": event_id("RF", station.id, at),
                "device_id": f"{station.id}-D1",
                "observed_at": at,
                "station_id": station.id,
                "interval_seconds": every_min * 60,
                "rainfall_mm": round(mm, 2),
            },
        )

    def _water(self, station: Station, at: datetime) -> Record:
        level = self.water_cm[station.id] + self.rng.gauss(0, 1.5)
        return (
            SENSOR_WATER_LEVEL,
            _source(station.kind),
            {
                "event_id": event_id("WL", station.id, at),
                "station_id": station.id,
                "observed_at": at,
                "device_id": f"{station.id}-D1",
                "water_level_cm": round(level, 1),
                "flow_m3s": round(max(0.0, level) * 0.8, 1),
            },
        )

    def _weather(self, station: Station, at: datetime, every_min: int) -> Record:
        day = daylight_factor(at)
        return (
            SENSOR_WEATHER,
            _source(station.kind),
            {
                "event_id": event_id("WX", station.id, at),
                "device_id": f"{station.id}-D1",
                "observed_at": at,
                "station_id": station.id,
                "interval_seconds": every_min * 60,
                "temperature_c": round(self.rng.gauss(25 + 8 * day, 0.5), 1),
                "relative_humidity_pct": round(min(100.0, self.rng.gauss(88 - 28 * day, 2)), 1),
                "wind_speed_ms": round(abs(self.rng.gauss(2.5, 1.2)), 1),
                "wind_direction_deg": round(self.rng.uniform(0, 359), 0),
                "atmospheric_pressure_hpa": round(self.rng.gauss(1008, 2), 1),
                "precipitation_mm": round(self._rain_mm_h(station, at) * every_min / 60, 2),
            },
        )

    def _counter(self, intersection: str, at: datetime, traffic: float) -> list[Record]:
        device = f"TC-{intersection}"
        records: list[Record] = []
        for lane, direction in ((1, "forward"), (2, "backward")):
            intensity = max(0, int(self.rng.gauss(60 * traffic, 8)))
            speed = max(5.0, self.rng.gauss(45 * (1 - min(0.8, traffic / 3)), 3))
            records.append(
                (
                    SENSOR_TRAFFIC_COUNTERS,
                    _source("traffic_counter"),
                    {
                        "event_id": event_id("TC", device, at, lane),
                        "device_id": device,
                        "observed_at": at,
                        "interval_seconds": 300,
                        "lane": lane,
                        "lane_direction": direction,
                        "vehicle_class": None,
                        "intensity_vehicles": intensity,
                        "average_vehicle_speed_kmh": round(speed, 1),
                        "occupancy_pct": round(min(100.0, intensity / 3), 1),
                        "congested": speed < 15,
                    },
                )
            )
        return records

    def _registration(self, station: Station, at: datetime) -> Record:
        return (
            SENSOR_DEVICES,
            _source("registry"),
            {
                "event_id": event_id("DV", station.id, at),
                "device_id": f"{station.id}-D1",
                "observed_at": at - timedelta(milliseconds=1),
                "event_type": "registered",
                "name": station.name_vi,
                "device_category": "sensor",
                "controlled_property": PROPERTIES[station.kind],
                "station_id": station.id,
                "latitude": station.latitude,
                "longitude": station.longitude,
                "area_code": station.area,
                "owner": "IOC",
                "manufacturer": "SIM",
                "model": station.kind,
                "serial_number": f"SN-{station.id}",
                "firmware_version": "1.0",
                "battery_level_pct": round(self.rng.uniform(60, 100), 0),
                "reporting_interval_seconds": station.reporting_interval_s,
                "installed_at": None,
            },
        )
