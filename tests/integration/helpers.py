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


# The duty desk of the alert-action tests. Incidents carry no area, so the desk (the fallback unit)
# takes them: minh and nam on duty, the shift lead tuan called after 10 minutes without an
# acknowledgement, the head thu after 20 more.
DUTY_DESK_ROSTER = """
escalation: {to_shift_lead_min: 10, to_unit_head_min: 20}
fallback_unit: IOC
officers:
  - {id: minh, name_vi: Trần Văn Minh, unit: IOC, contacts: [{channel: email, address: minh@ioc.test}]}
  - {id: nam, name_vi: Hoàng Văn Nam, unit: IOC, contacts: [{channel: email, address: nam@ioc.test}]}
  - {id: tuan, name_vi: Bùi Anh Tuấn, unit: IOC, contacts: [{channel: email, address: tuan@ioc.test}]}
  - {id: thu, name_vi: Lê Thị Thu, unit: IOC, contacts: [{channel: email, address: thu@ioc.test}]}
units:
  - code: IOC
    name_vi: Tổ trực IOC
    head: thu
    categories: [input_health]
    areas: ["75"]
    shifts:
      - {name_vi: Trực 24 giờ, days: [mon, tue, wed, thu, fri, sat, sun, holiday], start: "00:00", end: "00:00", officers: [minh, nam], lead: tuan}
"""
