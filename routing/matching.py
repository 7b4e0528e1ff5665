"""Who must hear about an alert: the units covering its category, severity and area, and in each the
officers on duty at that instant, with the shift lead and the unit head as the escalation levels.

Fallbacks, so that no alert reaches nobody: an alert no unit covers goes to the fallback unit (the
IOC duty desk); a covering unit with nobody on duty hands its first level to the fallback unit's
officers on duty, and when those are missing too, to the fallback unit's head.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from routing.roster import WEEKDAYS, AreaTree, Day, Recurring, Roster, Shift, Unit

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SEVERITY_RANK = {"Unknown": 0, "Minor": 1, "Moderate": 2, "Severe": 3, "Extreme": 4}


@dataclass(frozen=True)
class Assignment:
    """One unit's part in an alert: the officers to call at each escalation level, in order
    (on duty, shift lead, unit head), and why a fallback was used ("" when none)."""

    unit: str
    levels: tuple[tuple[str, ...], ...]
    fallback: str = ""


def _day_key(roster: Roster, day: datetime) -> Day:
    return "holiday" if day.date() in roster.holiday_dates else WEEKDAYS[day.weekday()]


def is_active(entry: Recurring, roster: Roster, at: datetime) -> bool:
    """Whether a shift or maintenance window covers the instant `at` (any timezone)."""
    local = at.astimezone(LOCAL_TZ)
    now = local.time().replace(tzinfo=None)
    if entry.start < entry.end:
        return _day_key(roster, local) in entry.days and entry.start <= now < entry.end
    # Past midnight (or 24 hours): covers from `start` on its own day until `end` on the next.
    started_today = _day_key(roster, local) in entry.days and now >= entry.start
    started_yesterday = _day_key(roster, local - timedelta(days=1)) in entry.days and now < entry.end
    return started_today or started_yesterday


def shifts_on_duty(unit: Unit, roster: Roster, at: datetime) -> list[Shift]:
    return [shift for shift in unit.shifts if is_active(shift, roster, at)]


def _unique(ids: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ids))


def covers(unit: Unit, alert: dict[str, Any], areas: AreaTree) -> bool:
    """The unit takes the alert's category, its severity is high enough, and the alert's area is one
    of the unit's areas or lies below one of them."""
    category_ok = "*" in unit.categories or alert["category"] in unit.categories
    severity_ok = SEVERITY_RANK.get(alert["severity"], 0) >= SEVERITY_RANK[unit.min_severity]
    lineage = areas.area_lineage(alert["area_code"]) if alert["area_code"] else ()
    return category_ok and severity_ok and any(code in unit.areas for code in lineage)


def route(roster: Roster, areas: AreaTree, alert: dict[str, Any], at: datetime) -> list[Assignment]:
    """Every unit's assignment for `alert` at the instant `at`; never empty."""
    fallback = roster.unit_by_code[roster.fallback_unit]
    fallback_shifts = shifts_on_duty(fallback, roster, at)
    fallback_first = _unique([o for s in fallback_shifts for o in s.officers]) or (fallback.head,)
    covering = [unit for unit in roster.units if covers(unit, alert, areas)]
    if not covering:
        leads = _unique([s.lead for s in fallback_shifts])
        levels = tuple(level for level in (fallback_first, leads, (fallback.head,)) if level)
        return [Assignment(fallback.code, _distinct_levels(levels), "no_unit_covers")]
    return [_assignment(roster, unit, at, fallback_first) for unit in covering]


def assign_unit(roster: Roster, code: str, at: datetime) -> Assignment:
    """The assignment of one named unit (an alert handed over to it), with the same fallback for its
    first level as routing gives it."""
    fallback = roster.unit_by_code[roster.fallback_unit]
    fallback_first = _unique([o for s in shifts_on_duty(fallback, roster, at) for o in s.officers])
    return _assignment(roster, roster.unit_by_code[code], at, fallback_first or (fallback.head,))


def _assignment(roster: Roster, unit: Unit, at: datetime, fallback_first: tuple[str, ...]) -> Assignment:
    shifts = shifts_on_duty(unit, roster, at)
    on_duty = _unique([o for s in shifts for o in s.officers])
    leads = _unique([s.lead for s in shifts])
    first, reason = (on_duty, "") if on_duty else (fallback_first, "no_one_on_duty")
    levels = tuple(level for level in (first, leads, (unit.head,)) if level)
    return Assignment(unit.code, _distinct_levels(levels), reason)


def _distinct_levels(levels: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
    """Drop officers already called at a lower level (a lead who is also on the shift, a head who
    leads it): escalating to them again would tell them nothing new."""
    seen: set[str] = set()
    kept = []
    for level in levels:
        fresh = tuple(o for o in level if o not in seen)
        seen.update(fresh)
        if fresh:
            kept.append(fresh)
    return tuple(kept)
