"""How the console shows the warehouse's rows: Vietnamese labels (the wall's own, wall.levels, so
the console and the wall name things alike), local times, escalation levels and people's names."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from console.store import Row, utc
from ioc.province import Province
from routing.roster import Roster
from wall.levels import ALERT_CATEGORY, ALERT_STATE, CAP_SEVERITY

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
STATE_VI = {key: label for key, (label, _) in ALERT_STATE.items()} | {"resolved": "Đã kết thúc"}
LEVEL_VI = {0: "Cán bộ trực", 1: "Trưởng ca", 2: "Thủ trưởng đơn vị"}
ACTION_VI = {
    "routed": "Định tuyến",
    "silenced": "Tạm im lặng",
    "sent": "Đã gửi tin",
    "retry": "Gửi lại",
    "failed": "Gửi thất bại",
    "escalated": "Chuyển cấp",
    "escalation_exhausted": "Hết cấp chuyển",
    "no_contact": "Không có liên lạc",
    "acknowledged": "Đã xác nhận",
    "resolved": "Kết thúc",
    "note": "Ghi chú",
    "handover": "Chuyển đơn vị",
    "false_alarm": "Báo động giả",
}


def local(value: datetime | None, with_date: bool = True) -> str:
    """A UTC time as the control room reads it (Asia/Ho_Chi_Minh)."""
    aware = utc(value)
    if aware is None:
        return "—"
    return aware.astimezone(LOCAL_TZ).strftime("%H:%M:%S %d/%m/%Y" if with_date else "%H:%M:%S")


def severity_vi(severity: str) -> str:
    return CAP_SEVERITY.get(severity, (severity, ""))[0]


def category_vi(category: str) -> str:
    return ALERT_CATEGORY.get(category, category)


def level_vi(level: Any) -> str:
    return "—" if level is None or int(level) < 0 else LEVEL_VI.get(int(level), f"Cấp {level}")


class People:
    """Officer ids shown with the roster's names."""

    def __init__(self, roster: Roster | None) -> None:
        self._names = {o.id: o.name_vi for o in roster.officers} if roster else {}

    def __call__(self, officer_id: str) -> str:
        if not officer_id:
            return ""
        name = self._names.get(officer_id)
        return f"{name} ({officer_id})" if name else officer_id


def queue_item(row: Row, province: Province, people: People) -> dict[str, Any]:
    """One open alert as the live queue's page draws it (the page computes the age each second)."""
    opened = utc(row["opened_at"])
    return {
        "alert_id": row["alert_id"],
        "severity": row["severity"],
        "severity_vi": severity_vi(row["severity"]),
        "area": row["area_desc"] or province.area_name(row["area_code"]),
        "category_vi": category_vi(row["category"]),
        "headline": row["headline_vi"],
        "state_vi": STATE_VI.get(row["state"], row["state"]),
        "opened_ms": int(opened.timestamp() * 1000) if opened else 0,
        "opened_local": local(row["opened_at"]),
        "level_vi": level_vi(row.get("level")),
        "acknowledged_by": people(row.get("acknowledged_by") or ""),
    }
