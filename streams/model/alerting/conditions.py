"""The conditions of the value rules (threshold, rate of change, deviation), one function each.

Each reads one observation into the rule's state entry, sets the entry's `values` when it can judge,
and returns a verdict for the lifecycle: "fire" (open, or still firing), "clear" (resolve an open
alert) or "hold" (no change of state). Times are event times, so a replay judges as live data did.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Literal

from streams.model.alerting.lifecycle import Entry
from streams.model.alerting.observation import Observation
from streams.model.alerting.rules import DeviationRule, RateOfChangeRule, ThresholdRule
from streams.model.alerting.templates import VN_TZ

Verdict = Literal["fire", "clear", "hold"]
HOUR_MS = 3_600_000
STD_FLOOR = 1e-9
"""A history with no spread at all would give an infinite z, which neither JSON nor the alert's values
can carry; any real difference still comes out as a huge, finite z."""


def threshold(rule: ThresholdRule, entry: Entry, obs: Observation, value: float, now_ms: int) -> Verdict:
    """Past the trigger for `min_duration_s` of event time opens; an open alert holds until back past
    `clear`. Like Prometheus' `for:`, the duration runs from the first observation past the trigger,
    and any observation not past it starts the count again."""
    entry["values"] = {"value": value, "threshold": rule.trigger, "clear": rule.clear}
    above = rule.direction == "above"
    if entry["alert"] is not None:
        cleared = value <= rule.clear if above else value >= rule.clear
        return "clear" if cleared else "fire"
    if not (value > rule.trigger if above else value < rule.trigger):
        entry["pending_since"] = entry["pending_arrival"] = None
        return "hold"
    if entry["pending_since"] is None:
        entry["pending_since"], entry["pending_arrival"] = obs.at_ms, now_ms
    return "fire" if obs.at_ms - entry["pending_since"] >= rule.min_duration_s * 1000 else "hold"


def threshold_opens_at(rule: ThresholdRule, entry: Entry) -> int:
    """When a confirmed breach opened: its start plus the minimum duration, whatever observation or
    tick confirmed it, so the alert id does not depend on how often data or ticks come."""
    opened_at: int = entry["pending_since"] + rule.min_duration_s * 1000
    entry["pending_since"] = entry["pending_arrival"] = None
    return opened_at


def rate_of_change(rule: RateOfChangeRule, entry: Entry, obs: Observation, value: float) -> Verdict:
    """The rate between the oldest and newest readings within `window_s`, judged only once they span
    at least half the window: two readings a minute apart would turn sensor noise into a flood."""
    points: list[list[float]] = entry["points"]
    if points and points[-1][0] == obs.at_ms:
        points[-1][1] = value  # a later revision of the same window replaces it
    else:
        points.append([obs.at_ms, value])
    window_ms = rule.window_s * 1000
    points[:] = [p for p in points if p[0] >= obs.at_ms - window_ms]
    span = points[-1][0] - points[0][0]
    if 2 * span < window_ms:
        return "hold"
    rate = (value - points[0][1]) * HOUR_MS / span
    entry["values"] = {"value": value, "rate_per_hour": rate, "threshold_per_hour": rule.per_hour}
    signed = {"rising": rate, "falling": -rate, "either": abs(rate)}[rule.direction]
    if entry["alert"] is not None:
        return "clear" if signed <= rule.clear_rate else "fire"
    return "fire" if signed > rule.per_hour else "hold"


def deviation(rule: DeviationRule, entry: Entry, obs: Observation, value: float) -> Verdict:
    """Judge the value against its hour of the week's history, then add it to that history (Welford's
    online mean and variance, one bucket per hour of the week). Every value is learned, alerting or not,
    so a lasting change of the usual level becomes the new usual instead of an endless alert."""
    bucket = str(hour_of_week(obs.start_ms))
    count, mean, m2 = entry["buckets"].get(bucket, [0, 0.0, 0.0])
    verdict: Verdict = "hold"
    if count >= rule.min_samples:
        std = math.sqrt(m2 / (count - 1))
        z = (value - mean) / max(std, STD_FLOOR)
        entry["values"] = {"value": value, "mean": mean, "std": std, "z": z, "sigma": rule.sigma}
        signed = {"above": z, "below": -z, "either": abs(z)}[rule.direction]
        if entry["alert"] is not None:
            verdict = "clear" if signed <= rule.clear_z else "fire"
        elif signed > rule.sigma and abs(value - mean) >= rule.min_delta:
            verdict = "fire"
    count += 1
    delta = value - mean
    mean += delta / count
    m2 += delta * (value - mean)
    entry["buckets"][bucket] = [count, mean, m2]
    return verdict


def hour_of_week(ms: int) -> int:
    """0 for Monday 00:00-01:00 local time (Asia/Ho_Chi_Minh) up to 167 for Sunday 23:00-24:00."""
    local = datetime.fromtimestamp(ms / 1000, VN_TZ)
    return local.weekday() * 24 + local.hour
