"""Local days and months (Asia/Ho_Chi_Minh, UTC+7) as UTC windows."""

from __future__ import annotations

from datetime import UTC, datetime

from streams.model.local_calendar import day_window, month_window


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def test_a_local_day_starts_at_17_00_utc_the_day_before() -> None:
    # 16:59 UTC on 9 Nov is 23:59 local on 9 Nov; 17:00 UTC is already 10 Nov locally
    assert day_window(ms(datetime(2026, 11, 9, 16, 59, tzinfo=UTC))) == (
        ms(datetime(2026, 11, 8, 17, tzinfo=UTC)),
        ms(datetime(2026, 11, 9, 17, tzinfo=UTC)),
    )
    assert day_window(ms(datetime(2026, 11, 9, 17, 0, tzinfo=UTC)))[0] == ms(
        datetime(2026, 11, 9, 17, tzinfo=UTC)
    )


def test_a_local_month_runs_between_local_midnights_across_the_year() -> None:
    # 31 Dec 18:00 UTC is 1 Jan 01:00 local: January's window
    assert month_window(ms(datetime(2026, 12, 31, 18, 0, tzinfo=UTC))) == (
        ms(datetime(2026, 12, 31, 17, tzinfo=UTC)),
        ms(datetime(2027, 1, 31, 17, tzinfo=UTC)),
    )
