"""Unit tests for streams.model.alerting.rules: the rule file is validated at start-up with errors an operator
can act on (file, rule index and id, field), and the starter rule file loads.

Expected messages are written out in full, so a reworded or misplaced error fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.model.alerting.errors import RuleConfigError
from streams.model.alerting.rules import (
    AbsenceRule,
    DeviationRule,
    IncidentRule,
    RateOfChangeRule,
    ThresholdRule,
    load_rules,
)

STARTER = Path(__file__).parents[2] / "config" / "alert_rules.yaml"
CLASSIFICATION = """
    category: traffic
    cap_category: Transport
    severity: Moderate
    urgency: Immediate
    event_vi: Ùn tắc giao thông
"""
HEADLINE = '    headline_vi: "Ùn tắc tại {entity_id}: {value:.0f} km/h"\n'
COMMON = CLASSIFICATION + HEADLINE


def write(tmp_path: Path, text: str) -> Path:
    """A rule file in the test's own folder."""
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    """The problems load_rules reports for a file it must reject."""
    with pytest.raises(RuleConfigError) as caught:
        load_rules(path)
    return caught.value.problems


def threshold_rule(rule_id: str = "traffic.congestion", extra: str = "") -> str:
    """One valid threshold rule as YAML, with `extra` lines appended."""
    return f"""
  - id: {rule_id}
    kind: threshold{COMMON}
    watch: {{indicators: [traffic.average_speed]}}
    direction: below
    trigger: 15
    clear: 20{extra}
"""


def test_starter_rules_load_with_every_kind() -> None:
    """The shipped file must load, or the alert agent would not start on a fresh install."""
    ruleset = load_rules(STARTER)
    kinds = {type(rule) for rule in ruleset.rules}
    assert kinds == {ThresholdRule, RateOfChangeRule, AbsenceRule, DeviationRule, IncidentRule}
    congestion = ruleset.by_id["traffic.congestion"]
    assert isinstance(congestion, ThresholdRule)
    assert (congestion.direction, congestion.trigger, congestion.clear, congestion.min_duration_s) == (
        "below",
        15,
        20,
        300,
    )
    aqi = ruleset.by_id["environment.aqi_bad"]
    assert isinstance(aqi, ThresholdRule)
    assert (aqi.direction, aqi.trigger, aqi.clear, aqi.min_duration_s, aqi.final_only) == (
        "above",
        150,
        140,
        3600,
        True,
    )
    rising = ruleset.by_id["environment.water_level_rising"]
    assert isinstance(rising, RateOfChangeRule)
    assert (rising.per_hour, rising.window_s) == (20, 3600)
    silences = {r.id: r.silence_s for r in ruleset.rules if isinstance(r, AbsenceRule)}
    assert silences == {"input_health.camera_silent": 300, "input_health.sensor_silent": 900}
    incidents = {t for r in ruleset.rules if isinstance(r, IncidentRule) for t in r.watch.incident_types}
    assert incidents == {"accident", "fire_smoke", "fight"}


def test_a_valid_file_keeps_rule_order_and_defaults(tmp_path: Path) -> None:
    """File order is the order an observation's alerts come out; defaults are the documented ones."""
    path = write(tmp_path, "rules:" + threshold_rule("b.rule") + threshold_rule("a.rule"))
    ruleset = load_rules(path)
    assert [rule.id for rule in ruleset.rules] == ["b.rule", "a.rule"]
    rule = ruleset.rules[0]
    assert (rule.update_interval_s, rule.reminder_s, rule.material_change, rule.certainty) == (
        300,
        3600,
        0.1,
        "Observed",
    )
    assert ruleset.source == str(path)


def test_every_problem_is_reported_with_file_rule_and_field(tmp_path: Path) -> None:
    """One run lists all mistakes, each locatable without reading Python."""
    path = write(
        tmp_path,
        "rules:"
        + threshold_rule("traffic.congestion")
        + threshold_rule("traffic.congestion")  # duplicate id
        + threshold_rule("speed.wrong-side", "\n    clear: 10").replace("    clear: 20\n", "")
        + """
  - id: camera.silent
    kind: silence
  - id: Bad Id
    kind: absence"""
        + COMMON
        + """    watch: {indicators: [input_health.camera_heartbeat]}
    silense_s: 300
""",
    )
    assert problems_of(path) == [
        f"{path}: rules[1] (id=traffic.congestion): id: duplicate of rules[0]",
        f"{path}: rules[2] (id=speed.wrong-side): clear: must be above trigger (15) when direction is below"
        " (hysteresis)",
        f"{path}: rules[3] (id=camera.silent): kind: unknown kind 'silence'; must be one of threshold,"
        " rate_of_change, absence, deviation, incident",
        f"{path}: rules[4] (id=Bad Id): id: must be lowercase letters and digits joined by '.', '_' or '-',"
        " for example traffic.congestion",
        f"{path}: rules[4] (id=Bad Id): headline_vi: unknown field {{value}}; use one of: rule_id,"
        " entity_type, entity_id, area_code, area_desc, opened, time, silence_min, limit_min",
        f"{path}: rules[4] (id=Bad Id): silence_s: required, but missing",
        f"{path}: rules[4] (id=Bad Id): silense_s: unknown field (misspelt, or not a field of this kind of"
        " rule)",
    ]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "\n    direction: above\n    trigger: 150\n    clear: 150",
            "clear: must be below trigger (150) when",
        ),
        (
            "\n    direction: sideways\n    trigger: 1\n    clear: 2",
            "direction: Input should be 'above' or 'below'",
        ),
        (
            "\n    direction: above\n    trigger: high\n    clear: 2",
            "trigger: Input should be a valid number",
        ),
        (
            "\n    direction: above\n    trigger: 2\n    clear: 1\n    min_duration_s: -5",
            "min_duration_s: Input",
        ),
        (
            "\n    direction: above\n    trigger: 2\n    clear: 1\n    reminder_s: 60",
            "reminder_s: must be at",
        ),
    ],
)
def test_bad_threshold_values_name_the_field(tmp_path: Path, extra: str, expected: str) -> None:
    """Each bad value is reported against its own field."""
    text = f"""rules:
  - id: t.rule
    kind: threshold{COMMON}    watch: {{indicators: [traffic.volume]}}{extra}
"""
    problems = problems_of(write(tmp_path, text))
    assert len(problems) == 1
    assert problems[0].startswith(f"{tmp_path / 'rules.yaml'}: rules[0] (id=t.rule): {expected}")


@pytest.mark.parametrize(
    ("kind_fields", "expected"),
    [
        (
            "kind: rate_of_change\n    direction: rising\n    per_hour: 20\n    clear_per_hour: 25\n    window_s: 3600",
            "clear_per_hour: must be below per_hour (20) (hysteresis)",
        ),
        (
            "kind: deviation\n    direction: either\n    sigma: 3\n    clear_sigma: 3\n    min_samples: 1",
            "clear_sigma: must be below sigma (3) (hysteresis)",
        ),
        ("kind: incident\n    auto_resolve_s: 0", "watch.incident_types: required, but missing"),
    ],
)
def test_other_kinds_check_their_fields(tmp_path: Path, kind_fields: str, expected: str) -> None:
    """Hysteresis of rates and deviations, and the incident selector, are checked like thresholds."""
    text = f"""rules:
  - id: k.rule
    {kind_fields}
    category: traffic
    cap_category: Transport
    severity: Moderate
    urgency: Immediate
    event_vi: Sự kiện
    headline_vi: "{{entity_id}}"
    watch: {{indicators: [traffic.volume]}}
"""
    problems = problems_of(write(tmp_path, text))
    assert f"{tmp_path / 'rules.yaml'}: rules[0] (id=k.rule): {expected}" in problems


def test_deviation_needs_two_samples_and_incident_a_positive_auto_resolve(tmp_path: Path) -> None:
    """A standard deviation needs two samples; auto-resolving after 0 s would end alerts at once."""
    text = f"""rules:
  - id: d.rule
    kind: deviation{CLASSIFICATION}    watch: {{indicators: [traffic.volume]}}
    direction: above
    sigma: 3
    min_samples: 1
    headline_vi: "{{entity_id}}"
  - id: i.rule
    kind: incident{CLASSIFICATION}    watch: {{incident_types: [accident]}}
    auto_resolve_s: 0
    headline_vi: "{{description}}"
"""
    prefix = str(tmp_path / "rules.yaml")
    assert problems_of(write(tmp_path, text)) == [
        f"{prefix}: rules[0] (id=d.rule): min_samples: Input should be greater than or equal to 2",
        f"{prefix}: rules[1] (id=i.rule): auto_resolve_s: Input should be greater than 0",
    ]


def test_a_rule_may_watch_only_codes_of_the_indicator_catalog(tmp_path: Path) -> None:
    """A misspelt or retired code would make a rule that never fires; family members and the liveness
    signals of absence rules are codes too."""
    path = write(
        tmp_path,
        "rules:"
        + threshold_rule("a.rule").replace(
            "[traffic.average_speed]", "[traffic.speed, traffic.violations.red_light]"
        )
        + threshold_rule("b.rule").replace("[traffic.average_speed]", "[traffic.violations.red_lights]")
        + """
  - id: c.rule
    kind: absence"""
        + CLASSIFICATION
        + """    headline_vi: "{entity_id}"
    watch: {indicators: [input_health.camera_heartbeat]}
    silence_s: 300
""",
    )
    assert problems_of(path) == [
        f"{path}: rules[0] (id=a.rule): watch.indicators[0]: unknown indicator code 'traffic.speed'; did you"
        " mean traffic.speed_ratio? (the codes are listed in docs/indicators.md)",
        f"{path}: rules[1] (id=b.rule): watch.indicators[0]: unknown indicator code"
        " 'traffic.violations.red_lights'; did you mean traffic.violations.red_light? (the codes are listed in"
        " docs/indicators.md)",
    ]


def test_template_with_a_format_spec_its_field_cannot_take(tmp_path: Path) -> None:
    """`{entity_id:.1f}` would fail on the first alert; it fails at start-up instead."""
    text = "rules:" + threshold_rule().replace("{value:.0f} km/h", "{entity_id:.1f}")
    (problem,) = problems_of(write(tmp_path, text))
    assert problem == (
        f"{tmp_path / 'rules.yaml'}: rules[0] (id=traffic.congestion): headline_vi: cannot be formatted"
        " (Unknown format code 'f' for object of type 'str')"
    )


def test_unbalanced_brace_in_a_template(tmp_path: Path) -> None:
    """A stray brace is a template error, with the hint how to write a literal one."""
    text = "rules:" + threshold_rule().replace("{value:.0f} km/h", "{value km/h")
    (problem,) = problems_of(write(tmp_path, text))
    assert problem.endswith(
        "headline_vi: not a valid template (expected '}' before end of string); write a"
        " literal brace as {{ or }}"
    )


def test_incident_templates_may_use_the_description(tmp_path: Path) -> None:
    """Incident texts have the event's description and type; other kinds do not."""
    text = f"""rules:
  - id: i.rule
    kind: incident{CLASSIFICATION}    watch: {{incident_types: [accident]}}
    headline_vi: "{{incident_type}}: {{description}} ({{count:.0f}})"
"""
    (rule,) = load_rules(write(tmp_path, text)).rules
    assert isinstance(rule, IncidentRule)
    assert rule.headline_vi == "{incident_type}: {description} ({count:.0f})"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rules: [\n  - id: a\n", "not valid YAML: "),
        ("- id: a\n", "rules: the file must be a mapping with a list under `rules`"),
        ("rules: {id: a}\n", "rules: the file must be a mapping with a list under `rules`"),
        ("rules: [3]\n", "rules[0]: must be a mapping of fields, not int"),
        ("rules: []\nrulez: []\n", "rulez: unknown top-level key; only `rules` is read"),
    ],
)
def test_file_level_problems(tmp_path: Path, text: str, expected: str) -> None:
    """A broken file is reported as such, still naming the file."""
    (problem,) = problems_of(write(tmp_path, text))
    assert problem.startswith(f"{tmp_path / 'rules.yaml'}: {expected}")


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    """A wrong path at start-up reads as a configuration problem, not a traceback."""
    path = tmp_path / "absent.yaml"
    assert problems_of(path) == [f"{path}: cannot be read: No such file or directory"]
