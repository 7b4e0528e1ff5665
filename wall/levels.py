"""Level scales the wall colours by: the colours are the wall's, the levels and their Vietnamese names
come from the indicator catalog (streams.model.indicators), so the wall and the computation cannot
disagree on a scale. The VN_AQI bands and their official colours come from the catalog too (Decision
1459/QĐ-TCMT, Bảng 1).
"""

from __future__ import annotations

from collections.abc import Mapping

from streams.model.indicators import AQI_LEVELS, CongestionLevel, CrowdLevel, Level, WaterAlarmLevel
from wall.panels import STALE_COLOR, Steps

# Level -1 is what the SQL emits for a point whose data is stale (maps cannot show NULL in a colour).
STALE_LEVEL = -1


def coloured(scale: type[Level], colours: Mapping[Level, str]) -> dict[int, tuple[str, str]]:
    """Each level of a model scale as (Vietnamese name, colour); a level the model adds or drops
    without its colour changing here stops the wall's build rather than showing uncoloured."""
    if set(colours) != set(scale):
        raise ValueError(
            f"{scale.__name__}: colours given for {sorted(colours)}, the scale has {list(scale)}"
        )
    return {int(level): (level.name_vi, colours[level]) for level in scale}


CONGESTION = {
    STALE_LEVEL: ("Dữ liệu cũ", STALE_COLOR),
    **coloured(
        CongestionLevel,
        {
            CongestionLevel.FREE: "green",
            CongestionLevel.BUSY: "yellow",
            CongestionLevel.SLOW: "orange",
            CongestionLevel.CONGESTED: "red",
            CongestionLevel.JAMMED: "dark-red",
        },
    ),
}
CROWD = coloured(
    CrowdLevel,
    {
        CrowdLevel.NORMAL: "green",
        CrowdLevel.BUSY: "yellow",
        CrowdLevel.VERY_BUSY: "orange",
        CrowdLevel.OVERLOADED: "red",
    },
)
WATER_ALARM = coloured(
    WaterAlarmLevel,
    {
        WaterAlarmLevel.BELOW_ALARM: "green",
        WaterAlarmLevel.ALARM_I: "yellow",
        WaterAlarmLevel.ALARM_II: "orange",
        WaterAlarmLevel.ALARM_III: "red",
    },
)
CAP_SEVERITY = {
    "Extreme": ("Khẩn cấp", "dark-red"),
    "Severe": ("Nghiêm trọng", "red"),
    "Moderate": ("Trung bình", "orange"),
    "Minor": ("Nhẹ", "yellow"),
    "Unknown": ("Chưa rõ", STALE_COLOR),
}
ALERT_STATE = {
    "open": ("Mới", "red"),
    "updated": ("Cập nhật", "orange"),
    "acknowledged": ("Đã tiếp nhận", "blue"),
}
ALERT_CATEGORY = {
    "traffic": "Giao thông",
    "environment": "Môi trường",
    "public_order": "Trật tự công cộng",
    "public_service": "Dịch vụ công",
    "input_health": "Nguồn dữ liệu",
}
INCIDENT_TYPE = {
    "accident": "Tai nạn",
    "fire_smoke": "Cháy, khói",
    "fight": "Ẩu đả",
    "flooding": "Ngập",
    "crowd_gathering": "Tụ tập đông người",
    "other": "Khác",
}
VIOLATION_TYPE = {
    "red_light": "Vượt đèn đỏ",
    "wrong_way": "Đi ngược chiều",
    "illegal_parking": "Đỗ sai quy định",
    "speeding": "Quá tốc độ",
    "no_helmet": "Không đội mũ bảo hiểm",
    "lane_violation": "Đi sai làn đường",
    "other": "Vi phạm khác",
}
STATION_KIND = {
    "air_quality": "Không khí",
    "water_level": "Mực nước",
    "rainfall": "Mưa",
    "weather": "Thời tiết",
}


def level_steps(levels: dict[int, tuple[str, str]]) -> Steps:
    """Thresholds colouring each whole level like its name; below the lowest level is grey."""
    ordered = sorted(levels.items())
    return ((None, STALE_COLOR), *((float(level), color) for level, (_, color) in ordered))


def aqi_steps() -> Steps:
    """VN_AQI colours: each band from its lower bound (a rounded AQI of 51 is already yellow)."""
    return ((None, AQI_LEVELS[0].hex), *((float(level.low), level.hex) for level in AQI_LEVELS[1:]))


def vi_names(codes: dict[str, str], column: str) -> str:
    """SQL turning a code column into its Vietnamese name (unknown codes stay as they are)."""
    keys = ", ".join(f"'{code}'" for code in codes)
    names = ", ".join(f"'{name}'" for name in codes.values())
    return f"transform({column}, [{keys}], [{names}], {column})"
