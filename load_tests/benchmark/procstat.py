"""CPU time and memory of processes, read from /proc (Linux), for a process and its children."""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """The process and every descendant alive now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    tree, queue = [], [pid]
    while queue:
        current = queue.pop()
        tree.append(current)
        queue += children.get(current, [])
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time of the processes so far (exited ones count as 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_mb(pids: list[int]) -> float:
    """Resident memory now, summed over the processes, in MiB."""
    return sum(_status_kb(pid, "VmRSS") for pid in pids) / 1024


def peak_rss_mb(pids: list[int]) -> float:
    """The high-water mark of resident memory (VmHWM), summed over the processes, in MiB."""
    return sum(_status_kb(pid, "VmHWM") for pid in pids) / 1024
