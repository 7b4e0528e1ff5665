"""One pipeline through every phase: ready, warm-up, capacity, open-loop steps, latency, memory."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from load_tests.benchmark.driver import Driver, LagMeter, Probes
from load_tests.benchmark.modes import Mode
from load_tests.benchmark.procstat import cpu_seconds, peak_rss_mb, process_tree, rss_mb

READY_TIMEOUT_S = 240
DRAIN_TIMEOUT_S = 60
LAG_SAMPLE_S = 0.25
MAX_LAG_GROWTH = 0.05  # of the offered rate, per second, over a step's second half
# Longer than every pipeline's commit interval (1 s here, naive Faust keeps Faust's 2.8 s default).
LAG_FLOOR_SPAN_S = 3.0
MIN_STEP_FRACTION = 0.05
Progress = Callable[[str], None]


@dataclass
class Result:
    pipeline: str
    label: str
    capacity_eps: float = 0.0
    sustained_eps: float = 0.0
    steps: list[dict[str, Any]] = field(default_factory=list)
    latency: list[dict[str, Any]] = field(default_factory=list)
    cpu_ms_per_1000: float = 0.0
    cpu_ms_per_1000_pipeline_only: float = 0.0
    peak_rss_mb: float = 0.0
    soak: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Target:
    """What is measured: the pipeline's processes, and the warehouse that stores its results."""

    roots: tuple[int, ...]  # the pipeline's processes as started (one per worker of the platform)
    warehouse_pid: int
    lag: LagMeter
    driver: Driver
    find_probes: Callable[[str], set[str]]
    records_per_message: float

    def pids(self) -> list[int]:
        """Every process of the pipeline alive now: each started one and its descendants. CPU time and
        memory are summed over them, so a two-worker platform is measured as both workers together."""
        return [pid for root in self.roots for pid in process_tree(root)]


def _percentile(values: list[float], share: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def wait_ready(target: Target, name: str, progress: Progress) -> None:
    """Until a probe sent through the pipeline is queryable (the pipeline consumes, computes, stores)."""
    progress(f"{name}: waiting until a probe comes through…")
    deadline = time.monotonic() + READY_TIMEOUT_S
    n = 0
    while time.monotonic() < deadline:
        n += 1
        probes = Probes(f"PROBE-{name}-ready{n}-", target.find_probes)
        target.driver.offer(100, 3, probes, probe_every_s=1)
        for _ in range(10):
            if target.find_probes(probes.prefix):
                progress(f"{name}: ready")
                return
            time.sleep(0.5)
    raise RuntimeError(f"{name}: no probe became queryable within {READY_TIMEOUT_S} s")


def drain(target: Target, limit_messages: int = 5) -> bool:
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while time.monotonic() < deadline:
        if target.lag.lag() <= limit_messages:
            return True
        time.sleep(0.5)
    return False


def capacity(target: Target, seconds: float, result: Result) -> None:
    """Keep a backlog on the input topic and measure how fast the pipeline works it off."""
    backlog = 300  # messages; grows with the measured rate so the pipeline never runs dry
    started = time.monotonic()
    committed0 = cpu0 = cpu_pipeline0 = t0 = None
    while (elapsed := time.monotonic() - started) < seconds + 2:
        lag = target.lag.lag()
        if lag < backlog:
            target.driver.send_events(int((backlog - lag) * target.records_per_message))
        if committed0 is None and elapsed >= 2:
            t0, committed0 = time.monotonic(), target.lag.committed()
            cpu_pipeline0 = cpu_seconds(target.pids())
            cpu0 = cpu_pipeline0 + cpu_seconds([target.warehouse_pid])
        elif t0 is not None and committed0 is not None:
            rate = (target.lag.committed() - committed0) / max(0.1, time.monotonic() - t0)
            backlog = max(300, int(rate * 4))
        time.sleep(0.2)
    assert t0 is not None and committed0 is not None and cpu0 is not None and cpu_pipeline0 is not None  # noqa: S101
    elapsed = time.monotonic() - t0
    events = (target.lag.committed() - committed0) * target.records_per_message
    cpu_pipeline = cpu_seconds(target.pids()) - cpu_pipeline0
    cpu = cpu_pipeline + cpu_seconds([target.warehouse_pid]) - (cpu0 - cpu_pipeline0)
    result.capacity_eps = events / elapsed
    if events:
        result.cpu_ms_per_1000 = cpu * 1000 / events * 1000
        result.cpu_ms_per_1000_pipeline_only = cpu_pipeline * 1000 / events * 1000


def lag_slope(samples: list[tuple[float, int]]) -> float:
    """Least-squares slope of lag (messages) over time (s): how fast the backlog grows."""
    if len(samples) < 2:
        return 0.0
    mean_t = statistics.mean(t for t, _ in samples)
    mean_lag = statistics.mean(lag for _, lag in samples)
    spread = sum((t - mean_t) ** 2 for t, _ in samples)
    return sum((t - mean_t) * (lag - mean_lag) for t, lag in samples) / spread if spread else 0.0


def lag_floor(samples: list[tuple[float, int]], span_s: float = LAG_FLOOR_SPAN_S) -> list[tuple[float, int]]:
    """The lowest lag over the preceding `span_s` at each sample.

    Committed lag saw-tooths: it climbs while a batch is processed and drops at each commit, and the
    teeth are as tall as a batch. A line fitted through the teeth tilts with where the step's end
    cuts them; the floor (the lag just after the commits) is the backlog itself."""
    return [(t, min(lag for s, lag in samples if t - span_s <= s <= t)) for t, _ in samples]


def offer_watching_lag(target: Target, rate: float, seconds: float) -> list[tuple[float, int]]:
    """Offer a rate open loop while sampling the committed lag every quarter second."""
    samples: list[tuple[float, int]] = []
    stop = threading.Event()
    started = time.monotonic()

    def sample() -> None:
        while not stop.wait(LAG_SAMPLE_S):
            samples.append((time.monotonic() - started, target.lag.lag()))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    target.driver.offer(rate, seconds)
    stop.set()
    sampler.join()
    return samples


def steps(target: Target, mode: Mode, result: Result, progress: Progress) -> None:
    """Open-loop steps at fractions of the capacity; sustained = the highest with bounded lag.

    Bounded: over the second half of the step (the first half lets the pipeline settle), the floor
    of the lag (`lag_floor`) grows by less than 5% of the offered rate."""
    fractions = list(mode.step_fractions)
    while fractions:
        fraction = fractions.pop(0)
        rate = fraction * result.capacity_eps
        samples = offer_watching_lag(target, rate, mode.step_s)
        floor = lag_floor(samples)
        growth = lag_slope(floor[len(floor) // 2 :]) * target.records_per_message
        bounded = growth <= MAX_LAG_GROWTH * rate
        result.steps.append({"offered_eps": round(rate), "lag_growth_eps": round(growth), "bounded": bounded})
        verdict = "bounded" if bounded else "growing"
        progress(f"{result.pipeline}: {rate:,.0f} records/s offered, lag trend {growth:+,.0f}/s → {verdict}")
        if bounded:
            result.sustained_eps = max(result.sustained_eps, rate)
        if not drain(target):
            result.notes.append(
                f"backlog after the {rate:,.0f}/s step took over {DRAIN_TIMEOUT_S} s to drain"
            )
        if not fractions and not result.sustained_eps and fraction > MIN_STEP_FRACTION:
            # Below every planned step: halve until a rate is kept up with (a backlog flatters
            # pipelines whose cost is per batch, so the capacity can be far above what they sustain).
            fractions.append(min(fraction, *mode.step_fractions) / 2)
    if not result.sustained_eps:
        result.notes.append("no step kept lag bounded; sustained rate is under the lowest step")


def latency(target: Target, rate: float, seconds: float, result: Result, label: str) -> None:
    """Event-to-queryable latency at an offered rate, from probes polled in ClickHouse."""
    probes = Probes(f"PROBE-{result.pipeline}-lat{len(result.latency)}-", target.find_probes)
    stop = threading.Event()
    watcher = threading.Thread(target=probes.watch, args=(stop,), daemon=True)
    watcher.start()
    target.driver.offer(rate, seconds, probes)
    deadline = time.monotonic() + 10
    while len(probes.seen) < len(probes.sent) and time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    watcher.join()
    values = probes.latencies()
    entry: dict[str, Any] = {
        "label": label,
        "offered_eps": round(rate),
        "probes": len(probes.sent),
        "seen": len(values),
    }
    if values:
        entry |= {"p50_s": round(_percentile(values, 0.5), 3), "p99_s": round(_percentile(values, 0.99), 3)}
    result.latency.append(entry)
    drain(target)


def soak(target: Target, rate: float, seconds: float, result: Result, progress: Progress) -> None:
    """Memory over a long run at a steady rate: growth from the first to the last tenth of it."""
    samples: list[tuple[float, float]] = []
    started = time.monotonic()
    chunk = 10.0
    while time.monotonic() - started < seconds:
        target.driver.offer(rate, chunk)
        samples.append((time.monotonic() - started, rss_mb(target.pids())))
        progress(f"soak: {samples[-1][0]:.0f} s, RSS {samples[-1][1]:.0f} MiB")
    tenth = max(1, len(samples) // 10)
    first = statistics.mean(rss for _, rss in samples[tenth : 2 * tenth])  # after the first tenth (warm-up)
    last = statistics.mean(rss for _, rss in samples[-tenth:])
    result.soak = {
        "seconds": round(seconds),
        "offered_eps": round(rate),
        "rss_mb_early": round(first, 1),
        "rss_mb_late": round(last, 1),
        "growth_mb": round(last - first, 1),
        "lag_after": target.lag.lag(),
    }


def measure(target: Target, name: str, label: str, mode: Mode, progress: Progress) -> Result:
    """Every phase for one pipeline (already started); soak only when the mode has one and it is the platform."""
    result = Result(name, label)
    wait_ready(target, name, progress)
    progress(f"{name}: warm-up ({mode.warmup_s:.0f} s at {mode.warmup_rate:,.0f}/s, not counted)")
    target.driver.offer(mode.warmup_rate, mode.warmup_s)
    drain(target)
    progress(f"{name}: capacity ({mode.capacity_s:.0f} s with a backlog)…")
    capacity(target, mode.capacity_s, result)
    progress(f"{name}: {result.capacity_eps:,.0f} records/s, {result.cpu_ms_per_1000:.0f} CPU ms per 1,000")
    if not drain(target):
        result.notes.append("the capacity backlog took more than a minute to drain")
    if result.capacity_eps:
        steps(target, mode, result, progress)
    else:
        result.notes.append("its consumer group committed no progress during the capacity phase")
    rates = [(f"{r:.0f}/s", r) for r in mode.fixed_rates]
    if result.sustained_eps:
        rates.append(("70% sustained", 0.7 * result.sustained_eps))
    for label_, rate in rates:
        progress(f"{name}: latency at {rate:,.0f} records/s ({label_})…")
        latency(target, rate, mode.latency_s, result, label_)
    if mode.soak_s and name == "platform" and result.sustained_eps:
        progress(f"{name}: {mode.soak_s:.0f} s soak at 70% of sustained…")
        soak(target, 0.7 * result.sustained_eps, mode.soak_s, result, progress)
    result.peak_rss_mb = round(peak_rss_mb(target.pids()), 1)
    return result
