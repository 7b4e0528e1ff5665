"""Hotline tickets and the Decision 766 index on the real stack: crafted hotline records and dossier
events (with the index's new fields) go through the broker, the stream worker and the sinks, and
their figures arrive in ClickHouse's `indicators_current` with the exact values of the unit tests.

The records are stamped within the last half hour, in the stack's own deployment (the warehouse's
sinks read it), for an area and a department of their own (unknown codes count for themselves only),
so no other test's data mixes in. The day and month stay open on the wall clock: their values are
provisional, judged as of the stream time. A window is emitted when touched, so the last record is
resent (idempotent) while waiting, to have the windows emitted again once every source partition's
progress has passed it. Every entity's windows must be touched again: the resent records are the
last ticket of each category (a category no record touches keeps its first provisional figures, judged
as of the stream time of that moment, which another source on the partition may have held back)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from clickhouse_connect.driver.client import Client

from tests.integration.conftest import RunningStack, WorkerProcess
from tests.integration.helpers import wait_for, warehouse_client
from tests.integration.indicator_topic import send_batch
from topics.catalog import DEPARTMENT_DOSSIER_EVENTS, DEPARTMENT_HOTLINE_REPORTS

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
MIN = timedelta(minutes=1)


def base_time() -> datetime:
    """Half an hour ago, or one minute past local midnight if that is later: every record of the
    test falls in today's local day (and month)."""
    now = datetime.now(UTC)
    midnight = datetime.now(LOCAL).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    return max(now - 30 * MIN, midnight + MIN)


def ticket(
    run: str, event_id: str, ticket_id: str, status: str, at: datetime, **fields: Any
) -> dict[str, Any]:
    return {
        "event_id": f"{run}-{event_id}",
        "ticket_id": f"{run}-{ticket_id}",
        "observed_at": at,
        "reported_at": fields.get("reported", at),
        "ticket_status": status,
        "channel": "phone",
        "category": fields.get("category", "traffic"),
        "priority": "normal",
        "description": "Phản ánh thử",
        "area_code": f"T{run}",
        "address": "",
        "latitude": None,
        "longitude": None,
        "assigned_unit_code": "",
    }


def dossier(
    run: str, event_id: str, dossier_id: str, kind: str, at: datetime, **fields: Any
) -> dict[str, Any]:
    return {
        "event_id": f"{run}-{event_id}",
        "dossier_id": f"{run}-{dossier_id}",
        "observed_at": at,
        "event_type": kind,
        "department_code": f"SO-T{run}",
        "procedure_code": "1.004227",
        "received_at": fields.get("received", at),
        "due_at": fields.get("due"),
        "resolved_at": fields.get("resolved"),
        "channel": fields.get("channel", "online"),
        "area_code": f"T{run}",
        "digitised": fields.get("digitised"),
        "paid_online": fields.get("paid_online"),
        "satisfaction": fields.get("satisfaction"),
    }


def latest(client: Client, entity_ids: list[str]) -> dict[tuple[str, str], float | None]:
    """The newest value of every indicator of the entities, by (indicator, entity_id); a window of
    more than a day is the month's, marked with a `month:` prefix."""
    rows = client.query(
        "SELECT indicator, entity_id, dateDiff('hour', window_start, window_end) > 24 AS month,"
        " argMax(value, revision) FROM indicators_current WHERE entity_id IN {e:Array(String)}"
        " GROUP BY indicator, entity_id, month",
        parameters={"e": entity_ids},
    ).result_rows
    return {(("month:" if month else "") + code, entity): value for code, entity, month, value in rows}


def test_hotline_and_766_figures_arrive_in_the_warehouse(
    local_stack: RunningStack, worker: WorkerProcess
) -> None:
    run = uuid.uuid4().hex[:6]
    b = base_time()
    area, category, department = f"T{run}", f"T{run}/traffic", f"SO-T{run}"
    tickets = [
        ticket(run, "k1a", "K1", "new", b),
        ticket(run, "k1b", "K1", "resolved", b + 10 * MIN, reported=b),  # 10 min to resolve
        ticket(run, "k2a", "K2", "in_progress", b + MIN, reported=b - timedelta(days=3)),  # overdue
        ticket(run, "k3a", "K3", "new", b + 2 * MIN, category="environment"),  # open
        ticket(run, "k4a", "K4", "closed", b + 5 * MIN, reported=b, category="environment"),  # 5 min
    ]
    dossiers = [
        dossier(run, "p1", "P", "received", b, due=b + timedelta(hours=72), digitised=True, paid_online=True),
        dossier(run, "p2", "P", "resolved", b + 5 * MIN, due=b + timedelta(hours=72), received=b,
                resolved=b + 5 * MIN, channel="unknown", satisfaction="very_satisfied"),
        dossier(run, "q1", "Q", "received", b + MIN, channel="offline", digitised=False),
        dossier(run, "q2", "Q", "resolved", b + 6 * MIN, received=b + MIN, resolved=b + 6 * MIN,
                channel="offline", satisfaction="dissatisfied"),
        dossier(run, "r1", "R", "received", b + 2 * MIN, due=b + 3 * MIN, digitised=True, paid_online=False),
        dossier(run, "r2", "R", "resolved", b + 8 * MIN, received=b + 2 * MIN, due=b + 3 * MIN,
                resolved=b + 8 * MIN),
        dossier(run, "s1", "S", "received", b + 4 * MIN, due=b + timedelta(hours=100), channel="unknown"),
    ]  # fmt: skip
    source = f"SRC-{run}"
    send_batch(local_stack, DEPARTMENT_HOTLINE_REPORTS, source, tickets)
    send_batch(local_stack, DEPARTMENT_DOSSIER_EVENTS, source, dossiers)

    hotline_day = {
        "public_service.hotline_tickets_received": 3.0,  # K1, K3, K4 (K2 was reported 3 days before)
        "public_service.hotline_tickets_open": 2.0,  # K2, K3
        "public_service.hotline_tickets_overdue": 1.0,  # K2
        "public_service.hotline_tickets_resolved": 2.0,  # K1, K4
        "public_service.hotline_resolve_time_median": 0.125,  # (5 + 10) / 2 min
        "public_service.hotline_resolve_time_p90": 10 / 60,
    }
    traffic_day = {
        "public_service.hotline_tickets_received": 1.0,
        "public_service.hotline_tickets_open": 1.0,
        "public_service.hotline_tickets_overdue": 1.0,
        "public_service.hotline_tickets_resolved": 1.0,
        "public_service.hotline_resolve_time_median": 10 / 60,
        "public_service.hotline_resolve_time_p90": 10 / 60,
    }
    index = {
        "month:public_service.index_766_publicity": 13.5,
        "month:public_service.index_766_progress": 13.333333,
        "month:public_service.index_766_digitisation": 14.666667,
        "month:public_service.index_766_online": 13.0,
        "month:public_service.index_766_satisfaction": 9.0,
        "month:public_service.index_766": 63.5,
    }
    expected = {(code, area): v for code, v in hotline_day.items()}
    expected |= {(code, category): v for code, v in traffic_day.items()}
    expected |= {(code, department): v for code, v in index.items()}
    expected |= {(code, area): v for code, v in index.items()}
    client = warehouse_client(local_stack.endpoints, local_stack.settings)

    last_of_each_category = list({t["category"]: t for t in tickets}.values())

    def probe() -> dict[tuple[str, str], float | None]:
        send_batch(local_stack, DEPARTMENT_HOTLINE_REPORTS, source, last_of_each_category)
        send_batch(local_stack, DEPARTMENT_DOSSIER_EVENTS, source, dossiers[-1:])
        found = latest(client, [area, category, department])
        return {key: found.get(key) for key in expected}

    def close(found: dict[tuple[str, str], float | None]) -> bool:
        return all(v is not None and abs(v - expected[key]) < 1e-9 for key, v in found.items())

    found = wait_for(probe, close, 120, every_s=5)
    wrong = {
        f"{code} {entity}": (v, expected[code, entity])
        for (code, entity), v in found.items()
        if v != expected[code, entity]
    }
    assert close(found), "\n".join(f"{key}: found {v}, expected {e}" for key, (v, e) in wrong.items())
    types = client.query(
        "SELECT DISTINCT entity_id, entity_type, area_code FROM indicators_current WHERE entity_id IN {e:Array(String)}",
        parameters={"e": [area, category, department]},
    ).result_rows
    assert set(types) == {
        (area, "area", area),
        (category, "hotline_category", area),
        (department, "department", ""),
    }
    stored = client.query(
        "SELECT dossier_id, digitised, paid_online, satisfaction FROM department_dossier_events"
        " WHERE source_id = {s:String} AND event_type = 'received' ORDER BY dossier_id",
        parameters={"s": source},
    ).result_rows
    assert stored[:2] == [(f"{run}-P", True, True, None), (f"{run}-Q", False, None, None)]
