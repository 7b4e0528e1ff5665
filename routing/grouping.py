"""Grouping: notifications about related alerts (same unit, category and area) that reach one officer
on one channel within the group wait leave as one message, so a storm of alerts from one place is
one message to read, not twenty. The outbox keeps the group (`Store.enqueue`); this module says what
"related" means and names the message."""

from __future__ import annotations

import hashlib
from typing import Any


def group_key(unit: str, alert: dict[str, Any], kind: str) -> str:
    """Escalations are kept apart from first notices: they call a different person about an alert
    someone has already ignored, and must not wait for or hide among new alerts."""
    lane = "escalation" if kind == "escalation" else "notice"
    return f"{unit}|{alert['category']}|{alert['area_code']}|{lane}"


def message_id(row_ids: list[int]) -> str:
    """The same rows give the same id on every retry, so receivers can drop a repeat."""
    return hashlib.sha256(",".join(map(str, sorted(row_ids))).encode()).hexdigest()[:24]
