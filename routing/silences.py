"""Silences and maintenance windows: alerts that are expected (works on a road, the weekly camera
maintenance) are recorded in the audit trail but sent to nobody."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from routing.matching import LOCAL_TZ, is_active
from routing.roster import AreaTree, Match, Roster


def _matches(match: Match, alert: dict[str, Any], areas: AreaTree) -> bool:
    lineage = areas.area_lineage(alert["area_code"]) if alert["area_code"] else ()
    return (
        (match.category is None or match.category == alert["category"])
        and (match.area is None or match.area in lineage)
        and (match.rule_id is None or match.rule_id == alert["rule_id"])
        and (match.entity_id is None or match.entity_id == alert["entity_id"])
    )


def _aware(instant: datetime) -> datetime:
    """Roster times without an offset are local (Asia/Ho_Chi_Minh) times."""
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=LOCAL_TZ)


def silenced_by(roster: Roster, areas: AreaTree, alert: dict[str, Any], at: datetime) -> str:
    """The id of the silence or maintenance window covering `alert` at `at`, or "" when none does."""
    for silence in roster.silences:
        if _aware(silence.starts_at) <= at < _aware(silence.ends_at) and _matches(
            silence.match, alert, areas
        ):
            return silence.id
    for window in roster.maintenance_windows:
        if is_active(window, roster, at) and _matches(window.match, alert, areas):
            return window.id
    return ""
