"""Window shapes: which windows a moment belongs to, cut into panes so overlapping windows share work.

A window covers [start, end). Its *panes* are the slices every window of the shape is made of (for a
window of 1 h hopping by 5 min, the 5-minute slices; for a tumbling window, the window itself), so a
record is folded once into its pane and a window's value is the merge of its panes when it is emitted.
A window may *report* only its tail: the hourly VN_AQI reports one hour but looks back twelve, so its
shape is 12 h hopping by 1 h reporting 1 h; such a window exists (is emitted) only when its reported
tail holds data, while the panes before the tail only feed it.

Pure and small: the stream engine (streams/engine) decides when windows close; the models decide
which shape each indicator has.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field


def _duration(ms: int) -> str:
    for unit, unit_ms in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)):
        if ms % unit_ms == 0:
            return f"{ms // unit_ms}{unit}"
    return f"{ms}ms"


@dataclass(frozen=True)
class Sliding:
    """Windows of `size_ms` starting every `hop_ms` (tumbling when the hop is 0 or the size), aligned so
    that starts fall on `offset_ms` modulo the hop (0: the epoch, UTC). `report_ms` (0: the whole
    window) is the reported tail. The size need not be a multiple of the hop: the daily VN_AQI is a
    local day plus the seven hours before it (31 h) starting every 24 h. `exist_ms` (0: the reported
    tail) is the tail whose data makes a window exist, where it differs: the 24 h rainfall reports its
    whole span but exists only when its last hour holds readings, a trailing sum for each hour heard."""

    size_ms: int
    hop_ms: int = 0
    offset_ms: int = 0
    report_ms: int = 0
    exist_ms: int = 0
    pane_ms: int = field(init=False)

    def __post_init__(self) -> None:
        step = self.hop_ms or self.size_ms
        if self.size_ms <= 0 or self.hop_ms < 0 or step > self.size_ms:
            raise ValueError(f"window size must be positive and at least its hop, got {self}")
        if not 0 <= self.report_ms <= self.size_ms or not 0 <= self.exist_ms <= self.size_ms:
            raise ValueError(f"the reported tail must lie inside the window, got {self}")
        tails = (self.report_ms or self.size_ms, self.exist_ms or self.size_ms)
        pane = math.gcd(self.size_ms, step, *tails, self.offset_ms or step)
        object.__setattr__(self, "pane_ms", pane)

    @property
    def step_ms(self) -> int:
        return self.hop_ms or self.size_ms

    @property
    def label(self) -> str:
        """A short name for logs and late-event records, e.g. `1m`, `1h/5m` or `12h/1h>1h`."""
        name = _duration(self.size_ms)
        if self.step_ms != self.size_ms:
            name += f"/{_duration(self.step_ms)}"
        if self.report_ms and self.report_ms != self.size_ms:
            name += f">{_duration(self.report_ms)}"
        return name

    def pane(self, event_ms: int) -> int:
        """The start of the pane holding the moment."""
        return event_ms - (event_ms - self.offset_ms) % self.pane_ms

    def windows(self, pane: int) -> range | tuple[int]:
        """Starts of every window holding the pane, oldest first."""
        if self.pane_ms == self.size_ms:  # tumbling: the pane is the window (the hot path)
            return (pane,)
        step = self.step_ms
        newest = pane - (pane - self.offset_ms) % step
        older = (newest - pane + self.size_ms - 1) // step  # windows before the newest still holding it
        return range(newest - older * step, newest + 1, step)

    def end(self, start: int) -> int:
        return start + self.size_ms

    def report_start(self, start: int) -> int:
        """Where the reported part of the window begins."""
        return start + self.size_ms - (self.report_ms or self.size_ms)

    def panes(self, start: int) -> range:
        """Starts of the panes that make up the window."""
        return range(start, start + self.size_ms, self.pane_ms)

    def reports(self, start: int, pane: int) -> bool:
        """Whether data in the pane makes the window exist: the pane lies in its reported tail (or in
        its `exist_ms` tail, when set)."""
        end = start + self.size_ms
        return end - (self.exist_ms or self.report_ms or self.size_ms) <= pane < end


@dataclass(frozen=True)
class Calendar:
    """Tumbling windows of the local calendar (a day, a month), whose lengths vary: `bounds` gives the
    [start, end) of the period holding a moment. One pane per window."""

    name: str
    bounds: Callable[[int], tuple[int, int]]

    @property
    def label(self) -> str:
        return self.name

    def pane(self, event_ms: int) -> int:
        return self.bounds(event_ms)[0]

    def windows(self, pane: int) -> tuple[int, ...]:
        return (pane,)

    def end(self, start: int) -> int:
        return self.bounds(start)[1]

    def report_start(self, start: int) -> int:
        return start

    def panes(self, start: int) -> tuple[int, ...]:
        return (start,)

    def reports(self, start: int, pane: int) -> bool:
        return start == pane


Shape = Sliding | Calendar
