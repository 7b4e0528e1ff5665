"""Resends stop at the sink: no row is inserted whose key its table already holds.

A raw input table is a `ReplacingMergeTree` whose sorting key holds the record's `event_id`, so a
vendor's resend (same record, new Kafka message) collapses there in a background merge. The
rollups' materialized views, however, see every inserted row, and would count the copy for good.
So before each insert the sink asks the table which of the batch's keys it already holds, and
drops those rows, and any row whose key came earlier in the same batch (the first copy wins, as
the ingestion gateway's own deduplication does).

A row is dropped only when a stored row has the same sorting key, every column of it: exactly what
the table itself would collapse, so the rollups always equal the raw table read with `FINAL`. A
stored row that merely shares the `event_id` (another camera, another time) is not a duplicate.

The lookup is one query per batch and table partition, restricted to the batch's event times (a
few ranges, so one late record does not stretch it over hours) and to its event ids. The raw
tables are ordered by entity first (`camera_id, observed_at, event_id`): a time range alone would
read about one granule per camera of every part it overlaps, so each table has a projection
`event_keys` ordered by time and event id (migration 070) that ClickHouse picks for this query.
The ids travel inside the query text, as one string literal the server splits (an array query
parameter costs tens of milliseconds to bind for 20,000 ids, and a URL cannot carry them).

This module is pure (no Kafka, no ClickHouse): `sinks/sink.py` runs the query.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain
from operator import itemgetter
from typing import Any, TypeVar

Key = tuple[Any, ...]
R = TypeVar("R", bound=Sequence[Any])
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Event times further apart than this are looked up as separate ranges (a projection ordered by time
# reads about what a range spans, so merging ranges across a wide gap would read the gap too).
MAX_GAP = timedelta(minutes=1)
MAX_RANGES = 32
# A separator no event id contains (the ingestion gateway and the contracts allow printable text);
# an id that does hold one is left out of the lookup, so its row is inserted, never wrongly dropped.
SEPARATOR = "\x00"
# ClickHouse parses at most this much query text by default; the lookup raises it for its own query.
QUERY_SIZE_MARGIN = 4096


@dataclass(frozen=True)
class EventKey:
    """A table's sorting key when it holds `event_id`: the columns in ORDER BY order, and which of
    them is the event time (a `DateTime64(3, 'UTC')`; the others are strings)."""

    columns: tuple[str, ...]
    time: str = "observed_at"

    def __post_init__(self) -> None:
        if "event_id" not in self.columns or self.time not in self.columns:
            raise ValueError(f"an event key needs event_id and {self.time}: {self.columns}")


def time_ranges(
    spans: Iterable[tuple[datetime, datetime]], max_gap: timedelta = MAX_GAP, max_ranges: int = MAX_RANGES
) -> list[tuple[datetime, datetime]]:
    """Time spans (first, last) as few closed ranges covering them all: spans that overlap or are at
    most `max_gap` apart are one range; past `max_ranges` ranges, only the widest gaps separate."""
    ranges: list[list[datetime]] = []
    for lo, hi in sorted(spans):
        if ranges and lo - ranges[-1][1] <= max_gap:
            ranges[-1][1] = max(ranges[-1][1], hi)
        else:
            ranges.append([lo, hi])
    if len(ranges) > max_ranges:
        gaps = sorted(((ranges[i + 1][0] - ranges[i][1], i) for i in range(len(ranges) - 1)), reverse=True)
        cuts = sorted(i for _, i in gaps[: max_ranges - 1])
        merged, start = [], 0
        for cut in [*cuts, len(ranges) - 1]:
            merged.append([ranges[start][0], ranges[cut][1]])
            start = cut + 1
        ranges = merged
    return [(lo, hi) for lo, hi in ranges]


def string_literal(value: str) -> str:
    """A ClickHouse string literal (backslash escapes; the NUL byte as `\\0`)."""
    if "\\" in value or "'" in value:  # rare in event ids: two scans instead of two copies
        value = value.replace("\\", "\\\\").replace("'", "\\'")
    return "'" + value.replace(SEPARATOR, "\\0") + "'"


def datetime64_literal(value: datetime) -> str:
    """A `DateTime64(3, 'UTC')` constant (a naive datetime is taken as UTC, as the sink inserts it)."""
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return f"toDateTime64('{utc.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]}', 3, 'UTC')"


class KeyFilter:
    """One table's event key over the sink's rows: the lookup query, its answer, and the filtering."""

    def __init__(self, table: str, columns: Sequence[str], key: EventKey) -> None:
        self.table = table
        self.key = key
        positions = [list(columns).index(c) for c in key.columns]
        self.key_of = itemgetter(*positions)
        self.id_of = itemgetter(positions[key.columns.index("event_id")])
        self.time_of = itemgetter(positions[key.columns.index(key.time)])
        self._time_at = key.columns.index(key.time)

    def lookup_sql(self, messages: Iterable[Sequence[Sequence[Any]]]) -> str | None:
        """The query for the stored keys among the rows of `messages` (None when there is nothing to
        ask): rows of the table in their time ranges with one of their event ids, times as epoch
        milliseconds. Built with C-level operations where it can: it runs for every batch of up to
        20,000 rows (a set of aware datetimes alone would cost several milliseconds)."""
        messages = [rows for rows in messages if rows]
        if not messages:
            return None
        ids = list(
            map(self.id_of, chain.from_iterable(messages))
        )  # repeats are harmless: the server makes a set
        joined = SEPARATOR.join(ids)
        if joined.count(SEPARATOR) != len(ids) - 1:  # an id holding the separator is not asked
            ids = [i for i in ids if SEPARATOR not in i]
            if not ids:
                return None
            joined = SEPARATOR.join(ids)
        time = self.key.time
        one_ms = timedelta(milliseconds=1)  # the range is widened by the precision ClickHouse keeps
        ranges = " OR ".join(
            f"{time} BETWEEN {datetime64_literal(lo - one_ms)} AND {datetime64_literal(hi + one_ms)}"
            for lo, hi in time_ranges(self._spans(messages))
        )
        selected = ", ".join(f"toUnixTimestamp64Milli({c})" if c == time else c for c in self.key.columns)
        return (
            f"SELECT {selected} FROM {self.table} WHERE ({ranges}) "  # noqa: S608 - names from code, values quoted
            f"AND event_id IN (SELECT arrayJoin(splitByChar('\\0', {string_literal(joined)})))"
        )

    def _spans(self, messages: list[Sequence[Sequence[Any]]]) -> Iterator[tuple[datetime, datetime]]:
        """Each message's span of event times (a batch's records usually lie close together), or, for
        a message holding a late record among live ones, each of its times on its own."""
        for rows in messages:
            lo, hi = min(map(self.time_of, rows)), max(map(self.time_of, rows))
            if hi - lo <= MAX_GAP:
                yield lo, hi
            else:
                yield from ((t, t) for t in map(self.time_of, rows))

    def stored_keys(self, answer: bytes) -> set[Key]:
        """The lookup's answer (`JSONCompactEachRow`) as keys comparable with the rows' own."""
        keys = set()
        for line in answer.splitlines():
            if line.strip():
                values = json.loads(line)
                values[self._time_at] = EPOCH + timedelta(milliseconds=int(values[self._time_at]))
                keys.add(tuple(values))
        return keys

    def all_new(self, rows: Sequence[Sequence[Any]], stored: set[Key]) -> bool:
        """Whether no row needs dropping: nothing stored, and no event id twice in the rows (so no
        key twice either), checked without building a key per row."""
        return not stored and len(set(map(self.id_of, rows))) == len(rows)

    def new_rows(self, rows: Iterable[R], seen: set[Key]) -> list[R]:
        """The rows whose key is not in `seen`, each key once (its first row); `seen` is not changed."""
        met: set[Key] = set()
        kept = []
        for row in rows:
            key = self.key_of(row)
            if key not in seen and key not in met:
                met.add(key)
                kept.append(row)
        return kept

    def fresh(self, rows: list[R], stored: set[Key]) -> list[R]:
        """The rows to insert: none whose key is stored, and each key once (its first row)."""
        return rows if self.all_new(rows, stored) else self.new_rows(rows, stored)
