"""The ClickHouse server's reader profiles hold the embedded warehouse's default limits, so that a
reader meets the same limits on the embedded default and in production."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ioc.settings import WarehouseSettings
from warehouse.users import ANALYST, GRAFANA, _limits

USERS_XML = Path(__file__).resolve().parents[2] / "sinks" / "clickhouse" / "users.d" / "ioc-users.xml"


@pytest.mark.parametrize("reader", [GRAFANA, ANALYST])
def test_the_server_profile_holds_the_embedded_defaults(reader: str) -> None:
    root = ET.parse(USERS_XML).getroot()  # noqa: S314 - the repository's own file, not untrusted input
    profile = root.find(f"profiles/{root.findtext(f'users/{reader}/profile')}")
    assert profile is not None
    expected = _limits(WarehouseSettings(), reader).as_settings()
    assert {name: profile.findtext(name) for name in expected} == expected
    # Grafana's driver may lower max_execution_time (changeable_in_readonly) up to the profile's value.
    assert profile.findtext("constraints/max_execution_time/max") == expected["max_execution_time"]


def test_an_analyst_gets_less_than_before_and_less_than_the_wall() -> None:
    analyst = _limits(WarehouseSettings(), ANALYST)
    grafana = _limits(WarehouseSettings(), GRAFANA)
    assert analyst.max_execution_time_s < 300 and analyst.max_memory_usage < 8_000_000_000  # the old limits
    assert (
        analyst.max_threads < grafana.max_threads and analyst.os_thread_priority > grafana.os_thread_priority
    )
