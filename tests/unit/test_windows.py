"""Unit tests for streams.model.windows: which window an event falls in, and when a window is late or closed.

Every expected value is worked out by hand in the comment next to it; none comes from the code under test.
Reference instant: 2024-01-01T00:00:00Z is epoch second 1_704_067_200, i.e. 1_704_067_200_000 ms, which is a
whole number of minutes (28_401_120), hours (473_352) and days (19_723) since the epoch.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from streams.model.windows import WindowSpec, is_closed, is_late, to_millis, window_start

NEW_YEAR_2024_MS = 1_704_067_200_000
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
HANOI = timezone(timedelta(hours=7))


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # The epoch itself.
        (datetime(1970, 1, 1, tzinfo=UTC), 0),
        (datetime(2024, 1, 1, tzinfo=UTC), NEW_YEAR_2024_MS),
        # 123 ms later.
        (datetime(2024, 1, 1, 0, 0, 0, 123_000, tzinfo=UTC), NEW_YEAR_2024_MS + 123),
        # 07:00 in Hanoi (UTC+7) is the same instant as 00:00 UTC.
        (datetime(2024, 1, 1, 7, 0, tzinfo=HANOI), NEW_YEAR_2024_MS),
        # 2025-06-01T12:00:00.500Z: 2025-06-01 is day 20_240 since the epoch -> 20_240 * 86_400 s
        # = 1_748_736_000 s, plus 12 h = 43_200 s -> 1_748_779_200 s, plus 500 ms.
        (datetime(2025, 6, 1, 12, 0, 0, 500_000, tzinfo=UTC), 1_748_779_200_500),
    ],
)
def test_to_millis_counts_milliseconds_since_the_epoch(moment: datetime, expected: int) -> None:
    """Window assignment depends on the exact epoch millisecond, whatever zone the datetime carries."""
    assert to_millis(moment) == expected


def test_to_millis_drops_sub_millisecond_precision() -> None:
    """Microseconds below a whole millisecond must not round the event into the next millisecond."""
    # 123.999 ms -> 123 ms (truncated, as timestamp-millis stores it).
    assert to_millis(datetime(2024, 1, 1, 0, 0, 0, 123_999, tzinfo=UTC)) == NEW_YEAR_2024_MS + 123


@pytest.mark.parametrize(
    ("event_ms", "size_ms", "expected"),
    [
        # Exactly at a window's start: that window, not the previous one.
        (NEW_YEAR_2024_MS, MINUTE_MS, NEW_YEAR_2024_MS),
        # Inside the minute.
        (NEW_YEAR_2024_MS + 123, MINUTE_MS, NEW_YEAR_2024_MS),
        # The last millisecond of the minute still belongs to it (the end is exclusive).
        (NEW_YEAR_2024_MS + 59_999, MINUTE_MS, NEW_YEAR_2024_MS),
        # Exactly at the end: the next window starts there.
        (NEW_YEAR_2024_MS + 60_000, MINUTE_MS, NEW_YEAR_2024_MS + 60_000),
        # 00:59:59.999 is in the hour starting 00:00.
        (NEW_YEAR_2024_MS + 3_599_999, HOUR_MS, NEW_YEAR_2024_MS),
        # Windows align to the epoch, not to the first event: 90 s falls in [60 s, 120 s).
        (90_000, MINUTE_MS, 60_000),
        # 5-minute windows: 00:07:30 falls in [00:05, 00:10) -> start + 300_000.
        (NEW_YEAR_2024_MS + 450_000, 5 * MINUTE_MS, NEW_YEAR_2024_MS + 300_000),
        (0, MINUTE_MS, 0),
    ],
)
def test_window_start(event_ms: int, size_ms: int, expected: int) -> None:
    """Each event lands in exactly one tumbling window, [start, start + size)."""
    assert window_start(event_ms, size_ms) == expected


def test_daily_windows_align_to_utc_midnight_not_local_midnight() -> None:
    """Day windows are UTC days: 05:00 in Hanoi on 1 January is still 31 December in UTC."""
    # 2024-01-01T05:00+07:00 = 2023-12-31T22:00Z; that UTC day starts 2023-12-31T00:00Z
    # = NEW_YEAR_2024_MS - 86_400_000 = 1_703_980_800_000.
    event = to_millis(datetime(2024, 1, 1, 5, 0, tzinfo=HANOI))
    assert window_start(event, DAY_MS) == 1_703_980_800_000


# Window [60_000, 120_000) with 30 s grace: it closes once the watermark reaches 120_000 + 30_000 = 150_000.
START = 60_000
GRACE = 30_000


@pytest.mark.parametrize(
    ("event_ms", "watermark_ms", "expected"),
    [
        # The watermark exactly at end + grace: the window has closed, the event is late.
        (START, 150_000, True),
        # 1 ms before end + grace: still accepted.
        (START, 149_999, False),
        # The last millisecond of the window is judged by the same window.
        (START + 59_999, 150_000, True),
        (START + 59_999, 149_999, False),
        # An event of the next window [120_000, 180_000) closes at 210_000, so it is on time at 150_000...
        (120_000, 150_000, False),
        # ...and late from 210_000 on.
        (120_000, 210_000, True),
        # A watermark far behind: nothing is late.
        (START, 0, False),
    ],
)
def test_is_late(event_ms: int, watermark_ms: int, expected: bool) -> None:
    """Late events go to the late-events topic instead of silently changing a final window."""
    assert is_late(event_ms, MINUTE_MS, watermark_ms, GRACE) is expected


def test_is_late_without_grace_is_late_exactly_at_the_window_end() -> None:
    """With no grace the window closes at its end: watermark 120_000 closes [60_000, 120_000)."""
    assert is_late(START, MINUTE_MS, 120_000, 0) is True
    assert is_late(START, MINUTE_MS, 119_999, 0) is False


# Closing by wall clock: end + grace + idle = 120_000 + 30_000 + 60_000 = 210_000.
IDLE = 60_000


@pytest.mark.parametrize(
    ("watermark_ms", "now_ms", "expected"),
    [
        # By event time: watermark exactly at end + grace = 150_000 closes it, wall clock irrelevant.
        (150_000, 0, True),
        (149_999, 0, False),
        # By wall clock for a quiet key: watermark stuck at 0, now exactly at 210_000 closes it.
        (0, 210_000, True),
        # 1 ms before end + grace + idle: still open.
        (0, 209_999, False),
        # Wall clock past end + grace but not past the idle timeout: the key may still speak.
        (0, 150_000, False),
        # Both just short: open.
        (149_999, 209_999, False),
        # Both past: closed.
        (150_000, 210_000, True),
    ],
)
def test_is_closed(watermark_ms: int, now_ms: int, expected: bool) -> None:
    """A window is final by event time, or by wall clock once its key has been idle long enough."""
    assert is_closed(START, MINUTE_MS, watermark_ms, GRACE, now_ms, IDLE) is expected


def test_is_closed_agrees_with_is_late_on_event_time() -> None:
    """An event is late exactly when its window counts as closed by the watermark (same boundary)."""
    for watermark in (149_999, 150_000):
        # now = 0 so only the watermark can close the window.
        assert is_closed(START, MINUTE_MS, watermark, GRACE, 0, IDLE) is is_late(
            START + 1, MINUTE_MS, watermark, GRACE
        )


def test_tumbling_spec_has_one_window_per_event() -> None:
    """A tumbling window is the hopping case with hop = size: exactly one window holds an event."""
    minute = WindowSpec(MINUTE_MS)
    # 00:00:59.999 is still in the 00:00 minute; 00:01:00.000 starts the next one.
    assert list(minute.starts(NEW_YEAR_2024_MS + 59_999)) == [NEW_YEAR_2024_MS]
    assert list(minute.starts(NEW_YEAR_2024_MS + 60_000)) == [NEW_YEAR_2024_MS + 60_000]
    assert minute.step_ms == MINUTE_MS


def test_hopping_spec_lists_every_overlapping_window_oldest_first() -> None:
    """One hour by 5 minutes: an event at 00:07 belongs to the 12 hours starting 23:10 (day before)
    through 00:05, every 5 minutes."""
    hour_by_5 = WindowSpec(HOUR_MS, 5 * MINUTE_MS)
    starts = list(hour_by_5.starts(NEW_YEAR_2024_MS + 7 * MINUTE_MS))
    # First: 00:05 - 60 min + 5 min = 23:10 the day before = new year - 50 min.
    assert starts[0] == NEW_YEAR_2024_MS - 50 * MINUTE_MS
    assert starts[-1] == NEW_YEAR_2024_MS + 5 * MINUTE_MS
    assert len(starts) == 12
    assert all(b - a == 5 * MINUTE_MS for a, b in zip(starts, starts[1:], strict=False))
    assert all(start <= NEW_YEAR_2024_MS + 7 * MINUTE_MS < start + HOUR_MS for start in starts)


def test_hopping_window_boundary_event_starts_a_new_window() -> None:
    """An event exactly at 00:05 is in the window starting 00:05, and no longer in the one from 23:05."""
    starts = list(WindowSpec(HOUR_MS, 5 * MINUTE_MS).starts(NEW_YEAR_2024_MS + 5 * MINUTE_MS))
    assert starts[-1] == NEW_YEAR_2024_MS + 5 * MINUTE_MS
    # 23:05 + 60 min = 00:05, end exclusive: not in it; the oldest is 23:10.
    assert starts[0] == NEW_YEAR_2024_MS - 50 * MINUTE_MS


@pytest.mark.parametrize(
    ("spec", "label"),
    [
        (WindowSpec(MINUTE_MS), "1m"),
        (WindowSpec(HOUR_MS, 5 * MINUTE_MS), "1h/5m"),
        (WindowSpec(DAY_MS), "1d"),
    ],
)
def test_spec_label(spec: WindowSpec, label: str) -> None:
    """Labels name the computation in logs and late-event records."""
    assert spec.label == label


@pytest.mark.parametrize(("size", "hop"), [(0, 0), (HOUR_MS, 7 * MINUTE_MS), (MINUTE_MS, -1)])
def test_spec_refuses_shapes_that_do_not_tile(size: int, hop: int) -> None:
    """A size that is not a multiple of the hop would give events a varying number of windows."""
    with pytest.raises(ValueError, match="window"):
        WindowSpec(size, hop)
