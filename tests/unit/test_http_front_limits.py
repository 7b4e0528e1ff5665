"""Which URL parameters become session settings, and the limits a read-only user cannot lift."""

from __future__ import annotations

import pytest

from warehouse.errors import ClickHouseError
from warehouse.limits import session_settings
from warehouse.users import Limits, User

KNOWN = frozenset(
    {
        "max_threads",
        "max_execution_time",
        "max_memory_usage",
        "max_result_rows",
        "max_result_bytes",
        "readonly",
        "result_overflow_mode",
        "timeout_overflow_mode",
        "date_time_input_format",
    }
)
READER = User("grafana", "p", Limits(30, 2_000_000_000, 1_000_000, 1_000_000_000))
WRITER = User("ioc_writer", "p", None)
CLICKHOUSE_CONNECT = {
    "query": "SELECT 1",
    "database": "ioc",
    "default_format": "Native",
    "session_id": "s",
    "query_id": "q",
    "client_protocol_version": "54405",
    "wait_end_of_query": "1",
    "enable_http_compression": "1",
    "send_progress_in_http_headers": "1",
    "http_headers_progress_interval_ms": "120000",
    "cancel_http_readonly_queries_on_client_close": "1",
    "param_camera": "CAM-1",
}


def test_interface_parameters_are_not_settings() -> None:
    assert session_settings(WRITER, CLICKHOUSE_CONNECT | {"max_threads": "2"}, KNOWN) == {"max_threads": "2"}


def test_an_unknown_setting_is_refused_as_a_server_refuses_it() -> None:
    with pytest.raises(ClickHouseError) as refused:
        session_settings(WRITER, {"max_thread": "2"}, KNOWN)
    assert refused.value.code == 115
    assert "Unknown setting 'max_thread'" in refused.value.body().decode()


def test_a_reader_gets_its_limits_last_and_other_settings() -> None:
    chosen = session_settings(
        READER, {"max_result_rows": "10", "date_time_input_format": "best_effort"}, KNOWN
    )
    assert list(chosen)[0] == "date_time_input_format"  # applied first, so it cannot touch the limits
    assert chosen == {
        "date_time_input_format": "best_effort",
        "max_execution_time": "30",
        "max_memory_usage": "2000000000",
        "max_result_rows": "10",
        "max_result_bytes": "1000000000",
        "result_overflow_mode": "throw",
        "timeout_overflow_mode": "throw",
    }


@pytest.mark.parametrize(
    ("requested", "applied"),
    [("10", "10"), ("60", "30"), ("0", "30"), ("29.5", "29.5"), ("100000", "30")],
)
def test_a_limit_in_the_url_is_lowered_never_raised(requested: str, applied: str) -> None:
    assert session_settings(READER, {"max_execution_time": requested}, KNOWN)["max_execution_time"] == applied


def test_an_unparsable_limit_is_refused() -> None:
    with pytest.raises(ClickHouseError) as refused:
        session_settings(READER, {"max_result_rows": "lots"}, KNOWN)
    assert refused.value.code == 36


@pytest.mark.parametrize(
    ("name", "value"), [("readonly", "0"), ("readonly", "2"), ("result_overflow_mode", "break")]
)
def test_a_reader_cannot_leave_readonly_or_truncate_instead_of_failing(name: str, value: str) -> None:
    with pytest.raises(ClickHouseError) as refused:
        session_settings(READER, {name: value}, KNOWN)
    assert refused.value.code == 164


def test_asking_for_readonly_1_is_what_a_reader_has_anyway() -> None:
    assert "readonly" not in session_settings(READER, {"readonly": "1"}, KNOWN)
