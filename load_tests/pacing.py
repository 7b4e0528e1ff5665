"""Sending the simulated province open loop: on the wall clock, or at a fixed number of records per second.

Open loop: batches go out on schedule whatever the broker or the platform does, so a slow pipeline
shows up as consumer lag, not as a slower simulator (a closed loop would hide exactly the overload
a load test looks for).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from load_tests.emission import Emission
from load_tests.province_sim import ProvinceSimulator
from load_tests.senders import Sender
from topics.catalog import TopicSpec

TICK_S = 0.2


def send_batched(sender: Sender, emissions: list[Emission], batch_size: int) -> None:
    """Group emissions by feed and source into batch envelopes of at most `batch_size` records."""
    groups: dict[tuple[str, str], tuple[TopicSpec, list[dict[str, Any]]]] = {}
    for emission in emissions:
        key = (emission.feed.name, emission.source_id)
        feed, records = groups.setdefault(key, (emission.feed, []))
        records.append(emission.record)
        if len(records) == batch_size:
            sender.send(feed, emission.source_id, records)
            del groups[key]
    for (_, source_id), (feed, records) in groups.items():
        sender.send(feed, source_id, records)


def run_live(simulator: ProvinceSimulator, sender: Sender, batch_size: int, stop: threading.Event) -> None:
    """Send each record when its time comes on the wall clock, until stopped.

    The province's own rhythm sets the rate (about 2.5 vehicle-count records per camera a minute,
    plus the other feeds); event times are the wall clock's, in UTC."""
    while not stop.is_set():
        send_batched(sender, simulator.due(datetime.now(UTC)), batch_size)
        stop.wait(TICK_S)
    sender.flush()


def records_owed(elapsed_s: float, rate_per_s: float, sent: int) -> int:
    """How many records an open-loop sender owes after `elapsed_s`: the schedule, not the past sends,
    decides, so a slow tick is made up at the next one instead of lowering the rate."""
    return max(0, int(elapsed_s * rate_per_s) - sent)


def run_at_rate(
    simulator: ProvinceSimulator,
    sender: Sender,
    batch_size: int,
    rate_per_s: float,
    stop: threading.Event,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Send `rate_per_s` records per second, open loop, until stopped.

    The simulated clock runs as fast as the rate needs (faster than the wall clock when the rate is
    above the province's own, slower below it); the records keep their simulated event times."""
    started, sent = clock(), 0
    while not stop.is_set():
        owed = records_owed(clock() - started, rate_per_s, sent)
        if owed:
            send_batched(sender, simulator.take(owed), batch_size)
            sent += owed
        stop.wait(TICK_S)
    sender.flush()


def counts_by_feed(emissions: list[Emission]) -> dict[str, int]:
    """How many records each feed got (for summaries and tests)."""
    counts: dict[str, int] = defaultdict(int)
    for emission in emissions:
        counts[emission.feed.name] += 1
    return dict(counts)
