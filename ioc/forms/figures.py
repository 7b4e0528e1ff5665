"""How a form's values become figures: combined over units and areas, compared with the period before
and with the plan. One implementation, read by the period report (reports/period.py) and by the stream
that keeps each form indicator's figures live for the wall and the alert rules
(streams/model/form_figures.py), so the report and the wall never disagree on a total.

Missing is never zero: a combination of no values is None, and so is every comparison with it.
"""

from __future__ import annotations

from collections.abc import Callable
from statistics import fmean

from ioc.forms.model import PlanTarget

COMBINE: dict[str, Callable[[list[float]], float]] = {"sum": sum, "mean": fmean, "min": min, "max": max}


def combine(values: list[float], how: str) -> float | None:
    """Values of one indicator over areas or units, as the form says (`over_areas`); None over none."""
    return COMBINE[how](values) if values else None


def change_pct(current: float | None, previous: float | None) -> float | None:
    """The change from the previous period as a share of it, in %; None when either is missing or the
    previous was 0 (no share of nothing)."""
    if current is None or previous is None or not previous:
        return None
    return 100 * (current - previous) / abs(previous)


def plan_gap_pct(target: PlanTarget, value: float) -> float | None:
    """How far `value` is on the wrong side of the plan, as a share of the target in % (0 when the plan
    is met); None for a target of 0, which no share can be taken of."""
    if not target.value:
        return None
    shortfall = target.value - value if target.direction == "at_least" else value - target.value
    return max(0.0, 100 * shortfall / abs(target.value))


def plan_met(target: PlanTarget, value: float) -> bool:
    """Whether `value` meets the plan (a floor reached, a ceiling not passed)."""
    return value >= target.value if target.direction == "at_least" else value <= target.value
