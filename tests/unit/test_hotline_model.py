"""Hotline tickets on the window engine (streams/model/hotline.py through tests/unit/stream_harness.py):
exact figures for a local day and month by area and by category in each area, one owner per total,
resends and reorders, and the ticket merge itself.

Times: the local day 2026-11-10 (UTC+7) runs from 2026-11-09T17:00Z; November from 2026-10-31T17:00Z.
A ticket is overdue once open 48 h (the default of IOC_INDICATORS_HOTLINE_DUE_H).
"""

from __future__ import annotations

import random
from typing import Any

from streams.model import indicators
from streams.model.hotline import AREA_DAY, AREA_MONTH, CATEGORY_DAY, CATEGORY_MONTH, HotlineModel, merge
from tests.unit.stream_harness import TIMING, Deployment, FinalKey, to_ms
from tests.unit.test_services_model import DAY, DECEMBER, MONTH, NEXT_DAY, PROVINCE, H, close_all

D = DAY + 2 * H  # 02:00 local
DUE_MS = 48 * H
SCHEMA = "department/hotline_reports"
CODES = {
    indicators.PUBLIC_SERVICE_HOTLINE_TICKETS_RECEIVED: "received",
    indicators.PUBLIC_SERVICE_HOTLINE_TICKETS_OPEN: "open",
    indicators.PUBLIC_SERVICE_HOTLINE_TICKETS_OVERDUE: "overdue",
    indicators.PUBLIC_SERVICE_HOTLINE_TICKETS_RESOLVED: "resolved",
    indicators.PUBLIC_SERVICE_HOTLINE_RESOLVE_TIME_MEDIAN: "median_h",
    indicators.PUBLIC_SERVICE_HOTLINE_RESOLVE_TIME_P90: "p90_h",
}


def ticket(
    event_id: str, ticket_id: str, status: str, at: int, *, reported: int | None = None,
    area: str = "26001", category: str = "traffic",
) -> dict[str, Any]:  # fmt: skip
    """A decoded hotline record (instants in epoch ms, as the engine decodes them)."""
    return {
        "event_id": event_id,
        "ticket_id": ticket_id,
        "observed_at": at,
        "reported_at": at if reported is None else reported,
        "ticket_status": status,
        "channel": "phone",
        "category": category,
        "priority": "normal",
        "description": "Phản ánh",
        "area_code": area,
        "address": "",
        "latitude": None,
        "longitude": None,
        "assigned_unit_code": "",
    }


def model() -> HotlineModel:
    return HotlineModel(PROVINCE, DUE_MS, resend_margin_ms=TIMING.horizon_ms)


def hotline(partitions: int = 2, owners: int = 3) -> Deployment:
    return Deployment(model(), partitions, owners, schema=SCHEMA, opened_ms=D)


def figures(
    finals: dict[FinalKey, float | None], kind: str, entity: str, start: int, end: int
) -> dict[str, float | None]:
    return {name: finals[(code, kind, entity, start, end)] for code, name in CODES.items()}


# T1 reported and resolved 3 h later that day; T2 reported three days before, still open (overdue);
# T3 (26002, environment) resolved after 7 h; T4 (26002, environment) cancelled; T5 without an area
# (the province), flooding, open; T6 reported the evening before, resolved after 21 h.
TICKETS = [
    ticket("t1a", "T1", "new", D),
    ticket("t1b", "T1", "resolved", D + 3 * H, reported=D),
    ticket("t2a", "T2", "in_progress", D + H, reported=D - 72 * H),
    ticket("t3a", "T3", "new", D + 2 * H, area="26002", category="environment"),
    ticket("t3b", "T3", "closed", D + 9 * H, reported=D + 2 * H, area="26002", category="environment"),
    ticket("t4a", "T4", "new", D + 4 * H, area="26002", category="environment"),
    ticket("t4b", "T4", "cancelled", D + 5 * H, reported=D + 4 * H, area="26002", category="environment"),
    ticket("t5a", "T5", "new", D + 6 * H, area="", category="flooding"),
    ticket("t6a", "T6", "resolved", D + 11 * H, reported=D - 10 * H),
]
PROVINCE_DAY = {"received": 4.0, "open": 2.0, "overdue": 1.0, "resolved": 3.0, "median_h": 7.0, "p90_h": 21.0}


def test_where_a_ticket_counts() -> None:
    """Its area and every area above it, and its category in each; no area means the province."""
    placement = model().place(ticket("x", "X", "new", D))
    assert placement.gate is None
    assert {(p.route, p.entity_id, p.area_code) for _, places in placement.totals for p in places} == {
        (AREA_DAY, "26001", "26001"),
        (AREA_MONTH, "26001", "26001"),
        (CATEGORY_DAY, "26001/traffic", "26001"),
        (CATEGORY_MONTH, "26001/traffic", "26001"),
        (AREA_DAY, "75", "75"),
        (AREA_MONTH, "75", "75"),
        (CATEGORY_DAY, "75/traffic", "75"),
        (CATEGORY_MONTH, "75/traffic", "75"),
    }
    nowhere = model().place(ticket("y", "Y", "new", D, area=""))
    assert {p.entity_id for _, places in nowhere.totals for p in places} == {"75", "75/traffic"}


def test_tickets_become_exact_day_and_month_figures() -> None:
    d = hotline()
    d.fold(0, TICKETS[:5], D + 12 * H, source="HOTLINE-1022")
    d.fold(1, TICKETS[5:], D + 12 * H, source="APP")
    finals = close_all(d)
    assert figures(finals, "area", "75", DAY, NEXT_DAY) == PROVINCE_DAY
    # 26001: T1 (3 h), T2 open and overdue, T6 (21 h): the median of two is their mean
    ward = {"received": 1.0, "open": 1.0, "overdue": 1.0, "resolved": 2.0, "median_h": 12.0, "p90_h": 21.0}
    assert figures(finals, "area", "26001", DAY, NEXT_DAY) == ward
    assert figures(finals, "hotline_category", "26001/traffic", DAY, NEXT_DAY) == ward
    assert figures(finals, "hotline_category", "75/environment", DAY, NEXT_DAY) == {
        "received": 2.0, "open": 0.0, "overdue": 0.0, "resolved": 1.0, "median_h": 7.0, "p90_h": 7.0,
    }  # fmt: skip
    assert figures(finals, "hotline_category", "75/flooding", DAY, NEXT_DAY) == {
        "received": 1.0, "open": 1.0, "overdue": 0.0, "resolved": 0.0, "median_h": None, "p90_h": None,
    }  # fmt: skip
    # November as of its end: T2 and T6 were reported in November too; T5 is overdue by then.
    assert figures(finals, "area", "75", MONTH, DECEMBER) == PROVINCE_DAY | {"received": 6.0, "overdue": 2.0}
    area_codes = {
        (r["entity_id"], r["area_code"]) for r in d.indicators() if r["entity_type"] == "hotline_category"
    }
    assert ("26001/traffic", "26001") in area_codes and ("75/flooding", "75") in area_codes


def test_resends_and_reorders_change_no_final() -> None:
    """The tickets' events resent and shuffled over two partitions: the month finals are the same."""
    d = hotline()
    d.fold(0, TICKETS, D + 12 * H)
    expected = {k: v for k, v in close_all(d).items() if k[4] - k[3] > 86_400_000}
    for seed in range(3):
        rng = random.Random(seed)
        shuffled = TICKETS + rng.sample(TICKETS, 4)
        rng.shuffle(shuffled)
        again = hotline(owners=2)
        again.fold(0, shuffled[::2], D + 12 * H, source="A")
        again.fold(1, shuffled[1::2], D + 12 * H, source="B")
        assert {k: v for k, v in close_all(again).items() if k[4] - k[3] > 86_400_000} == expected


def test_a_ticket_merges_in_any_order_and_its_resolution_stays() -> None:
    """The newest event decides status, area and category; the first resolution seen stays, even
    when a later event reopens the ticket's status."""
    slim = [model().slim(t) for t in (TICKETS[0], TICKETS[1])]
    reopened = model().slim(
        ticket("t1c", "T1", "in_progress", D + 5 * H, reported=D, category="public_order")
    )
    forward = merge(merge(merge(None, "t1a", slim[0]), "t1b", slim[1]), "t1c", reopened)
    backward = merge(merge(merge(None, "t1c", reopened), "t1b", slim[1]), "t1a", slim[0])
    assert forward == backward
    assert (forward["status"], forward["category"], forward["resolved"], forward["received"]) == (
        "in_progress",
        "public_order",
        D + 3 * H,
        D,
    )


def test_a_quiet_categorys_overdue_count_follows_the_stream_without_a_ticket_of_its_own() -> None:
    """The ageing refresh (streams/engine/windowing.py): ticket Q (26001, traffic), reported 47 h before
    D, is still open at D and nothing more is said of it; another category's ticket moves the stream
    time past Q's due time. Q's category is judged again on the wall clock and emitted with Q overdue;
    a later refresh that finds the same figures emits nothing."""
    d = hotline(partitions=1, owners=1)
    d.fold(0, [ticket("q", "Q", "in_progress", D, reported=D - 47 * H)], D)
    d.run_until_quiet(D)
    d.fold(0, [ticket("e", "E", "new", D + 2 * H, area="26002", category="environment")], D + 2 * H)
    d.run_until_quiet(D + 2 * H)

    def overdue() -> list[float | None]:
        return [
            r["value"]
            for r in d.indicators()
            if r["entity_id"] == "26001/traffic"
            and r["indicator"] == indicators.PUBLIC_SERVICE_HOTLINE_TICKETS_OVERDUE
            and to_ms(r["window_start"]) == DAY
        ]

    assert overdue() == [0.0]  # as of D: due at D + 1 h
    d.tick(D + 2 * H)
    d.commit(D + 2 * H)
    assert overdue() == [0.0, 1.0]  # as of the stream time D + 2 h, with no ticket of its own
    emitted = len(d.indicators())
    d.tick(D + 2 * H + 61_000)
    d.commit(D + 2 * H + 61_000)
    assert len(d.indicators()) == emitted  # judged again, unchanged: nothing sent
