"""The per-key token bucket, on a clock the test moves."""

from __future__ import annotations

from ingest.limits import RateLimiter, retry_after_header


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_served_then_the_key_waits_for_its_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(burst=3, clock=clock)
    assert [limiter.acquire("k", 2.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("k", 2.0) == 0.5
    clock.now += 0.5
    assert limiter.acquire("k", 2.0) == 0.0


def test_keys_have_separate_buckets() -> None:
    limiter = RateLimiter(burst=1, clock=Clock())
    assert limiter.acquire("a", 1.0) == 0.0
    assert limiter.acquire("a", 1.0) > 0
    assert limiter.acquire("b", 1.0) == 0.0


def test_retry_after_rounds_up_to_whole_seconds() -> None:
    assert [retry_after_header(w) for w in (0.01, 1.0, 1.2)] == ["1", "1", "2"]


def test_a_smaller_burst_caps_the_bucket_of_an_instance_taking_its_share() -> None:
    clock = Clock()
    limiter = RateLimiter(burst=4, clock=clock)
    assert [limiter.acquire("k", 1.0, 2.0) for _ in range(3)] == [0.0, 0.0, 1.0]
    clock.now += 100
    assert [limiter.acquire("k", 1.0, 2.0) for _ in range(3)] == [0.0, 0.0, 1.0]
