"""Unit tests for streams.model.alerting.engine and streams.model.alerting.cap, with a clock of plain integers.

Expected changes are worked out by hand in the comments. T0 = 2024-01-01T00:00:00Z = 1_704_067_200_000 ms,
which is Monday 07:00 in Asia/Ho_Chi_Minh (hour of the week 7). Unless a test says otherwise the engine
clock equals the observation's event time, as it does for live data.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import fastavro
import fastavro.validation
import pytest

from avro_schemas import load_schema
from streams.model.alerting import (
    AlertChange,
    AlertEngine,
    ObservationError,
    RuleSet,
    load_rules,
    to_alert_record,
)
from streams.model.alerting.conditions import hour_of_week
from streams.model.alerting.rules import (
    AbsenceRule,
    DeviationRule,
    IncidentRule,
    RateOfChangeRule,
    Rule,
    ThresholdRule,
)

T0 = 1_704_067_200_000
MIN = 60_000
HOUR = 60 * MIN
WEEK = 7 * 24 * HOUR
STARTER = Path(__file__).parents[2] / "config" / "alert_rules.yaml"
SENDER = "ioc@example.gov.vn"
COMMON: dict[str, Any] = {
    "category": "traffic",
    "cap_category": "Transport",
    "severity": "Moderate",
    "urgency": "Immediate",
    "event_vi": "Sự kiện",
    "headline_vi": "{entity_id}",
}
MODELS: dict[str, type[Rule]] = {
    "threshold": ThresholdRule,
    "rate_of_change": RateOfChangeRule,
    "absence": AbsenceRule,
    "deviation": DeviationRule,
    "incident": IncidentRule,
}


def rule(kind: str, rule_id: str, **fields: Any) -> Rule:
    """A rule of `kind` with throwaway texts and classification."""
    return MODELS[kind].model_validate(COMMON | {"id": rule_id, "kind": kind} | fields)


def engine(*rules: Rule) -> AlertEngine:
    """A fresh engine over the given rules."""
    return AlertEngine(RuleSet("test", rules))


def indicator(
    code: str,
    value: float | None,
    end: int,
    entity: str = "CAM-1",
    entity_type: str = "camera",
    final: bool = True,
) -> dict[str, Any]:
    """An indicator record of a one-minute window ending at `end`."""
    return {
        "indicator": code,
        "entity_type": entity_type,
        "entity_id": entity,
        "area_code": "26734",
        "window_start": end - MIN,
        "window_end": end,
        "value": value,
        "is_final": final,
    }


def incident(at: int, incident_type: str = "accident", entity: str = "CAM-1") -> dict[str, Any]:
    """An incident event from camera analytics."""
    return {
        "incident_type": incident_type,
        "entity_id": entity,
        "area_code": "26734",
        "observed_at": at,
        "description": "Va chạm giữa hai xe máy",
        "latitude": 10.95,
        "longitude": 106.82,
    }


def feed(alerts: AlertEngine, records: list[dict[str, Any]]) -> list[AlertChange]:
    """Observe records in order, the engine clock at each record's event time."""
    changes: list[AlertChange] = []
    for record in records:
        changes += alerts.observe(record, record.get("window_end") or record["observed_at"])
    return changes


def summary(changes: list[AlertChange]) -> list[tuple[str, int, int]]:
    """(state, revision, updated_at) of each change, the shape most expectations are written in."""
    return [(c.state, c.revision, c.updated_at) for c in changes]


# --- threshold -----------------------------------------------------------------------------------------

AQI = rule("threshold", "aqi.bad", watch={"indicators": ["aqi"]}, direction="above", trigger=150, clear=140)


def test_threshold_hysteresis_does_not_flap_and_resolves_only_past_clear() -> None:
    """Around the trigger (151, 149, 151 …) one alert stays open; 141 is still above clear, 140 ends it;
    145 after that is below the trigger, so only 151 opens a second episode, with a new id."""
    values = [151, 149, 151, 149, 151, 141, 140, 145, 151]
    records = [indicator("aqi", v, T0 + k * MIN, "ST-1", "station") for k, v in enumerate(values)]
    changes = feed(engine(AQI), records)
    assert summary(changes) == [("open", 0, T0), ("resolved", 1, T0 + 6 * MIN), ("open", 0, T0 + 8 * MIN)]
    assert changes[0].alert_id == changes[1].alert_id == "ALR-aqi.bad-station-ST-1-20240101T000000.000Z"
    assert changes[2].alert_id == "ALR-aqi.bad-station-ST-1-20240101T000800.000Z"
    assert changes[1].resolved_at == T0 + 6 * MIN
    assert changes[1].values == {"value": 140.0, "threshold": 150.0, "clear": 140.0}
    assert changes[0].dedup_key == "aqi.bad|station|ST-1"


CONGESTION = rule(
    "threshold",
    "traffic.congestion",
    watch={"indicators": ["speed"]},
    direction="below",
    trigger=15,
    clear=20,
    min_duration_s=300,
)


def test_a_short_spike_does_not_open_and_a_long_one_opens_after_min_duration() -> None:
    """10 km/h for minutes 0-2 then 17 (not below 15): the count restarts. Below again from minute 4:
    at minute 9 it has held 5 minutes, so the alert opens, stamped 4 + 5 = minute 9."""
    values = [10, 10, 10, 17, 10, 10, 10, 10, 10, 10]
    changes = feed(engine(CONGESTION), [indicator("speed", v, T0 + k * MIN) for k, v in enumerate(values)])
    assert summary(changes) == [("open", 0, T0 + 9 * MIN)]
    assert changes[0].opened_at == T0 + 9 * MIN


def test_tick_opens_a_breach_that_lasts_without_new_data() -> None:
    """One reading below the trigger, then silence: the tick opens once 5 minutes have passed, stamped
    with the moment it became due, not the tick's own time."""
    alerts = engine(CONGESTION)
    assert alerts.observe(indicator("speed", 8, T0), T0) == []
    assert alerts.tick(T0 + 5 * MIN - 1) == []
    (change,) = alerts.tick(T0 + 7 * MIN)
    assert (change.state, change.opened_at, change.sent) == ("open", T0 + 5 * MIN, T0 + 7 * MIN)
    assert alerts.tick(T0 + 8 * MIN) == []


def test_tick_does_not_confirm_a_replayed_backlog_early() -> None:
    """Data from a day ago arriving now has not been watched for 5 minutes yet: the tick waits 5 minutes
    of arrival time too, then stamps the opening in event time."""
    alerts = engine(CONGESTION)
    now = T0 + 24 * HOUR
    alerts.observe(indicator("speed", 8, T0), now)
    assert alerts.tick(now + 4 * MIN) == []
    (change,) = alerts.tick(now + 5 * MIN)
    assert change.opened_at == T0 + 5 * MIN


def test_repeated_firing_updates_one_alert_at_most_every_interval() -> None:
    """110, 120 … 210 once a minute above a trigger of 100. Opens at minute 0; minutes 1-4 are inside the
    300 s interval; minute 5 (160 vs 110 published, +45 %) updates; minute 10 (210 vs 160, +31 %) too."""
    rising = rule(
        "threshold", "t.rising", watch={"indicators": ["x"]}, direction="above", trigger=100, clear=90
    )
    records = [indicator("x", 110 + 10 * k, T0 + k * MIN) for k in range(11)]
    changes = feed(engine(rising), records)
    assert summary(changes) == [("open", 0, T0), ("updated", 1, T0 + 5 * MIN), ("updated", 2, T0 + 10 * MIN)]
    assert {c.alert_id for c in changes} == {changes[0].alert_id}
    assert [c.values["value"] for c in changes] == [110, 160, 210]
    assert [c.references for c in changes] == [(), ((0, T0),), ((0, T0), (1, T0 + 5 * MIN))]


def test_an_unchanged_alert_is_reminded_after_reminder_s() -> None:
    """A constant 110 for an hour: no material change, so the only update is the reminder at 3600 s."""
    steady = rule(
        "threshold", "t.steady", watch={"indicators": ["x"]}, direction="above", trigger=100, clear=90
    )
    changes = feed(engine(steady), [indicator("x", 110, T0 + k * MIN) for k in range(70)])
    assert summary(changes) == [("open", 0, T0), ("updated", 1, T0 + HOUR)]


def test_provisional_windows_are_skipped_when_the_rule_wants_final_ones() -> None:
    """A partial hour must not open an hourly rule; the final value of the same window does."""
    hourly = rule(
        "threshold",
        "aqi.final",
        watch={"indicators": ["aqi"]},
        direction="above",
        trigger=150,
        clear=140,
        final_only=True,
    )
    alerts = engine(hourly)
    assert alerts.observe(indicator("aqi", 180, T0, final=False), T0) == []
    assert summary(alerts.observe(indicator("aqi", 160, T0), T0)) == [("open", 0, T0)]


def test_an_episode_reopened_within_the_same_window_gets_a_new_id() -> None:
    """Revisions of one window (151, then 130, then 151 again, all ending at T0) open, resolve and open
    again at the same instant; the second episode is stamped 1 ms later so that its id differs."""
    records = [indicator("aqi", v, T0, "ST-1", "station") for v in (151, 130, 151)]
    changes = feed(engine(AQI), records)
    assert summary(changes) == [("open", 0, T0), ("resolved", 1, T0), ("open", 0, T0 + 1)]
    assert changes[2].alert_id == "ALR-aqi.bad-station-ST-1-20240101T000000.001Z"


def test_older_observations_and_missing_values_are_ignored() -> None:
    """A late revision of an earlier window must not drive the state back; a null value is no data."""
    alerts = engine(AQI)
    alerts.observe(indicator("aqi", 151, T0 + 2 * MIN, "ST-1", "station"), T0 + 2 * MIN)
    assert alerts.observe(indicator("aqi", 100, T0 + MIN, "ST-1", "station"), T0 + 3 * MIN) == []
    assert alerts.observe(indicator("aqi", None, T0 + 3 * MIN, "ST-1", "station"), T0 + 3 * MIN) == []
    assert alerts.state["aqi.bad|station|ST-1"]["alert"]["revision"] == 0


# --- rate of change ------------------------------------------------------------------------------------

RISING = rule(
    "rate_of_change",
    "water.rising",
    watch={"indicators": ["level"]},
    direction="rising",
    per_hour=20,
    clear_per_hour=10,
    window_s=3600,
)


def test_rate_of_change_opens_updates_and_resolves_with_hysteresis() -> None:
    """Readings every 10 min (cm): 300 301 302 303 310 325 and then 325 to minute 110. Rate = (newest −
    oldest within 60 min) per hour, once they span 30 min:
      30: 3/0.5 h = 6;  40: 10/(40/60) = 15;  50: 25/(50/60) = 30 > 20 → open
      60: 25/1 = 25 (−17 % of 30 → update);  70: 24, 80: 23 (under 10 % of 25);  90: 22 (−12 % → update)
      100: 15, still above clear 10 (−32 % → update);  110: 325 − 325 = 0 → resolved."""
    levels = [300, 301, 302, 303, 310, 325, 325, 325, 325, 325, 325, 325]
    records = [indicator("level", v, T0 + 10 * k * MIN, "ST-1", "station") for k, v in enumerate(levels)]
    changes = feed(engine(RISING), records)
    assert summary(changes) == [
        ("open", 0, T0 + 50 * MIN),
        ("updated", 1, T0 + 60 * MIN),
        ("updated", 2, T0 + 90 * MIN),
        ("updated", 3, T0 + 100 * MIN),
        ("resolved", 4, T0 + 110 * MIN),
    ]
    assert changes[0].values == {"value": 325.0, "rate_per_hour": 30.0, "threshold_per_hour": 20.0}
    assert [c.values["rate_per_hour"] for c in changes[1:]] == [25.0, 22.0, 15.0, 0.0]


def test_two_close_readings_do_not_make_a_rate() -> None:
    """300 → 310 cm within a minute is 600 cm/h on paper: noise, not a flood, until 30 min are spanned."""
    records = [indicator("level", v, T0 + k * MIN, "ST-1", "station") for k, v in enumerate([300, 310, 310])]
    assert feed(engine(RISING), records) == []


# --- absence -------------------------------------------------------------------------------------------

SILENT = rule(
    "absence", "camera.silent", watch={"indicators": ["heartbeat"], "entity_type": "camera"}, silence_s=300
)


def test_absence_opens_after_silence_and_resolves_on_the_next_observation() -> None:
    """Last heartbeat at T0: due at T0 + 5 min (stamped so, whenever the tick comes); the heartbeat at
    T0 + 700 s ends it after 700/60 = 11.67 min of silence."""
    alerts = engine(SILENT)
    assert alerts.tick(T0) == []  # a camera never seen cannot be missed
    alerts.observe(indicator("heartbeat", 1.0, T0), T0)
    assert alerts.tick(T0 + 5 * MIN - 1) == []
    (opened,) = alerts.tick(T0 + 5 * MIN + 20_000)
    assert (opened.state, opened.opened_at) == ("open", T0 + 5 * MIN)
    assert opened.alert_id == "ALR-camera.silent-camera-CAM-1-20240101T000500.000Z"
    assert opened.values == {"silence_min": pytest.approx(320 / 60), "limit_min": 5.0}
    assert alerts.tick(T0 + 10 * MIN) == []  # still silent, nothing new to say yet
    (resolved,) = alerts.observe(indicator("heartbeat", None, T0 + 700_000), T0 + 700_000)
    assert (resolved.state, resolved.revision, resolved.resolved_at) == ("resolved", 1, T0 + 700_000)
    assert resolved.values["silence_min"] == pytest.approx(700 / 60)


def test_absence_reminds_while_the_silence_goes_on() -> None:
    """Opened at T0 + 5 min; an hour later the tick sends the reminder with 65 min of silence."""
    alerts = engine(SILENT)
    alerts.observe(indicator("heartbeat", 1.0, T0), T0)
    alerts.tick(T0 + 5 * MIN)
    (reminder,) = alerts.tick(T0 + 65 * MIN)
    assert (reminder.state, reminder.revision, reminder.values["silence_min"]) == ("updated", 1, 65.0)


def test_absence_measures_arrival_not_event_time() -> None:
    """A backlog replayed now is data arriving now: its old event times do not make the camera silent."""
    alerts = engine(SILENT)
    alerts.observe(indicator("heartbeat", 1.0, T0 - 24 * HOUR), T0)
    assert alerts.tick(T0 + MIN) == []


# --- deviation -----------------------------------------------------------------------------------------

UNUSUAL = rule(
    "deviation",
    "traffic.unusual",
    watch={"indicators": ["volume"]},
    direction="above",
    sigma=3,
    clear_sigma=1.5,
    min_samples=4,
)


def weekly(values: list[float], entity: str = "CAM-1", first_week: int = 0) -> list[dict[str, Any]]:
    """One final one-minute volume per week, each in the window Monday 07:00-07:01 local time."""
    return [indicator("volume", v, T0 + (first_week + w) * WEEK + MIN, entity) for w, v in enumerate(values)]


def test_hour_of_week_is_local_time() -> None:
    """T0 is Monday 07:00 in Vietnam (UTC+7); 17 h later it is Tuesday 00:00; 7.5 h earlier Sunday 23:30."""
    assert hour_of_week(T0) == 7
    assert hour_of_week(T0 + 17 * HOUR) == 24
    assert hour_of_week(T0 - 7 * HOUR - 30 * MIN) == 167


def test_deviation_does_not_fire_before_min_samples() -> None:
    """Only 3 earlier samples for that hour: even 1000 vehicles cannot be judged yet."""
    assert feed(engine(UNUSUAL), weekly([100, 110, 90, 1000])) == []


def test_deviation_fires_on_the_usual_hour_then_resolves() -> None:
    """History 100, 110, 90, 100: mean 100, sample variance (0 + 100 + 100 + 0)/3, std 8.165; 200 is
    z = 12.2 → open. With 200 learned: mean 120, m2 = 400+100+900+400+6400 = 8200, std √(8200/4) = 45.28;
    105 is z = −0.33, within 1.5 → resolved."""
    alerts = engine(UNUSUAL)
    assert feed(alerts, weekly([100, 110, 90, 100])) == []
    (opened,) = feed(alerts, weekly([200], first_week=4))
    std = math.sqrt(200 / 3)
    assert opened.values == pytest.approx({"value": 200, "mean": 100, "std": std, "z": 100 / std, "sigma": 3})
    (resolved,) = feed(alerts, weekly([105], first_week=5))
    assert resolved.state == "resolved"
    assert resolved.values["z"] == pytest.approx(-15 / math.sqrt(2050))


def test_deviation_compares_only_with_the_same_hour_of_the_week() -> None:
    """The history is for Monday 07:00; the same 200 vehicles on Monday 08:00 or Tuesday 07:00 have no
    history of their own, so nothing fires."""
    alerts = engine(UNUSUAL)
    feed(alerts, weekly([100, 110, 90, 100]))
    monday_8 = indicator("volume", 200, T0 + 4 * WEEK + HOUR + MIN)
    tuesday_7 = indicator("volume", 200, T0 + 4 * WEEK + 24 * HOUR + MIN)
    assert feed(alerts, [monday_8, tuesday_7]) == []


def test_deviation_neither_learns_nor_judges_provisional_windows() -> None:
    """A partial window is not a sample: it would drag the usual level down and fire on half a count."""
    alerts = engine(UNUSUAL)
    feed(alerts, weekly([100, 110, 90, 100]))
    partial = indicator("volume", 1000, T0 + 4 * WEEK + MIN, final=False)
    assert alerts.observe(partial, partial["window_end"]) == []
    assert alerts.state["traffic.unusual|camera|CAM-1"]["buckets"]["7"][0] == 4


# --- incidents -----------------------------------------------------------------------------------------

ACCIDENT = rule("incident", "incident.accident", watch={"incident_types": ["accident"]}, auto_resolve_s=1800)


def test_incident_opens_at_once_updates_sparingly_and_auto_resolves() -> None:
    """Opens on the first event; the repeat at +60 s is inside the 300 s interval; the one at +400 s
    updates (3 detections); it ends 1800 s after the last event, at +2200 s."""
    alerts = engine(ACCIDENT)
    (opened,) = alerts.observe(incident(T0), T0)
    assert (opened.state, opened.opened_at, opened.values) == ("open", T0, {"count": 1.0})
    assert opened.texts == {"incident_type": "accident", "description": "Va chạm giữa hai xe máy"}
    assert (opened.latitude, opened.longitude) == (10.95, 106.82)
    assert alerts.observe(incident(T0 + 60_000), T0 + 60_000) == []
    (updated,) = alerts.observe(incident(T0 + 400_000), T0 + 400_000)
    assert (updated.state, updated.revision, updated.values) == ("updated", 1, {"count": 3.0})
    assert alerts.tick(T0 + 2_200_000 - 1) == []
    (resolved,) = alerts.tick(T0 + 2_500_000)
    assert (resolved.state, resolved.revision, resolved.resolved_at) == ("resolved", 2, T0 + 2_200_000)
    (again,) = alerts.observe(incident(T0 + 3_000_000), T0 + 3_000_000)
    assert again.state == "open"
    assert again.alert_id != opened.alert_id


def test_an_incident_after_the_auto_resolve_time_ends_the_old_episode_first() -> None:
    """Without a tick in between, the late event still closes the old alert before opening a new one."""
    alerts = engine(ACCIDENT)
    alerts.observe(incident(T0), T0)
    changes = alerts.observe(incident(T0 + 1_800_000), T0 + 1_800_000)
    assert summary(changes) == [("resolved", 1, T0 + 1_800_000), ("open", 0, T0 + 1_800_000)]
    assert changes[0].alert_id == "ALR-incident.accident-camera-CAM-1-20240101T000000.000Z"
    assert changes[1].alert_id == "ALR-incident.accident-camera-CAM-1-20240101T003000.000Z"


def test_other_incident_types_and_malformed_records() -> None:
    """A fight is not an accident; a record without an entity is refused with the field named."""
    alerts = engine(ACCIDENT)
    assert alerts.observe(incident(T0, "fight"), T0) == []
    with pytest.raises(ObservationError, match="entity_id: missing or empty"):
        alerts.observe({"incident_type": "accident", "observed_at": T0}, T0)
    with pytest.raises(ObservationError, match="window_end: expected epoch milliseconds"):
        alerts.observe(
            {"indicator": "x", "entity_type": "camera", "entity_id": "C", "window_end": "soon"}, T0
        )


# --- determinism and restarts --------------------------------------------------------------------------

MIXED = (CONGESTION, RISING, UNUSUAL, SILENT, ACCIDENT)
B = T0 + 4 * WEEK  # the week after the deviation history


def mixed_steps() -> list[tuple[str, Any, int]]:
    """A morning touching every rule kind, as ("observe", record, now) and ("tick", None, now) steps.
    The middle (`SPLIT`) leaves a breach pending, rate points mid-window, an incident open and a camera
    whose silence is not yet due."""
    steps: list[tuple[str, Any, int]] = [("observe", r, r["window_end"]) for r in weekly([100, 110, 90, 100])]
    steps += [("observe", indicator("heartbeat", 1.0, B), B)]
    steps += [("observe", indicator("speed", 10, B + k * MIN), B + k * MIN) for k in range(1, 4)]
    steps += [
        ("observe", indicator("level", 300 + k, B + 10 * k * MIN, "ST-1", "station"), B) for k in range(4)
    ]
    steps += [("observe", incident(B + 2 * MIN), B + 2 * MIN)]
    steps += [("observe", indicator("speed", 10, B + k * MIN), B + k * MIN) for k in range(4, 8)]
    steps += [("tick", None, B + 10 * MIN)]
    steps += [("observe", indicator("volume", 200, B + MIN), B + 11 * MIN)]
    steps += [("observe", indicator("heartbeat", 1.0, B + 12 * MIN), B + 12 * MIN)]
    steps += [("observe", indicator("level", 340, B + 40 * MIN, "ST-1", "station"), B + 40 * MIN)]
    steps += [("tick", None, B + 40 * MIN)]
    return steps


SPLIT = 13


def run(alerts: AlertEngine, steps: list[tuple[str, Any, int]]) -> list[AlertChange]:
    """Play steps into an engine, collecting every change."""
    changes: list[AlertChange] = []
    for action, record, now in steps:
        changes += alerts.observe(record, now) if action == "observe" else alerts.tick(now)
    return changes


def test_the_mixed_morning_opens_what_it_should() -> None:
    """Worked through: congestion from B+1 min opens at B+6 min; the camera silent since B is due at
    B+5 min; 200 vehicles on the usual hour opens a deviation; the heartbeat at B+12 min ends the silence;
    the level rises (340 − 300)/(40/60 h) = 60 cm/h; by the last tick the camera has been silent again
    since B+12 min, a new episode due at B+17 min, and the accident at B+2 min has ended at B+32 min."""
    changes = run(AlertEngine(RuleSet("test", MIXED)), mixed_steps())
    assert [(c.rule_id, c.state, c.updated_at) for c in changes] == [
        ("incident.accident", "open", B + 2 * MIN),
        ("traffic.congestion", "open", B + 6 * MIN),
        ("camera.silent", "open", B + 5 * MIN),
        ("traffic.unusual", "open", B + MIN),
        ("camera.silent", "resolved", B + 12 * MIN),
        ("water.rising", "open", B + 40 * MIN),
        ("camera.silent", "open", B + 17 * MIN),
        ("incident.accident", "resolved", B + 32 * MIN),
    ]
    silences = [c.alert_id for c in changes if c.rule_id == "camera.silent"]
    assert silences[0] == silences[1] != silences[2]


def test_replaying_the_same_input_gives_the_same_alerts() -> None:
    """No wall clock, no randomness: ids, revisions, stamps and values repeat exactly."""
    first = run(AlertEngine(RuleSet("test", MIXED)), mixed_steps())
    second = run(AlertEngine(RuleSet("test", MIXED)), mixed_steps())
    assert first == second
    assert len(first) == 8


def test_state_survives_a_json_round_trip() -> None:
    """The Faust table keeps the state as JSON: an engine restarted from it mid-way behaves exactly as
    the one that never stopped."""
    steps = mixed_steps()
    never_stopped = AlertEngine(RuleSet("test", MIXED))
    run(never_stopped, steps[:SPLIT])
    expected = run(never_stopped, steps[SPLIT:])

    before = AlertEngine(RuleSet("test", MIXED))
    run(before, steps[:SPLIT])
    restored = AlertEngine(RuleSet("test", MIXED), state=json.loads(json.dumps(before.state)))
    assert run(restored, steps[SPLIT:]) == expected
    assert {c.rule_id for c in expected} == {r.id for r in MIXED}


def test_state_of_a_removed_rule_is_left_alone() -> None:
    """After the rule file drops a rule, its old state must not break the tick."""
    alerts = engine(SILENT)
    alerts.observe(indicator("heartbeat", 1.0, T0), T0)
    assert AlertEngine(RuleSet("test", (AQI,)), state=alerts.state).tick(T0 + HOUR) == []


def test_a_rule_redefined_as_another_kind_starts_afresh() -> None:
    """Same id, new kind: the old entry has another shape, so the tick skips it and the next observation
    replaces it instead of reading fields that are not there."""
    alerts = engine(SILENT)
    alerts.observe(indicator("heartbeat", 1.0, T0), T0)
    redefined = rule(
        "threshold",
        "camera.silent",
        watch={"indicators": ["heartbeat"]},
        direction="below",
        trigger=1,
        clear=2,
    )
    restarted = AlertEngine(RuleSet("test", (redefined,)), state=alerts.state)
    assert restarted.tick(T0 + HOUR) == []
    assert summary(restarted.observe(indicator("heartbeat", 0.0, T0 + HOUR), T0 + HOUR)) == [
        ("open", 0, T0 + HOUR)
    ]


# --- CAP records ---------------------------------------------------------------------------------------

PARSED_ALERTS = fastavro.parse_schema(load_schema("derived/alerts"))


def starter_changes() -> tuple[RuleSet, list[AlertChange]]:
    """The starter rules fed a congestion, a silent camera, a rising river past alarm levels and the
    three incident types, so that every kind of rule and every change state occurs."""
    ruleset = load_rules(STARTER)
    alerts = AlertEngine(ruleset)
    changes = feed(
        alerts, [indicator("traffic.average_speed", 10, T0 + k * MIN, "CAM-0001") for k in range(6)]
    )
    changes += feed(alerts, [indicator("traffic.average_speed", 25, T0 + 6 * MIN, "CAM-0001")])
    alerts.observe(indicator("input_health.camera_heartbeat", 1.0, T0, "CAM-0002"), T0)
    changes += alerts.tick(T0 + 5 * MIN)
    levels = [
        indicator("environment.water_level", 440 + 10 * k, T0 + 10 * k * MIN, "TV-MAU-01", "station")
        for k in range(8)
    ]
    changes += feed(alerts, levels)
    for k, kind in enumerate(["accident", "fire_smoke", "fight"]):
        changes += feed(alerts, [incident(T0 + k * MIN, kind, f"CAM-00{k + 3}")])
    changes += alerts.tick(T0 + 2 * HOUR)
    return ruleset, changes


def test_every_record_matches_the_alerts_schema() -> None:
    """Each change of the starter rules and of the mixed morning (which adds a deviation) encodes as
    `derived/alerts`, and carries every value its rule's templates may use."""
    ruleset, changes = starter_changes()
    assert {c.state for c in changes} == {"open", "updated", "resolved"}
    mixed = RuleSet("test", MIXED)
    pairs = [(c, ruleset.by_id[c.rule_id]) for c in changes]
    pairs += [(c, mixed.by_id[c.rule_id]) for c in run(AlertEngine(mixed), mixed_steps())]
    assert {type(rule_) for _, rule_ in pairs} == set(MODELS.values())
    for change, rule_ in pairs:
        assert set(rule_.NUMBERS) <= set(change.values)
        record = to_alert_record(change, rule_, SENDER, area_desc="Phường Trấn Biên")
        assert fastavro.validation.validate(record, PARSED_ALERTS, raise_errors=True)


def test_open_and_resolved_records_in_cap_terms() -> None:
    """Congestion of CAM-0001: below 15 km/h from minute 0, opened at minute 5 (07:05 local), resolved by
    25 km/h at minute 6. The opening is a CAP Alert; the end an Update with urgency Past that refers to it."""
    ruleset, changes = starter_changes()
    rule_ = ruleset.by_id["traffic.congestion"]
    opened, resolved = (c for c in changes if c.rule_id == "traffic.congestion")
    record = to_alert_record(opened, rule_, SENDER, area_desc="Phường Trấn Biên")
    alert_id = "ALR-traffic.congestion-camera-CAM-0001-20240101T000500.000Z"
    assert {
        k: record[k] for k in ("alert_id", "identifier", "msg_type", "references", "urgency", "state")
    } == {
        "alert_id": alert_id,
        "identifier": alert_id + "-r0",
        "msg_type": "Alert",
        "references": "",
        "urgency": "Immediate",
        "state": "open",
    }
    assert record["headline_vi"] == "Ùn tắc tại camera CAM-0001: 10 km/h"
    assert record["description_vi"] == (
        "Tốc độ trung bình tại camera CAM-0001 (Phường Trấn Biên) là 10.0 km/h lúc 07:05 01/01/2024, dưới"
        " 15 km/h từ 5 phút trở lên. Cảnh báo kết thúc khi tốc độ trở lại từ 20 km/h."
    )
    assert (record["sent"], record["opened_at"], record["resolved_at"]) == (T0 + 5 * MIN, T0 + 5 * MIN, None)
    assert (record["category"], record["cap_category"], record["severity"]) == (
        "traffic",
        "Transport",
        "Moderate",
    )

    end = to_alert_record(resolved, rule_, SENDER)
    assert {
        k: end[k] for k in ("identifier", "msg_type", "references", "urgency", "state", "resolved_at")
    } == {
        "identifier": alert_id + "-r1",
        "msg_type": "Update",
        "references": f"{SENDER},{alert_id}-r0,2024-01-01T00:05:00-00:00",
        "urgency": "Past",
        "state": "resolved",
        "resolved_at": T0 + 6 * MIN,
    }
    assert end["headline_vi"] == "Đã kết thúc: Ùn tắc tại camera CAM-0001: 25 km/h"
    assert end["area_desc"] == ""
    # No area name given: the code stands in. An ended alert says so, with nothing left to do.
    assert end["description_vi"] == (
        "Tốc độ tại camera CAM-0001 (26734) đã trở lại 25 km/h lúc 07:06 01/01/2024; ùn tắc ghi nhận từ"
        " 07:05 01/01/2024 đã kết thúc."
    )
    assert (record["instruction_vi"] != "", end["instruction_vi"]) == (True, "")


def test_identifiers_are_unique_per_message() -> None:
    """CAP identifiers must never repeat, across alerts and across revisions of one alert."""
    ruleset, changes = starter_changes()
    identifiers = [to_alert_record(c, ruleset.by_id[c.rule_id], SENDER)["identifier"] for c in changes]
    assert len(identifiers) == len(set(identifiers))


def test_the_starter_form_rule_names_the_indicator_off_plan_and_ends_when_back_within_it() -> None:
    """public_service.form_off_plan: a form indicator's plan gap (its period's window, revised as units
    report) opens an alert above 10 %, named by the indicator's Vietnamese name (the record's label);
    an empty gap (units still to report) changes nothing; back at 5 % or less it ends."""
    ruleset = load_rules(STARTER)
    rule_ = ruleset.by_id["public_service.form_off_plan"]
    alerts = AlertEngine(ruleset)
    name = "Công suất sử dụng giường bệnh"
    gaps = [
        indicator(
            "public_service.form_plan_gap_pct", value, T0, "BC-YT-THANG/YT-05", "form_indicator", final=False
        )
        | {"label": name, "area_code": "75"}
        for value in (None, 15.0, None, 4.0)
    ]
    changes = feed(alerts, gaps)
    assert [(c.rule_id, c.entity_id, c.state) for c in changes] == [
        ("public_service.form_off_plan", "BC-YT-THANG/YT-05", "open"),
        ("public_service.form_off_plan", "BC-YT-THANG/YT-05", "resolved"),
    ]
    opened = to_alert_record(changes[0], rule_, SENDER, area_desc="Tỉnh Đồng Nai")
    assert opened["headline_vi"] == f"{name}: lệch kế hoạch 15%"
    assert opened["description_vi"].startswith(
        f'Chỉ tiêu "{name}" (BC-YT-THANG/YT-05) toàn tỉnh lệch kế hoạch 15.0%'
    )
    ended = to_alert_record(changes[1], rule_, SENDER, area_desc="Tỉnh Đồng Nai")
    assert (
        f'Chỉ tiêu "{name}" (BC-YT-THANG/YT-05) đã trở lại trong phạm vi kế hoạch (lệch 4.0%)'
        in ended["description_vi"]
    )


def test_the_starter_hotline_rule_alerts_on_an_areas_overdue_tickets_in_vietnamese() -> None:
    """public_service.hotline_overdue: an area's overdue hotline tickets (day windows, every few
    minutes as the stream time moves) open an alert at 6 (above 5), update it at 3 (a material change,
    not yet at the clear level 2) and end it at 2; another area with 4 never alerts."""
    ruleset = load_rules(STARTER)
    rule_ = ruleset.by_id["public_service.hotline_overdue"]
    alerts = AlertEngine(ruleset)
    code = "public_service.hotline_tickets_overdue"
    ward = [
        indicator(code, value, T0 + k * 5 * MIN, "26734", "area", final=False)
        for k, value in enumerate((4, 6, 3, 2))
    ]
    other = [indicator(code, 4, T0 + 5 * MIN, "26735", "area", final=False) | {"area_code": "26735"}]
    changes = feed(alerts, ward[:2] + other + ward[2:])
    assert [(c.rule_id, c.entity_id, c.state) for c in changes] == [
        ("public_service.hotline_overdue", "26734", "open"),
        ("public_service.hotline_overdue", "26734", "updated"),
        ("public_service.hotline_overdue", "26734", "resolved"),
    ]
    opened = to_alert_record(changes[0], rule_, SENDER, area_desc="Phường Trấn Biên")
    assert opened["headline_vi"] == "Phường Trấn Biên: 6 phản ánh quá hạn xử lý"
    assert opened["description_vi"] == (
        "Phường Trấn Biên có 6 phản ánh của người dân qua đường dây nóng chưa được xử lý xong quá thời hạn"
        " lúc 07:05 01/01/2024 (ngưỡng 5)."
    )
    assert (opened["category"], opened["severity"]) == ("public_service", "Minor")
    ended = to_alert_record(changes[2], rule_, SENDER, area_desc="Phường Trấn Biên")
    assert ended["description_vi"] == (
        "Số phản ánh quá hạn tại Phường Trấn Biên đã giảm còn 2 lúc 07:15 01/01/2024; cảnh báo từ 07:05"
        " 01/01/2024 kết thúc."
    )
