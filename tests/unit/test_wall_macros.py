"""Macro expansion matches the grafana-clickhouse-datasource backend (pkg/macros/macros.go)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from wall.macros import MacroError, TimeRange, expand

RANGE = TimeRange(
    datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
    datetime(2026, 3, 2, 7, 0, 30, 250_000, tzinfo=UTC),
    timedelta(seconds=90),
)
FROM_S, TO_S = int(RANGE.start.timestamp()), int(RANGE.end.timestamp())


def test_time_filter_uses_whole_seconds_inclusive_on_both_ends() -> None:
    assert expand("WHERE $__timeFilter(observed_at)", RANGE) == (
        f"WHERE observed_at >= toDateTime({FROM_S}) AND observed_at <= toDateTime({TO_S})"
    )


def test_millisecond_variants_use_unix_milliseconds() -> None:
    assert expand("$__fromTime_ms $__toTime_ms", RANGE) == (
        f"fromUnixTimestamp64Milli({FROM_S * 1000}) fromUnixTimestamp64Milli({TO_S * 1000 + 250})"
    )


def test_bare_time_macros_and_interval() -> None:
    assert (
        expand("$__fromTime|$__toTime|$__interval_s", RANGE) == f"toDateTime({FROM_S})|toDateTime({TO_S})|90"
    )


def test_time_interval_keeps_nested_parentheses_in_its_argument() -> None:
    assert expand("$__timeInterval(toStartOfMinute(t)) AS time", RANGE) == (
        "toStartOfInterval(toDateTime(toStartOfMinute(t)), INTERVAL 90 second) AS time"
    )


def test_date_time_filter_takes_two_columns() -> None:
    assert expand("$__dateTimeFilter(d, t)", RANGE) == (
        f"(d >= toDate('2026-03-02') AND d <= toDate('2026-03-02')) AND "
        f"(t >= toDateTime({FROM_S}) AND t <= toDateTime({TO_S}))"
    )


def test_interval_is_at_least_one_second() -> None:
    short = TimeRange.last(timedelta(seconds=30), now=RANGE.end)
    assert expand("$__interval_s", short) == "1"
    assert TimeRange.last(timedelta(hours=6), now=RANGE.end, max_data_points=360).interval == timedelta(
        minutes=1
    )


def test_unknown_macros_and_wrong_arguments_are_errors() -> None:
    with pytest.raises(MacroError, match="unknown macro"):
        expand("$__timeGroup(t, 1m)", RANGE)
    with pytest.raises(MacroError, match="expects 1 argument"):
        expand("$__timeFilter(a, b)", RANGE)
    with pytest.raises(MacroError, match="unbalanced"):
        expand("$__timeFilter(a", RANGE)
