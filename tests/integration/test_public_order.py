"""Public-order indicators on the real broker and registry: crowd density and level of a zone with
a duplicate, a late and a malformed record, the crowd-overload alert opening and resolving from
them, and incidents per hour by type and area.

CAM-0062 watches crowd zone CZ-002 (ward 26020, crowded at 2 persons/m2) at INT-0020 (ward 26020 of
province 75). Event times are days ahead, so only the records' own times close windows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.integration.conftest import RunningStack
from tests.integration.helpers import wait_for
from tests.integration.stream_io import Feeder, TopicReader, finals, future_hour, single
from topics.catalog import ALERTS, CAMERA_CROWD_DENSITY, CAMERA_INCIDENTS, DLQ_CAMERA, INDICATORS, LATE_EVENTS

MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
ZONE = "CZ-002"
CAMERA = "CAM-0062"


def crowd(
    event_id: str, at: datetime, persons: int, density: float | None, area: float | None = None
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "camera_id": CAMERA,
        "observed_at": at,
        "zone_id": "vendor-zone-A",  # the vendor's name; the camera's configured zone is CZ-002
        "person_count": persons,
        "density_persons_per_m2": density,
        "zone_area_m2": area,
    }


def test_crowd_density_level_and_overload_alert(local_stack: RunningStack, prefix: str) -> None:
    t0 = future_hour()
    run = f"C{t0:%Y%m%d%H}"
    indicators = TopicReader(local_stack, INDICATORS, prefix)
    alerts = TopicReader(local_stack, ALERTS, prefix)
    late_events = TopicReader(local_stack, LATE_EVENTS, prefix)
    dead_letters = TopicReader(local_stack, DLQ_CAMERA, prefix)
    feed = Feeder(local_stack, prefix)
    feed.send(
        CAMERA_CROWD_DENSITY,
        [
            # Minute 00: 4.0, 5.0 and 150 persons on 50 m2 = 3.0 -> mean 4.0 = 2 x 2.0 -> level 3.
            crowd(f"{run}-1", t0 + timedelta(seconds=5), 200, 4.0),
            crowd(f"{run}-2", t0 + timedelta(seconds=25), 250, 5.0),
            crowd(f"{run}-3", t0 + timedelta(seconds=45), 150, None, 50.0),
            crowd(f"{run}-2", t0 + timedelta(seconds=25), 250, 5.0),  # re-sent: once only
            # Minutes 01 and 02: overloaded (4.5 and 4.0); minute 03: 1.0 -> level 0.
            crowd(f"{run}-4", t0 + MIN + timedelta(seconds=10), 225, 4.5),
            crowd(f"{run}-5", t0 + 2 * MIN + timedelta(seconds=10), 200, 4.0),
            crowd(f"{run}-6", t0 + 3 * MIN + timedelta(seconds=10), 50, 1.0),
            crowd(f"{run}-7", t0 + 3 * MIN + timedelta(seconds=20), -5, 1.0),  # malformed
        ],
    )
    # 06:00 closes minutes 00 to 04; then a record for minute 00 is late.
    feed.send(CAMERA_CROWD_DENSITY, [crowd(f"{run}-8", t0 + 6 * MIN, 20, 0.4)])
    feed.send(CAMERA_CROWD_DENSITY, [crowd(f"{run}-9", t0 + timedelta(seconds=50), 999, 9.0)])
    feed.send(CAMERA_CROWD_DENSITY, [crowd(f"{run}-10", t0 + 10 * MIN, 20, 0.4)])
    feed.flush()

    minute = lambda n: (t0 + n * MIN, t0 + (n + 1) * MIN)  # noqa: E731
    last = ("public_order.crowd_level", "zone", ZONE, *minute(6))
    got = single(wait_for(lambda: finals(indicators.poll(), t0, t0 + HOUR), lambda rows: last in rows))
    assert {key: value for key, value in got.items() if key[2] == ZONE} == {
        ("public_order.crowd_density", "zone", ZONE, *minute(0)): 4.0,
        ("public_order.crowd_level", "zone", ZONE, *minute(0)): 3.0,
        ("public_order.crowd_density", "zone", ZONE, *minute(1)): 4.5,
        ("public_order.crowd_level", "zone", ZONE, *minute(1)): 3.0,
        ("public_order.crowd_density", "zone", ZONE, *minute(2)): 4.0,
        ("public_order.crowd_level", "zone", ZONE, *minute(2)): 3.0,
        ("public_order.crowd_density", "zone", ZONE, *minute(3)): 1.0,
        ("public_order.crowd_level", "zone", ZONE, *minute(3)): 0.0,
        ("public_order.crowd_density", "zone", ZONE, *minute(6)): 0.4,
        ("public_order.crowd_level", "zone", ZONE, *minute(6)): 0.0,
    }
    area_of = {r["area_code"] for r in indicators.poll() if r["entity_id"] == ZONE}
    assert area_of == {"26020"}

    # Overloaded from the window ending 01:00 to the one ending 03:00 (2 min): opens; minute 03 resolves.
    changes = wait_for(
        lambda: [
            a
            for a in alerts.poll()
            if a["entity_id"] == ZONE and a["rule_id"] == "public_order.crowd_overload"
        ],
        lambda found: any(a["state"] == "resolved" for a in found),
    )
    assert [a["state"] for a in changes][0] == "open"
    assert [a["state"] for a in changes][-1] == "resolved"
    assert len({a["alert_id"] for a in changes}) == 1
    assert [a["state"] for a in changes].count("open") == 1

    late = wait_for(
        lambda: [e for e in late_events.poll() if e["record_ref"] == f"{run}-9"],
        lambda found: len(found) >= 1,
    )
    # Late at its camera's minute (the gate, where a record is judged once), so counted nowhere.
    assert [(e["processor"], e["lateness_ms"]) for e in late] == [
        (f"crowd/camera/1m/{CAMERA}", 270_000)
    ]  # 6:00 - 1:30
    dead = wait_for(
        lambda: [d for d in dead_letters.poll() if f"event_id={run}-7" in d["record_ref"]],
        lambda found: len(found) >= 1,
    )
    assert [(d["field_path"], d["rule"]) for d in dead] == [("person_count", "must be >= 0")]
    for reader in (indicators, alerts, late_events, dead_letters):
        reader.close()


def incident(event_id: str, camera: str, at: datetime, kind: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "camera_id": camera,
        "observed_at": at,
        "incident_type": kind,
        "confidence": 0.9,
        "severity_hint": "unknown",
        "description": "Sự cố thử nghiệm",
        "latitude": None,
        "longitude": None,
        "evidence_ref": "",
    }


def test_incidents_per_hour_by_type_and_area(local_stack: RunningStack, prefix: str) -> None:
    """Hour 00: CAM-0062 (ward 26020) two accidents, one re-sent, and a fight; CAM-0121 (ward 26019,
    corridor Z-QL51) a fire. The province 75 counts all of them; 03:00 closes the hour."""
    t0 = future_hour()
    run = f"I{t0:%Y%m%d%H}"
    indicators = TopicReader(local_stack, INDICATORS, prefix)
    feed = Feeder(local_stack, prefix)
    feed.send(
        CAMERA_INCIDENTS,
        [
            incident(f"{run}-1", "CAM-0062", t0 + 2 * MIN, "accident"),
            incident(f"{run}-1", "CAM-0062", t0 + 2 * MIN, "accident"),
            incident(f"{run}-2", "CAM-0062", t0 + 40 * MIN, "accident"),
            incident(f"{run}-3", "CAM-0062", t0 + 41 * MIN, "fight"),
            incident(f"{run}-4", "CAM-0121", t0 + 50 * MIN, "fire_smoke"),
        ],
    )
    feed.send(
        CAMERA_INCIDENTS,
        [incident(f"{run}-9", cam, t0 + 3 * HOUR, "other") for cam in ("CAM-0062", "CAM-0121")],
    )
    feed.flush()
    last = ("public_order.incidents.fire_smoke", "area", "Z-QL51", t0, t0 + HOUR)
    got = single(wait_for(lambda: finals(indicators.poll(), t0, t0 + HOUR), lambda rows: last in rows))
    hour = (t0, t0 + HOUR)
    assert {key: value for key, value in got.items() if key[0].startswith("public_order.incidents.")} == {
        ("public_order.incidents.accident", "area", "26020", *hour): 2.0,
        ("public_order.incidents.fight", "area", "26020", *hour): 1.0,
        ("public_order.incidents.accident", "area", "75", *hour): 2.0,
        ("public_order.incidents.fight", "area", "75", *hour): 1.0,
        ("public_order.incidents.fire_smoke", "area", "75", *hour): 1.0,
        ("public_order.incidents.fire_smoke", "area", "26019", *hour): 1.0,
        ("public_order.incidents.fire_smoke", "area", "Z-QL51", *hour): 1.0,
    }
    indicators.close()
