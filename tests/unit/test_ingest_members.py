"""Live gateway instances from their heartbeats, and each instance's share of a key's rate."""

from __future__ import annotations

from ingest.limits import RateLimiter
from ingest.members import LiveMembers, member_id


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def members(ttl_s: float = 6.0) -> tuple[LiveMembers, Clock, Clock]:
    clock, wall = Clock(100.0), Clock(1_700_000_000.0)
    return LiveMembers("me", ttl_s, clock, wall), clock, wall


def test_an_instance_counts_itself_and_every_fresh_heartbeat() -> None:
    live, clock, wall = members()
    assert live.count() == 1
    live.record("other", b"{}", int(wall.now * 1000))
    live.record("me", b"{}", int(wall.now * 1000))
    assert live.count() == 2
    clock.now += 5
    assert live.count() == 2
    clock.now += 2  # the other's heartbeat is now older than the ttl
    assert live.count() == 1


def test_a_heartbeat_is_dated_by_the_broker_so_an_old_one_read_at_start_is_not_alive() -> None:
    live, _clock, wall = members()
    live.record("crashed-long-ago", b"{}", int((wall.now - 60) * 1000))
    live.record("recent", b"{}", int((wall.now - 1) * 1000))
    assert live.count() == 2


def test_a_heartbeat_from_a_clock_ahead_counts_as_new_not_as_future() -> None:
    live, clock, wall = members()
    live.record("ahead", b"{}", int((wall.now + 30) * 1000))
    clock.now += 6.5
    assert live.count() == 1


def test_a_tombstone_removes_a_member_at_once() -> None:
    live, _clock, wall = members()
    live.record("other", b"{}", int(wall.now * 1000))
    live.record("other", None, int(wall.now * 1000))
    assert live.count() == 1


def test_member_ids_differ_per_instance_even_in_one_process() -> None:
    assert member_id("gw") != member_id("gw")
    assert member_id("gw").startswith("gw:")


def test_two_instances_taking_half_each_allow_the_key_its_rate_in_total() -> None:
    clock = Clock(0.0)
    rate, burst, instances = 10.0, 4, 2
    limiters = [RateLimiter(burst, clock) for _ in range(instances)]
    allowed = 0
    for step in range(1000):  # 10 s of requests every 10 ms, alternating between the instances
        clock.now = step / 100
        limiter = limiters[step % instances]
        allowed += limiter.acquire("k", rate / instances, burst / instances) == 0.0
    assert burst + rate * 10 - 2 <= allowed <= burst + rate * 10  # one instance alone: 2 + 10 * 10
