"""Small helpers shared by the integration tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from ioc.endpoints import Endpoints
from ioc.settings import Settings
from warehouse.users import WRITER, client_auth

T = TypeVar("T")


def warehouse_client(endpoints: Endpoints, settings: Settings, user: str = WRITER) -> Client:
    """clickhouse-connect's ordinary HTTP client on the embedded warehouse, logged in as `user`."""
    return clickhouse_connect.get_client(
        dsn=endpoints.clickhouse, database="ioc", **client_auth(settings, user)
    )


def wait_for(
    probe: Callable[[], T], done: Callable[[T], bool], timeout_s: float = 90.0, every_s: float = 0.5
) -> T:
    """Poll until `done(probe())`; returns the last value, which the test then asserts on."""
    deadline = time.monotonic() + timeout_s
    value = probe()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(every_s)
        value = probe()
    return value
