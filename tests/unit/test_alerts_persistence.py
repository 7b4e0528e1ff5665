"""What the alerts agent writes to its changelog: each entity's entry on the partition its
observations came from, and per batch only the entries that batch changed (not every entry held)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streams.alerts_agent import AlertProcessor
from streams.model.alerting import load_rules
from tests.unit.test_windowed import Table

RULES = load_rules(Path(__file__).resolve().parents[2] / "config" / "alert_rules.yaml")
T0 = 1_704_067_200_000
MIN = 60_000


def speed(camera: str, value: float, end: int) -> dict[str, Any]:
    """A camera's average speed over the minute ending at `end` (watched by traffic.congestion)."""
    return {
        "indicator": "traffic.average_speed",
        "entity_type": "camera",
        "entity_id": camera,
        "area_code": "26734",
        "window_start": end - MIN,
        "window_end": end,
        "value": value,
        "is_final": True,
    }


def test_each_entry_is_written_on_its_partition_and_only_when_its_batch_changed_it() -> None:
    table = Table()
    processor = AlertProcessor(RULES, table, encoder=None, sender="test")  # type: ignore[arg-type]
    processor.observe({0: [speed("CAM-A", 40, T0)], 3: [speed("CAM-B", 40, T0)]}, T0)
    first = {key: partition for partition, key in table.changelog}
    assert sorted(first.values()) == [0, 3]
    key_a = next(key for key in first if "CAM-A" in key)
    key_b = next(key for key in first if "CAM-B" in key)
    assert first[key_b] == 3

    table.changelog.clear()
    processor.observe({0: [speed("CAM-A", 42, T0 + MIN)]}, T0 + MIN)
    assert table.changelog == [(0, key_a)]  # CAM-B's entry is held but untouched: not written again

    table.changelog.clear()
    processor.observe({0: [speed("CAM-A", 42, T0 + MIN)]}, T0 + MIN)  # the same minute again
    assert table.changelog == []  # observed, but its entry came out the same: nothing to write
