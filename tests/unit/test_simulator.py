"""The province simulator: reproducible from its seed, every feed valid against its schema, faults in
their configured shares, and open-loop rate control."""

from __future__ import annotations

import io
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import fastavro
import pytest

from avro_schemas import load_schema
from ioc.province import PeriodicReport, load_province
from ioc.settings import Settings
from load_tests.cameras import CameraRates
from load_tests.departments import DepartmentRates, last_closed_period
from load_tests.emission import Emission
from load_tests.faults import RULES, FaultConfig, plausibility_problem
from load_tests.pacing import records_owed, run_at_rate, send_batched
from load_tests.province_sim import ProvinceSimulator, SimConfig
from topics.catalog import INPUT_TOPICS, TopicSpec

T0 = datetime(2026, 11, 23, 23, 50, tzinfo=UTC)  # 06:50 on a Tuesday in Vietnam: the morning rush begins
# Rare events made common, so that a few simulated minutes show every feed.
BUSY = SimConfig(
    cameras=120,
    camera_rates=CameraRates(incident_per_min=0.01, outage_per_min=0.01),
    department_rates=DepartmentRates(hotline_per_min=2.0, dossiers_per_min=2.0),
)
PROVINCE = load_province(Settings().province_file)


def simulate(seed: int, config: SimConfig, minutes: int = 6) -> list[Emission]:
    return ProvinceSimulator(PROVINCE, seed, T0, config).due(T0 + timedelta(minutes=minutes))


def test_the_same_seed_gives_the_same_records_and_another_seed_others() -> None:
    first = [(e.feed.name, e.source_id, e.record) for e in simulate(7, BUSY)]
    again = [(e.feed.name, e.source_id, e.record) for e in simulate(7, BUSY)]
    other = [(e.feed.name, e.source_id, e.record) for e in simulate(8, BUSY)]
    assert first == again
    assert first != other


def test_every_input_feed_is_simulated_with_records_valid_against_its_schema() -> None:
    emissions = simulate(3, BUSY)
    by_feed: dict[str, list[dict[str, Any]]] = {}
    for emission in emissions:
        by_feed.setdefault(emission.feed.name, []).append(emission.record)
    assert sorted(by_feed) == sorted(spec.name for spec in INPUT_TOPICS)
    for spec in INPUT_TOPICS:
        schema = fastavro.parse_schema(load_schema(spec.schema))
        batch = {"source_id": "TEST", "sent_at": T0, "records": by_feed[spec.name]}
        fastavro.schemaless_writer(io.BytesIO(), schema, batch)  # raises on any invalid record
        assert all(plausibility_problem(spec.name, r) is None for r in by_feed[spec.name]), spec.name


def test_records_are_sent_in_event_time_order_without_faults() -> None:
    emissions = simulate(3, BUSY)
    times = [e.send_at for e in emissions]
    assert times == sorted(times)
    assert all(e.send_at >= e.record["observed_at"] for e in emissions)


def test_fault_shares_are_close_to_the_configured_ones() -> None:
    faults = FaultConfig(late_share=0.04, out_of_order_share=0.06, duplicate_share=0.05, invalid_share=0.03)
    simulator = ProvinceSimulator(PROVINCE, 11, T0, SimConfig(cameras=300, faults=faults))
    emissions = simulator.due(T0 + timedelta(minutes=30))
    kinds = Counter(e.fault for e in emissions)
    originals = len(emissions) - kinds["duplicate"]
    assert originals > 20_000
    for fault, share in (("invalid", 0.03), ("duplicate", 0.05), ("out_of_order", 0.06)):
        assert kinds[fault] / originals == pytest.approx(share, rel=0.1), fault
    # Late records of the last minutes are still held back when the run ends, so fewer are out yet.
    assert 0.02 < kinds["late"] / originals <= 0.045
    for emission in emissions:
        problem = plausibility_problem(emission.feed.name, emission.record)
        if emission.fault == "invalid":
            assert problem == (RULES[emission.feed.name].field, RULES[emission.feed.name].name)
        else:
            assert problem is None
    ids = Counter(e.record["event_id"] for e in emissions)
    assert sum(n - 1 for n in ids.values()) == kinds["duplicate"]


def test_late_records_are_sent_minutes_after_their_event_time() -> None:
    faults = FaultConfig(late_share=0.1)
    emissions = ProvinceSimulator(PROVINCE, 5, T0, SimConfig(cameras=50, faults=faults)).due(
        T0 + timedelta(minutes=20)
    )
    late = [e for e in emissions if e.fault == "late"]
    assert late
    assert all(e.send_at - e.record["observed_at"] >= timedelta(seconds=120) for e in late)


def test_fault_shares_above_one_are_refused() -> None:
    with pytest.raises(ValueError, match="add up to at most 1"):
        FaultConfig(late_share=0.6, invalid_share=0.6)


def test_a_monthly_report_period_ends_on_the_cut_off_day() -> None:
    report = PeriodicReport(report_code="BC", period="monthly", cutoff_day=14)
    assert last_closed_period(report, date(2026, 11, 20)) == (date(2026, 10, 15), date(2026, 11, 14))
    assert last_closed_period(report, date(2026, 11, 10)) == (date(2026, 9, 15), date(2026, 10, 14))
    quarterly = PeriodicReport(report_code="BC", period="quarterly", cutoff_day=14)
    assert last_closed_period(quarterly, date(2026, 11, 20)) == (date(2026, 6, 15), date(2026, 9, 14))


class RecordingSender:
    """Collects what would be sent (a unit-test stand-in for Kafka)."""

    def __init__(self) -> None:
        self.records_sent = 0
        self.batches: list[tuple[TopicSpec, str, int]] = []

    def send(self, feed: TopicSpec, source_id: str, records: list[dict[str, Any]]) -> None:
        self.batches.append((feed, source_id, len(records)))
        self.records_sent += len(records)

    def flush(self, timeout_s: float = 30.0) -> int:
        return 0


def test_records_owed_follow_the_schedule_not_the_past_sends() -> None:
    assert records_owed(2.0, 500, 0) == 1000
    assert records_owed(2.0, 500, 600) == 400
    assert records_owed(2.0, 500, 1200) == 0


def test_run_at_rate_sends_the_scheduled_number_of_records() -> None:
    simulator = ProvinceSimulator(PROVINCE, 2, T0, SimConfig(cameras=100))
    sender, stop, ticks = RecordingSender(), threading.Event(), iter(range(1000))

    def clock() -> float:  # each reading is a second later; the one at 5 s is the last
        tick = next(ticks)
        if tick == 5:
            stop.set()
        return float(tick)

    run_at_rate(simulator, sender, 100, 1_000.0, stop, clock=clock)
    assert sender.records_sent == 5_000  # 5 s after the first reading, at 1,000 records/s


def test_batches_hold_one_feed_and_source_and_at_most_the_batch_size() -> None:
    emissions = simulate(4, BUSY, minutes=2)
    sender = RecordingSender()
    send_batched(sender, emissions, 50)
    assert sender.records_sent == len(emissions)
    assert max(size for _, _, size in sender.batches) == 50
    expected = Counter((e.feed.name, e.source_id) for e in emissions)
    sent = Counter()
    for feed, source, size in sender.batches:
        sent[(feed.name, source)] += size
    assert sent == expected
