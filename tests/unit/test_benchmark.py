"""The benchmark's pure parts: the peers' shared aggregation, the lag trend and the target ratios."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from load_tests.benchmark.aggregate import KEEP_MS, WindowTotals
from load_tests.benchmark.measure import Result, lag_slope
from load_tests.benchmark.report import targets

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def record(camera: str, at: datetime, count: int, speed: float | None) -> dict[str, object]:
    return {"camera_id": camera, "observed_at": at, "vehicle_count": count, "average_speed_kmh": speed}


def test_windows_sum_volume_and_weight_speed_by_vehicles() -> None:
    totals = WindowTotals()
    totals.add(
        [
            record("A", T0 + timedelta(seconds=5), 10, 40.0),
            record("A", T0 + timedelta(seconds=50), 30, 60.0),
            record("A", T0 + timedelta(seconds=70), 4, None),
            record("B", T0 + timedelta(seconds=1), 2, 20.0),
        ]
    )
    start = int(T0.timestamp() * 1000)
    rows = sorted(totals.drain_touched())
    assert rows == [("A", start, 40.0, 55.0), ("A", start + 60_000, 4.0, None), ("B", start, 2.0, 20.0)]
    assert totals.drain_touched() == []  # nothing changed since


def test_windows_far_behind_the_newest_event_are_forgotten() -> None:
    totals = WindowTotals()
    totals.add([record("A", T0, 1, 30.0)])
    totals.drain_touched()
    totals.add([record("A", T0 + timedelta(milliseconds=KEEP_MS + 60_000), 1, 30.0)])
    totals.drain_touched()
    assert [start for _, start in totals.totals] == [int(T0.timestamp() * 1000) + KEEP_MS + 60_000]


def test_lag_slope_is_the_growth_per_second() -> None:
    assert lag_slope([(t / 4, 100 + 20 * t / 4) for t in range(20)]) == 20
    assert lag_slope([(t / 4, 100 if t % 4 else 160) for t in range(20)]) < 5  # a commit saw-tooth


def result(name: str, sustained: float, p99: float | None = None) -> Result:
    outcome = Result(name, name, sustained_eps=sustained)
    if p99 is not None:
        outcome.latency.append({"label": "70% sustained", "p50_s": p99 / 2, "p99_s": p99})
    return outcome


def test_targets_are_ratios_of_the_same_run() -> None:
    rows = targets(
        [
            result("platform", 9_000, p99=3.0),
            result("python_ceiling", 10_000),
            result("quix", 5_000),
            result("naive_faust", 1_000),
        ]
    )
    by_target = {row["target"]: (row["value"], row["met"]) for row in rows}
    assert by_target["platform sustained ≥ 0.8× python_ceiling"] == (0.9, True)
    assert by_target["platform sustained ≥ 1.5× quix"] == (1.8, True)
    assert by_target["platform sustained ≥ 10.0× naive_faust"] == (9.0, False)
    assert by_target["platform p99 < 2.5 s at 70% of sustained"] == (3.0, False)
