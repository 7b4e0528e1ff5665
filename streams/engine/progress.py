"""How far a task may close windows when several members feed it: the sources of one input partition
(upstream.py) or the source partitions of one totals partition (owner.py).

A member that has not moved for the idle timeout (quiet, or its worker down) stops holding the others
back until it moves again; what moving means is the caller's (a source's newer record; a source
partition's progress message), and so is what happens when no member moves at all.
"""

from __future__ import annotations


def least_moving_clock(
    clocks: dict[str, int], moved_at: dict[str, int], now: int, idle_ms: int
) -> int | None:
    """The least clock of the members that moved within `idle_ms` of `now` (wall-clock ms); None
    when none did."""
    moving = [clock for member, clock in clocks.items() if now - moved_at[member] < idle_ms]
    return min(moving) if moving else None
