"""Background processes of the stack: start with output to a log file, wait until ready, stop for sure.

Each service runs in its own session (process group) so that stopping it also stops whatever it
spawned, and so that a Ctrl-C in the terminal reaches the stack manager, which then stops the
services in order, rather than reaching the services directly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ioc.stack.errors import StackError


def tail(log: Path, lines: int = 15) -> str:
    """The last lines of a log, for error messages."""
    if not log.exists():
        return ""
    with log.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        handle.seek(max(0, handle.tell() - 64_000))
        text = handle.read().decode(errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def start(
    name: str, argv: list[str], log: Path, *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> int:
    """Start `argv` in the background with stdout and stderr appended to `log`; returns the pid."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"\n--- starting {name}: {' '.join(argv)}\n".encode())
        out.flush()
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return proc.pid


def is_alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        # Reap it if it is our exited child, so that it does not linger as a zombie.
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))


def stop(pid: int, timeout_s: float = 20.0) -> None:
    """SIGTERM the process group, then SIGKILL what is left after the timeout."""
    for sig, wait in ((signal.SIGTERM, timeout_s), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not is_alive(pid):
                return
            time.sleep(0.1)


def kill(pid: int) -> None:
    """SIGKILL the process group, as a crash would, and wait until it is gone (SIGKILL cannot be
    ignored: it is only a matter of the kernel getting to it)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    while is_alive(pid):
        time.sleep(0.05)


@dataclass(frozen=True)
class Readiness:
    """How to know a service is up: `probe` returns True once it answers."""

    probe: Callable[[], bool]
    timeout_s: float


def wait_ready(name: str, pid: int, log: Path, readiness: Readiness) -> None:
    """Block until the probe succeeds; fail with the log's tail if the process dies or time runs out."""
    deadline = time.monotonic() + readiness.timeout_s
    while time.monotonic() < deadline:
        if not is_alive(pid):
            raise StackError(
                f"{name} exited during start-up",
                f"see its log: {log}",
                log_tail=tail(log),
            )
        try:
            if readiness.probe():
                return
        except Exception:  # noqa: S110 - any probe failure just means "not ready yet"
            pass
        time.sleep(0.3)
    stop(pid)
    raise StackError(
        f"{name} did not become ready within {readiness.timeout_s:.0f} s",
        f"see its log: {log}; a slow machine may need IOC_STACK_STARTUP_TIMEOUT_S raised",
        log_tail=tail(log),
    )
