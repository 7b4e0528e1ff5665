"""Which insert failure is which (a refusal of the rows, the warehouse unavailable, unknown), and how
ClickHouse's reason and the refused row read in a dead letter."""

from __future__ import annotations

import json

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError, DataError, OperationalError

from sinks.refusals import REASON_MAX_CHARS, Failure, failure_of, row_payload, why
from tests.unit.test_sink_dedup import TOPIC, VEHICLES, counts

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
