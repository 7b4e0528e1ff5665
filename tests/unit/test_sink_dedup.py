"""The sink's resend filter without ClickHouse: the time ranges and the lookup it asks, how the answer
is read, which rows it drops (only rows whose whole sorting key is stored or came earlier in the
batch), and the sink around it with a fake table: a resend inserts nothing, a retry after a partial
insert is not mistaken for the first attempt, and a refused message loses none of the records it
shared with another message. `tests/integration/test_sink_resends.py` proves it on the real stack."""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sinks.dedup import EPOCH, EventKey, KeyFilter, datetime64_literal, string_literal, time_ranges
from sinks.sink import TopicSink
from sinks.tables import MAPPINGS, TableMapping
from topics.catalog import CAMERA_VEHICLE_COUNTS

T0 = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)
VEHICLES = next(m for m in MAPPINGS if m.topic == CAMERA_VEHICLE_COUNTS)
TOPIC = "ioc.camera.vehicle-counts"


def counts(ids: list[str], camera: str = "CAM-1", at: datetime = T0, offset: int = 0) -> list[list[Any]]:
    """Vehicle-count rows as the sink builds them: the mapping's columns, then topic, partition, offset."""
    batch = {
        "source_id": "VMS-A",
        "records": [
            {
                "event_id": event_id,
                "camera_id": camera,
                "observed_at": at + timedelta(seconds=i),
                "interval_seconds": 60,
                "lane": 1,
                "vehicle_class": "car",
                "vehicle_count": 3 + i,
                "average_speed_kmh": 30.0,
            }
            for i, event_id in enumerate(ids)
        ],
    }
    return [[*row, TOPIC, 0, offset] for row in VEHICLES.rows(batch)]


def key_filter(mapping: TableMapping = VEHICLES) -> KeyFilter:
    assert mapping.event_key is not None
    return KeyFilter(mapping.table, mapping.columns, mapping.event_key)


# --- time ranges ----------------------------------------------------------------------------------


def points(times: list[datetime]) -> list[tuple[datetime, datetime]]:
    return [(t, t) for t in times]


def test_no_spans_no_ranges_and_repeated_spans_one_range() -> None:
    assert time_ranges([]) == []
    assert time_ranges(points([T0, T0])) == [(T0, T0)]


def test_spans_close_together_are_one_range_and_a_late_one_its_own() -> None:
    live = [(T0, T0 + timedelta(seconds=30)), (T0 + timedelta(seconds=60), T0 + timedelta(seconds=90))]
    late = T0 - timedelta(hours=3)
    assert time_ranges([*live, (late, late)], max_gap=timedelta(minutes=1)) == [
        (late, late),
        (T0, T0 + timedelta(seconds=90)),
    ]


def test_a_span_inside_another_does_not_end_it() -> None:
    outer, inner = (T0, T0 + timedelta(hours=1)), (T0 + timedelta(minutes=5), T0 + timedelta(minutes=6))
    assert time_ranges([outer, inner]) == [outer]


def test_a_gap_of_exactly_max_gap_does_not_split() -> None:
    times = [T0, T0 + timedelta(minutes=1)]
    assert time_ranges(points(times), max_gap=timedelta(minutes=1)) == [(T0, times[1])]


def test_past_max_ranges_only_the_widest_gaps_split() -> None:
    # Gaps of 2, 9, 3 and 7 hours: with three ranges allowed, the 9 and 7 hour gaps split.
    times = [T0 + timedelta(hours=h) for h in (0, 2, 11, 14, 21)]
    ranges = time_ranges(points(times), max_gap=timedelta(minutes=1), max_ranges=3)
    assert ranges == [(times[0], times[1]), (times[2], times[3]), (times[4], times[4])]


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10_000_000), st.integers(min_value=0, max_value=100_000)
        ),
        min_size=1,
        max_size=60,
    )
)
def test_ranges_cover_every_span_in_order_without_overlap(spans_ms: list[tuple[int, int]]) -> None:
    spans = [(T0 + timedelta(milliseconds=a), T0 + timedelta(milliseconds=a + d)) for a, d in spans_ms]
    ranges = time_ranges(spans, max_gap=timedelta(seconds=30), max_ranges=5)
    assert 1 <= len(ranges) <= 5
    assert all(lo <= hi for lo, hi in ranges)
    assert all(a[1] < b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    assert all(any(lo <= first and last <= hi for lo, hi in ranges) for first, last in spans)


# --- literals and the lookup ----------------------------------------------------------------------


def test_string_literal_escapes_quotes_backslashes_and_nul() -> None:
    assert string_literal("it's a\\b\x00c") == "'it\\'s a\\\\b\\0c'"


def test_datetime64_literal_is_utc_to_the_millisecond() -> None:
    at = datetime(2026, 4, 1, 9, 30, 5, 123000, tzinfo=UTC).astimezone(UTC)
    assert datetime64_literal(at) == "toDateTime64('2026-04-01 09:30:05.123', 3, 'UTC')"
    assert datetime64_literal(at.replace(tzinfo=None)) == datetime64_literal(at)


def test_the_lookup_asks_the_key_columns_in_the_batch_time_ranges_for_its_event_ids() -> None:
    messages = [counts(["e-1", "e-2"]), counts(["e-3"], at=T0 + timedelta(hours=2))]
    sql = key_filter().lookup_sql(messages)
    assert sql is not None
    assert sql.startswith(
        "SELECT camera_id, toUnixTimestamp64Milli(observed_at), event_id FROM camera_vehicle_counts WHERE ("
    )
    assert len(re.findall(r"observed_at BETWEEN ", sql)) == 2
    assert "toDateTime64('2026-04-01 01:59:59.999', 3, 'UTC')" in sql  # widened by a millisecond
    ids = re.search(r"splitByChar\('\\0', '(.*)'\)\)\)$", sql)
    assert ids and sorted(ids.group(1).split("\\0")) == ["e-1", "e-2", "e-3"]


def test_a_late_record_inside_a_live_message_gets_a_range_of_its_own() -> None:
    """One record three hours late must not make the lookup read three hours of the table."""
    message = counts(["e-1", "e-2", "e-3"]) + counts(["late"], at=T0 - timedelta(hours=3))
    sql = key_filter().lookup_sql([message])
    assert sql is not None
    spans = re.findall(r"BETWEEN toDateTime64\('([^']+)', 3, 'UTC'\) AND toDateTime64\('([^']+)'", sql)
    assert spans == [
        ("2026-03-31 22:59:59.999", "2026-03-31 23:00:00.001"),
        ("2026-04-01 01:59:59.999", "2026-04-01 02:00:02.001"),
    ]


def test_nothing_to_ask_without_rows() -> None:
    assert key_filter().lookup_sql([]) is None
    assert key_filter().lookup_sql([[], []]) is None


def test_an_event_id_holding_the_separator_is_not_asked_so_its_row_is_inserted() -> None:
    kf = key_filter()
    assert kf.lookup_sql([counts(["bad\x00id"])]) is None
    sql = kf.lookup_sql([counts(["bad\x00id", "fine"])])
    assert sql is not None and "'fine'" in sql and "bad" not in sql


def test_the_answer_becomes_keys_equal_to_the_rows_own() -> None:
    rows = counts(["e-1", "e-2"])
    ms = (rows[1][3] - EPOCH) // timedelta(milliseconds=1)
    answer = json.dumps(["CAM-1", str(ms), "e-2"]).encode() + b"\n"
    kf = key_filter()
    assert kf.stored_keys(answer) == {kf.key_of(rows[1])}
    assert kf.stored_keys(b"") == set()


def test_an_event_key_needs_event_id_and_its_time_column() -> None:
    with pytest.raises(ValueError, match="event_id"):
        EventKey(("camera_id", "observed_at"))
    with pytest.raises(ValueError, match="occurred_at"):
        EventKey(("alert_id", "observed_at", "event_id"), time="occurred_at")


# --- which rows are dropped -----------------------------------------------------------------------


def test_a_batch_without_repeats_is_returned_as_it_is() -> None:
    rows = counts(["e-1", "e-2", "e-3"])
    assert key_filter().fresh(rows, set()) is rows


def test_stored_keys_and_repeats_in_the_batch_are_dropped_the_first_copy_kept() -> None:
    kf = key_filter()
    first, second = counts(["e-1", "e-2"]), counts(["e-2", "e-3"], offset=1)
    second[0] = [*first[1][:-1], 1]  # e-2 again, same record, in the next message
    stored = {kf.key_of(first[0])}
    fresh = kf.fresh(first + second, stored)
    assert [(row[1], row[-1]) for row in fresh] == [("e-2", 0), ("e-3", 1)]


def test_the_same_event_id_under_another_key_is_not_a_duplicate() -> None:
    """Another camera or another time: the table keeps both rows, so the rollups must count both."""
    kf = key_filter()
    stored_row = counts(["e-1"])[0]
    other_camera = counts(["e-1"], camera="CAM-2")[0]
    other_time = counts(["e-1"], at=T0 + timedelta(milliseconds=1))[0]
    fresh = kf.fresh([other_camera, other_time], {kf.key_of(stored_row)})
    assert fresh == [other_camera, other_time]


@given(
    st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.sampled_from(["C1", "C2"])), max_size=30),
    st.sets(st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.sampled_from(["C1", "C2"]))),
)
def test_dropped_rows_are_exactly_the_stored_or_repeated_keys(
    records: list[tuple[str, str]], stored_pairs: set[tuple[str, str]]
) -> None:
    kf = key_filter()
    rows = [counts([event_id], camera=camera)[0] for event_id, camera in records]
    stored = {kf.key_of(counts([event_id], camera=camera)[0]) for event_id, camera in stored_pairs}
    fresh = kf.fresh(rows, stored)
    keys = [kf.key_of(row) for row in fresh]
    assert len(keys) == len(set(keys)) and not set(keys) & stored
    assert set(keys) == {kf.key_of(row) for row in rows} - stored
    assert all(any(row is kept for row in rows) for kept in fresh)


# --- the sink around it ---------------------------------------------------------------------------


class FakeTable:
    """Stands in for ClickHouse: keeps the inserted rows and each insert's token, answers every lookup
    with every stored key (more than the real query returns; the sink matches keys exactly), refuses a
    row whose event id is in `refused`. Like ClickHouse, it stores an insert as one part per month
    (the tables' partitions), drops a part it stored before under the same token, and can fail after
    storing the first `fail_after_parts` parts of an insert."""

    def __init__(self, refused: set[str] | None = None) -> None:
        self.rows: list[list[Any]] = []
        self.tokens: list[str] = []
        self.lookups = 0
        self.refused = refused or set()
        self.fail_after_parts: int | None = None
        self.parts: set[tuple[str, int]] = set()

    def raw_query(self, sql: str, settings: dict[str, Any], fmt: str) -> bytes:
        assert fmt == "JSONCompactEachRow" and settings["max_query_size"] > len(sql)
        self.lookups += 1
        lines = [
            json.dumps([row[2], (row[3] - EPOCH) // timedelta(milliseconds=1), row[1]]) for row in self.rows
        ]
        return "\n".join(lines).encode()

    def insert(
        self, table: str, rows: list[list[Any]], column_names: list[str], settings: dict[str, Any]
    ) -> None:
        assert table == VEHICLES.table and column_names == VEHICLES.all_columns()
        if any(row[1] in self.refused for row in rows):
            raise ValueError("constraint vehicle_count_plausible violated")
        assert settings["deduplicate_blocks_in_dependent_materialized_views"] == 1
        token = settings["insert_deduplication_token"]
        self.tokens.append(token)
        months = sorted({(row[3].year, row[3].month) for row in rows})
        for index, month in enumerate(months):
            if index == self.fail_after_parts:
                self.fail_after_parts = None
                raise ConnectionError("connection reset after part of the insert was written")
            if (token, index) not in self.parts:
                self.parts.add((token, index))
                self.rows += [row for row in rows if (row[3].year, row[3].month) == month]


class AcceptingConsumer:
    """Takes every commit; holds no partition, so a pause is only a wait."""

    def __init__(self) -> None:
        self.commits: list[list[tuple[int, int]]] = []

    def commit(self, offsets: list[Any], asynchronous: bool) -> None:
        self.commits.append([(tp.partition, tp.offset) for tp in offsets])

    def assignment(self) -> list[Any]:
        return []

    def pause(self, partitions: list[Any]) -> None: ...

    def resume(self, partitions: list[Any]) -> None: ...

    def consume(self, num_messages: int, timeout: float) -> list[Any]:
        return []


def sink_on(table: FakeTable) -> TopicSink:
    sink = TopicSink(
        VEHICLES,
        TOPIC,
        {"bootstrap.servers": "127.0.0.1:9", "group.id": "unit"},
        decoder=None,  # type: ignore[arg-type]
        client_factory=lambda: table,  # type: ignore[arg-type,return-value]
        dead_letters=None,
        batch_max_records=10,
        batch_max_seconds=1.0,
    )
    sink.consumer.close()
    sink.consumer = AcceptingConsumer()  # type: ignore[assignment]
    return sink


def flush(sink: TopicSink, batch: dict[int, list[tuple[int, list[list[Any]]]]]) -> None:
    sink.flush(defaultdict(list, batch), threading.Event())


def stored_ids(table: FakeTable) -> list[str]:
    return sorted(row[1] for row in table.rows)


def moved(rows: list[list[Any]], partition: int, offset: int) -> list[list[Any]]:
    """The same records read again from another message."""
    return [[*row[:-2], partition, offset] for row in rows]


def test_a_resend_in_a_later_batch_inserts_nothing_and_is_committed() -> None:
    table = FakeTable()
    sink = sink_on(table)
    first = counts(["e-1", "e-2"], offset=10)
    flush(sink, {0: [(10, first)]})
    flush(sink, {0: [(11, moved(first, 0, 11))]})
    assert stored_ids(table) == ["e-1", "e-2"]
    assert (sink.rows_written, sink.duplicates_dropped, table.lookups) == (2, 2, 2)
    # The first batch's insert is named at its offset (10) before it starts; the second has none.
    assert sink.consumer.commits == [[(0, 10)], [(0, 11)], [(0, 12)]]  # type: ignore[attr-defined]


def test_a_repeat_inside_one_batch_is_inserted_once_across_messages_and_partitions() -> None:
    table = FakeTable()
    sink = sink_on(table)
    first = counts(["e-1", "e-2"], offset=10)
    flush(sink, {0: [(10, first), (11, moved(first[1:], 0, 11))], 3: [(5, moved(first, 3, 5))]})
    assert stored_ids(table) == ["e-1", "e-2"]
    assert table.lookups == 1  # one lookup for the whole batch, whatever its partitions
    assert table.tokens == [f"{TOPIC}:0:10-11:2"]


def test_a_retry_after_a_partial_insert_repeats_it_under_its_token_and_stores_each_row_once() -> None:
    """The insert spans two months, so two parts; the first is stored when the connection drops.
    The retry repeats the same rows under the same token: ClickHouse drops the stored part (and
    completes the rollups of its rows, which a new token or fewer rows would never do) and stores
    the other."""
    table = FakeTable()
    table.fail_after_parts = 1
    sink = sink_on(table)
    november = counts(["e-1"], at=datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC), offset=10)
    december = counts(["e-2", "e-3"], at=datetime(2026, 12, 1, tzinfo=UTC), offset=11)
    flush(sink, {0: [(10, november), (11, december)]})
    assert stored_ids(table) == ["e-1", "e-2", "e-3"] and len(table.rows) == 3
    assert table.tokens == [f"{TOPIC}:0:10-11:3"] * 2
    assert sink.insert_failures == 1


def test_a_refused_row_loses_no_record_its_message_shared_with_a_later_message() -> None:
    """Message 10 holds one absurd row; message 11 and partition 2 repeat e-2 from it. e-2 is stored
    from message 10 (only the absurd row is refused), so its later copies are duplicates."""
    table = FakeTable(refused={"absurd"})
    sink = sink_on(table)
    refused = counts(["e-2", "absurd"], offset=10)
    later = [moved(refused[:1], 0, 11)[0], *counts(["e-3"], at=T0 + timedelta(minutes=5), offset=11)]
    flush(sink, {0: [(10, refused), (11, later)], 2: [(7, moved(refused[:1], 2, 7))]})
    assert stored_ids(table) == ["e-2", "e-3"]
    assert [row[-2:] for row in table.rows] == [[0, 10], [0, 11]]
    assert (sink.rejected_rows, sink.rejected_messages) == (1, 0)
    assert table.tokens[-1] == f"{TOPIC}:0:11-11:1"
    # Each insert is named first, at the batch's first offset: the batch's, message 10's, its two
    # halves', message 11's; partition 2 has nothing left to insert, so nothing to name.
    assert sink.consumer.commits == [[(0, 10)]] * 5 + [[(0, 12), (2, 8)]]  # type: ignore[attr-defined]


def test_a_row_refused_in_one_partition_is_no_duplicate_for_the_next() -> None:
    """The absurd row is not stored, so its copy in partition 2 is not dropped as one (ClickHouse
    refuses that copy too, and says so in its own dead letter)."""
    table = FakeTable(refused={"absurd"})
    sink = sink_on(table)
    refused = counts(["e-2", "absurd"], offset=10)
    flush(sink, {0: [(10, refused)], 2: [(7, moved(refused, 2, 7))]})
    assert stored_ids(table) == ["e-2"]
    assert [row[-2:] for row in table.rows] == [[0, 10]]
    assert sink.rejected_rows == 2


def test_a_table_without_an_event_key_is_never_asked() -> None:
    mapping = next(m for m in MAPPINGS if m.table == "indicators")
    assert mapping.event_key is None
    sink = TopicSink(
        mapping,
        "ioc.derived.indicators",
        {"bootstrap.servers": "127.0.0.1:9", "group.id": "unit"},
        decoder=None,  # type: ignore[arg-type]
        client_factory=lambda: None,  # type: ignore[arg-type,return-value]
        dead_letters=None,
        batch_max_records=10,
        batch_max_seconds=1.0,
    )
    sink.consumer.close()
    pending = {0: [(1, [["x"]]), (2, [["x"]])]}
    assert sink._stored_keys([[["x"]]]) == set() and sink._plan(pending) is pending
