"""The platform's child processes kept running as compose's `restart: unless-stopped` keeps them.

A child that exits by itself (a worker leaving after a commit that never returns, a fenced consumer)
is started again by `revive`; one that is held down (a chaos fault's crash) stays down until it is
released. `ioc run` and the chaos run both supervise their children with it, so that a guard added
here holds for both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ioc.stack import process
from ioc.stack.artifacts import Progress


@dataclass
class Child:
    """One service process: its command, environment, log and readiness, and what became of it."""

    name: str
    argv: list[str]
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    readiness: process.Readiness | None = None  # None: started, not waited for
    pid: int = 0
    held: bool = False
    restarts: int = 0


class Supervisor:
    """Starts, revives, holds down and stops its children, in the order they were added.

    `starting` is said before every start (first or again), `exited` before one that exited by
    itself is started again (None: the caller reports what `revive` returns); both are formatted
    with the child's `name` and `log`."""

    def __init__(self, progress: Progress, *, starting: str, exited: str | None = None) -> None:
        self.progress = progress
        self.starting = starting
        self.exited = exited
        self.children: dict[str, Child] = {}

    def __contains__(self, name: object) -> bool:
        return name in self.children

    def add(
        self,
        name: str,
        argv: list[str],
        log: Path,
        *,
        env: dict[str, str] | None = None,
        readiness: process.Readiness | None = None,
    ) -> Child:
        child = Child(name, argv, log, env or {}, readiness)
        self.children[name] = child
        return child

    def start(self, names: list[str] | None = None) -> None:
        """Start the named children (all by default), then wait until each with a readiness answers;
        raises StackError with the log's tail when one dies or does not answer in time."""
        chosen = [self.children[name] for name in names or self.children]
        for child in chosen:
            self._launch(child)
        for child in chosen:
            if child.readiness is not None:
                process.wait_ready(child.name, child.pid, child.log, child.readiness)

    def revive(self) -> list[str]:
        """Start again every child that exited by itself (not one held down); returns their names."""
        revived = []
        for child in self.children.values():
            if not child.held and not process.is_alive(child.pid):
                if self.exited is not None:
                    self.progress(self.exited.format(name=child.name, log=child.log))
                child.restarts += 1
                self._launch(child)
                revived.append(child.name)
        return revived

    def hold(self, name: str) -> None:
        """SIGKILL a child, as a crash would, and keep it down until `release`."""
        child = self.children[name]
        child.held = True
        process.kill(child.pid)

    def release(self, name: str) -> None:
        """Start a held child again (not waited for: the caller measures its recovery)."""
        child = self.children[name]
        child.held = False
        child.restarts += 1
        self._launch(child)

    def restarts(self) -> dict[str, int]:
        """How often each child that was started again was, by name."""
        return {name: child.restarts for name, child in self.children.items() if child.restarts}

    def stop_all(self) -> None:
        """Stop every started child, the last added first."""
        for child in reversed(list(self.children.values())):
            if child.pid:
                process.stop(child.pid)

    def _launch(self, child: Child) -> None:
        self.progress(self.starting.format(name=child.name, log=child.log))
        child.pid = process.start(child.name, child.argv, child.log, env=child.env)
