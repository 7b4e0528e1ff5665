"""How long each phase runs: `short` fits in a few minutes on a 2-core machine, `full` is the real run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mode:
    name: str
    warmup_rate: float  # records/s during warm-up (excluded from every figure)
    warmup_s: float
    capacity_s: float  # backlog kept topped up: the highest rate the pipeline processes
    step_fractions: tuple[float, ...]  # open-loop steps, as fractions of that capacity
    # Judged on its second half: a jump in rate costs the platform ~15 s of catching up (measured at
    # 35k records/s), which an 8-s step read as unbounded growth.
    step_s: float
    # Latency at these offered rates, plus 70% of the sustained rate; 2,000/s (a province's peak) has
    # a target of its own, so both modes measure it.
    fixed_rates: tuple[float, ...]
    latency_s: float
    soak_s: float  # the platform at 70% of its sustained rate, for memory growth (0: skipped)


MODES = {
    "short": Mode("short", 2_000, 5, 10, (0.6, 0.8, 1.0), 16, (1_000, 2_000), 12, 0),
    "full": Mode("full", 2_000, 20, 30, (0.5, 0.7, 0.9, 1.0, 1.1), 30, (1_000, 2_000), 60, 600),
}
