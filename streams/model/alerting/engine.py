"""The alert engine: observations and clock ticks in, alert changes out. Pure: no I/O, no wall clock,
no randomness, so the same input in the same order gives the same alerts, live or replayed.

Two clocks, each where it means something. Conditions run on event time (the observation's window end
or observation time): minimum durations, rates, hours of the week, and the stamps of the changes they
cause. The engine clock `now_ms`, passed in by the caller, is CAP `sent`, and decides what only the
passing of time can: silence of a device (measured from when its data arrived, so a replayed backlog
is not silent), incidents ending by themselves, and breaches confirmed while no new data comes. Those
tick-made changes are stamped with the moment they became due, not with the tick, so the stamps and
ids do not depend on how often tick runs.

The state is a plain dict of JSON-able entries, one per dedup key (rule, entity), so the Faust agent
can keep it in a table and hand it back after a restart: `AlertEngine(ruleset, state=...)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from streams.model.alerting import conditions
from streams.model.alerting.lifecycle import (
    AlertChange,
    Entry,
    dedup_key,
    is_material,
    open_alert,
    resolve_alert,
    update_alert,
    update_due,
)
from streams.model.alerting.observation import Observation, parse
from streams.model.alerting.rules import (
    AbsenceRule,
    DeviationRule,
    IncidentRule,
    RateOfChangeRule,
    Rule,
    RuleSet,
    ThresholdRule,
)

MAIN_VALUE = {"threshold": "value", "rate_of_change": "rate_per_hour", "deviation": "value"}
"""The value whose change is worth an update, per rule kind."""
MINUTE_MS = 60_000


class AlertEngine:
    """Evaluates a rule set. `state` is the engine's memory; it is changed in place."""

    def __init__(self, ruleset: RuleSet, state: dict[str, Entry] | None = None) -> None:
        self.ruleset = ruleset
        self.state: dict[str, Entry] = {} if state is None else state
        # Keys `observe` may have changed since `take_observed`: saving only these keeps a batch's cost
        # proportional to the batch, not to every entity the engine has ever seen.
        self._observed: set[str] = set()
        self._rules: dict[tuple[bool, str], list[Rule]] = {}
        for rule in ruleset.rules:
            if isinstance(rule, IncidentRule):
                for incident_type in rule.watch.incident_types:
                    self._rules.setdefault((True, incident_type), []).append(rule)
            else:
                for indicator in rule.watch.indicators:
                    self._rules.setdefault((False, indicator), []).append(rule)

    def observe(self, record: Mapping[str, Any], now_ms: int) -> list[AlertChange]:
        """Feed one indicator record or incident event; returns the alert changes it causes, in rule
        order. Raises ObservationError when the record lacks a field the engine needs."""
        obs = parse(record)
        changes: list[AlertChange] = []
        for rule in self._rules.get((obs.is_incident, obs.code), []):
            if rule.watch.matches(obs.entity_type, obs.entity_id, obs.area_code):
                key = dedup_key(rule.id, obs.entity_type, obs.entity_id)
                entry = self._entry(key, rule, obs)
                self._observed.add(key)
                changes += self._observe(rule, key, entry, obs, now_ms)
        return changes

    def take_observed(self) -> set[str]:
        """The keys `observe` touched since the last call (`tick` may change any key)."""
        observed, self._observed = self._observed, set()
        return observed

    def tick(self, now_ms: int) -> list[AlertChange]:
        """Let time pass: open alerts for silent devices and for breaches that have lasted long enough,
        remind about silences still going on, end incidents that resolve by themselves."""
        changes: list[AlertChange] = []
        for key in sorted(self.state):
            entry = self.state[key]
            rule = self.ruleset.by_id.get(entry["rule"])
            if rule is None or rule.kind != entry["kind"]:
                continue  # a rule removed or redefined since this state was written
            if isinstance(rule, ThresholdRule):
                changes += _tick_threshold(rule, key, entry, now_ms)
            elif isinstance(rule, AbsenceRule):
                changes += _tick_absence(rule, key, entry, now_ms)
            elif isinstance(rule, IncidentRule):
                changes += _tick_incident(rule, key, entry, now_ms)
        return changes

    def _entry(self, key: str, rule: Rule, obs: Observation) -> Entry:
        """The key's state, created on first sight (or afresh when its rule changed kind); the entity's
        area and position follow the newest observation."""
        entry = self.state.get(key)
        if entry is None or entry["kind"] != rule.kind:
            entry = _new_entry(rule, obs)
            self.state[key] = entry
        entry["area_code"] = obs.area_code or entry["area_code"]
        if obs.latitude is not None and obs.longitude is not None:
            entry["latitude"], entry["longitude"] = obs.latitude, obs.longitude
        return entry

    def _observe(self, rule: Rule, key: str, entry: Entry, obs: Observation, now: int) -> list[AlertChange]:
        if isinstance(rule, AbsenceRule):
            return _observe_absence(rule, key, entry, now)
        if isinstance(rule, IncidentRule):
            return _observe_incident(rule, key, entry, obs, now)
        final_only = isinstance(rule, DeviationRule) or rule.final_only
        if obs.value is None or (final_only and not obs.final) or obs.at_ms < entry["last_at"]:
            return []  # no value, a provisional window the rule does not trust, or older than one seen
        entry["last_at"] = obs.at_ms
        if isinstance(rule, ThresholdRule):
            entry["texts"] = {"label": obs.label}
            verdict = conditions.threshold(rule, entry, obs, obs.value, now)
        elif isinstance(rule, RateOfChangeRule):
            verdict = conditions.rate_of_change(rule, entry, obs, obs.value)
        else:
            verdict = conditions.deviation(rule, entry, obs, obs.value)
        if entry["alert"] is None:
            if verdict != "fire":
                return []
            opened_at = (
                conditions.threshold_opens_at(rule, entry) if isinstance(rule, ThresholdRule) else obs.at_ms
            )
            return [open_alert(entry, key, opened_at, now)]
        if verdict == "clear":
            return [resolve_alert(entry, key, obs.at_ms, now)]
        return _maybe_update(
            rule, key, entry, obs.at_ms, now, is_material(entry, MAIN_VALUE[rule.kind], rule.material_change)
        )


def _new_entry(rule: Rule, obs: Observation) -> Entry:
    entry: Entry = {
        "rule": rule.id,
        "kind": rule.kind,
        "entity_type": obs.entity_type,
        "entity_id": obs.entity_id,
        "area_code": obs.area_code,
        "latitude": None,
        "longitude": None,
        "values": {},
        "texts": {},
        "alert": None,
        "last_opened_at": None,
    }
    if isinstance(rule, AbsenceRule):
        return entry | {"last_arrival": None}
    if isinstance(rule, IncidentRule):
        return entry | {"last_event_at": None, "last_arrival": None, "count": 0}
    entry["last_at"] = 0
    if isinstance(rule, ThresholdRule):
        return entry | {"pending_since": None, "pending_arrival": None}
    if isinstance(rule, RateOfChangeRule):
        return entry | {"points": []}
    return entry | {"buckets": {}}


def _maybe_update(rule: Rule, key: str, entry: Entry, at: int, now: int, material: bool) -> list[AlertChange]:
    if update_due(entry, at, rule.update_interval_s, rule.reminder_s, material):
        return [update_alert(entry, key, at, now)]
    return []


def _observe_absence(rule: AbsenceRule, key: str, entry: Entry, now: int) -> list[AlertChange]:
    """Any observation, even one without a value, shows the device is talking: a silence ends."""
    last, entry["last_arrival"] = entry["last_arrival"], now
    if entry["alert"] is None:
        return []
    entry["values"] = _silence(rule, now - last)
    return [resolve_alert(entry, key, now, now)]


def _tick_absence(rule: AbsenceRule, key: str, entry: Entry, now: int) -> list[AlertChange]:
    silent_ms = now - entry["last_arrival"]
    if entry["alert"] is None and silent_ms < rule.silence_s * 1000:
        return []
    entry["values"] = _silence(rule, silent_ms)
    if entry["alert"] is None:
        return [open_alert(entry, key, entry["last_arrival"] + rule.silence_s * 1000, now)]
    return _maybe_update(rule, key, entry, now, now, material=False)


def _silence(rule: AbsenceRule, silent_ms: int) -> dict[str, float]:
    return {"silence_min": silent_ms / MINUTE_MS, "limit_min": rule.silence_s * 1000 / MINUTE_MS}


def _observe_incident(
    rule: IncidentRule, key: str, entry: Entry, obs: Observation, now: int
) -> list[AlertChange]:
    """Every event fires; a repeat while the alert is open updates it (every event is news, so only the
    update interval holds it back). An event after the auto-resolve time ends the old episode first."""
    changes: list[AlertChange] = []
    if entry["alert"] is not None and rule.auto_resolve_s is not None:
        ends_at = entry["last_event_at"] + rule.auto_resolve_s * 1000
        if obs.at_ms >= ends_at:
            changes.append(resolve_alert(entry, key, ends_at, now))
    entry["count"] = 1 if entry["alert"] is None else entry["count"] + 1
    entry["values"] = {"count": float(entry["count"])}
    if obs.confidence is not None:
        entry["values"]["confidence"] = obs.confidence
    entry["texts"] = {"incident_type": obs.code, "description": obs.description}
    entry["last_event_at"] = max(obs.at_ms, entry["last_event_at"] or obs.at_ms)
    entry["last_arrival"] = now
    if entry["alert"] is None:
        return [*changes, open_alert(entry, key, obs.at_ms, now)]
    return changes + _maybe_update(rule, key, entry, obs.at_ms, now, material=True)


def _tick_incident(rule: IncidentRule, key: str, entry: Entry, now: int) -> list[AlertChange]:
    if entry["alert"] is None or rule.auto_resolve_s is None:
        return []
    after_ms = rule.auto_resolve_s * 1000
    ends_at = entry["last_event_at"] + after_ms
    if now < ends_at or now < entry["last_arrival"] + after_ms:
        return []
    return [resolve_alert(entry, key, ends_at, now)]


def _tick_threshold(rule: ThresholdRule, key: str, entry: Entry, now: int) -> list[AlertChange]:
    """A breach confirmed by time alone: past the trigger at the last observation and for the minimum
    duration since, both by event time and by arrival (so a replayed backlog is not confirmed early)."""
    since = entry["pending_since"]
    if entry["alert"] is not None or since is None:
        return []
    duration_ms = rule.min_duration_s * 1000
    if now < since + duration_ms or now < entry["pending_arrival"] + duration_ms:
        return []
    return [open_alert(entry, key, conditions.threshold_opens_at(rule, entry), now)]
