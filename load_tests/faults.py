"""The imperfections of real feeds, injected in configurable shares: late, out-of-order, duplicate and
invalid records.

- late: sent minutes after its event time, past any window's grace (the platform counts it as late);
- out of order: held back a few seconds, so a newer record of the same feed overtakes it;
- duplicate: the same record (same `event_id`) sent a second time a little later;
- invalid: a record that fits its Avro schema (so it can travel on Kafka) but breaks a plausibility
  rule of its feed, e.g. 150,000 vehicles in one minute, which the warehouse's constraint refuses
  into the dead-letter topic. `plausibility_problem` says which rule a record breaks, so tests and
  reports can count them on the receiving side.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from load_tests.emission import Emission

Check = Callable[[dict[str, Any]], bool]
Breaker = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class FaultConfig:
    """Shares of the generated records (0..1 each, at most 1 together) and how late "late" is."""

    late_share: float = 0.0
    out_of_order_share: float = 0.0
    duplicate_share: float = 0.0
    invalid_share: float = 0.0
    late_seconds: tuple[float, float] = (120.0, 600.0)
    reorder_seconds: tuple[float, float] = (1.0, 20.0)
    duplicate_after_seconds: tuple[float, float] = (0.5, 30.0)

    def __post_init__(self) -> None:
        shares = (self.late_share, self.out_of_order_share, self.duplicate_share, self.invalid_share)
        if any(not 0 <= share <= 1 for share in shares) or sum(shares) > 1:
            raise ValueError(f"fault shares must each be in 0..1 and add up to at most 1, got {shares}")


@dataclass(frozen=True)
class Rule:
    """A feed's plausibility rule: the field it is about, its name, a check and how to break it."""

    field: str
    name: str
    ok: Check
    breaks: Breaker


def _between(name: str, low: float, high: float, nullable: bool = False) -> Check:
    def ok(record: dict[str, Any]) -> bool:
        value = record[name]
        return (nullable and value is None) or (value is not None and low <= value <= high)

    return ok


def _not_empty(name: str) -> Check:
    return lambda record: bool(record[name])


def _set(name: str, value: Any) -> Breaker:
    return lambda record: record.__setitem__(name, value)


def _swap_period(record: dict[str, Any]) -> None:
    record["period_end"] = record["period_start"] - timedelta(days=1)


BIG = 1e9
RULES: dict[str, Rule] = {
    # The warehouse enforces this one (migration 020): the sink dead-letters such a row.
    "ioc.camera.vehicle-counts": Rule(
        "vehicle_count",
        "vehicle_count_plausible",
        _between("vehicle_count", 0, 100_000),
        _set("vehicle_count", 150_000),
    ),
    "ioc.camera.speeds": Rule(
        "average_speed_kmh",
        "speed-range",
        _between("average_speed_kmh", 0, 400),
        _set("average_speed_kmh", -5.0),
    ),
    "ioc.camera.plate-reads": Rule(
        "plate_number", "not-empty", _not_empty("plate_number"), _set("plate_number", "")
    ),
    "ioc.camera.violations": Rule(
        "confidence", "confidence-range", _between("confidence", 0, 1, nullable=True), _set("confidence", 1.7)
    ),
    "ioc.camera.crowd-density": Rule(
        "person_count", "not-negative", _between("person_count", 0, BIG), _set("person_count", -3)
    ),
    "ioc.camera.incidents": Rule(
        "confidence", "confidence-range", _between("confidence", 0, 1, nullable=True), _set("confidence", 1.7)
    ),
    "ioc.camera.heartbeats": Rule(
        "uptime_seconds",
        "not-negative",
        _between("uptime_seconds", 0, BIG, nullable=True),
        _set("uptime_seconds", -1),
    ),
    "ioc.sensor.air-quality": Rule(
        "pm25_ugm3", "not-negative", _between("pm25_ugm3", 0, BIG, nullable=True), _set("pm25_ugm3", -10.0)
    ),
    "ioc.sensor.water-level": Rule(
        "water_level_cm",
        "level-range",
        _between("water_level_cm", -500, 5000),
        _set("water_level_cm", -9999.0),
    ),
    "ioc.sensor.rainfall": Rule(
        "rainfall_mm", "not-negative", _between("rainfall_mm", 0, BIG), _set("rainfall_mm", -1.0)
    ),
    "ioc.sensor.weather": Rule(
        "relative_humidity_pct",
        "percent-range",
        _between("relative_humidity_pct", 0, 100, nullable=True),
        _set("relative_humidity_pct", 140.0),
    ),
    "ioc.sensor.traffic-counters": Rule(
        "intensity_vehicles",
        "not-negative",
        _between("intensity_vehicles", 0, BIG),
        _set("intensity_vehicles", -1),
    ),
    "ioc.sensor.devices": Rule(
        "battery_level_pct",
        "percent-range",
        _between("battery_level_pct", 0, 100, nullable=True),
        _set("battery_level_pct", 180.0),
    ),
    "ioc.department.dossier-events": Rule(
        "department_code", "not-empty", _not_empty("department_code"), _set("department_code", "")
    ),
    "ioc.department.report-values": Rule(
        "period_end", "period-order", lambda r: r["period_start"] <= r["period_end"], _swap_period
    ),
    "ioc.department.hotline-reports": Rule(
        "ticket_id", "not-empty", _not_empty("ticket_id"), _set("ticket_id", "")
    ),
}


def plausibility_problem(feed_name: str, record: dict[str, Any]) -> tuple[str, str] | None:
    """(field, rule) when the record breaks its feed's plausibility rule, else None."""
    rule = RULES[feed_name]
    return None if rule.ok(record) else (rule.field, rule.name)


class FaultInjector:
    """Applies the configured faults to freshly generated emissions (seeded, so reproducible)."""

    def __init__(self, config: FaultConfig, rng: random.Random) -> None:
        self.config = config
        self.rng = rng

    def apply(self, emission: Emission, next_sequence: Callable[[], int]) -> list[Emission]:
        """The emission as it will travel (maybe changed), plus a duplicate when one is due."""
        c = self.config
        roll = self.rng.random()
        if roll < c.invalid_share:
            RULES[emission.feed.name].breaks(emission.record)
            emission.fault = "invalid"
        elif roll < c.invalid_share + c.duplicate_share:
            again = copy.copy(emission)
            again.record = dict(emission.record)
            again.send_at = emission.send_at + timedelta(seconds=self.rng.uniform(*c.duplicate_after_seconds))
            again.sequence = next_sequence()
            again.fault = "duplicate"
            return [emission, again]
        elif roll < c.invalid_share + c.duplicate_share + c.late_share:
            emission.send_at += timedelta(seconds=self.rng.uniform(*c.late_seconds))
            emission.fault = "late"
        elif roll < c.invalid_share + c.duplicate_share + c.late_share + c.out_of_order_share:
            emission.send_at += timedelta(seconds=self.rng.uniform(*c.reorder_seconds))
            emission.fault = "out_of_order"
        return [emission]
