"""Event-time windows (tumbling and hopping): which windows an event belongs to, and when one is closed.

Pure functions, tested without Kafka. A window is identified by its start in epoch milliseconds.
A window is closed once its key's watermark (the newest event time seen) has passed its end
plus the grace period, or, for keys that have gone quiet, once the wall clock has passed its end
plus grace plus the idle timeout (Faust's own window-close callbacks fire late or never for idle keys).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_millis(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime (Avro timestamp-millis decodes to one). Integer
    arithmetic: `timestamp() * 1000` is a float and comes out 1 ms low for some instants."""
    return (moment - EPOCH) // timedelta(milliseconds=1)


def window_start(event_ms: int, size_ms: int) -> int:
    """Start of the tumbling window of `size_ms` that holds the event (windows align to the epoch, UTC)."""
    return event_ms - event_ms % size_ms


def is_late(event_ms: int, size_ms: int, watermark_ms: int, grace_ms: int) -> bool:
    """Whether the event's window had already closed when it arrived (its end plus grace is behind the watermark)."""
    return window_start(event_ms, size_ms) + size_ms + grace_ms <= watermark_ms


def is_closed(
    start_ms: int, size_ms: int, watermark_ms: int, grace_ms: int, now_ms: int, idle_ms: int
) -> bool:
    """Whether a window is due to be emitted as final, by event time or, for quiet keys, by wall clock."""
    end = start_ms + size_ms
    return end + grace_ms <= watermark_ms or end + grace_ms + idle_ms <= now_ms


@dataclass(frozen=True)
class WindowSpec:
    """A window shape: tumbling when `hop_ms` is 0, else hopping (windows of `size_ms` starting every
    `hop_ms`, so an event belongs to `size_ms / hop_ms` overlapping windows). Aligned to the epoch."""

    size_ms: int
    hop_ms: int = 0

    def __post_init__(self) -> None:
        if self.size_ms <= 0 or self.hop_ms < 0:
            raise ValueError(f"window size must be positive and hop not negative, got {self}")
        if self.hop_ms and self.size_ms % self.hop_ms:
            raise ValueError(f"window size {self.size_ms} ms must be a multiple of its hop {self.hop_ms} ms")

    @property
    def step_ms(self) -> int:
        """Distance between the starts of consecutive windows."""
        return self.hop_ms or self.size_ms

    @property
    def label(self) -> str:
        """A short name for logs and late-event records, e.g. `1m` or `1h/5m`."""
        size = _duration(self.size_ms)
        return f"{size}/{_duration(self.hop_ms)}" if self.hop_ms else size

    def starts(self, event_ms: int) -> range:
        """Starts of every window holding the event, oldest first (one for a tumbling window)."""
        last = window_start(event_ms, self.step_ms)
        return range(last - self.size_ms + self.step_ms, last + 1, self.step_ms)


def _duration(ms: int) -> str:
    for unit, unit_ms in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)):
        if ms % unit_ms == 0:
            return f"{ms // unit_ms}{unit}"
    return f"{ms}ms"


def now_ms() -> int:
    """Wall-clock time in epoch milliseconds: what closes quiet windows and stamps computed_at."""
    return int(time.time() * 1000)
