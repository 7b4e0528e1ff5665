"""The public-service dossier figures on the window engine (streams/model/services.py through
tests/unit/stream_harness.py): exact Decision 766 figures for a local day and month by department and
area, one owner per total whatever feeds it, resends and reorders, late events, crashes, and state that
follows open dossiers. The merge and the figures themselves are tested in tests/unit/test_dossiers.py.

Times: the local day 2026-11-10 (UTC+7) runs from 2026-11-09T17:00Z; November from 2026-10-31T17:00Z.
Grace 30 s, idle 60 s, horizon (the resend margin) one day (tests/unit/stream_harness.py).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from ioc.province import Province
from streams.model import indicators
from streams.model.services import AREA_DAY, AREA_MONTH, DEPARTMENT_DAY, DEPARTMENT_MONTH, DossierModel
from tests.unit.stream_harness import TIMING, Deployment, FinalKey

H = 3_600_000
S = 1_000
DAY = int(datetime(2026, 11, 9, 17, tzinfo=UTC).timestamp() * 1000)  # local 2026-11-10 00:00
MONTH = int(datetime(2026, 10, 31, 17, tzinfo=UTC).timestamp() * 1000)  # local 2026-11-01 00:00
DECEMBER = int(datetime(2026, 11, 30, 17, tzinfo=UTC).timestamp() * 1000)
NEXT_DAY = DAY + 24 * H
D = DAY + 2 * H  # 02:00 local
FAR = DAY + 90 * 24 * H  # a wall clock far ahead: everything quiet has closed
DUE_SOON_MS = 48 * H
SCHEMA = "department/dossier_events"
CODES = {
    indicators.PUBLIC_SERVICE_DOSSIERS_RECEIVED: "received",
    indicators.PUBLIC_SERVICE_DOSSIERS_IN_PROGRESS: "in_progress",
    indicators.PUBLIC_SERVICE_DOSSIERS_DUE_SOON: "due_soon",
    indicators.PUBLIC_SERVICE_DOSSIERS_RESOLVED_ON_TIME: "on_time",
    indicators.PUBLIC_SERVICE_DOSSIERS_RESOLVED_LATE: "late",
    indicators.PUBLIC_SERVICE_DOSSIERS_OVERDUE: "overdue",
    indicators.PUBLIC_SERVICE_ON_TIME_RATE: "on_time_rate",
    indicators.PUBLIC_SERVICE_LATE_RATE: "late_rate",
}

PROVINCE = Province.model_validate(
    {
        "code": "75",
        "name_vi": "Tỉnh Thử",
        "areas": [
            {"code": "75", "name_vi": "Tỉnh", "level": "province"},
            {"code": "26001", "name_vi": "Phường Một", "level": "ward", "parent": "75"},
            {"code": "26002", "name_vi": "Phường Hai", "level": "ward", "parent": "75"},
        ],
        "reporting_units": [
            {"code": "SO-A", "name_vi": "Sở A", "area": "75"},
            {"code": "UB-1", "name_vi": "UBND phường Một", "area": "26001"},
        ],
    }
)


def event(
    event_id: str,
    dossier: str,
    kind: str,
    at: int,
    *,
    received: int | None = None,
    due: int | None = None,
    resolved: int | None = None,
    department: str = "SO-A",
    area: str = "26001",
    channel: str = "online",
    digitised: bool | None = None,
    paid_online: bool | None = None,
    satisfaction: str | None = None,
) -> dict[str, Any]:
    """A decoded dossier event (instants in epoch ms, as the engine decodes them)."""
    return {
        "event_id": event_id,
        "dossier_id": dossier,
        "observed_at": at,
        "event_type": kind,
        "department_code": department,
        "procedure_code": "1.004227",
        "received_at": at if received is None else received,
        "due_at": due,
        "resolved_at": resolved,
        "channel": channel,
        "area_code": area,
        "digitised": digitised,
        "paid_online": paid_online,
        "satisfaction": satisfaction,
    }


def model() -> DossierModel:
    return DossierModel(PROVINCE, DUE_SOON_MS, resend_margin_ms=TIMING.horizon_ms)


def services(partitions: int = 2, owners: int = 3, opened_ms: int = D) -> Deployment:
    """Tasks opened at 02:00 on the 10th; the tests keep the wall clock there until `close_all`, so no
    source partition is idle before then."""
    return Deployment(model(), partitions, owners, schema=SCHEMA, opened_ms=opened_ms)


def close_all(deployment: Deployment, now: int = FAR) -> dict[FinalKey, float | None]:
    """Let the wall clock run to `now`: every quiet window closes; the finals by window."""
    for step in range(3):
        deployment.run_until_quiet(now + step)
        deployment.tick(now + step)
    deployment.run_until_quiet(now + 3)
    return deployment.finals()


def figures(
    finals: dict[FinalKey, float | None], kind: str, entity: str, start: int, end: int
) -> dict[str, float | None]:
    return {name: finals[(code, kind, entity, start, end)] for code, name in CODES.items()}


# Dossiers of 2026-11-10 (the integration test of the old agent, kept): A received and resolved on
# time that day; B received four days before, due the day before, resolved that day (late), its
# resolution arriving first and resent; C received that day, due before it ends (overdue at its end);
# D received that day, due the next (due soon at its end).
A = [
    event("a1", "A", "received", D, due=D + 72 * H),
    event("a2", "A", "resolved", D + 3 * H, received=D, due=D + 72 * H, resolved=D + 3 * H),
]
B = [
    event("b2", "B", "resolved", D + 4 * H, received=D - 96 * H, due=D - 24 * H, resolved=D + 4 * H),
    event("b1", "B", "received", D - 95 * H, received=D - 96 * H, due=D - 24 * H),
    event("b2", "B", "resolved", D + 4 * H, received=D - 96 * H, due=D - 24 * H, resolved=D + 4 * H),
]
C = [event("c1", "C", "received", D + H, due=D + 6 * H)]
E = [event("d1", "D", "received", D + 5 * H, due=NEXT_DAY + 20 * H)]
THE_DAY = {
    "received": 3.0,  # A, C, D (B was received 4 days earlier)
    "in_progress": 2.0,  # C, D at the day's end
    "due_soon": 1.0,  # D
    "on_time": 1.0,  # A
    "late": 1.0,  # B
    "overdue": 1.0,  # C
    "on_time_rate": 50.0,
    "late_rate": 50.0,
}
# November as of its end: B's reception counts too; C and D are still open, both past due by then.
THE_MONTH = THE_DAY | {"received": 4.0, "due_soon": 0.0, "overdue": 2.0}


def test_where_a_dossier_event_counts() -> None:
    """Its department (area: the unit's), then its area and every area above it, each for the day and
    the month; a department-less event counts for its areas only (the old agent's rule, kept)."""
    placement = model().place(event("x", "X", "received", D))
    assert placement.gate is None
    assert {(p.route, p.entity_id, p.area_code) for _, places in placement.totals for p in places} == {
        (DEPARTMENT_DAY, "SO-A", "75"),
        (DEPARTMENT_MONTH, "SO-A", "75"),
        (AREA_DAY, "26001", "26001"),
        (AREA_DAY, "75", "75"),
        (AREA_MONTH, "26001", "26001"),
        (AREA_MONTH, "75", "75"),
    }
    nameless = model().place(event("y", "Y", "received", D, department="", area=""))
    assert [(p.route.entity_type, p.entity_id) for _, places in nameless.totals for p in places] == [
        ("area", "75"),
        ("area", "75"),
    ]


def test_dossier_events_become_exact_day_and_month_figures() -> None:
    """Two portals on two partitions feed one department: its figures, its area's and the province's
    are the Decision 766 figures of the day and of the month, each final sent once."""
    d = services()
    d.fold(0, A + B, D + 5 * H, source="PORTAL-1")
    d.fold(1, C + E, D + 5 * H, source="PORTAL-2")
    finals = close_all(d)
    for kind, entity in (("department", "SO-A"), ("area", "26001"), ("area", "75")):
        assert figures(finals, kind, entity, DAY, NEXT_DAY) == THE_DAY
        assert figures(finals, kind, entity, MONTH, DECEMBER) == THE_MONTH
    # B's reception (four days before) came after its day had closed on its portal's clock: reported
    # late for that day's totals, still counted in the month and in B's dossier.
    assert sorted(e["processor"] for e in d.late_events()) == [
        "public_service/area/day/26001",
        "public_service/area/day/75",
        "public_service/department/day/SO-A",
    ]


def test_provisional_figures_are_as_of_the_watermark() -> None:
    """While the day is open its figures are judged as of the owners' watermark (the least of the
    source partitions' progress): at 05:00 local D is not yet received, A is resolved, C not yet due."""
    d = services(partitions=1)
    d.fold(0, A + B + C, D + 5 * H)
    d.fold(0, E, D + 5 * H)
    d.run_until_quiet(D + 5 * H)
    day = [r for r in d.indicators() if r["entity_id"] == "SO-A" and r["window_end"].year == 2026]
    latest: dict[str, Any] = {}
    for r in day:
        if int(r["window_start"].timestamp() * 1000) == DAY:
            latest[CODES[r["indicator"]]] = r
    assert not any(r["is_final"] for r in latest.values())
    # As of 07:00 local (D's reception, the newest event): A, C, D received; C, D open, none overdue.
    assert {name: r["value"] for name, r in latest.items()} == THE_DAY | {"overdue": 0.0, "due_soon": 2.0}


RECORDED = (
    A
    + B
    + C
    + E
    + [
        event("e1", "E", "received", D + 6 * H, due=D + 7 * H, area="26002"),
        event("e2", "E", "withdrawn", D + 8 * H, due=D + 7 * H, area="26002"),
        event("f1", "F", "received", D + 9 * H, due=D + 100 * H, department="UB-1"),
        event("g1", "G", "received", NEXT_DAY + 3 * H, due=NEXT_DAY + 4 * H),
        event("g2", "G", "resolved", NEXT_DAY + 5 * H, due=NEXT_DAY + 4 * H, resolved=NEXT_DAY + 5 * H),
    ]
)


def run(recorded: list[dict[str, Any]], rng: random.Random, owners: int, crashes: int = 0) -> Deployment:
    """The recorded events spread over two partitions by portal, fed, committed and delivered in a
    random interleaving, crashing (and restarting from the last commit) `crashes` times."""
    d = services(partitions=2, owners=owners)
    for index, record in enumerate(recorded):
        portal = index % 2
        d.inputs[portal].append((f"PORTAL-{portal}", record))
    while any(d.read.get(("source", p), 0) < len(d.inputs[p]) for p in d.inputs) or any(
        d.read.get(("owner", r), 0) < len(log) for r, log in d.inbox.items()
    ):
        choice = rng.random()
        if choice < 0.5:
            p = rng.randrange(2)
            d.feed(p, D, min(len(d.inputs[p]), d.read.get(("source", p), 0) + rng.randrange(1, 4)))
        elif choice < 0.8:
            owner = rng.randrange(owners)
            d.deliver(owner, D, d.read.get(("owner", owner), 0) + rng.randrange(1, 3))
        else:
            d.commit(D)
        if crashes and rng.random() < 0.1:
            crashes -= 1
            d.crash(D)
    return d


@pytest.mark.parametrize("seed", range(4))
def test_resends_reorders_splits_and_crashes_change_no_final(seed: int) -> None:
    """The same events resent, reordered, split over owners and interleaved any way, with crashes:
    every final of every department and area, day and month, is the same and sent once."""
    rng = random.Random(seed)
    expected = close_all(run(RECORDED, random.Random(0), owners=1))
    shuffled = RECORDED + rng.sample(RECORDED, 5)  # resends
    rng.shuffle(shuffled)
    for attempt, (owners, crashes) in enumerate([(3, 0), (2, 4), (3, 8)]):
        got = close_all(run(shuffled, random.Random(seed * 10 + attempt), owners, crashes))
        # Reordering makes different events late for their day (a day's window closes on each portal's
        # clock): compare the months, which every event reaches in time, and the days in the unshuffled order.
        assert {k: v for k, v in got.items() if k[4] - k[3] > 86_400_000} == {
            k: v for k, v in expected.items() if k[4] - k[3] > 86_400_000
        }
        again = close_all(run(RECORDED + RECORDED[:4], random.Random(seed * 10 + attempt), owners, crashes))
        assert again == expected
    assert figures(expected, "area", "26002", DAY, NEXT_DAY) == {
        "received": 1.0,
        "in_progress": 0.0,  # E was withdrawn before the day's end
        "due_soon": 0.0,
        "on_time": 0.0,
        "late": 0.0,
        "overdue": 0.0,
        "on_time_rate": None,
        "late_rate": None,
    }


def test_an_event_after_the_days_end_never_changes_its_final() -> None:
    """C is withdrawn at 00:00:05 the next day. Whether its owner reads that before or after the day
    closes (here: portal 2 lags, so the day stays open while portal 1 reads on), the day's final
    counts C in progress: figures as of an instant are made of what was observed before it."""

    def final_in_progress(withdrawal_first: bool) -> float | None:
        d = services()
        withdrawal = [event("c2", "C", "withdrawn", NEXT_DAY + 5 * S, received=D + H, due=D + 6 * H)]
        d.fold(1, [event("z", "Z", "received", D)], D, source="PORTAL-2")
        d.fold(0, C, D, source="PORTAL-1")
        if withdrawal_first:
            d.fold(0, withdrawal, D, source="PORTAL-1")
            d.run_until_quiet(D)
            d.fold(1, [event("z2", "Z", "in_progress", NEXT_DAY + H, received=D)], D, source="PORTAL-2")
        else:
            d.fold(1, [event("z2", "Z", "in_progress", NEXT_DAY + H, received=D)], D, source="PORTAL-2")
            d.fold(0, [event("y", "Y", "received", NEXT_DAY + H)], D, source="PORTAL-1")
            d.run_until_quiet(D)
            d.fold(0, withdrawal, D, source="PORTAL-1")
        finals = close_all(d)
        return finals[(indicators.PUBLIC_SERVICE_DOSSIERS_IN_PROGRESS, "department", "SO-A", DAY, NEXT_DAY)]

    assert final_in_progress(True) == final_in_progress(False) == 2.0  # C and Z


def test_a_late_event_is_reported_counts_in_later_windows_and_not_in_its_own() -> None:
    """H is received at 10:00 on the 10th but reaches portal 1's partition when that portal's clock is
    already on the 11th: too late for the 10th (late events, one per total), yet its dossier is
    absorbed: it counts in the month and is in progress on the 11th. Portal 2 lags, so the 10th is
    still open at the owners when H arrives: it is left out all the same."""
    d = services()
    d.fold(1, [event("z", "Z", "received", D)], D, source="PORTAL-2")
    d.fold(0, [event("y", "Y", "received", NEXT_DAY + H), event("h", "H", "received", DAY + 10 * H)], D)
    d.run_until_quiet(D)
    d.fold(1, [event("z2", "Z", "in_progress", NEXT_DAY + 2 * H, received=D)], D, source="PORTAL-2")
    finals = close_all(d)
    received = indicators.PUBLIC_SERVICE_DOSSIERS_RECEIVED
    in_progress = indicators.PUBLIC_SERVICE_DOSSIERS_IN_PROGRESS
    assert finals[(received, "department", "SO-A", DAY, NEXT_DAY)] == 1.0  # Z only
    assert finals[(in_progress, "department", "SO-A", NEXT_DAY, NEXT_DAY + 24 * H)] == 3.0  # Z, Y, H
    assert finals[(received, "department", "SO-A", MONTH, DECEMBER)] == 3.0
    late = [e for e in d.late_events() if e["record_ref"] == "h"]
    assert sorted(e["processor"] for e in late) == [
        "public_service/area/day/26001",
        "public_service/area/day/75",
        "public_service/department/day/SO-A",
    ]


def test_a_crash_before_the_commit_counts_nothing_twice() -> None:
    steady = services()
    steady.fold(0, RECORDED, D)
    crashed = services()
    crashed.fold(0, RECORDED[:5], D)
    crashed.run_until_quiet(D)
    crashed.fold(0, RECORDED[5:], D)
    crashed.crash(D)
    crashed.feed(0, D)
    assert close_all(crashed) == close_all(steady)


def days_of_dossiers(days: int) -> tuple[Deployment, int]:
    """Every 4 hours, on each of two partitions, a dossier is received and the one received a day
    before is resolved, from 2026-11-20 local on; one dossier received on the first day stays open."""
    first = DAY + 10 * 24 * H
    d = services(opened_ms=first)
    d.fold(0, [event("open", "OPEN", "received", first, due=first + 400 * 24 * H)], first, source="P0")
    for hour in range(0, days * 24, 4):
        at = first + hour * H + 1
        for p in range(2):
            batch = [event(f"r{p}-{hour}", f"{p}-{hour}", "received", at, due=at + 48 * H)]
            if hour >= 24:
                received = at - 24 * H
                batch.append(
                    event(f"s{p}-{hour}", f"{p}-{hour - 24}", "resolved", at, received=received,
                          due=received + 48 * H, resolved=at)
                )  # fmt: skip
            d.fold(p, batch, at, source=f"P{p}")
        d.run_until_quiet(at)
        d.tick(at)
    return d, first + days * 24 * H


def test_state_follows_open_dossiers_not_days_of_history() -> None:
    """After days and a month's end, the stores hold one key per department and area (and period)
    and the tasks' bookkeeping, as many after 16 days as after 12; the day series hold the open
    dossiers and those finished within the resend margin; December's month series has forgotten
    November's finished dossiers."""

    def state(days: int) -> tuple[set[str], dict[str, int]]:
        d, _ = days_of_dossiers(days)
        keys = {key for store in d.stores.values() for key in store.data}
        sizes = {
            key: len(series["x"]["d"])
            for store in d.stores.values()
            for key, series in store.data.items()
            if not key.startswith("~") and series["x"] is not None
        }
        return keys, sizes

    keys_12, sizes_12 = state(12)  # to 2 December
    keys_16, sizes_16 = state(16)  # to 6 December
    assert keys_12 == keys_16
    assert {k for k in keys_16 if not k.startswith("~")} == {
        "public_service/department/day|SO-A",
        "public_service/department/month|SO-A",
        *(f"public_service/area/{period}|{area}" for period in ("day", "month") for area in ("26001", "75")),
    }
    day = sizes_16["public_service/department/day|SO-A"]
    # Open: the long one and the last day's receptions (12); finished within the margin (one day) and
    # not before the open day: at most the last two days' resolutions (24).
    assert day == sizes_12["public_service/department/day|SO-A"]
    assert day <= 1 + 12 + 24
    month = sizes_16["public_service/department/month|SO-A"]
    assert month <= 1 + 6 * 12 + 12  # December's six days, the open one, and what December resolved


def test_the_decision_766_index_of_a_month_by_department_and_area() -> None:
    """Four dossiers of SO-A in November whose facts arrive on different events (the rating with the
    resolution): each group's points and the total, exact, for the department, its area and the
    province; a department whose dossier says nothing scores 0 and names the groups without data.
    The index is a month figure: the day windows carry none."""
    index_events = [
        event("p1", "P", "received", D, due=D + 72 * H, digitised=True, paid_online=True),
        event("p2", "P", "resolved", D + 3 * H, received=D, due=D + 72 * H, resolved=D + 3 * H,
              channel="unknown", satisfaction="very_satisfied"),
        event("q1", "Q", "received", D + H, channel="offline", digitised=False),
        event("q2", "Q", "resolved", D + 30 * H, received=D + H, resolved=D + 30 * H, channel="offline",
              satisfaction="dissatisfied"),
        event("r1", "R", "received", D + 2 * H, due=D + 4 * H, digitised=True, paid_online=False),
        event("r2", "R", "resolved", D + 10 * H, received=D + 2 * H, due=D + 4 * H, resolved=D + 10 * H),
        event("s1", "S", "received", D + 3 * H, due=D + 100 * H, channel="unknown"),
        event("u1", "U", "received", D + 4 * H, department="UB-1", area="26002", channel="unknown"),
    ]  # fmt: skip
    d = services()
    d.fold(0, index_events[:4], D + 40 * H, source="PORTAL-1")
    d.fold(1, index_events[4:], D + 40 * H, source="PORTAL-2")
    finals = close_all(d)

    def index(kind: str, entity: str) -> dict[str, float | None]:
        groups = ("publicity", "progress", "digitisation", "online", "satisfaction")
        found = {g: finals[(f"public_service.index_766_{g}", kind, entity, MONTH, DECEMBER)] for g in groups}
        return found | {"total": finals[(indicators.PUBLIC_SERVICE_INDEX_766, kind, entity, MONTH, DECEMBER)]}

    so_a = {
        "publicity": 13.5,  # 18 x 3 of 4 received with a due time (Q has none)
        "progress": 13.333333,  # 20 x 2 of 3 resolved on time (R late; Q has no due time: on time)
        "digitisation": 14.666667,  # 22 x 2 of 3 known (S unknown)
        "online": 13.0,  # 12 x 2 online of 3 with a channel + 10 x 1 paid online of 2 known
        "satisfaction": 9.0,  # 18 x 1 satisfied of 2 rated
        "total": 63.5,
    }
    assert index("department", "SO-A") == so_a
    assert index("area", "26001") == so_a
    assert index("department", "UB-1") == {
        "publicity": 0.0,
        "progress": None,
        "digitisation": None,
        "online": None,
        "satisfaction": None,
        "total": 0.0,
    }
    labels = {
        r["entity_id"]: r["label"]
        for r in d.indicators()
        if r["indicator"] == indicators.PUBLIC_SERVICE_INDEX_766 and r["is_final"]
    }
    missing = "progress,digitisation,online,satisfaction"
    assert labels == {"SO-A": "", "26001": "", "75": "", "UB-1": missing, "26002": missing}
    # the province: SO-A's four plus U (received, no due time, nothing else known)
    assert index("area", "75")["publicity"] == 18 * 3 / 5
    assert not any(k[0] == indicators.PUBLIC_SERVICE_INDEX_766 and k[3] == DAY for k in finals)


def test_events_kept_by_the_previous_version_restore_as_unknown_facts() -> None:
    """A pending event written to a changelog before the index's fields existed (seven fields, then
    its id and lateness) merges as a dossier whose facts are unknown."""
    old = [D, "received", "SO-A", "26001", D, D + H, None, "d-old", False]
    merged = model().merge_event(None, "d-old", old)
    assert (merged["received"], merged["due"], merged["facts"]) == (D, D + H, {})
