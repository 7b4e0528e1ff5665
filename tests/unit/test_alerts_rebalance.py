"""The alerts agent after a rebalance: it keeps only the rule state of the partitions it owns and
rebuilds its engine from the table, instead of judging with the engine built at its first start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streams.alerts_agent import AlertProcessor
from streams.model.alerting import load_rules


class Table:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def send_changelog(self, partition: int, key: str, value: Any) -> None:
        """Writes are not under test here."""


RULES = load_rules(Path(__file__).resolve().parents[2] / "config" / "alert_rules.yaml")


def test_reset_drops_entries_of_revoked_partitions_and_rebuilds_the_engine() -> None:
    table = Table({"a": {"partition": 0, "entry": {"n": 1}}, "b": {"partition": 2, "entry": {"n": 2}}})
    processor = AlertProcessor(RULES, table, encoder=None, sender="test")  # type: ignore[arg-type]
    first = processor.engine()
    assert set(first.state) == {"a", "b"}
    table.data["c"] = {"partition": 2, "entry": {"n": 3}}  # recovered for a newly assigned partition
    processor.reset({2})
    rebuilt = processor.engine()
    assert rebuilt is not first
    assert set(rebuilt.state) == {"b", "c"}


def test_reset_with_no_assignment_keeps_every_entry() -> None:
    table = Table({"a": {"partition": 0, "entry": {"n": 1}}})
    processor = AlertProcessor(RULES, table, encoder=None, sender="test")  # type: ignore[arg-type]
    processor.reset(set())
    assert set(processor.engine().state) == {"a"}
