"""The faults of a chaos run, in the order they strike; each returns what ends it.

A fault holds for `hold_s`, then is ended as operations would end it (the crashed process is started
again, the stopped broker continued, the registry brought back, the cable mended); the run then
measures how long the platform took to recover before the next one.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import dataclass

from load_tests.chaos.platform import ChaosPlatform

Heal = Callable[[], None]


@dataclass(frozen=True)
class Fault:
    """`of_stack`: it strikes the brokers, the registry or the warehouse, so it waits until a stack
    service an earlier fault took down is ready again (one stack fault at a time); a fault of a
    child strikes while that service is still starting."""

    name: str
    hold_s: float
    strike: Callable[[ChaosPlatform], Heal]
    of_stack: bool = False


def _crash(name: str | None = None) -> Callable[[ChaosPlatform], Heal]:
    """SIGKILL a process (None: the broker leading the busiest vehicle-count partition); restart it after the hold."""

    def strike(platform: ChaosPlatform) -> Heal:
        victim = name or platform.busiest_leader()
        platform.kill(victim)
        return lambda: platform.restart(victim)

    return strike


def _hang_broker(platform: ChaosPlatform) -> Heal:
    """SIGSTOP a broker that leads no vehicle-count partition's busiest share (a hung disk): alive on
    the network, answering nothing."""
    victim = next(name for name in ("kafka-3", "kafka-2", "kafka") if name != platform.busiest_leader())
    pid = platform.service_pid(victim)
    os.kill(pid, signal.SIGSTOP)
    return lambda: os.kill(pid, signal.SIGCONT)


def _registry_outage(platform: ChaosPlatform) -> Heal:
    platform.stop_service("registry")
    return lambda: platform.restart("registry")


def _cut_sink(platform: ChaosPlatform) -> Heal:
    assert platform.proxy is not None  # noqa: S101 - started with the platform
    platform.proxy.cut()
    return platform.proxy.restore


@dataclass(frozen=True)
class Variant:
    """A run's faults and its pauses: steady load before the first fault (the baseline), between
    faults, and after the last (so that the minutes around it complete)."""

    faults: list[Fault]
    warm_up_s: float
    settle_s: float
    tail_s: float


FULL = [
    Fault("SIGKILL the leader of the busiest partition", 30, _crash(), of_stack=True),
    Fault("SIGKILL a stream worker", 10, _crash("worker-2")),
    Fault("SIGKILL a gateway", 15, _crash("gateway-1")),
    Fault("SIGKILL the warehouse", 15, _crash("warehouse"), of_stack=True),
    Fault("SIGSTOP a broker for 30 s", 30, _hang_broker, of_stack=True),
    Fault("registry down for a minute", 60, _registry_outage, of_stack=True),
    Fault("TCP proxy cuts the sink from the warehouse", 30, _cut_sink),
]
# What CI runs: one fault of each kind that needs no long hold.
SHORT = [
    Fault("SIGKILL the leader of the busiest partition", 10, _crash(), of_stack=True),
    Fault("SIGKILL a stream worker", 5, _crash("worker-2")),
    Fault("SIGKILL a gateway", 5, _crash("gateway-1")),
    Fault("TCP proxy cuts the sink from the warehouse", 15, _cut_sink),
]
VARIANTS = {"full": Variant(FULL, 30, 15, 75), "short": Variant(SHORT, 10, 5, 65)}
