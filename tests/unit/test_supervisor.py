"""Unit tests for ioc.stack.supervisor with real short-lived child processes (a sleeper, a quitter)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ioc.stack import process
from ioc.stack.errors import StackError
from ioc.stack.supervisor import Supervisor

SLEEP = [sys.executable, "-c", "import time; time.sleep(30)"]
QUIT = [sys.executable, "-c", "pass"]


@pytest.fixture
def said() -> list[str]:
    return []


@pytest.fixture
def supervisor(said: list[str]) -> Iterator[Supervisor]:
    """A supervisor whose children are all stopped after the test, whatever it left running."""
    children = Supervisor(said.append, starting="starting {name}…", exited="{name} exited (see {log})")
    yield children
    children.stop_all()


def gone(pid: int, within_s: float = 5.0) -> bool:
    deadline = time.monotonic() + within_s
    while process.is_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_revive_restarts_what_exited_by_itself_not_what_is_held(
    supervisor: Supervisor, said: list[str], tmp_path: Path
) -> None:
    for name, argv in (("sleeper", SLEEP), ("quitter", QUIT), ("victim", SLEEP)):
        supervisor.add(name, argv, tmp_path / f"{name}.log", env={"IOC_TEST_CHILD": name})
    supervisor.start()
    first = {name: child.pid for name, child in supervisor.children.items()}
    assert all(first.values())
    assert gone(first["quitter"])
    supervisor.hold("victim")
    assert not process.is_alive(first["victim"])

    assert supervisor.revive() == ["quitter"]

    children = supervisor.children
    assert children["quitter"].pid != first["quitter"]
    assert children["sleeper"].pid == first["sleeper"] and process.is_alive(first["sleeper"])
    assert children["victim"].pid == first["victim"] and children["victim"].held
    assert supervisor.restarts() == {"quitter": 1}
    log = tmp_path / "quitter.log"
    assert said == [
        "starting sleeper…",
        "starting quitter…",
        "starting victim…",
        f"quitter exited (see {log})",
        "starting quitter…",
    ]
    assert log.read_text().count("--- starting quitter") == 2

    supervisor.release("victim")
    assert not children["victim"].held and process.is_alive(children["victim"].pid)
    assert supervisor.restarts() == {"quitter": 1, "victim": 1}

    supervisor.stop_all()
    assert not any(process.is_alive(child.pid) for child in children.values())


def test_start_waits_for_readiness_and_fails_with_a_child_that_dies(
    supervisor: Supervisor, tmp_path: Path
) -> None:
    flag = tmp_path / "up"
    supervisor.add(
        "writer",
        [sys.executable, "-c", f"import pathlib, time; pathlib.Path({str(flag)!r}).touch(); time.sleep(30)"],
        tmp_path / "writer.log",
        readiness=process.Readiness(flag.exists, 10.0),
    )
    supervisor.start()
    assert flag.exists()

    supervisor.add("dies", QUIT, tmp_path / "dies.log", readiness=process.Readiness(lambda: False, 10.0))
    with pytest.raises(StackError, match="dies exited during start-up"):
        supervisor.start(["dies"])
    assert process.is_alive(supervisor.children["writer"].pid)
