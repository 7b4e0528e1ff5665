"""Crafted warehouse rows for the wall's panels where the pipeline does not yet produce them (every
indicator code of notes/indicators.md, alerts, incidents, rejected and late records), placed around
`now` on the province's real entities, with one deliberately stale intersection and station."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from ioc.province import Province

INDICATOR_COLUMNS = [
    "indicator", "entity_type", "entity_id", "area_code", "window_start", "window_end", "value", "unit",
    "sample_count", "revision", "is_final", "computed_at", "label", "kafka_topic", "kafka_partition", "kafka_offset",
]  # fmt: skip
STALE_AGE = timedelta(hours=3)
OPEN_ALERTS = {"Extreme": 1, "Severe": 2, "Moderate": 1}


def _minute(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


class Rows:
    """Accumulates indicator rows with unique Kafka offsets (the sinks' resume key)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.indicators: list[list[Any]] = []

    def add(
        self, indicator: str, entity_type: str, entity: str, area: str, start: datetime, length: timedelta,
        value: float, label: str = "",
    ) -> None:  # fmt: skip
        offset = len(self.indicators)
        self.indicators.append(
            [indicator, entity_type, entity, area, start, start + length, value, "", 1, 1, 1, self.now, label,
             "crafted.wall", 0, offset]
        )  # fmt: skip


def crafted(
    province: Province, now: datetime, skip_cameras: set[str]
) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Rows by table; cameras in `skip_cameras` get no crafted traffic (the pipeline fills them)."""
    rng = random.Random(9)
    rows = Rows(now)
    minute = _minute(now) - timedelta(minutes=1)
    hour = now.replace(minute=0, second=0, microsecond=0)
    day = timedelta(days=1)
    one_minute, one_hour = timedelta(minutes=1), timedelta(hours=1)
    local_midnight = (now + timedelta(hours=7)).replace(
        hour=0, minute=0, second=0, microsecond=0
    ) - timedelta(hours=7)
    month_start = (now + timedelta(hours=7)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    ) - timedelta(hours=7)
    month_end = month_start + timedelta(days=32)

    cameras = [c for c in province.cameras[:40] if c.id not in skip_cameras]
    for camera in cameras:
        area = province.intersection_of(camera.id).area  # type: ignore[union-attr]
        for back in range(0, 180, 5):
            start = minute - timedelta(minutes=back)
            rows.add("traffic.volume", "camera", camera.id, area, start, one_minute, rng.randint(5, 60))
            rows.add(
                "traffic.average_speed", "camera", camera.id, area, start, one_minute, rng.uniform(12, 55)
            )
    for index, intersection in enumerate(province.intersections[:60]):
        start = minute - (STALE_AGE if index == 0 else timedelta())
        rows.add("traffic.congestion_level", "intersection", intersection.id, intersection.area, start, one_minute,
                 index % 5)  # fmt: skip
    for area in [a for a in province.areas if a.level in ("ward", "commune")][:6]:
        for back in range(0, 180, 10):
            start = minute - timedelta(minutes=back)
            rows.add(
                "traffic.average_speed", "area", area.code, area.code, start, one_minute, rng.uniform(15, 50)
            )
        for kind in ("red_light", "wrong_way", "illegal_parking", "speeding"):
            rows.add(
                f"traffic.violations.{kind}", "area", area.code, area.code, hour, one_hour, rng.randint(0, 40)
            )
        rows.add(
            "public_order.incidents.accident", "area", area.code, area.code, hour, one_hour, rng.randint(0, 2)
        )
        rows.add("input_health.camera_online_ratio", "area", area.code, area.code, minute, one_minute,
                 rng.uniform(70, 100))  # fmt: skip
    rows.add(
        "input_health.camera_online_ratio", "province", province.code, province.code, minute, one_minute, 93.5
    )
    for index, zone in enumerate(province.crowd_zones[:12]):
        rows.add("public_order.crowd_level", "zone", zone.id, zone.area, minute, one_minute, index % 4)
    stations = {
        kind: [s for s in province.stations if s.kind == kind][:12]
        for kind in ("air_quality", "water_level", "rainfall")
    }
    for index, station in enumerate(stations["air_quality"]):
        start = hour - (STALE_AGE if index == 0 else timedelta())
        rows.add("environment.aqi_hourly", "station", station.id, station.area, start, one_hour, 30 + index * 25,
                 label="PM2.5" if index % 2 else "O3")  # fmt: skip
    for index, station in enumerate(stations["water_level"]):
        levels = station.alarm_levels
        assert levels is not None
        level = levels.level_1_cm - 40 + index * 20
        rows.add(
            "environment.water_level", "station", station.id, station.area, minute, 5 * one_minute, level
        )
        reached = sum(level >= bound for bound in (levels.level_1_cm, levels.level_2_cm, levels.level_3_cm))
        rows.add(
            "environment.water_alarm_level",
            "station",
            station.id,
            station.area,
            minute,
            5 * one_minute,
            reached,
        )
    for station in stations["rainfall"]:
        for back in range(6):
            rows.add("environment.rainfall_1h", "station", station.id, station.area, hour - back * one_hour, one_hour,
                     rng.uniform(0, 30))  # fmt: skip
        rows.add("environment.rainfall_24h", "station", station.id, station.area, hour - 23 * one_hour, day,
                 rng.uniform(10, 120))  # fmt: skip
    for index, station in enumerate(province.stations[:15]):
        rows.add("input_health.sensor_staleness", "station", station.id, station.area, minute, one_minute,
                 60 + index * 400)  # fmt: skip
    for index, unit in enumerate(province.reporting_units[:20]):
        for code, window_start, window_end in (
            ("today", local_midnight, day),
            ("month", month_start, month_end - month_start),
        ):
            received = 10 + index * 3
            late = index % 4
            rows.add(
                "public_service.dossiers_received",
                "department",
                unit.code,
                unit.area,
                window_start,
                window_end,
                received,
            )
            rows.add(
                "public_service.dossiers_overdue",
                "department",
                unit.code,
                unit.area,
                window_start,
                window_end,
                late,
            )
            rows.add("public_service.on_time_rate", "department", unit.code, unit.area, window_start, window_end,
                     100 - index * 1.5 - (5 if code == "month" else 0))  # fmt: skip
        rows.add("input_health.report_lateness", "reporting_unit", unit.code, unit.area, local_midnight, day,
                 index % 3, label="BC-KTXH-THANG")  # fmt: skip
    _hotline_and_index(rows, province, local_midnight, month_start, month_end)
    return {
        "indicators": (INDICATOR_COLUMNS, rows.indicators),
        "alerts": _alerts(province, now),
        "camera_incidents": _incidents(province, now),
        "dead_letters": _dead_letters(now),
        "late_events": _late_events(now),
    }


def _alerts(province: Province, now: datetime) -> tuple[list[str], list[list[Any]]]:
    columns = ["alert_id", "identifier", "sender", "sent", "status", "msg_type", "scope", "severity", "area_desc",
               "area_code", "category", "rule_id", "state", "revision", "opened_at", "updated_at", "entity_type",
               "entity_id", "headline_vi", "kafka_topic", "kafka_partition", "kafka_offset"]  # fmt: skip
    area = province.areas[13]
    rows: list[list[Any]] = []
    specs = [(severity, "open") for severity, count in OPEN_ALERTS.items() for _ in range(count)]
    specs.append(("Minor", "resolved"))
    for index, (severity, state) in enumerate(specs):
        opened = now - timedelta(minutes=5 * index + 1)
        rows.append(
            [f"AL-{index}", f"AL-{index}-0", "ioc@localhost", opened, "Actual", "Alert", "Public", severity,
             area.name_vi, area.code, "traffic", "congestion", state, 0, opened, opened, "intersection",
             province.intersections[index].id, f"Ùn tắc tại {province.intersections[index].name_vi}",
             "crafted.wall", 0, index]
        )  # fmt: skip
    return columns, rows


def _incidents(province: Province, now: datetime) -> tuple[list[str], list[list[Any]]]:
    columns = ["event_id", "source_id", "camera_id", "observed_at", "incident_type", "severity_hint", "description",
               "kafka_topic", "kafka_partition", "kafka_offset"]  # fmt: skip
    kinds = ["accident", "fire_smoke", "fight", "flooding", "accident"]
    rows = [
        [f"INC-{i}", "SRC-WALL", province.cameras[i].id, now - timedelta(minutes=7 * i + 2), kind, "moderate",
         "Sự cố phát hiện bởi camera", "crafted.wall", 0, i]
        for i, kind in enumerate(kinds)
    ]  # fmt: skip
    return columns, rows


def _dead_letters(now: datetime) -> tuple[list[str], list[list[Any]]]:
    columns = ["source_topic", "source_id", "record_ref", "field_path", "rule", "reason", "payload", "rejected_at",
               "kafka_topic", "kafka_partition", "kafka_offset"]  # fmt: skip
    rows = [["ioc.camera.vehicle-counts", "SRC-X", f"r{i}", "vehicle_count", "max", "quá lớn", "{}",
             now - timedelta(minutes=i * 10), "crafted.wall", 0, i] for i in range(3)]  # fmt: skip
    return columns, rows


def _late_events(now: datetime) -> tuple[list[str], list[list[Any]]]:
    columns = ["source_topic", "source_partition", "source_offset", "source_id", "record_ref", "processor", "event_time",
               "window_end", "grace_ms", "lateness_ms", "payload", "detected_at", "kafka_topic", "kafka_partition",
               "kafka_offset"]  # fmt: skip
    rows = [["ioc.camera.vehicle-counts", 0, i, "SRC-X", f"r{i}", "traffic", now - timedelta(minutes=10),
             now - timedelta(minutes=8), 30000, 5000, "{}", now - timedelta(minutes=i), "crafted.wall", 0, i]
            for i in range(2)]  # fmt: skip
    return columns, rows


def _hotline_and_index(
    rows: Rows, province: Province, local_midnight: datetime, month_start: datetime, month_end: datetime
) -> None:
    """Hotline figures of today (province, its wards and communes, the province's categories) and the
    month's time to resolve and Decision 766 index (province and departments)."""
    day, month = timedelta(days=1), month_end - month_start
    code = province.code
    rows.add("public_service.hotline_tickets_open", "area", code, code, local_midnight, day, 42)
    rows.add("public_service.hotline_tickets_overdue", "area", code, code, local_midnight, day, 7)
    for index, category in enumerate(("traffic", "environment", "flooding")):
        entity = f"{code}/{category}"
        rows.add("public_service.hotline_tickets_overdue", "hotline_category", entity, code, local_midnight, day,
                 index + 1)  # fmt: skip
    for index, area in enumerate([a for a in province.areas if a.level in ("ward", "commune")][:5]):
        rows.add("public_service.hotline_tickets_overdue", "area", area.code, area.code, local_midnight, day,
                 index % 3)  # fmt: skip
    rows.add("public_service.hotline_resolve_time_median", "area", code, code, month_start, month, 26.5)
    rows.add("public_service.index_766", "area", code, code, month_start, month, 78.25)
    rows.add("public_service.form_plan_gap_pct", "form_indicator", "BC-YT-THANG/YT-05", code, month_start, month,
             15.0, label="Công suất sử dụng giường bệnh")  # fmt: skip
    for index, unit in enumerate(province.reporting_units[:10]):
        rows.add(
            "public_service.index_766",
            "department",
            unit.code,
            unit.area,
            month_start,
            month,
            60 + index * 3.5,
        )
