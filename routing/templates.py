"""The Vietnamese messages officers read: what happened, where, how bad, since when, and how to
acknowledge, with times in Asia/Ho_Chi_Minh. One message may carry several related alerts (grouping).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from routing.matching import LOCAL_TZ
from routing.roster import AreaTree

SEVERITY_VI = {
    "Extreme": "Đặc biệt nghiêm trọng",
    "Severe": "Nghiêm trọng",
    "Moderate": "Trung bình",
    "Minor": "Nhẹ",
    "Unknown": "Chưa xác định",
}
KIND_VI = {
    "new": "CẢNH BÁO MỚI",
    "update": "CẢNH BÁO TĂNG MỨC ĐỘ",
    "escalation": "CHUYỂN CẤP — chưa có ai xác nhận",
    "resolved": "CẢNH BÁO ĐÃ KẾT THÚC",
}
# Kinds that still need someone to act; a resolved notice needs no acknowledgement.
NEEDS_ACK = {"new", "update", "escalation"}


@dataclass(frozen=True)
class Item:
    """One alert in a message, with why it is sent and the officer's acknowledgement link."""

    kind: str
    alert: dict[str, Any]
    ack_url: str


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message (a report's PDF); only the e-mail channel carries attachments."""

    filename: str
    mime_type: str
    data: bytes


@dataclass(frozen=True)
class Message:
    """What a channel sends: a subject line (e-mail), the text, and a stable id (the same on every
    retry, so a receiver can drop a repeat)."""

    message_id: str
    subject: str
    text: str
    items: tuple[Item, ...]
    attachments: tuple[Attachment, ...] = ()


def local_time(instant: datetime) -> str:
    return instant.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y")


def _area(alert: dict[str, Any], areas: AreaTree) -> str:
    code = alert["area_code"]
    if not code:
        return alert.get("area_desc") or "chưa rõ địa bàn"
    return f"{areas.area_name(code)} ({code})"


def _block(number: int, item: Item, officer_id: str, areas: AreaTree) -> list[str]:
    alert = item.alert
    lines = [
        f"{number}. [{KIND_VI[item.kind]}] {alert['headline_vi']}",
        f"   Sự việc: {alert['event']}",
        f"   Địa bàn: {_area(alert, areas)} — đối tượng {alert['entity_id']}",
        f"   Mức độ: {SEVERITY_VI.get(alert['severity'], alert['severity'])}",
        f"   Từ lúc: {local_time(alert['opened_at'])} (giờ Việt Nam)",
    ]
    if alert["values"]:
        values = ", ".join(f"{name} = {value:g}" for name, value in sorted(alert["values"].items()))
        lines.append(f"   Số liệu: {values}")
    if item.kind == "resolved":
        ended = alert["resolved_at"] or alert["updated_at"]
        lines.append(f"   Kết thúc lúc: {local_time(ended)} (giờ Việt Nam)")
    elif alert["instruction_vi"]:
        lines.append(f"   Việc cần làm: {alert['instruction_vi']}")
    if item.kind in NEEDS_ACK:
        lines.append(f"   Xác nhận đã nhận: {item.ack_url}")
        lines.append(f"   hoặc chạy lệnh: ioc alerts ack {alert['alert_id']} --by {officer_id}")
    lines.append(f"   Mã cảnh báo: {alert['alert_id']}")
    return lines


def render(
    message_id: str, items: list[Item], officer_name: str, officer_id: str, unit_name: str, areas: AreaTree
) -> Message:
    """The message for one officer on one channel."""
    first = items[0].alert
    severity = SEVERITY_VI.get(first["severity"], first["severity"])
    if len(items) == 1:
        subject = f"[IOC] {KIND_VI[items[0].kind]}: {first['event']} — {_area(first, areas)} — {severity}"
    else:
        subject = f"[IOC] {len(items)} cảnh báo liên quan — {_area(first, areas)}"
    lines = [f"Kính gửi đồng chí {officer_name} ({unit_name}),", ""]
    for number, item in enumerate(items, start=1):
        lines += _block(number, item, officer_id, areas)
        lines.append("")
    lines.append("Trung tâm Giám sát, điều hành đô thị thông minh (IOC) — tin nhắn tự động.")
    return Message(message_id, subject, "\n".join(lines), tuple(items))
