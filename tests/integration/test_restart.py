"""Restart proof: the same input, once through a worker that runs without interruption and once
through a worker SIGKILLed mid-stream and restarted, gives the same final indicator values per
window (no double counting, no lost window) and the same alerts (no duplicate alert).

Each run has its own topic prefix (its own input, indicator and alert topics, consumer group and
tables), on the one session stack. The input carries re-sent records and late records, and a
congestion episode at INT-0001 that opens an alert before the kill and resolves after the restart.
Event times are days ahead, so only the input closes windows and both runs see the same closes.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from tests.integration.conftest import RunningStack, prefixed_worker
from tests.integration.helpers import wait_for
from tests.integration.stream_io import Feeder, FinalKey, TopicReader, finals, future_hour, single
from topics.catalog import ALERTS, CAMERA_VEHICLE_COUNTS, INDICATORS

MIN = timedelta(minutes=1)
CAMERAS = ("CAM-0001", "CAM-0002", "CAM-0003", "CAM-0004")  # INT-0001 (50 km/h), INT-0002 (60 km/h)
MINUTES = 24
KILL_AFTER = 12  # messages sent before the kill


def messages(t0: datetime) -> list[list[dict[str, Any]]]:
    """One message per minute, two records per camera; INT-0001 crawls at 8 km/h in minutes 4-13
    (level 4, jammed); every 5th message re-sends the previous one's records and adds a record four
    minutes old (late)."""
    out: list[list[dict[str, Any]]] = []
    for minute in range(MINUTES):
        records = []
        for index, camera in enumerate(CAMERAS):
            slow = camera in ("CAM-0001", "CAM-0002") and 4 <= minute <= 13
            for half in range(2):
                records.append(
                    {
                        "event_id": f"{camera}-{minute}-{half}",
                        "camera_id": camera,
                        "observed_at": t0 + minute * MIN + timedelta(seconds=10 + 30 * half + index),
                        "interval_seconds": 30,
                        "lane": half,
                        "vehicle_class": "car",
                        "vehicle_count": 5 + (minute * 7 + index * 3 + half) % 11,
                        "average_speed_kmh": 8.0 if slow else 40.0 + index,
                    }
                )
        if minute % 5 == 4:
            records += out[-1]
            late = dict(records[0], event_id=f"late-{minute}", observed_at=t0 + (minute - 4) * MIN)
            records.append(late)
        out.append(records)
    flush = [
        {**out[0][0], "event_id": f"flush-{camera}", "camera_id": camera, "observed_at": t0 + 3 * 60 * MIN}
        for camera in CAMERAS
    ]
    return [*out, flush]


class Run:
    """One deployment's input and what it produced."""

    def __init__(self, stack: RunningStack, t0: datetime) -> None:
        self.prefix = f"r{uuid.uuid4().hex[:6]}."
        self.t0 = t0
        self.worker = prefixed_worker(stack, self.prefix)
        self.feed = Feeder(stack, self.prefix, source_id="SRC-RESTART")
        self.indicators = TopicReader(stack, INDICATORS, self.prefix)
        self.alerts = TopicReader(stack, ALERTS, self.prefix)

    def send(self, batches: list[list[dict[str, Any]]]) -> None:
        for records in batches:
            self.feed.send(CAMERA_VEHICLE_COUNTS, records)
        self.feed.flush()

    def finals(self) -> dict[FinalKey, set[float | None]]:
        return finals(self.indicators.poll(), self.t0 - 60 * MIN, self.t0 + MINUTES * MIN)

    def wait_done(self) -> dict[FinalKey, float | None]:
        """Until the last hour window with data is final and nothing new arrives for 3 s."""
        last = ("traffic.volume", "area", "75", self.t0 + 20 * MIN, self.t0 + 80 * MIN)
        wait_for(self.finals, lambda rows: last in rows, timeout_s=120)
        size = -1
        while size != len(self.finals()):
            size = len(self.finals())
            time.sleep(3)
        return single(self.finals())

    def alert_states(self) -> dict[str, list[str]]:
        states: dict[str, list[str]] = {}
        for change in self.alerts.poll():
            states.setdefault(change["alert_id"], []).append(change["state"])
        return states

    def close(self) -> None:
        self.worker.stop()
        self.indicators.close()
        self.alerts.close()


def episodes(states: dict[str, list[str]]) -> dict[str, tuple[str, str]]:
    """Each alert's first and last state."""
    return {alert_id: (changes[0], changes[-1]) for alert_id, changes in states.items()}


def test_sigkill_mid_stream_gives_the_same_finals_and_alerts_as_an_uninterrupted_run(
    local_stack: RunningStack,
) -> None:
    t0 = future_hour()
    batches = messages(t0)
    steady, crashed = Run(local_stack, t0), Run(local_stack, t0)
    try:
        steady.worker.start()
        steady.send(batches)
        expected = steady.wait_done()
        steady.worker.stop()

        crashed.worker.start()
        crashed.send(batches[:KILL_AFTER])
        wait_for(crashed.indicators.poll, lambda rows: len(rows) > 0, timeout_s=60)
        crashed.worker.kill()
        crashed.send(batches[KILL_AFTER:])
        crashed.worker.start()
        got = crashed.wait_done()
        alerts_steady = steady.alert_states()
        alerts_crashed = wait_for(
            crashed.alert_states, lambda found: episodes(found) == episodes(alerts_steady), timeout_s=30
        )
    finally:
        steady.close()
        crashed.close()

    # Not a vacuous comparison: the uninterrupted run has every minute of every camera, and its
    # camera volumes add up to the input without the re-sent and the late records.
    minutes = {(k[2], k[3]) for k in expected if k[0] == "traffic.volume" and k[1] == "camera"}
    assert len(minutes) == len(CAMERAS) * MINUTES
    sent = [r for records in batches[:MINUTES] for r in records if not r["event_id"].startswith("late-")]
    unique = {r["event_id"]: r["vehicle_count"] for r in sent}
    camera_total = sum(v for k, v in expected.items() if k[0] == "traffic.volume" and k[1] == "camera")
    assert camera_total == sum(unique.values())

    assert got == expected
    congestion = {k: v for k, v in alerts_steady.items() if "traffic.intersection_congested" in k}
    assert len(congestion) == 1, alerts_steady
    assert next(iter(congestion.values()))[0] == "open"
    assert next(iter(congestion.values()))[-1] == "resolved"
    # The same alerts (stable ids), each opened once and ending in the same state; how many
    # "updated" changes lie between depends on the wall clock, not on the data.
    assert episodes(alerts_crashed) == episodes(alerts_steady)
    assert all(states.count("open") == 1 for states in alerts_crashed.values()), alerts_crashed
