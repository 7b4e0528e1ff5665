"""Alerting: rules as configuration, a pure engine that turns observations into alert changes, and
their CAP 1.2 form for `ioc.derived.alerts`. The Faust agent around it stays thin and lives elsewhere:
it loads the rules once at start-up, feeds `AlertEngine.observe` and `tick`, keeps `engine.state` in a
table and sends `to_alert_record(...)` of every change."""

from streams.model.alerting.cap import to_alert_record
from streams.model.alerting.engine import AlertEngine
from streams.model.alerting.errors import AlertingError, ObservationError, RuleConfigError
from streams.model.alerting.lifecycle import AlertChange
from streams.model.alerting.rules import Rule, RuleSet, load_rules

__all__ = [
    "AlertChange",
    "AlertEngine",
    "AlertingError",
    "ObservationError",
    "Rule",
    "RuleConfigError",
    "RuleSet",
    "load_rules",
    "to_alert_record",
]
