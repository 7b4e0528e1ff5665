"""Grafana ClickHouse datasource macros, expanded exactly as the plugin's backend does.

The wall's SQL uses the plugin's macros (`$__timeFilter(col)`, `$__fromTime`, `$__toTime`,
`$__timeInterval(col)`, `$__interval_s`, …) so Grafana fills in the dashboard's time range. Tests and
the wall's browser pages (wall/web) run the same SQL without Grafana, so they expand the macros here first, with the
same output the plugin produces (grafana/clickhouse-datasource `pkg/macros/macros.go`): times become
`toDateTime(<unix seconds>)` or `fromUnixTimestamp64Milli(<unix ms>)`, and intervals whole seconds,
at least 1.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# Grafana's default for a panel without maxDataPoints: roughly one point per pixel column.
DEFAULT_MAX_DATA_POINTS = 1000

_MACRO = re.compile(r"\$__([A-Za-z_]+)")


class MacroError(ValueError):
    """A macro the plugin does not know, or one called with the wrong arguments."""


@dataclass(frozen=True)
class TimeRange:
    """The dashboard's time range and the interval Grafana derived from it for a panel."""

    start: datetime
    end: datetime
    interval: timedelta

    @classmethod
    def last(cls, duration: timedelta, *, now: datetime | None = None, max_data_points: int = 0) -> TimeRange:
        """`now-<duration>` to `now`, with Grafana's interval (range / data points, at least 1 s)."""
        end = now or datetime.now(UTC)
        points = max_data_points or DEFAULT_MAX_DATA_POINTS
        return cls(end - duration, end, max(duration / points, timedelta(seconds=1)))


def _seconds(moment: datetime) -> str:
    return f"toDateTime({int(moment.timestamp())})"


def _millis(moment: datetime) -> str:
    return f"fromUnixTimestamp64Milli({int(moment.timestamp() * 1000)})"


def _date(moment: datetime) -> str:
    return f"toDate('{moment.astimezone(UTC):%Y-%m-%d}')"


def _one(name: str, args: list[str]) -> str:
    if len(args) != 1:
        raise MacroError(f"$__{name} expects 1 argument, got {len(args)}")
    return args[0]


def _filter(convert: Callable[[datetime], str]) -> Callable[[TimeRange, str, list[str]], str]:
    def expand(time_range: TimeRange, name: str, args: list[str]) -> str:
        column = _one(name, args)
        return f"{column} >= {convert(time_range.start)} AND {column} <= {convert(time_range.end)}"

    return expand


def _date_time_filter(time_range: TimeRange, name: str, args: list[str]) -> str:
    if len(args) != 2:
        raise MacroError(f"$__{name} expects 2 arguments, got {len(args)}")
    date_col, time_col = args
    dates = _filter(_date)(time_range, name, [date_col])
    times = _filter(_seconds)(time_range, name, [time_col])
    return f"({dates}) AND ({times})"


def _time_interval(time_range: TimeRange, name: str, args: list[str]) -> str:
    seconds = max(int(time_range.interval.total_seconds()), 1)
    return f"toStartOfInterval(toDateTime({_one(name, args)}), INTERVAL {seconds} second)"


def _time_interval_ms(time_range: TimeRange, name: str, args: list[str]) -> str:
    millis = max(int(time_range.interval.total_seconds() * 1000), 1)
    return f"toStartOfInterval(toDateTime64({_one(name, args)}, 3), INTERVAL {millis} millisecond)"


_WITH_ARGS: dict[str, Callable[[TimeRange, str, list[str]], str]] = {
    "timeFilter": _filter(_seconds),
    "timeFilter_ms": _filter(_millis),
    "dateFilter": _filter(_date),
    "dateTimeFilter": _date_time_filter,
    "dt": _date_time_filter,
    "timeInterval": _time_interval,
    "timeInterval_ms": _time_interval_ms,
}
_BARE: dict[str, Callable[[TimeRange], str]] = {
    "fromTime": lambda r: _seconds(r.start),
    "toTime": lambda r: _seconds(r.end),
    "fromTime_ms": lambda r: _millis(r.start),
    "toTime_ms": lambda r: _millis(r.end),
    "interval_s": lambda r: str(max(int(r.interval.total_seconds()), 1)),
}


def _arguments(sql: str, open_at: int) -> tuple[list[str], int]:
    """The comma-separated arguments of the call whose '(' is at `open_at`, and the index after ')'."""
    depth, start, args = 0, open_at + 1, []
    for index in range(open_at, len(sql)):
        char = sql[index]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                args.append(sql[start:index].strip())
                return [arg for arg in args if arg], index + 1
        elif char == "," and depth == 1:
            args.append(sql[start:index].strip())
            start = index + 1
    raise MacroError(f"unbalanced parentheses after position {open_at}")


def expand(sql: str, time_range: TimeRange) -> str:
    """`sql` with every macro replaced for `time_range`; an unknown macro is an error, not left in."""
    out: list[str] = []
    position = 0
    while (match := _MACRO.search(sql, position)) is not None:
        out.append(sql[position : match.start()])
        name = match.group(1)
        if name in _WITH_ARGS and sql[match.end() : match.end() + 1] == "(":
            args, position = _arguments(sql, match.end())
            out.append(_WITH_ARGS[name](time_range, name, args))
        elif name in _BARE:
            out.append(_BARE[name](time_range))
            position = match.end()
        else:
            raise MacroError(f"unknown macro $__{name}")
    out.append(sql[position:])
    return "".join(out)
