"""The alerting package's errors, under one base so the agent can catch them together."""

from __future__ import annotations


class AlertingError(Exception):
    """Base of every error raised by `streams.model.alerting`."""


class RuleConfigError(AlertingError):
    """The rule file cannot be used. Carries every problem found, not just the first, so an operator
    fixes the YAML in one pass; each problem reads `<file>: rules[i] (id=…): field: message`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid alert rules:\n" + "\n".join(f"  - {p}" for p in problems))


class ObservationError(AlertingError):
    """An observation lacks a field the engine needs; the agent dead-letters it instead of crashing."""
