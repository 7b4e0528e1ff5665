"""The real local stack (Kafka, Apicurio, chDB warehouse) and a Faust worker, started once per test
session by the project's own stack code, on free loopback ports, with data in a temporary folder,
and stopped at the end whatever happened."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ioc.contracts import apply_contracts
from ioc.endpoints import Endpoints
from ioc.settings import Settings, StackSettings
from ioc.stack import process
from ioc.stack.manager import LocalStack


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
        endpoints = stack.up(prepare=lambda ep: apply_contracts(ep, settings.topic_prefix, progress))
        yield RunningStack(settings, stack, endpoints, stack_dir)
    finally:
        stack.down()


@pytest.fixture(scope="session")
def worker(local_stack: RunningStack) -> Iterator[Path]:
    """The Faust worker as its own process, as `ioc worker` runs it; yields its log."""
    log = local_stack.dir / "logs" / "worker.log"
    env = {
        "IOC_STACK_DIR": str(local_stack.dir),
        "IOC_STREAMS_DATA_DIR": str(local_stack.dir / "streams"),
        "IOC_STREAMS_CLOSE_CHECK_INTERVAL_S": "1",
    }
    progress("Starting the Faust worker…")
    pid = process.start("worker", [sys.executable, "-m", "ioc.cli", "worker"], log, env=env)
    try:
        deadline = time.monotonic() + 120
        while "Worker ready" not in log.read_text(errors="replace"):
            assert process.is_alive(pid), f"worker exited:\n{process.tail(log, 40)}"
            assert time.monotonic() < deadline, f"worker not ready:\n{process.tail(log, 40)}"
            time.sleep(0.5)
        progress("worker: ready")
        yield log
    finally:
        process.stop(pid)
