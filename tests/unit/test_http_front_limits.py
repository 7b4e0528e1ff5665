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
        "read_overflow_mode",
        "date_time_input_format",
        "max_rows_to_read",
        "max_bytes_to_read",
        "max_concurrent_queries_for_user",
        "os_thread_priority",
        "allow_introspection_functions",
        "max_block_size",
    }
)
READER = User(
    "grafana",
    "p",
    Limits(
        30,
        2_000_000_000,
        1_000_000,
        1_000_000_000,
        max_rows_to_read=5_000,
        max_bytes_to_read=6_000,
        max_threads=2,
        max_concurrent_queries=3,
        os_thread_priority=10,
    ),
)
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
        "max_rows_to_read": "5000",
        "max_bytes_to_read": "6000",
        "max_threads": "2",
        "os_thread_priority": "10",
        "result_overflow_mode": "throw",
        "timeout_overflow_mode": "throw",
        "read_overflow_mode": "throw",
        "allow_introspection_functions": "0",
    }


def test_the_concurrency_limit_is_the_fronts_not_the_engines() -> None:
    # chDB counts every connection as one engine user: the writer's inserts would count too.
    assert "max_concurrent_queries_for_user" not in session_settings(READER, {}, KNOWN)
    assert READER.limits is not None
    assert READER.limits.as_settings()["max_concurrent_queries_for_user"] == "3"  # what a server profile gets


@pytest.mark.parametrize(
    "name",
    [
        "allow_introspection_functions",
        "max_block_size",
        "max_concurrent_queries_for_user",
        "os_thread_priority",
    ],
)
def test_a_setting_off_the_allow_list_is_refused_by_name(name: str) -> None:
    with pytest.raises(ClickHouseError) as refused:
        session_settings(READER, {name: "1"}, KNOWN)
    assert refused.value.code == 164
    assert f"Cannot modify '{name}' setting in readonly mode" in refused.value.message


def test_the_writer_may_set_anything_the_engine_knows() -> None:
    assert session_settings(WRITER, {"allow_introspection_functions": "1"}, KNOWN) == {
        "allow_introspection_functions": "1"
    }


@pytest.mark.parametrize(
    ("requested", "applied"),
    [("10", "10"), ("60", "30"), ("0", "30"), ("29.5", "29.5"), ("100000", "30")],
)
def test_a_limit_in_the_url_is_lowered_never_raised(requested: str, applied: str) -> None:
    assert session_settings(READER, {"max_execution_time": requested}, KNOWN)["max_execution_time"] == applied


@pytest.mark.parametrize(
    ("name", "requested", "applied"),
    [("max_threads", "1", "1"), ("max_threads", "8", "2"), ("max_rows_to_read", "0", "5000")],
)
def test_threads_and_rows_to_read_are_lowered_never_raised(name: str, requested: str, applied: str) -> None:
    assert session_settings(READER, {name: requested}, KNOWN)[name] == applied


def test_a_limit_of_zero_is_none_and_a_request_may_still_lower_it() -> None:
    unlimited = User("analyst", "p", Limits(30, 1, 1, 1))  # max_rows_to_read left at 0
    assert session_settings(unlimited, {"max_rows_to_read": "7"}, KNOWN)["max_rows_to_read"] == "7"
    assert session_settings(unlimited, {}, KNOWN)["max_rows_to_read"] == "0"


def test_an_unparsable_limit_is_refused() -> None:
    with pytest.raises(ClickHouseError) as refused:
        session_settings(READER, {"max_result_rows": "lots"}, KNOWN)
    assert refused.value.code == 36


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("readonly", "0"),
        ("readonly", "2"),
        ("result_overflow_mode", "break"),
        ("read_overflow_mode", "break"),
    ],
)
def test_a_reader_cannot_leave_readonly_or_truncate_instead_of_failing(name: str, value: str) -> None:
    with pytest.raises(ClickHouseError) as refused:
        session_settings(READER, {name: value}, KNOWN)
    assert refused.value.code == 164


def test_asking_for_what_a_reader_has_anyway_is_accepted() -> None:
    assert "readonly" not in session_settings(READER, {"readonly": "1"}, KNOWN)
    chosen = session_settings(READER, {"allow_introspection_functions": "0"}, KNOWN)
    assert chosen["allow_introspection_functions"] == "0"
