"""The daily operations brief, read from ClickHouse alone for one local day (Asia/Ho_Chi_Minh).

Figures the wall also shows come from the wall's own SQL (wall/dashboards/*), with Grafana's macros
expanded for the day as the range: "now" is the day's last second, so a "today" panel gives that day's
value and a time series panel gives the day hour by hour. The rest comes from reports/day_sql.py.
Nothing here reads the clock but `generated_at`: a brief for a past day is the same whenever it is made.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from reports import day_sql
from reports.model import DailyBrief, Figure, Section, Series, Table, clean
from streams.model.aqi import level as aqi_level
from wall.dashboards import environment, input_health, overview, public_order, public_services
from wall.levels import CAP_SEVERITY, INCIDENT_TYPE, WATER_ALARM
from wall.macros import TimeRange, expand

VN = ZoneInfo("Asia/Ho_Chi_Minh")
HOUR = timedelta(hours=1)
# How many names a "missing" line lists before it says "and N more".
MISSING_NAMES = 10
# The brief lists the worst stations (daily VN_AQI, water alarm), not all of a province's stations.
AQI_ROWS = 15

Rows = list[dict[str, Any]]
# Runs one SQL statement with named parameters and returns its rows as dicts.
Runner = Callable[[str, dict[str, Any]], Rows]


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The local day as UTC instants [start, end)."""
    start = datetime.combine(day, time(0), VN).astimezone(UTC)
    return start, start + timedelta(days=1)


def wall_range(day: date) -> TimeRange:
    """The range the wall's SQL runs over for the day: to its last second, so that windows starting
    at the next midnight are not "now" yet; one point per hour in time series."""
    start, end = day_bounds(day)
    return TimeRange(start, end - timedelta(seconds=1), HOUR)


class DayQueries:
    """The day's SQL runner: the wall's SQL with macros expanded, and day_sql with the day's bounds."""

    def __init__(self, run: Runner, day: date) -> None:
        self.run_sql, self.day = run, day
        self.start, self.end = day_bounds(day)
        self.range = wall_range(day)

    def wall(self, sql: str) -> Rows:
        return self.run_sql(expand(sql, self.range), {})

    def own(self, sql: str) -> Rows:
        return self.run_sql(sql, {"start": self.start, "end": self.end})

    def wall_value(self, sql: str) -> float | None:
        """A wall stat panel's value (NULL when stale, no row when missing: both None)."""
        rows = self.wall(sql)
        return clean(rows[0]["value"]) if rows else None

    def wall_series(self, sql: str, title_vi: str, unit_vi: str) -> Series:
        return Series(title_vi, unit_vi, tuple((_utc(r["time"]), float(r["value"])) for r in self.wall(sql)))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _names(items: list[str]) -> str:
    shown = ", ".join(items[:MISSING_NAMES])
    return shown + (f" và {len(items) - MISSING_NAMES} nơi khác" if len(items) > MISSING_NAMES else "")


def _series_total(series: Series) -> float | None:
    return sum(v for _, v in series.points) if series.points else None


def _table(title_vi: str, columns: tuple[str, ...], rows: Rows, keys: tuple[str, ...]) -> Table:
    return Table(title_vi, columns, tuple(tuple(clean(r[k]) for k in keys) for r in rows))


def traffic(q: DayQueries) -> Section:
    volume = q.wall_series(overview.hourly_volume_sql(), "Lưu lượng xe theo giờ (toàn tỉnh)", "xe")
    section = Section("traffic", "Giao thông", series=[volume])
    section.figures.append(Figure("daily.traffic.vehicles", "Tổng lưu lượng xe", _series_total(volume), "xe"))
    violations = q.own(day_sql.VIOLATIONS_BY_TYPE)
    section.figures.append(
        Figure(
            "daily.traffic.violations",
            "Vi phạm giao thông",
            sum(r["value"] for r in violations) if violations else None,
            "vụ",
        )
    )
    section.tables.append(
        _table("Vi phạm theo loại", ("Loại vi phạm", "Số vụ"), violations, ("name", "value"))
    )
    congested = q.own(day_sql.CONGESTED_INTERSECTIONS)
    section.tables.append(
        _table("Nút giao ùn tắc lâu nhất", ("Nút giao", "Số phút ùn tắc"), congested, ("name", "value"))
    )
    silent = [r["id"] for r in q.own(day_sql.SILENT_CAMERAS)]
    if not volume.points:
        section.missing.append("không có số liệu lưu lượng xe trong ngày")
    elif silent:
        section.missing.append(f"{len(silent)} camera không gửi số liệu lưu lượng: {_names(silent)}")
    if not violations:
        section.missing.append("không có số liệu vi phạm (chỉ tiêu giờ theo địa bàn)")
    return section


def public_order_section(q: DayQueries) -> Section:
    incidents = q.wall_series(
        public_order.incidents_per_hour_sql(), "Sự cố do camera phát hiện theo giờ", "vụ"
    )
    section = Section("public_order", "Trật tự công cộng", series=[incidents])
    by_type = q.own(day_sql.INCIDENTS_BY_TYPE)
    # Incidents are events: a day without any is a real zero (a silent camera shows under traffic).
    total = _series_total(incidents) or 0.0
    section.figures.append(Figure("daily.public_order.incidents", "Sự cố do camera phát hiện", total, "vụ"))
    accidents = sum(r["value"] for r in by_type if r["name"] == INCIDENT_TYPE["accident"])
    section.figures.append(Figure("daily.public_order.accidents", "Tai nạn giao thông", accidents, "vụ"))
    section.tables.append(_table("Sự cố theo loại", ("Loại sự cố", "Số vụ"), by_type, ("name", "value")))
    zones = q.own(day_sql.OVERLOADED_ZONES)
    section.tables.append(_table("Khu vực quá tải", ("Khu vực", "Số phút quá tải"), zones, ("name", "value")))
    if not incidents.points:
        section.note_vi = "Không có sự cố nào do camera ghi nhận trong ngày."
    return section


def environment_section(q: DayQueries) -> Section:
    rain = q.wall_series(environment.rainfall_sql(), "Lượng mưa 1 giờ (trạm lớn nhất)", "mm")
    section = Section("environment", "Môi trường", series=[rain])
    stations = q.own(day_sql.AIR_STATIONS)
    measured = [r for r in stations if clean(r["daily_aqi"]) is not None]
    worst = max((r["daily_aqi"] for r in measured), default=None)
    section.figures.append(Figure("daily.environment.aqi_daily_max", "VN_AQI ngày cao nhất", worst))
    section.figures.append(
        Figure(
            "daily.environment.rainfall_1h_max",
            "Mưa 1 giờ lớn nhất",
            max((v for _, v in rain.points), default=None),
            "mm",
            1,
        )
    )
    rows = [
        (r["name"], clean(r["daily_aqi"]), aqi_level(int(r["daily_aqi"])).name_vi if clean(r["daily_aqi"]) is not None else None,
         r["dominant"] or None, clean(r["peak_hourly_aqi"]))
        for r in stations
        if clean(r["daily_aqi"]) is not None or clean(r["peak_hourly_aqi"]) is not None
    ][:AQI_ROWS]  # fmt: skip
    if len(measured) > AQI_ROWS:
        section.note_vi += f"Bảng VN_AQI: {AQI_ROWS} trạm cao nhất trong {len(measured)} trạm có số liệu."
    section.tables.append(
        Table(
            "VN_AQI theo trạm (QĐ 1459/QĐ-TCMT)",
            ("Trạm", "VN_AQI ngày", "Mức", "Chất chi phối", "VN_AQI giờ cao nhất"),
            tuple(rows),
        )
    )
    water = q.own(day_sql.WATER_ALARMS)
    section.figures.append(
        Figure(
            "daily.environment.water_alarm_stations",
            "Trạm vượt báo động",
            sum(1 for r in water if r["value"] >= 1) if water else None,
            "trạm",
        )
    )
    alarmed = [r for r in water if r["value"] >= 1]
    section.tables.append(
        Table(
            "Trạm vượt báo động (mức cao nhất trong ngày)",
            ("Trạm", "Mức báo động"),
            tuple((r["name"], WATER_ALARM[int(r["value"])][0]) for r in alarmed[:AQI_ROWS]),
        )
    )
    if len(alarmed) > AQI_ROWS:
        section.note_vi += f" Bảng báo động: {AQI_ROWS} trong {len(alarmed)} trạm vượt báo động."
    unmeasured = [r["name"] for r in stations if clean(r["daily_aqi"]) is None]
    if unmeasured:
        section.missing.append(f"{len(unmeasured)} trạm không khí không có VN_AQI ngày: {_names(unmeasured)}")
    if not water:
        section.missing.append("không có số liệu mực nước")
    if not rain.points:
        section.missing.append("không có số liệu lượng mưa")
    return section


def public_services_section(q: DayQueries) -> Section:
    section = Section("public_services", "Dịch vụ công")
    received = q.wall_value(public_services.received_today_sql())
    overdue = q.wall_value(public_services.overdue_today_sql())
    departments = q.own(day_sql.DOSSIERS_BY_DEPARTMENT)
    on_time = sum(r["on_time"] for r in departments)
    late = sum(r["late"] for r in departments)
    rate = 100 * on_time / (on_time + late) if on_time + late else None
    section.figures += [
        Figure("daily.public_service.dossiers_received", "Hồ sơ tiếp nhận", received, "hồ sơ"),
        Figure("daily.public_service.dossiers_overdue", "Hồ sơ quá hạn", overdue, "hồ sơ"),
        Figure("daily.public_service.on_time_rate", "Tỷ lệ giải quyết đúng hạn", rate, "%", 1),
    ]
    section.tables.append(
        _table(
            "Hồ sơ theo đơn vị",
            ("Đơn vị", "Tiếp nhận", "Đúng hạn", "Trễ hạn", "Quá hạn", "Đúng hạn (%)"),
            departments,
            ("name", "received", "on_time", "late", "overdue", "on_time_rate"),
        )
    )
    if not departments:
        section.missing.append("không đơn vị nào có số liệu hồ sơ trong ngày (cổng dịch vụ công)")
    return section


def hotline_section(q: DayQueries) -> Section:
    section = Section("hotline", "Đường dây nóng 1022")
    rows = q.own(day_sql.HOTLINE_BY_CATEGORY)
    received = sum(r["received"] for r in rows)
    resolved = sum(r["resolved"] for r in rows)
    section.figures += [
        Figure("daily.hotline.received", "Phản ánh tiếp nhận", received if rows else None, "phiếu"),
        Figure("daily.hotline.resolved", "Phản ánh đã xử lý", resolved if rows else None, "phiếu"),
        Figure(
            "daily.hotline.open",
            "Phản ánh đang mở cuối ngày",
            sum(r["open"] for r in rows) if rows else None,
            "phiếu",
        ),
    ]
    section.tables.append(
        _table(
            "Phản ánh theo lĩnh vực",
            ("Lĩnh vực", "Tiếp nhận", "Đã xử lý", "Đang mở", "Thời gian xử lý TB (giờ)"),
            rows,
            ("name", "received", "resolved", "open", "resolve_avg_h"),
        )
    )
    if not rows:
        section.missing.append("không có phiếu phản ánh nào trong kho dữ liệu cho ngày này")
    return section


def input_health_section(q: DayQueries) -> Section:
    section = Section("input_health", "Tình trạng nguồn dữ liệu")
    cameras = q.own(day_sql.CAMERAS_ONLINE)[0]
    counts = q.own(day_sql.REJECTED_AND_LATE)[0]
    has_cameras = cameras["minutes"] > 0
    section.figures += [
        Figure("daily.input_health.camera_online_avg", "Camera trực tuyến (TB ngày)", clean(cameras["average"]) if has_cameras else None, "%", 1),
        Figure("daily.input_health.camera_online_min", "Camera trực tuyến (thấp nhất)", clean(cameras["lowest"]) if has_cameras else None, "%", 1),
        Figure("daily.input_health.rejected_records", "Bản ghi bị từ chối", counts["rejected"], "bản ghi"),
        Figure("daily.input_health.late_records", "Bản ghi đến muộn", counts["late"], "bản ghi"),
    ]  # fmt: skip
    late_units = q.wall(input_health.late_units_sql())
    section.tables.append(
        _table(
            "Đơn vị chậm báo cáo (cuối ngày)",
            ("Đơn vị", "Báo cáo", "Chậm (ngày)"),
            late_units,
            ("Đơn vị", "Báo cáo", "Chậm (ngày)"),
        )
    )
    stale = q.wall(input_health.stale_sensors_sql())
    section.tables.append(
        _table(
            "Trạm cảm biến mất tín hiệu (cuối ngày)",
            ("Trạm", "Loại", "Im lặng (phút)"),
            stale,
            ("Trạm", "Loại", "Im lặng (phút)"),
        )
    )
    if not has_cameras:
        section.missing.append("không có số liệu tình trạng camera")
    return section


def alerts_section(q: DayQueries) -> Section:
    section = Section("alerts", "Cảnh báo")
    units = q.own(day_sql.ALERTS_BY_UNIT)
    severities = {r["severity"]: r["value"] for r in q.own(day_sql.ALERTS_BY_SEVERITY)}
    section.figures.append(
        Figure("daily.alerts.opened", "Cảnh báo phát sinh", sum(severities.values()), "cảnh báo")
    )
    for severity, (name_vi, _) in CAP_SEVERITY.items():
        if severity in severities:
            section.figures.append(
                Figure(f"daily.alerts.{severity.lower()}", f"Mức {name_vi}", severities[severity], "cảnh báo")
            )
    section.tables.append(
        _table(
            "Thời gian xác nhận và xử lý theo đơn vị trực (phút)",
            ("Đơn vị", "Phát sinh", "Đã xác nhận", "Đã kết thúc", "Xác nhận TB", "Xác nhận trung vị", "Kết thúc TB", "Kết thúc trung vị"),
            units,
            ("unit", "opened", "acknowledged", "resolved", "ack_avg_min", "ack_median_min", "resolve_avg_min", "resolve_median_min"),
        )
    )  # fmt: skip
    section.note_vi = (
        "Trạng thái cảnh báo tính đến 24:00; một cảnh báo chuyển cho nhiều đơn vị được tính cho mỗi đơn vị."
    )
    return section


SECTIONS = (traffic, public_order_section, environment_section, public_services_section, hotline_section,
            input_health_section, alerts_section)  # fmt: skip


def province_name(run: Runner) -> str:
    rows = run("SELECT name_vi FROM dim_areas_current WHERE level = 'province' ORDER BY code LIMIT 1", {})
    return rows[0]["name_vi"] if rows else ""


def build_daily(run: Runner, day: date, *, now: datetime | None = None) -> DailyBrief:
    """The brief for the local `day`, every figure read through `run`."""
    q = DayQueries(run, day)
    return DailyBrief(
        day=day,
        start=q.start,
        end=q.end,
        generated_at=now or datetime.now(UTC),
        province_vi=province_name(run),
        sections=[build(q) for build in SECTIONS],
    )
