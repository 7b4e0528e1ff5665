"""The aggregation every pipeline of the benchmark computes, in plain Python (standard library only).

One-minute tumbling windows per camera, on event time: the vehicle volume (sum of counts) and the
count-weighted average speed. The same definition as the platform's `traffic.volume` and
`traffic.average_speed`, so the peers do the same work.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

WINDOW_MS = 60_000
# Windows further than this behind the newest event seen are dropped from memory (grace is 30 s).
KEEP_MS = 3 * WINDOW_MS
Window = tuple[str, int]  # (camera_id, window start in epoch milliseconds)


def event_ms(moment: Any) -> int:
    """Epoch milliseconds of a decoded `timestamp-millis` (fastavro gives an aware datetime)."""
    if isinstance(moment, datetime):
        return int(moment.timestamp() * 1000)
    return int(moment)


class WindowTotals:
    """Running totals per (camera, minute): [volume, speed × count, counted vehicles with a speed]."""

    def __init__(self) -> None:
        self.totals: dict[Window, list[float]] = {}
        self.touched: set[Window] = set()
        self.newest_ms = 0

    def add(self, records: Iterable[dict[str, Any]]) -> None:
        """Fold records in; remembers which windows changed since the last `drain_touched`."""
        totals, touched = self.totals, self.touched
        for record in records:
            at = event_ms(record["observed_at"])
            window = (record["camera_id"], at - at % WINDOW_MS)
            acc = totals.get(window)
            if acc is None:
                acc = totals[window] = [0.0, 0.0, 0.0]
            count = record["vehicle_count"]
            acc[0] += count
            speed = record["average_speed_kmh"]
            if speed is not None:
                acc[1] += speed * count
                acc[2] += count
            touched.add(window)
            if at > self.newest_ms:
                self.newest_ms = at

    def drain_touched(self) -> list[tuple[str, int, float, float | None]]:
        """(camera, window start, volume, average speed) of every window changed since last time;
        forgets windows too old to change."""
        rows = [
            (camera, start, acc[0], acc[1] / acc[2] if acc[2] else None)
            for (camera, start), acc in ((w, self.totals[w]) for w in self.touched)
        ]
        self.touched = set()
        horizon = self.newest_ms - KEEP_MS
        for window in [w for w in self.totals if w[1] < horizon]:
            del self.totals[window]
        return rows
