"""Unit tests for streams.model.windows: an instant as epoch milliseconds, whatever zone it carries.

Every expected value is worked out by hand in the comment next to it; none comes from the code under test.
Reference instant: 2024-01-01T00:00:00Z is epoch second 1_704_067_200, i.e. 1_704_067_200_000 ms.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from streams.model.windows import to_millis

NEW_YEAR_2024_MS = 1_704_067_200_000
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
