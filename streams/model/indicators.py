"""The indicator catalog: every code the platform emits on `ioc.derived.indicators`, and the level
scales those values are read on, each defined once.

The streams emit these codes, the wall queries them, the alert rules' validation accepts only them and
docs/indicators.md tabulates them (`ioc docs indicators`), so a renamed or added indicator cannot leave
one of them behind. Codes are plain strings because that is how they travel: the record's `indicator`
field and the SQL that reads it. A level scale keeps its bounds and its Vietnamese names here, the
words officers use on duty; the colours are presentation and stay in the wall.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from types import MappingProxyType
from typing import Any, Literal

from avro_schemas import load_schema
from streams.model.aqi import LEVELS as AQI_LEVELS  # the VN_AQI bands, one of the catalog's scales
from streams.model.aqi import AqiLevel

EntityType = Literal[
    "camera",
    "intersection",
    "area",
    "zone",
    "station",
    "department",
    "province",
    "reporting_unit",
    "hotline_category",
    "form_indicator",
]
Bounds = tuple[tuple[float, int], ...]


class Level(IntEnum):
    """A whole level of a level indicator (its value is the number), with its Vietnamese name."""

    name_vi: str

    def __new__(cls, value: int, name_vi: str) -> Level:
        member = int.__new__(cls, value)
        member._value_ = value
        member.name_vi = name_vi
        return member


class CongestionLevel(Level):
    """Levels of service of urban streets (US Highway Capacity Manual 2010), merged into five."""

    FREE = 0, "Thông thoáng"
    BUSY = 1, "Đông"
    SLOW = 2, "Chậm"
    CONGESTED = 3, "Ùn tắc"
    JAMMED = 4, "Tắc nghẽn nặng"


# (lowest speed ratio, level), best first; below the last bound the level is CONGESTION_JAMMED.
# Ratio >= 0.67 is LOS A-B, >= 0.50 C, >= 0.40 D, >= 0.30 E, below F.
CONGESTION_BOUNDS: Bounds = (
    (0.67, CongestionLevel.FREE),
    (0.50, CongestionLevel.BUSY),
    (0.40, CongestionLevel.SLOW),
    (0.30, CongestionLevel.CONGESTED),
)
CONGESTION_JAMMED = CongestionLevel.JAMMED


class CrowdLevel(Level):
    """A zone's density against the density at which that zone counts as crowded."""

    NORMAL = 0, "Bình thường"
    BUSY = 1, "Đông"
    VERY_BUSY = 2, "Rất đông"
    OVERLOADED = 3, "Quá tải"


# (lowest density / crowded density, level), worst first; below the last bound the level is NORMAL.
# With the default crowded density of 2 persons/m2, "overloaded" starts at 4 persons/m2, where Fruin's
# levels of service for queues and walkways place the onset of dangerous crowding.
CROWD_BOUNDS: Bounds = ((2.0, CrowdLevel.OVERLOADED), (1.5, CrowdLevel.VERY_BUSY), (1.0, CrowdLevel.BUSY))


class WaterAlarmLevel(Level):
    """Flood alarm levels I/II/III; the heights are each station's (`alarm_levels` in the province file)."""

    BELOW_ALARM = 0, "Dưới báo động I"
    ALARM_I = 1, "Báo động I"
    ALARM_II = 2, "Báo động II"
    ALARM_III = 3, "Báo động III"


@dataclass(frozen=True)
class Indicator:
    """One indicator code: what its value means, in which unit (as the record's `unit` field carries
    it), for which entity types, over which window, and its short Vietnamese label for a wall screen."""

    code: str
    unit: str
    entity_types: tuple[EntityType, ...]
    window: str
    description: str
    label_vi: str
    levels: type[Level] | None = None
    bounds: Bounds = ()
    """The scale's lower bounds, for the levels computed from a ratio (see `levels`)."""
    bands: tuple[AqiLevel, ...] = ()


@dataclass(frozen=True, kw_only=True)
class IndicatorFamily(Indicator):
    """Codes `<code>.<type>`, one per type of event counted; the types are the symbols of an Avro enum
    of the input schema, so a type the contract adds is an indicator the platform knows."""

    schema: str
    """The input schema declaring the enum, e.g. camera/violations."""
    enum: str

    @property
    def suffixes(self) -> tuple[str, ...]:
        """The allowed types, in the schema's order."""
        return enum_symbols(self.schema, self.enum)

    def member(self, suffix: str) -> str:
        """The code of one type, e.g. traffic.violations.red_light; a type the schema lacks is an error,
        so a wall panel on a type the contract dropped fails its build instead of showing nothing."""
        if suffix not in self.suffixes:
            raise ValueError(f"{suffix!r} is not a {self.enum} of avro_schemas/{self.schema}.avsc")
        return f"{self.code}.{suffix}"


@cache
def enum_symbols(schema: str, enum: str) -> tuple[str, ...]:
    """The symbols of the Avro enum named `enum` wherever it is declared in `schema` (read once)."""
    found = _find_enum(load_schema(schema), enum)
    if found is None:
        raise LookupError(f"avro_schemas/{schema}.avsc declares no enum named {enum}")
    return found


def _find_enum(node: Any, enum: str) -> tuple[str, ...] | None:
    if isinstance(node, dict):
        if node.get("type") == "enum" and node.get("name") == enum:
            return tuple(node["symbols"])
        node = list(node.values())
    if isinstance(node, list):
        for item in node:
            found = _find_enum(item, enum)
            if found is not None:
                return found
    return None


TRAFFIC_VOLUME = "traffic.volume"
TRAFFIC_AVERAGE_SPEED = "traffic.average_speed"
TRAFFIC_SPEED_RATIO = "traffic.speed_ratio"
TRAFFIC_CONGESTION_LEVEL = "traffic.congestion_level"
TRAFFIC_VIOLATIONS = "traffic.violations"
PUBLIC_ORDER_CROWD_DENSITY = "public_order.crowd_density"
PUBLIC_ORDER_CROWD_LEVEL = "public_order.crowd_level"
PUBLIC_ORDER_INCIDENTS = "public_order.incidents"
ENVIRONMENT_AQI_HOURLY = "environment.aqi_hourly"
ENVIRONMENT_AQI_DAILY = "environment.aqi_daily"
ENVIRONMENT_RAINFALL_1H = "environment.rainfall_1h"
ENVIRONMENT_RAINFALL_24H = "environment.rainfall_24h"
ENVIRONMENT_WATER_LEVEL = "environment.water_level"
ENVIRONMENT_WATER_LEVEL_TREND = "environment.water_level_trend"
ENVIRONMENT_WATER_ALARM_LEVEL = "environment.water_alarm_level"
PUBLIC_SERVICE_DOSSIERS_RECEIVED = "public_service.dossiers_received"
PUBLIC_SERVICE_DOSSIERS_IN_PROGRESS = "public_service.dossiers_in_progress"
PUBLIC_SERVICE_DOSSIERS_DUE_SOON = "public_service.dossiers_due_soon"
PUBLIC_SERVICE_DOSSIERS_RESOLVED_ON_TIME = "public_service.dossiers_resolved_on_time"
PUBLIC_SERVICE_DOSSIERS_RESOLVED_LATE = "public_service.dossiers_resolved_late"
PUBLIC_SERVICE_DOSSIERS_OVERDUE = "public_service.dossiers_overdue"
PUBLIC_SERVICE_ON_TIME_RATE = "public_service.on_time_rate"
PUBLIC_SERVICE_LATE_RATE = "public_service.late_rate"
PUBLIC_SERVICE_INDEX_766 = "public_service.index_766"
PUBLIC_SERVICE_INDEX_766_PUBLICITY = "public_service.index_766_publicity"
PUBLIC_SERVICE_INDEX_766_PROGRESS = "public_service.index_766_progress"
PUBLIC_SERVICE_INDEX_766_DIGITISATION = "public_service.index_766_digitisation"
PUBLIC_SERVICE_INDEX_766_ONLINE = "public_service.index_766_online"
PUBLIC_SERVICE_INDEX_766_SATISFACTION = "public_service.index_766_satisfaction"
PUBLIC_SERVICE_HOTLINE_TICKETS_RECEIVED = "public_service.hotline_tickets_received"
PUBLIC_SERVICE_HOTLINE_TICKETS_OPEN = "public_service.hotline_tickets_open"
PUBLIC_SERVICE_HOTLINE_TICKETS_OVERDUE = "public_service.hotline_tickets_overdue"
PUBLIC_SERVICE_HOTLINE_TICKETS_RESOLVED = "public_service.hotline_tickets_resolved"
PUBLIC_SERVICE_HOTLINE_RESOLVE_TIME_MEDIAN = "public_service.hotline_resolve_time_median"
PUBLIC_SERVICE_HOTLINE_RESOLVE_TIME_P90 = "public_service.hotline_resolve_time_p90"
PUBLIC_SERVICE_FORM_VALUE = "public_service.form_value"
PUBLIC_SERVICE_FORM_CHANGE_PCT = "public_service.form_change_pct"
PUBLIC_SERVICE_FORM_PLAN_GAP_PCT = "public_service.form_plan_gap_pct"
INPUT_HEALTH_CAMERA_ONLINE_RATIO = "input_health.camera_online_ratio"
INPUT_HEALTH_SENSOR_STALENESS = "input_health.sensor_staleness"
INPUT_HEALTH_REPORT_LATENESS = "input_health.report_lateness"
INPUT_HEALTH_CAMERA_HEARTBEAT = "input_health.camera_heartbeat"
INPUT_HEALTH_SENSOR_READING = "input_health.sensor_reading"

_TRAFFIC_WINDOW = "1 min tumbling; areas also 1 h hopping by 5 min"
_DOSSIER_WINDOW = "the local day; the local month to date"
_DOSSIER_ENTITIES: tuple[EntityType, ...] = ("department", "area")
_INDEX_WINDOW = "the local month to date"
_HOTLINE_WINDOW = "the local day; the local month to date"
_HOTLINE_ENTITIES: tuple[EntityType, ...] = ("area", "hotline_category")
_FORM_WINDOW = "the form's Decree 09 period (local days)"


def _dossiers(code: str, what: str, label_vi: str) -> Indicator:
    return Indicator(code, "dossiers", _DOSSIER_ENTITIES, _DOSSIER_WINDOW, what, label_vi)


def _index(code: str, what: str, label_vi: str) -> Indicator:
    return Indicator(code, "points", _DOSSIER_ENTITIES, _INDEX_WINDOW, what, label_vi)


def _hotline(code: str, unit: str, what: str, label_vi: str) -> Indicator:
    return Indicator(code, unit, _HOTLINE_ENTITIES, _HOTLINE_WINDOW, what, label_vi)


_ALL: tuple[Indicator, ...] = (
    Indicator(
        TRAFFIC_VOLUME, "vehicles", ("camera", "intersection", "area"), _TRAFFIC_WINDOW,
        "Vehicles counted.", "Lưu lượng xe",
    ),
    Indicator(
        TRAFFIC_AVERAGE_SPEED, "km/h", ("camera", "intersection", "area"), _TRAFFIC_WINDOW,
        "Average speed, weighted by the vehicles each record counted.", "Tốc độ trung bình",
    ),
    Indicator(
        TRAFFIC_SPEED_RATIO, "ratio", ("intersection", "area"), _TRAFFIC_WINDOW,
        "Average speed ÷ the average free-flow speed (`free_flow_kmh` of each intersection), both weighted"
        " by vehicles.", "Tỷ lệ tốc độ so với thông thoáng",
    ),
    Indicator(
        TRAFFIC_CONGESTION_LEVEL, "level", ("intersection", "area"), _TRAFFIC_WINDOW,
        "Level of service from the speed ratio (US Highway Capacity Manual 2010), lowest ratio of each"
        " level:", "Mức ùn tắc", CongestionLevel, CONGESTION_BOUNDS,
    ),
    IndicatorFamily(
        TRAFFIC_VIOLATIONS, "violations/h", ("camera", "area"), "1 h tumbling",
        "Violations detected by camera analytics, one code per type.", "Vi phạm giao thông",
        schema="camera/violations", enum="ViolationType",
    ),
    Indicator(
        PUBLIC_ORDER_CROWD_DENSITY, "persons/m2", ("zone",), "1 min tumbling",
        "Mean density measured in the crowd zone (or the person count ÷ the zone's area).", "Mật độ người",
    ),
    Indicator(
        PUBLIC_ORDER_CROWD_LEVEL, "level", ("zone",), "1 min tumbling",
        "Density ÷ the zone's `crowded_density` (province file), lowest ratio of each level:",
        "Mức đông người", CrowdLevel, CROWD_BOUNDS,
    ),
    IndicatorFamily(
        PUBLIC_ORDER_INCIDENTS, "incidents/h", ("area",), "1 h tumbling",
        "Incidents detected by camera analytics, one code per type.", "Sự cố",
        schema="camera/incidents", enum="IncidentType",
    ),
    Indicator(
        ENVIRONMENT_AQI_HOURLY, "VN_AQI", ("station",), "1 h tumbling; NowCast for PM2.5 and PM10",
        "VN_AQI of Decision 1459/QĐ-TCMT; `label` = the dominant pollutant. Bands:", "VN_AQI giờ",
        bands=AQI_LEVELS,
    ),
    Indicator(
        ENVIRONMENT_AQI_DAILY, "VN_AQI", ("station",), "the local day",
        "Daily VN_AQI of Decision 1459/QĐ-TCMT; `label` = the dominant pollutant. Bands:", "VN_AQI ngày",
        bands=AQI_LEVELS,
    ),
    Indicator(
        ENVIRONMENT_RAINFALL_1H, "mm", ("station",), "1 h tumbling", "Rainfall in the hour.", "Lượng mưa 1 giờ",
    ),
    Indicator(
        ENVIRONMENT_RAINFALL_24H, "mm", ("station",), "24 h hopping by 1 h",
        "Rainfall in the last 24 hours.", "Lượng mưa 24 giờ",
    ),
    Indicator(
        ENVIRONMENT_WATER_LEVEL, "cm", ("station",), "5 min tumbling",
        "The latest reading of the window.", "Mực nước",
    ),
    Indicator(
        ENVIRONMENT_WATER_LEVEL_TREND, "cm/h", ("station",), "5 min tumbling",
        "Least-squares slope of the readings over the last hour (`IOC_INDICATORS_WATER_TREND_SPAN_S`).",
        "Xu thế mực nước",
    ),
    Indicator(
        ENVIRONMENT_WATER_ALARM_LEVEL, "level", ("station",), "5 min tumbling",
        "Highest alarm level the latest reading reached, against the station's `alarm_levels`:",
        "Mức báo động", WaterAlarmLevel,
    ),
    _dossiers(PUBLIC_SERVICE_DOSSIERS_RECEIVED, "Dossiers received in the window.", "Hồ sơ tiếp nhận"),
    _dossiers(
        PUBLIC_SERVICE_DOSSIERS_IN_PROGRESS, "Dossiers received and not yet resolved, cancelled or withdrawn.",
        "Hồ sơ đang giải quyết",
    ),
    _dossiers(
        PUBLIC_SERVICE_DOSSIERS_DUE_SOON,
        "Dossiers in progress due within `IOC_INDICATORS_DOSSIER_DUE_SOON_H` hours (48).", "Hồ sơ sắp đến hạn",
    ),
    _dossiers(
        PUBLIC_SERVICE_DOSSIERS_RESOLVED_ON_TIME, "Dossiers resolved in the window by their due time.",
        "Hồ sơ giải quyết đúng hạn",
    ),
    _dossiers(
        PUBLIC_SERVICE_DOSSIERS_RESOLVED_LATE, "Dossiers resolved in the window after their due time.",
        "Hồ sơ giải quyết trễ hạn",
    ),
    _dossiers(PUBLIC_SERVICE_DOSSIERS_OVERDUE, "Dossiers in progress past their due time.", "Hồ sơ quá hạn"),
    Indicator(
        PUBLIC_SERVICE_ON_TIME_RATE, "%", _DOSSIER_ENTITIES, _DOSSIER_WINDOW,
        "Percent of the window's resolved dossiers resolved on time.", "Tỷ lệ đúng hạn",
    ),
    Indicator(
        PUBLIC_SERVICE_LATE_RATE, "%", _DOSSIER_ENTITIES, _DOSSIER_WINDOW,
        "Percent of the window's resolved dossiers resolved late.", "Tỷ lệ trễ hạn",
    ),
    _index(
        PUBLIC_SERVICE_INDEX_766,
        "Decision 766/QĐ-TTg index: the five groups' points added up (a group without data counts 0);"
        " `label` = the groups without data, comma-separated.", "Chỉ số 766",
    ),
    _index(
        PUBLIC_SERVICE_INDEX_766_PUBLICITY,
        "Publicity and transparency (max 18): 18 × dossiers received with a published due time ÷ received.",
        "Công khai, minh bạch",
    ),
    _index(
        PUBLIC_SERVICE_INDEX_766_PROGRESS,
        "Progress and results (max 20): 20 × resolved by the due time ÷ resolved.", "Tiến độ, kết quả giải quyết",
    ),
    _index(
        PUBLIC_SERVICE_INDEX_766_DIGITISATION,
        "Digitisation (max 22): 22 × received and digitised ÷ received with `digitised` known.", "Số hóa hồ sơ",
    ),
    _index(
        PUBLIC_SERVICE_INDEX_766_ONLINE,
        "Online services (max 22): 12 × received online ÷ received online or offline + 10 × paid online ÷"
        " received with `paid_online` known.", "Cung cấp dịch vụ trực tuyến",
    ),
    _index(
        PUBLIC_SERVICE_INDEX_766_SATISFACTION,
        "Satisfaction (max 18): 18 × rated satisfied or very satisfied ÷ resolved in the month and rated.",
        "Mức độ hài lòng",
    ),
    _hotline(
        PUBLIC_SERVICE_HOTLINE_TICKETS_RECEIVED, "tickets", "Tickets reported in the window (`reported_at`).",
        "Phản ánh tiếp nhận",
    ),
    _hotline(
        PUBLIC_SERVICE_HOTLINE_TICKETS_OPEN, "tickets", "Tickets reported and not yet resolved, closed or cancelled.",
        "Phản ánh đang xử lý",
    ),
    _hotline(
        PUBLIC_SERVICE_HOTLINE_TICKETS_OVERDUE, "tickets",
        "Open tickets reported more than `IOC_INDICATORS_HOTLINE_DUE_H` hours (48) before.", "Phản ánh quá hạn",
    ),
    _hotline(
        PUBLIC_SERVICE_HOTLINE_TICKETS_RESOLVED, "tickets", "Tickets resolved or closed in the window.", "Phản ánh đã xử lý",
    ),
    _hotline(
        PUBLIC_SERVICE_HOTLINE_RESOLVE_TIME_MEDIAN, "h",
        "Median hours from report to resolution of the tickets resolved in the window.",
        "Thời gian xử lý (trung vị)",
    ),
    _hotline(
        PUBLIC_SERVICE_HOTLINE_RESOLVE_TIME_P90, "h",
        "90th percentile (nearest rank) of the hours from report to resolution of the tickets resolved in"
        " the window.", "Thời gian xử lý (P90)",
    ),
    Indicator(
        PUBLIC_SERVICE_FORM_VALUE, "the form's unit", ("form_indicator",), _FORM_WINDOW,
        "A report form's indicator (config/report_forms/) over its period: the latest revision of every"
        " unit's value, combined over units and areas as the form says (`over_areas`); entity"
        " `<form>/<indicator>` for the province, `<area>/<form>/<indicator>` for one area; `label` = the"
        " indicator's Vietnamese name.", "Chỉ tiêu báo cáo",
    ),
    Indicator(
        PUBLIC_SERVICE_FORM_CHANGE_PCT, "%", ("form_indicator",), _FORM_WINDOW,
        "Change of `public_service.form_value` from the form's previous period, as a share of it; empty"
        " when either is missing or the previous was 0.", "Thay đổi so với kỳ trước",
    ),
    Indicator(
        PUBLIC_SERVICE_FORM_PLAN_GAP_PCT, "%", ("form_indicator",), _FORM_WINDOW,
        "How far the province total is on the wrong side of the form's plan target, as a share of the"
        " target (0 when the plan is met); only for indicators with a target, and empty while an owning"
        " unit has not reported the indicator for the period.", "Lệch kế hoạch",
    ),
    Indicator(
        INPUT_HEALTH_CAMERA_ONLINE_RATIO, "%", ("area", "province"), "1 min tumbling",
        "Cameras online; a camera is offline when its last heartbeat is older than"
        " `IOC_INDICATORS_CAMERA_HEARTBEAT_TIMEOUT_S` (300 s).", "Camera trực tuyến",
    ),
    Indicator(
        INPUT_HEALTH_SENSOR_STALENESS, "s", ("station",), "each minute, on the wall clock",
        "Seconds since the station's newest reading (the wall clock, because silence is what it measures).",
        "Thời gian mất tín hiệu",
    ),
    Indicator(
        INPUT_HEALTH_REPORT_LATENESS, "days", ("reporting_unit",), "the report's period (local days)",
        "Days the latest due periodic report is late against its Decree 09/2019 period (a monthly period runs"
        " from the 15th to the 14th; due `due_days` later); `label` = the report code; a missing report is a"
        " provisional value that grows each day.", "Số ngày chậm báo cáo",
    ),
)  # fmt: skip

INDICATORS: Mapping[str, Indicator] = MappingProxyType({indicator.code: indicator for indicator in _ALL})
"""Every indicator by code; a family is listed under its prefix (traffic.violations)."""
FAMILIES: Mapping[str, IndicatorFamily] = MappingProxyType(
    {code: indicator for code, indicator in INDICATORS.items() if isinstance(indicator, IndicatorFamily)}
)
LIVENESS_SIGNALS: Mapping[str, str] = MappingProxyType(
    {
        INPUT_HEALTH_CAMERA_HEARTBEAT: "one observation per camera heartbeat received",
        INPUT_HEALTH_SENSOR_READING: "one observation per sensor reading received",
    }
)
"""Codes the alert rules of kind `absence` watch that are not indicators: the alerts agent is to feed
one observation per heartbeat or reading, and a rule fires when an entity falls silent."""


def indicator_of(code: str) -> Indicator | None:
    """The catalog entry of an emitted code, a family's member (traffic.violations.red_light) included;
    None for a code the platform does not emit."""
    found = INDICATORS.get(code)
    if found is not None:
        return None if isinstance(found, IndicatorFamily) else found
    prefix, _, suffix = code.rpartition(".")
    family = FAMILIES.get(prefix)
    return family if family is not None and suffix in family.suffixes else None


def emitted_codes() -> tuple[str, ...]:
    """Every code the platform may emit, each family expanded into its members."""
    codes: list[str] = []
    for indicator in _ALL:
        if isinstance(indicator, IndicatorFamily):
            codes += [indicator.member(suffix) for suffix in indicator.suffixes]
        else:
            codes.append(indicator.code)
    return tuple(codes)
