"""The benchmark's pure parts: the ceiling's aggregation (checked against the platform's own engine),
the lag trend, the target ratios, the pipelines and how the platform's workers are started."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import TopicPartition
from confluent_kafka.admin import MemberAssignment, MemberDescription
from pydantic import SecretStr

from ioc.settings import Settings, WarehouseSettings
from ioc.stack.services import warehouse_launch
from load_tests.benchmark import run
from load_tests.benchmark.aggregate import HOUR_MS, KEEP_MS, Layout, ProvinceTotals
from load_tests.benchmark.driver import input_partitions
from load_tests.benchmark.layout import layout_json
from load_tests.benchmark.measure import Result, Target, lag_floor, lag_slope
from load_tests.benchmark.modes import MODES
from load_tests.benchmark.pipelines import (
    NAIVE,
    PIPELINES,
    PLATFORM,
    PLATFORM_2W,
    ProcessSpec,
    processes,
)
from load_tests.benchmark.procstat import peak_rss_mb
from load_tests.benchmark.report import P99_TARGETS, document, target_verdict, targets
from streams.model.traffic import TrafficModel
from streams.model.windows import to_millis
from tests.unit.stream_harness import Deployment
from tests.unit.test_traffic import PROVINCE
from topics.catalog import CAMERA_VEHICLE_COUNTS

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
START = to_millis(T0)


def totals() -> ProvinceTotals:
    """The ceiling's totals over the test province, its layout through JSON as the benchmark sends it."""
    return ProvinceTotals(Layout.from_json(json.loads(json.dumps(layout_json(PROVINCE)))))


MIN_MS = 60_000


def rec(event_id: str, at_ms: int, count: int, speed: float | None, camera: str) -> dict[str, Any]:
    """A vehicle-count record as the engine's intake hands it to a model (instants in epoch ms)."""
    return {
        "event_id": event_id,
        "camera_id": camera,
        "observed_at": at_ms,
        "vehicle_count": count,
        "average_speed_kmh": speed,
    }


RECORDS = [  # in time order: none is late for the platform (the benchmark sends none late either)
    rec("e", START + 1_000, 6, 30.0, camera="CAM-9"),  # not configured: counts for the province
    rec("a", START + 5_000, 10, 40.0, camera="CAM-1"),
    rec("c", START + 20_000, 4, None, camera="CAM-2"),
    rec("b", START + 50_000, 30, 60.0, camera="CAM-1"),
    rec("d", START + 7 * MIN_MS, 2, 20.0, camera="CAM-1"),
]


def platform_finals(records: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, float | None]]:
    """The platform's engine (its source tasks and the owners of its totals, as `ioc worker` runs them)
    over the records, every window closed by a wall clock far ahead; the finals keyed as the
    ceiling keys its rows."""
    engine = Deployment(TrafficModel(PROVINCE), partitions=1, owners=2, opened_ms=START)
    engine.fold(0, records, START)
    far = START + 10 * 86_400_000
    for now in (far, far + 1):
        engine.run_until_quiet(now)
        engine.tick(now)
    engine.run_until_quiet(far + 1)
    out: dict[tuple[str, int], dict[str, float | None]] = {}
    for (code, kind, entity, start, end), value in engine.finals().items():
        if kind == "camera":
            key = entity
        elif kind == "intersection":
            key = f"intersection|{entity}"
        else:
            key = f"{kind}/{'1h' if end - start == 60 * MIN_MS else '1m'}|{entity}"
        out.setdefault((key, start), {})[code] = value
    return out


def test_ceiling_computes_what_the_platform_computes() -> None:
    """Every window the platform finalises (camera, intersection, area minutes, area hours by 5 min)
    has the same volume, speed, ratio and level in the ceiling's rows, and vice versa. The engine sums
    speeds in thousandths of a km/h (integers, for order-free totals), the ceiling in floats: equal
    to within float rounding."""
    expected = platform_finals(RECORDS)
    ceiling = totals()
    ceiling.add(RECORDS)
    rows = {(key, start): row for key, start, *row in ceiling.drain_touched()}
    assert set(rows) == set(expected)
    for window, (volume, speed, ratio, level) in rows.items():
        values = expected[window]
        assert values["traffic.volume"] == volume
        assert values["traffic.average_speed"] == pytest.approx(speed)
        assert values.get("traffic.speed_ratio") == pytest.approx(ratio)
        assert values.get("traffic.congestion_level") == (None if level is None else float(level))


def test_ceiling_counts_each_event_id_once() -> None:
    ceiling = totals()
    ceiling.add(RECORDS[:2])
    ceiling.drain_touched()
    ceiling.add(RECORDS[:2])
    assert ceiling.duplicates == 2
    assert ceiling.drain_touched() == []  # nothing changed


def test_ceiling_rows_only_for_windows_changed_since_last_drain() -> None:
    ceiling = totals()
    ceiling.add(RECORDS[:1])
    ceiling.drain_touched()
    ceiling.add([rec("x", START + 9_000, 1, 10.0, camera="CAM-2")])
    keys = {key for key, *_ in ceiling.drain_touched()}
    # CAM-2 is new; its intersection and areas changed too (12 hourly windows hold the pane).
    assert {"CAM-2", "intersection|INT-1", "area/1m|26001", "area/1h|26001"} <= keys
    assert "CAM-1" not in keys


def test_ceiling_forgets_windows_far_behind_the_newest_event() -> None:
    ceiling = totals()
    ceiling.add(RECORDS[:1])
    ceiling.drain_touched()
    later = START + HOUR_MS + KEEP_MS + 60_000
    ceiling.add([rec("late-enough", later, 1, 30.0, camera="CAM-1")])
    ceiling.drain_touched()
    assert {start for _, _, start in ceiling.minutes} == {later - later % 60_000}
    assert all(start > START for _, start in ceiling.panes)
    assert all(start > START for _, start in ceiling.seen)


def test_document_says_what_each_pipeline_computes() -> None:
    doc = document([Result("platform", "P"), Result("quix", "Q")], "short", "cmd", T0)
    computes = {p["pipeline"]: p["computes"] for p in doc["pipelines"]}
    assert "intersection" in computes["platform"] and "per-camera" in computes["quix"]


def test_platform_is_the_stream_engine_and_naive_faust_stays_faust() -> None:
    assert "Faust" not in PLATFORM.label and "exactly once" in PLATFORM.label
    assert "Kafka transactions" in PLATFORM.computes and "each event_id once" in PLATFORM.computes
    assert "Faust" in NAIVE.label


def test_lag_slope_is_the_growth_per_second() -> None:
    assert lag_slope([(t / 4, 100 + 20 * t / 4) for t in range(20)]) == 20
    assert lag_slope([(t / 4, 100 if t % 4 else 160) for t in range(20)]) < 5  # a commit saw-tooth


def sawtooth(t: float, backlog_per_s: float, last_batch_from_s: float = 99.0) -> float:
    """Committed lag at t: a batch's worth climbing each second and dropped at the commit, over a
    backlog; from `last_batch_from_s` on, the batch being processed is three times as big."""
    batch = 1200 if t >= last_batch_from_s else 400
    return backlog_per_s * t + batch * (t % 1.0)


def test_lag_floor_reads_through_the_commit_sawtooth() -> None:
    times = [t / 4 for t in range(32)]
    steady = [(t, round(sawtooth(t, 0, last_batch_from_s=7))) for t in times]
    growing = [(t, round(sawtooth(t, 50))) for t in times]
    half = len(times) // 2
    # A tall tooth at the step's end tilts a line fitted through the teeth; the floor stays flat.
    assert lag_slope(steady[half:]) > 50
    assert abs(lag_slope(lag_floor(steady)[half:])) < 1
    assert lag_slope(lag_floor(growing)[half:]) == pytest.approx(50, rel=0.1)
    assert lag_floor(steady, span_s=0)[5] == steady[5]  # no span: the readings themselves


def result(name: str, sustained: float, p99: float | None = None, p99_at_2000: float | None = None) -> Result:
    outcome = Result(name, name, sustained_eps=sustained)
    if p99 is not None:
        outcome.latency.append({"label": "70% sustained", "p50_s": p99 / 2, "p99_s": p99})
    if p99_at_2000 is not None:
        outcome.latency.append({"label": "2000/s", "p50_s": p99_at_2000 / 2, "p99_s": p99_at_2000})
    return outcome


def test_targets_are_the_issues_ratios_of_the_same_run() -> None:
    rows = targets(
        [
            result("platform", 9_000, p99=2.5, p99_at_2000=1.6),
            result("python_ceiling", 30_000),
            result("quix", 3_000),
            result("naive_faust", 1_000),
        ]
    )
    by_target = {row["target"]: (row["value"], row["met"]) for row in rows}
    assert by_target == {
        "platform sustained ≥ 0.35× python_ceiling": (0.3, False),
        "platform sustained ≥ 3.0× quix": (3.0, True),
        "platform sustained ≥ 10.0× naive_faust": (9.0, False),
        "platform p99 ≤ 2.5 s at 70% of sustained": (2.5, True),  # at the ceiling is within it
        "platform p99 ≤ 1.5 s at 2,000 records/s": (1.6, False),
    }


def test_a_target_without_its_phase_is_not_measured_rather_than_missed() -> None:
    rows = targets([result("platform", 9_000, p99=2.0)])
    row = next(r for r in rows if "2,000 records/s" in r["target"])
    assert row["value"] is None and row["met"] is False
    assert "not measured" in target_verdict(row)
    assert "missed" in target_verdict({"target": "t", "value": 1.6, "met": False})


def test_every_mode_measures_latency_at_a_provinces_peak_of_2000_per_second() -> None:
    assert all(2_000 in mode.fixed_rates for mode in MODES.values())
    assert {phase for phase, _, _ in P99_TARGETS} <= {"70% sustained", "1000/s", "2000/s"}


def test_the_warehouse_sinks_read_the_topic_prefix_its_stack_settings_have(tmp_path: Path) -> None:
    """The benchmark restarts the warehouse with a run's prefix so that its sinks store that run's results;
    an empty prefix is passed too, so that a prefix in the shell's environment does not leak in."""
    users = WarehouseSettings(ioc_writer_password=SecretStr("pw"))
    assert (warehouse_launch(tmp_path, 1, users, "bench.2w.").env or {}).get(
        "IOC_TOPIC_PREFIX"
    ) == "bench.2w."
    assert (warehouse_launch(tmp_path, 1, users).env or {}).get("IOC_TOPIC_PREFIX") == ""


def test_the_two_worker_platform_is_reported_beside_the_one_worker_platform() -> None:
    names = [p.name for p in PIPELINES]
    assert names == ["platform", "platform_2w", "python_ceiling", "quix", "naive_faust"]
    assert (PLATFORM.workers, PLATFORM_2W.workers) == (1, 2)
    assert PLATFORM_2W.label == "Platform, 2 workers" and PLATFORM_2W.computes == PLATFORM.computes
    # The same results table and probe query, so both rows are measured alike.
    assert PLATFORM_2W.probe_query() == PLATFORM.probe_query()


def test_each_platform_run_is_a_deployment_of_its_own() -> None:
    """Run one after the other on one broker, the runs share no topic (input, changelogs, indicators)
    and no consumer group, so the second neither restores the first's state nor sees its results."""
    assert PLATFORM.deployment == "" and PLATFORM_2W.deployment
    assert PLATFORM_2W.topic == CAMERA_VEHICLE_COUNTS.full_name(PLATFORM_2W.deployment) != PLATFORM.topic
    assert PLATFORM_2W.group == f"{PLATFORM_2W.deployment}ioc-streams" != PLATFORM.group
    # Naive Faust writes to the unprefixed indicators topic: the warehouse's sinks must read it then.
    assert NAIVE.deployment == ""
    assert all(p.deployment is None for p in PIPELINES if p.name in ("python_ceiling", "quix"))


def test_two_workers_are_two_ioc_worker_processes_with_their_own_instance_ids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    specs = processes(PLATFORM_2W, Path("cfg.json"), Path("quix-python"))
    assert [spec.name for spec in specs] == ["platform_2w-w1", "platform_2w-w2"]
    assert all(spec.argv[1:] == ["-m", "ioc.cli", "worker"] for spec in specs)
    ids = {spec.env["IOC_STREAMS_INSTANCE_ID"] for spec in specs}
    assert len(ids) == 2
    for spec in specs:  # the settings each worker builds from its environment
        for name, value in spec.env.items():
            monkeypatch.setenv(name, value)
        settings = Settings()
        assert f"{settings.topic_prefix}{settings.streams.app_id}" == PLATFORM_2W.group
        assert CAMERA_VEHICLE_COUNTS.full_name(settings.topic_prefix) == PLATFORM_2W.topic
    [single] = processes(PLATFORM, Path("cfg.json"), Path("quix-python"))
    assert single.env["IOC_TOPIC_PREFIX"] == "" and single.env["IOC_STREAMS_INSTANCE_ID"] not in ids
    [peer] = processes(NAIVE, Path("cfg.json"), Path("quix-python"))
    assert peer.env == {} and "cfg.json" in peer.argv


def test_a_target_is_measured_over_every_process_it_started() -> None:
    workers = [subprocess.Popen(["sleep", "30"]) for _ in range(2)]  # noqa: S603, S607 - a fixed command
    try:
        target = Target(tuple(w.pid for w in workers), 0, None, None, set, 100.0)  # type: ignore[arg-type]
        assert {w.pid for w in workers} <= set(target.pids())
        assert peak_rss_mb(target.pids()) == pytest.approx(sum(peak_rss_mb([w.pid]) for w in workers))
    finally:
        for w in workers:
            w.kill()
            w.wait()


def test_input_partitions_per_worker_of_a_group() -> None:
    def member(instance: str, partitions: list[int]) -> MemberDescription:
        tps = [TopicPartition("t", p) for p in partitions] + [TopicPartition("other", 0)]
        return MemberDescription(f"id-{instance}", "c", "h", MemberAssignment(tps), instance)

    assert input_partitions([member("w1", [0, 1, 2]), member("w2", [3, 4, 5])], "t") == {"w1": 3, "w2": 3}


def test_two_workers_are_compared_with_one_without_a_target() -> None:
    rows = targets([result("platform", 10_000), result("platform_2w", 8_000)])
    [row] = [r for r in rows if "2 workers" in r["target"]]
    assert (row["value"], row["met"]) == (0.8, None)
    assert target_verdict(row) == "0.8"
    doc = document([Result("platform", "P"), Result("platform_2w", "P2")], "short", "cmd", T0)
    assert [(p["pipeline"], p["workers"]) for p in doc["pipelines"]] == [("platform", 1), ("platform_2w", 2)]


class StartingBench:
    """What `start_workers` uses of the benchmark: starting a process, and saying what happens."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.said: list[str] = []

    def start(self, spec: ProcessSpec) -> int:
        self.started.append(spec.name)
        return 1000 + len(self.started)

    def progress(self, message: str) -> None:
        self.said.append(message)


def test_workers_stuck_in_their_first_rebalance_are_started_again_once_and_it_is_noted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outcomes = iter([RuntimeError("2 workers not sharing group g after 90 s"), {"w1": 3, "w2": 3}])

    def wait(bench: object, pipeline: object, pids: list[int]) -> dict[str, int]:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    stopped: list[int] = []
    monkeypatch.setattr(run, "wait_for_workers", wait)
    monkeypatch.setattr(run.process, "stop", stopped.append)
    bench, pids = StartingBench(), []
    specs = processes(PLATFORM_2W, Path("cfg.json"), Path("quix-python"))
    notes = run.start_workers(bench, PLATFORM_2W, specs, pids)  # type: ignore[arg-type]
    assert bench.started == ["platform_2w-w1", "platform_2w-w2"] * 2
    assert stopped == [1001, 1002] and pids == [1003, 1004]  # the caller stops the second pair
    assert notes[0].startswith("start 1: 2 workers not sharing group") and "started again" in notes[0]
    assert notes[1].endswith("w1 3, w2 3")


def test_workers_that_never_share_their_group_fail_the_pipeline_after_the_second_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def wait(bench: object, pipeline: object, pids: list[int]) -> dict[str, int]:
        raise RuntimeError("not sharing")

    monkeypatch.setattr(run, "wait_for_workers", wait)
    monkeypatch.setattr(run.process, "stop", lambda pid: None)
    specs = processes(PLATFORM_2W, Path("cfg.json"), Path("quix-python"))
    with pytest.raises(RuntimeError, match="not sharing"):
        run.start_workers(StartingBench(), PLATFORM_2W, specs, [])  # type: ignore[arg-type]
