"""No good row is lost to a bad one, and no poison message stops its topic (fakes stand in for Kafka
and ClickHouse; `tests/integration/test_sink_guarantees.py` proves it on the real stack).

Which failure is which and how its reason reads; a message with refused rows among good ones: the good
rows stored, each refused row dead-lettered alone with ClickHouse's reason and the row as JSON, every
piece named in the commit metadata before it is inserted, under a token of its own; an unknown error
retried a bounded number of times, then its rows dead-lettered and the topic committed past them, while
a warehouse that is only unavailable is waited for however long; and a sink taking over a message
stored in pieces reads it again."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError, DataError, OperationalError
from confluent_kafka import TopicPartition

from sinks.in_flight import InFlight
from sinks.refusals import REASON_MAX_CHARS, Failure, failure_of, row_payload, why
from sinks.sink import TopicSink
from tests.unit.test_sink_dedup import TOPIC, VEHICLES, FakeTable, counts, flush, sink_on, stored_ids

CONSTRAINT = (
    "Received ClickHouse exception, code: 469, server response: Code: 469. DB::Exception: Constraint "
    "`vehicle_count_plausible` for table ioc.camera_vehicle_counts (9e9b1778-5bce-4fad-ab2a-2592ced84748) "
    "is violated at row 1. Expression: (vehicle_count <= 100000). Column values: vehicle_count = 500000. "
    "(VIOLATED_CONSTRAINT) (version 25.8.2.29 (official build)) (for url http://127.0.0.1:8123)"
)


# --- which failure is which, and its reason -------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "failure"),
    [
        (DatabaseError(CONSTRAINT, code=469), Failure.REFUSED),
        (DatabaseError("Code: 53. Type mismatch", code=53), Failure.REFUSED),
        (ValueError("invalid literal for int() with base 10: 'x'"), Failure.REFUSED),
        (DataError("Unable to create native array for column `vehicle_count`: error"), Failure.REFUSED),
        (OperationalError("Error executing HTTP request"), Failure.WAITS),
        (ConnectionResetError("Remote end closed connection without response"), Failure.WAITS),
        (DatabaseError("Code: 241. Memory limit (total) exceeded", code=241), Failure.WAITS),
        (DatabaseError("Code: 516. Authentication failed", code=516), Failure.WAITS),
        (DatabaseError("Code: 252. Too many parts", code=252), Failure.WAITS),
        (DatabaseError("HTTP driver received HTTP status 502"), Failure.WAITS),
        (
            DatabaseError("Code: 395. Value passed to 'throwIf' function is non-zero", code=395),
            Failure.UNKNOWN,
        ),
        (KeyError("camera_id"), Failure.UNKNOWN),
    ],
)
def test_each_failure_is_a_refusal_a_wait_or_unknown(exc: Exception, failure: Failure) -> None:
    assert failure_of(exc) is failure


def test_the_reason_is_clickhouse_code_and_message_without_url_version_or_uuid() -> None:
    reason, column = why(DatabaseError(CONSTRAINT, code=469))
    assert reason == (
        "code 469: Constraint `vehicle_count_plausible` for table ioc.camera_vehicle_counts is violated "
        "at row 1. Expression: (vehicle_count <= 100000). Column values: vehicle_count = 500000. "
        "(VIOLATED_CONSTRAINT)"
    )
    assert column == "vehicle_count"


def test_a_long_reason_is_cut_and_its_stack_trace_dropped() -> None:
    reason, _ = why(DatabaseError("Code: 1001. DB::Exception: " + "x" * 2000 + " Stack trace: 0. f()"))
    assert len(reason) == REASON_MAX_CHARS and reason.endswith("…") and "Stack trace" not in reason
    assert why(DatabaseError("Code: 1001. DB::Exception: boom. Stack trace (when copying): 0. f"))[0] == (
        "code 1001: boom."
    )


def test_a_value_the_client_cannot_encode_says_so_and_names_no_column_it_was_not_told() -> None:
    assert why(ValueError("invalid literal for int() with base 10: 'x'")) == (
        "the client could not encode the row (ValueError: invalid literal for int() with base 10: 'x')",
        "",
    )
    assert why(DataError("Unable to create native array for column `vehicle_count`: error"))[1] == (
        "vehicle_count"
    )
    assert why(DatabaseError("Code: 16. Insert data column count does not match", code=16))[1] == ""


def test_the_payload_is_the_row_as_json_column_to_value() -> None:
    row = counts(["e-1"], offset=7)[0]
    payload = json.loads(row_payload(VEHICLES.all_columns(), row))
    assert payload == {
        "source_id": "VMS-A",
        "event_id": "e-1",
        "camera_id": "CAM-1",
        "observed_at": "2026-04-01T02:00:00+00:00",
        "interval_seconds": 60,
        "lane": 1,
        "vehicle_class": "car",
        "vehicle_count": 3,
        "average_speed_kmh": 30.0,
        "kafka_topic": TOPIC,
        "kafka_partition": 0,
        "kafka_offset": 7,
    }


# --- the sink around it ---------------------------------------------------------------------------


class RefusingTable(FakeTable):
    """Refuses a row as ClickHouse does (VIOLATED_CONSTRAINT), or fails with `error` for the rows in
    `failing` (each insert holding one), while counting every insert tried."""

    def __init__(self, refused: set[str] | None = None) -> None:
        super().__init__()
        self.refusing = refused or set()
        self.failing: set[str] = set()
        self.error: Exception = DatabaseError("Code: 395. DB::Exception: throwIf", code=395)
        self.tries = 0

    def insert(
        self, table: str, rows: list[list[Any]], column_names: list[str], settings: dict[str, Any]
    ) -> None:
        self.tries += 1
        if any(row[1] in self.refusing for row in rows):
            raise DatabaseError(CONSTRAINT, code=469)
        if any(row[1] in self.failing for row in rows):
            raise self.error
        super().insert(table, rows, column_names, settings)


class Letters:
    """Keeps what the sink would send to the dead-letter topic."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.flushes = 0

    def send(
        self, source_topic: str, record_ref: str, rule: str, reason: str, payload: bytes, **more: str
    ) -> None:
        self.sent.append({"ref": record_ref, "rule": rule, "reason": reason, "payload": payload} | more)

    def flush(self) -> None:
        self.flushes += 1


class RecordingConsumer:
    """Takes every commit, keeping its offsets and metadata; holds no partition."""

    def __init__(self) -> None:
        self.commits: list[list[tuple[int, int, str | None]]] = []

    def commit(self, offsets: list[TopicPartition], asynchronous: bool) -> None:
        self.commits.append([(tp.partition, tp.offset, tp.metadata) for tp in offsets])

    def assignment(self) -> list[Any]:
        return []

    def pause(self, partitions: list[Any]) -> None: ...

    def resume(self, partitions: list[Any]) -> None: ...

    def consume(self, num_messages: int, timeout: float) -> list[Any]:
        return []


def sink_with_letters(table: FakeTable, max_tries: int = 8) -> tuple[TopicSink, Letters]:
    sink = sink_on(table)
    sink.consumer = RecordingConsumer()  # type: ignore[assignment]
    letters = Letters()
    sink.dead_letters = letters  # type: ignore[assignment]
    sink.insert_max_tries = max_tries
    sink._pause_for = lambda seconds, stop: None  # type: ignore[method-assign]  # no real waiting
    return sink, letters


def ids(n: int, bad: set[int]) -> list[str]:
    return [f"bad-{i}" if i in bad else f"e-{i}" for i in range(n)]


def test_one_refused_row_among_many_the_others_are_stored_it_alone_dead_lettered() -> None:
    table = RefusingTable(refused={"bad-6"})
    sink, letters = sink_with_letters(table)
    message = counts(ids(10, {6}), offset=40)
    message[6][7] = 500_000  # the absurd count ClickHouse refuses
    flush(sink, {0: [(40, message)]})
    assert stored_ids(table) == sorted(f"e-{i}" for i in range(10) if i != 6)
    assert len(table.rows) == 9 and sink.rejected_rows == 1
    [letter] = letters.sent
    assert letter["rule"] == "clickhouse-rejected"
    assert letter["ref"] == f"{TOPIC}[0]@40 records[6] (event_id=bad-6)"
    assert letter["reason"].startswith(
        f"{TOPIC}[0]@40 records[6] (event_id=bad-6): ClickHouse refused the row: "
    )
    assert "code 469: Constraint `vehicle_count_plausible`" in letter["reason"]
    assert "for url" not in letter["reason"]
    assert letter["field_path"] == "vehicle_count" and letter["source_id"] == "VMS-A"
    row = json.loads(letter["payload"])
    assert (row["event_id"], row["vehicle_count"], row["kafka_offset"]) == ("bad-6", 500_000, 40)
    # The dead letters are acknowledged before the offsets are committed past the message.
    assert letters.flushes == 1
    assert sink.consumer.commits[-1] == [(0, 41, None)]  # type: ignore[attr-defined]


def test_several_refused_rows_are_each_dead_lettered_and_every_good_row_stored_once() -> None:
    bad = {0, 5, 6, 15}
    table = RefusingTable(refused={f"bad-{i}" for i in bad})
    sink, letters = sink_with_letters(table)
    flush(sink, {0: [(40, counts(ids(16, bad), offset=40)), (41, counts(["e-x"], offset=41))]})
    assert stored_ids(table) == sorted([*(f"e-{i}" for i in range(16) if i not in bad), "e-x"])
    assert len(table.rows) == 16 - len(bad) + 1
    assert [letter["ref"] for letter in letters.sent] == [
        f"{TOPIC}[0]@40 records[{i}] (event_id=bad-{i})" for i in sorted(bad)
    ]


def test_a_message_of_refused_rows_only_is_dead_lettered_row_by_row() -> None:
    table = RefusingTable(refused={f"bad-{i}" for i in range(5)})
    sink, letters = sink_with_letters(table)
    flush(sink, {0: [(40, counts(ids(5, set(range(5))), offset=40))]})
    assert table.rows == [] and len(letters.sent) == 5
    assert sink.consumer.commits[-1] == [(0, 41, None)]  # type: ignore[attr-defined]


def test_every_piece_is_named_before_it_is_inserted_under_a_token_of_its_own() -> None:
    """The successor of a sink that died mid-insert finds the insert in the commit metadata and
    repeats it under its token: a piece's token must be its own (two halves of one message with the
    same token would be taken for one insert, and ClickHouse would drop the second)."""
    table = RefusingTable(refused={"bad-3"})
    sink, _ = sink_with_letters(table)
    inserted: dict[str, set[str]] = {}
    insert_under = sink._insert_under

    def watched(rows: Any, token: str) -> None:
        [[(_, offset, metadata)]] = sink.consumer.commits[-1:]  # type: ignore[attr-defined]
        named = InFlight.decode(TOPIC, 0, metadata)
        assert offset == 40 and named is not None and named.token == token and named.rows == len(rows)
        assert inserted.setdefault(token, {row[1] for row in rows}) == {row[1] for row in rows}
        insert_under(rows, token)

    sink._insert_under = watched  # type: ignore[method-assign]
    flush(sink, {0: [(40, counts(ids(8, {3}), offset=40))]})
    # One token, one set of rows (the batch of this one message and the message itself are the same
    # insert); the halves, quarters and the row alone each have their own.
    assert len(inserted) == table.tries - 1 == 1 + 6
    assert len(table.rows) == 7 and sorted(table.tokens) == sorted(set(table.tokens))


def test_a_poison_message_is_dead_lettered_after_the_bounded_tries_and_the_topic_moves_on() -> None:
    table = RefusingTable()
    table.failing = {"bad-2"}
    sink, letters = sink_with_letters(table, max_tries=3)
    flush(sink, {0: [(40, counts(ids(4, {2}), offset=40)), (41, counts(["e-9"], offset=41))]})
    assert stored_ids(table) == ["e-0", "e-1", "e-3", "e-9"]
    [letter] = letters.sent
    assert letter["rule"] == "clickhouse-retries-exhausted"
    assert letter["reason"] == (
        f"{TOPIC}[0]@40 records[2] (event_id=bad-2): not stored after 3 tries: code 395: throwIf"
    )
    assert json.loads(letter["payload"])["event_id"] == "bad-2"
    assert sink.insert_failures == 2  # the third try of the batch gave up on the poison row
    assert sink.consumer.commits[-1] == [(0, 42, None)]  # type: ignore[attr-defined]


def test_a_warehouse_that_cannot_take_inserts_is_waited_for_past_the_bounded_tries() -> None:
    table = RefusingTable()
    table.failing = {"e-1"}
    table.error = DatabaseError("Code: 241. DB::Exception: Memory limit (total) exceeded", code=241)
    sink, letters = sink_with_letters(table, max_tries=2)
    waits: list[float] = []

    def pause(seconds: float, stop: threading.Event) -> None:
        waits.append(seconds)
        if len(waits) == 6:
            table.failing = set()  # the warehouse has memory again

    sink._pause_for = pause  # type: ignore[method-assign]
    flush(sink, {0: [(40, counts(ids(3, set()), offset=40))]})
    assert stored_ids(table) == ["e-0", "e-1", "e-2"] and letters.sent == []
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0]


def test_a_refusal_is_not_retried() -> None:
    table = RefusingTable(refused={"bad-0"})
    sink, _ = sink_with_letters(table)
    waits: list[float] = []
    sink._pause_for = lambda seconds, stop: waits.append(seconds)  # type: ignore[method-assign]
    flush(sink, {0: [(40, counts(ids(1, {0}), offset=40))]})
    assert waits == [] and sink.rejected_rows == 1


class TakingOverConsumer(RecordingConsumer):
    """A partition whose committed offset (40) names an insert, as a sink that died left it."""

    def __init__(self, insert: InFlight) -> None:
        super().__init__()
        self.insert = insert
        self.assigned: list[TopicPartition] = []

    def committed(self, partitions: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        return [TopicPartition(p.topic, p.partition, 40, metadata=self.insert.encode()) for p in partitions]

    def assign(self, partitions: list[TopicPartition]) -> None:
        self.assigned = partitions


class StoredUpTo:
    """A table holding rows of partition 0 up to offset 42 (two of them at 42)."""

    def query(self, sql: str, parameters: dict[str, Any]) -> Any:
        rows = [(0, 42)] if "max(kafka_offset)" in sql else [counts(["e-1", "e-2"], offset=42)]
        return type("Result", (), {"result_rows": rows})()


@pytest.mark.parametrize(
    ("insert", "resume_at"),
    [
        # A message stored in pieces: its other good rows may not all be stored, so it is read again.
        (InFlight(TOPIC, 0, 42, 42, 3, "0123456789abcdef"), 42),
        # A whole insert: the rows stored are all of the messages up to 42.
        (InFlight(TOPIC, 0, 42, 42, 3), 43),
        # A piece of an earlier message: rows past it are stored, so that message was finished.
        (InFlight(TOPIC, 0, 41, 41, 3, "0123456789abcdef"), 43),
    ],
)
def test_a_message_stored_in_pieces_when_its_sink_died_is_read_again(
    insert: InFlight, resume_at: int
) -> None:
    consumer = TakingOverConsumer(insert)
    sink = sink_on(FakeTable())
    sink.consumer = consumer  # type: ignore[assignment]
    sink.client = StoredUpTo()  # type: ignore[assignment]
    sink._on_assign(consumer, [TopicPartition(TOPIC, 0)])  # type: ignore[arg-type]
    assert [(tp.partition, tp.offset) for tp in consumer.assigned] == [(0, resume_at)]
