"""Event-time tumbling windows: which window an event belongs to, and when a window is closed.

Pure functions, tested without Kafka. A window is identified by its start in epoch milliseconds.
A window is closed once the partition's watermark (the newest event time seen) has passed its end
plus the grace period, or, for keys that have gone quiet, once the wall clock has passed its end
plus grace plus the idle timeout (Faust's own window-close callbacks fire late or never for idle keys).
"""

from __future__ import annotations

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
