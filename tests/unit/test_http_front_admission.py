"""Per-user counting of running queries, and the refusal past a user's limit."""

from __future__ import annotations

import pytest

from warehouse.admission import RunningQueries
from warehouse.errors import ClickHouseError


def test_a_query_past_the_limit_is_refused_naming_the_limit() -> None:
    running = RunningQueries()
    with running.admit("analyst", 2), running.admit("analyst", 2):
        with pytest.raises(ClickHouseError) as refused, running.admit("analyst", 2):
            pass
        assert refused.value.code == 202 and refused.value.name == "TOO_MANY_SIMULTANEOUS_QUERIES"
        assert "Current: 2, maximum: 2 (max_concurrent_queries_for_user)" in refused.value.message
        with running.admit("grafana", 2):  # another user's count is its own
            assert running.running("grafana") == 1
    assert running.running("analyst") == 0


def test_a_place_is_given_back_when_the_query_fails() -> None:
    running = RunningQueries()
    with pytest.raises(RuntimeError), running.admit("analyst", 1):
        raise RuntimeError("the query failed")
    with running.admit("analyst", 1):
        assert running.running("analyst") == 1


def test_zero_is_no_limit() -> None:
    running = RunningQueries()
    with running.admit("ioc_writer", 0), running.admit("ioc_writer", 0), running.admit("ioc_writer", 0):
        assert running.running("ioc_writer") == 3
