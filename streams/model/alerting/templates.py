"""The Vietnamese texts of an alert: `str.format` templates written by operators in the rule file.

Templates are checked when the rules load (unknown field, bad format spec) rather than when the first
alert fires, because a broken template found at 3 a.m. means an alert that cannot be sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from string import Formatter
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
COMMON_TEXTS = ("rule_id", "entity_type", "entity_id", "area_code", "area_desc", "opened", "time")
"""Text fields every template may use; `opened` and `time` are local times (Asia/Ho_Chi_Minh) of the
alert's opening and of this change, as `HH:MM dd/mm/yyyy`."""


def local_time(ms: int) -> str:
    """An epoch-millisecond instant as the wall screens show it: local time first, then the date."""
    return datetime.fromtimestamp(ms / 1000, VN_TZ).strftime("%H:%M %d/%m/%Y")


def check(template: str, texts: Iterable[str], numbers: Iterable[str]) -> None:
    """Raise ValueError saying what is wrong with a template, naming the fields it may use."""
    texts, numbers = tuple(texts), tuple(numbers)
    allowed = texts + numbers
    try:
        names = [name for _, name, _, _ in Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise ValueError(f"not a valid template ({exc}); write a literal brace as {{{{ or }}}}") from None
    for name in names:
        if name not in allowed:
            shown = "{}" if name == "" else "{" + name + "}"
            raise ValueError(f"unknown field {shown}; use one of: {', '.join(allowed)}")
    try:
        render(template, dict.fromkeys(texts, "x"), dict.fromkeys(numbers, 1.0))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"cannot be formatted ({exc})") from None


def render(template: str, texts: Mapping[str, str], numbers: Mapping[str, float]) -> str:
    """The template filled in from the alert's texts and numbers (their names never overlap)."""
    return template.format_map({**texts, **numbers})
