"""The real local stack (Kafka, Apicurio, chDB warehouse), started once per test session by the
project's own stack code, on free loopback ports, with data in a temporary folder, and stopped at the
end whatever happened; stream workers per test module."""

from __future__ import annotations

import os
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ioc.contracts import apply_contracts
from ioc.endpoints import Endpoints
from ioc.settings import Settings, StackSettings
from ioc.stack import process
from ioc.stack.errors import StackError
from ioc.stack.manager import LocalStack

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def pytest_configure(config: pytest.Config) -> None:
    """A SIGTERM (CI stopping a run, `kill`) becomes a KeyboardInterrupt, so the session fixtures'
    teardown still stops the broker, registry, warehouse and worker instead of leaking them."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def progress(message: str) -> None:
    """Slow start-up steps are shown even though pytest captures output."""
    print(f"  [stack] {message}", file=sys.__stderr__, flush=True)


@dataclass
class RunningStack:
    settings: Settings
    stack: LocalStack
    endpoints: Endpoints
    dir: Path


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    stack_dir = tmp_path_factory.mktemp("stack")
    settings = Settings(stack=StackSettings(dir=stack_dir))
    stack = LocalStack(settings, progress)
    try:
        try:
            endpoints = stack.up(prepare=lambda ep: apply_contracts(ep, settings.topic_prefix, progress))
        except StackError as error:  # its log tail is the only clue when a service will not start
            pytest.fail(f"{error}\n{error.log_tail}", pytrace=False)
        yield RunningStack(settings, stack, endpoints, stack_dir)
    finally:
        stack.down()


class WorkerProcess:
    """The stream worker as its own process, as `ioc worker` runs it; restartable like a crashed one
    (a restart keeps its instance id, as a supervisor restarting a container does)."""

    def __init__(self, stack: RunningStack, instance: str = "w1") -> None:
        self.log = stack.dir / "logs" / f"worker-{instance}.log"
        self.env = {"IOC_STACK_DIR": str(stack.dir), "IOC_STREAMS_INSTANCE_ID": instance}
        self.pid = 0

    def start(self) -> None:
        progress(f"Starting the stream worker {self.env['IOC_STREAMS_INSTANCE_ID']}…")
        ready_before = self.log.read_text(errors="replace").count("Worker ready") if self.log.exists() else 0
        self.pid = process.start(
            "worker", [sys.executable, "-m", "ioc.cli", "worker"], self.log, env=self.env
        )
        deadline = time.monotonic() + 120
        while self.log.read_text(errors="replace").count("Worker ready") <= ready_before:
            assert process.is_alive(self.pid), f"worker exited:\n{process.tail(self.log, 40)}"
            assert time.monotonic() < deadline, f"worker not ready:\n{process.tail(self.log, 40)}"
            time.sleep(0.5)
        progress("worker: ready")

    def kill(self) -> None:
        """SIGKILL, as a crash would: no graceful shutdown, no final commit."""
        process.kill(self.pid)

    def alive(self) -> bool:
        return process.is_alive(self.pid)

    def pause(self, seconds: float) -> None:
        """SIGSTOP, then SIGCONT `seconds` later: a stall, as an overloaded host or a debugger makes."""
        os.killpg(self.pid, signal.SIGSTOP)
        time.sleep(seconds)
        os.killpg(self.pid, signal.SIGCONT)

    def stop(self) -> None:
        process.stop(self.pid)


_applied: set[str] = set()
FAMILY_IDLE_CLOSE_S = 15


def prefixed_worker(stack: RunningStack, prefix: str, instance: str = "w1") -> WorkerProcess:
    """A worker of its own deployment (topic prefix, consumer group and log), for tests whose event
    times must not meet other tests' events in the shared topics' clocks. The deployment's topics and
    schemas are made with its first worker."""
    if prefix not in _applied:
        apply_contracts(stack.endpoints, prefix, progress)
        _applied.add(prefix)
    worker = WorkerProcess(stack, instance)
    worker.env = worker.env | {"IOC_TOPIC_PREFIX": prefix}
    worker.log = stack.dir / "logs" / f"worker-{prefix}{instance}.log"
    return worker


@pytest.fixture(scope="module")
def prefix(local_stack: RunningStack) -> Iterator[str]:
    """A deployment of its own for one test module (topic prefix, consumer group, its worker running),
    for tests whose event times are far from now. On the shared topics they would meet other tests'
    events in a partition's clock: a record more than the device horizon behind its partition's
    newest is late, so one test's hours days ahead would make every later test's records late, and a
    fixed past day would be late after any test that sent records stamped now."""
    name = f"d{uuid.uuid4().hex[:6]}."
    running = prefixed_worker(local_stack, name)
    # These tests wait for finals that their topics' quiet partitions hold back until the idle
    # timeout; a short one keeps them quick (same rule; its edges are unit-tested). Restart and
    # scaling tests keep the default: a short one would close windows while a worker is down.
    running.env = running.env | {"IOC_STREAMS_IDLE_CLOSE_S": str(FAMILY_IDLE_CLOSE_S)}
    running.start()
    try:
        yield name
    finally:
        running.stop()


@pytest.fixture(scope="module")
def worker(local_stack: RunningStack) -> Iterator[WorkerProcess]:
    """The stream worker of the stack's own deployment, one per test module: a module that kills,
    pauses or starves it leaves the next module a fresh one (a restart under the same instance id
    takes over at once: static membership)."""
    running = WorkerProcess(local_stack)
    # These modules wait for windows the wall clock closes, which a fresh worker does only once its
    # tasks have run for one idle timeout: the short one, as for `prefix` (its restarts are immediate).
    running.env = running.env | {"IOC_STREAMS_IDLE_CLOSE_S": str(FAMILY_IDLE_CLOSE_S)}
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium (ioc/browser.py), shared by the console and wall tests."""
    from ioc.browser import chromium

    with chromium(Settings().browser) as running:
        yield running
