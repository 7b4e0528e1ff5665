"""Totals with one owner each, exactly once, on the real broker: the same recorded input gives the same
finals with one worker or three, and with three of which one is SIGKILLed mid-stream and replaced by a
new one; each final is sent once; a worker restarted under its own name processes again within 15 s.

Each run is its own deployment (topic prefix, consumer group) on the session stack. The input: six
sources, one on each partition of the vehicle-counts topic, twelve cameras of four intersections (each
intersection fed by two sources, so intersection, area and province totals are summed from several
partitions), 16 minutes with re-sent records and records later than the grace period, then a record
per source three hours on that closes every window. Event times are days ahead, so only the input
closes windows.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.integration.conftest import RunningStack, prefixed_worker, progress
from tests.integration.helpers import wait_for
from tests.integration.stream_io import Feeder, FinalKey, TopicReader, future_hour
from topics.catalog import CAMERA_VEHICLE_COUNTS, INDICATORS

MIN = timedelta(minutes=1)
MINUTES = 16
CAMERAS = [f"CAM-{n:04d}" for n in range(1, 13)]  # INT-0001..INT-0004 (config/province.yaml)
SOURCES = 6
Batch = tuple[int, list[dict[str, Any]]]  # (partition = source index, records)


def source_of(camera: str) -> int:
    """Cameras of one intersection are split between two sources (two partitions)."""
    return CAMERAS.index(camera) % SOURCES


def recorded_input(t0: datetime) -> list[Batch]:
    """Per minute, one message per source with two records per camera; every 4th minute re-sends the
    previous minute's message and adds a record three minutes old (late for its camera)."""
    batches: list[Batch] = []
    for minute in range(MINUTES):
        by_source: dict[int, list[dict[str, Any]]] = {}
        for index, camera in enumerate(CAMERAS):
            for half in range(2):
                by_source.setdefault(source_of(camera), []).append(
                    {
                        "event_id": f"{camera}-{minute}-{half}",
                        "camera_id": camera,
                        "observed_at": t0 + minute * MIN + timedelta(seconds=5 + 25 * half + index),
                        "interval_seconds": 30,
                        "lane": half,
                        "vehicle_class": "car",
                        "vehicle_count": 1 + (minute * 5 + index * 3 + half) % 13,
                        "average_speed_kmh": 12.0 + (minute + index) % 40 if half else None,
                    }
                )
        for source, records in sorted(by_source.items()):
            if minute % 4 == 3:
                records = records + batches[-SOURCES][1]  # the previous minute's, same source
                records.append(
                    dict(records[0], event_id=f"late-{minute}-{source}", observed_at=t0 + (minute - 3) * MIN)
                )
            batches.append((source, records))
    closing = t0 + 3 * 60 * MIN  # every camera's clock, and every source's, moves three hours on
    for source in range(SOURCES):
        records = [
            dict(batches[0][1][0], event_id=f"close-{camera}", camera_id=camera, observed_at=closing)
            for camera in CAMERAS
            if source_of(camera) == source
        ]
        batches.append((source, records))
    return batches


class Deployment:
    """One prefix: its workers, its input and what it produced."""

    def __init__(self, stack: RunningStack, workers: int) -> None:
        self.stack = stack
        self.prefix = f"s{uuid.uuid4().hex[:6]}."
        self.workers = [prefixed_worker(stack, self.prefix, f"w{n + 1}") for n in range(workers)]

        self.feed = Feeder(stack, self.prefix)
        self.indicators = TopicReader(stack, INDICATORS, self.prefix)

    def send(self, batches: list[Batch]) -> None:
        for partition, records in batches:
            self.feed.send(CAMERA_VEHICLE_COUNTS, records, f"SRC-{partition}", partition)
        self.feed.flush()

    def finals(self, t0: datetime) -> list[tuple[FinalKey, float | None]]:
        """Every final (a window finalised twice appears twice) for windows of the recorded minutes."""
        return [
            (
                (r["indicator"], r["entity_type"], r["entity_id"], r["window_start"], r["window_end"]),
                r["value"],
            )
            for r in self.indicators.poll()
            if r["is_final"] and t0 - 60 * MIN <= r["window_start"] < t0 + MINUTES * MIN
        ]

    def wait_done(self, t0: datetime) -> dict[FinalKey, float | None]:
        """Until the province's last hour is final and nothing new comes for 4 s; each final once."""
        last = ("traffic.volume", "area", "75", t0 + (MINUTES - 1) * MIN, t0 + (MINUTES + 59) * MIN)
        wait_for(lambda: self.finals(t0), lambda rows: any(key == last for key, _ in rows), timeout_s=150)
        size = -1
        while size != len(self.finals(t0)):
            size = len(self.finals(t0))
            time.sleep(4)
        finals = self.finals(t0)
        keys = [key for key, _ in finals]
        twice = {key for key in keys if keys.count(key) > 1}
        assert not twice, f"windows finalised more than once: {sorted(twice)[:5]}"
        return dict(finals)

    def close(self) -> None:
        for worker in self.workers:
            if worker.pid and os.path.exists(f"/proc/{worker.pid}"):
                worker.stop()
        self.indicators.close()


def run_to_the_end(
    stack: RunningStack, t0: datetime, batches: list[Batch], workers: int
) -> dict[FinalKey, float | None]:
    deployment = Deployment(stack, workers)
    try:
        for worker in deployment.workers:
            worker.start()
        deployment.send(batches)
        return deployment.wait_done(t0)
    finally:
        deployment.close()


@dataclass(frozen=True)
class Reference:
    """The recorded input through one worker, uninterrupted: what the other runs are compared with."""

    t0: datetime
    batches: list[Batch]
    finals: dict[FinalKey, float | None]


@pytest.fixture(scope="module")
def one_worker(local_stack: RunningStack) -> Reference:
    """Run once for the module: each run is a deployment of its own, so the runs compared with it
    share its event times without meeting its records."""
    t0 = future_hour()
    batches = recorded_input(t0)
    return Reference(t0, batches, run_to_the_end(local_stack, t0, batches, workers=1))


def test_one_worker_and_three_give_the_same_finals_each_sent_once(
    local_stack: RunningStack, one_worker: Reference
) -> None:
    t0, batches, one = one_worker.t0, one_worker.batches, one_worker.finals
    three = run_to_the_end(local_stack, t0, batches, workers=3)

    kinds = {key[1] for key in one}
    assert kinds == {"camera", "intersection", "area"}
    # Not a vacuous comparison: the cameras' minutes and the province's add up to the input,
    # without re-sent or late records.
    unique = {r["event_id"]: r for _, records in batches[: MINUTES * SOURCES] for r in records}
    expected = sum(r["vehicle_count"] for key, r in unique.items() if not key.startswith("late-"))
    volumes = {
        key: value for key, value in one.items() if key[0] == "traffic.volume" and key[4] - key[3] == MIN
    }
    assert sum(v for k, v in volumes.items() if k[1] == "camera" and v) == expected
    assert sum(v for k, v in volumes.items() if k[1:3] == ("area", "75") and v) == expected
    assert three == one


def test_a_worker_killed_mid_stream_and_replaced_changes_no_final(
    local_stack: RunningStack, one_worker: Reference
) -> None:
    t0, batches = one_worker.t0, one_worker.batches

    deployment = Deployment(local_stack, workers=3)
    try:
        for worker in deployment.workers:
            worker.start()
        half = len(batches) // 2
        deployment.send(batches[:half])
        wait_for(deployment.indicators.poll, lambda rows: len(rows) > 0, timeout_s=60)
        deployment.workers[1].kill()
        progress("w2 SIGKILLed; w4 joins in its place")
        replacement = prefixed_worker(local_stack, deployment.prefix, "w4")
        deployment.workers.append(replacement)
        replacement.start()
        deployment.send(batches[half:])
        got = deployment.wait_done(t0)
    finally:
        deployment.close()
    assert got == one_worker.finals


def test_a_worker_restarted_under_its_name_processes_again_within_15_seconds(
    local_stack: RunningStack,
) -> None:
    """Static membership: the restarted worker is given its partitions back without a rebalance, and
    its transactional id fences the killed one's open transaction at once. Measured from the SIGKILL to
    the first indicator of a record sent right after it."""
    t0 = future_hour()
    deployment = Deployment(local_stack, workers=1)
    worker = deployment.workers[0]
    try:
        worker.start()
        deployment.send(recorded_input(t0)[:SOURCES])
        wait_for(deployment.indicators.poll, lambda rows: len(rows) > 0, timeout_s=60)
        killed = time.monotonic()
        os.killpg(worker.pid, signal.SIGKILL)
        worker.start()
        probe = {
            "event_id": "probe",
            "camera_id": "CAM-PROBE",
            "observed_at": t0 + 2 * MIN,
            "interval_seconds": 60,
            "lane": 0,
            "vehicle_class": "car",
            "vehicle_count": 7,
            "average_speed_kmh": None,
        }
        deployment.send([(0, [probe])])
        seen = wait_for(
            deployment.indicators.poll,
            lambda rows: any(r["entity_id"] == "CAM-PROBE" for r in rows),
            timeout_s=60,
            every_s=0.2,
        )
        took = time.monotonic() - killed
    finally:
        deployment.close()
    progress(f"restarted worker processing again {took:.1f} s after its SIGKILL")
    assert any(r["entity_id"] == "CAM-PROBE" for r in seen)
    assert took < 15, f"{took:.1f} s"
