"""Level scales the wall colours by, with their Vietnamese names: the single place for each scale.

The VN_AQI bands and colours come from streams.model.aqi (Decision 1459/QĐ-TCMT, Bảng 1), so the wall and
the computation cannot disagree.
"""

from __future__ import annotations

from streams.model.aqi import LEVELS as AQI_LEVELS
from wall.panels import STALE_COLOR, Steps

# Level -1 is what the SQL emits for a point whose data is stale (maps cannot show NULL in a colour).
STALE_LEVEL = -1

CONGESTION = {
    STALE_LEVEL: ("Dữ liệu cũ", STALE_COLOR),
    0: ("Thông thoáng", "green"),
    1: ("Đông", "yellow"),
    2: ("Chậm", "orange"),
    3: ("Ùn tắc", "red"),
    4: ("Tắc nghẽn nặng", "dark-red"),
}
CROWD = {0: ("Bình thường", "green"), 1: ("Đông", "yellow"), 2: ("Rất đông", "orange"), 3: ("Quá tải", "red")}
WATER_ALARM = {
    0: ("Dưới báo động I", "green"),
    1: ("Báo động I", "yellow"),
    2: ("Báo động II", "orange"),
    3: ("Báo động III", "red"),
}
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
