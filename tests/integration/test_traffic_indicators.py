"""Traffic indicators on the real broker and registry: crafted vehicle counts and violations with
out-of-order, late, duplicate and malformed records, and the exact values the agents emit for
cameras, the intersection, the areas (tumbling and hopping) and violations by type.

Event times are days ahead (`future_hour`), so windows close only when later records move the
watermark, never on the wall clock: the outcome is exact whatever the machine's speed. CAM-0001 and
CAM-0002 are the cameras of INT-0001 (ward 26001 of province 75, free-flow speed 50 km/h).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.integration.conftest import RunningStack
from tests.integration.helpers import wait_for
from tests.integration.stream_io import Feeder, TopicReader, finals, future_hour, single
from topics.catalog import CAMERA_VEHICLE_COUNTS, CAMERA_VIOLATIONS, DLQ_CAMERA, INDICATORS, LATE_EVENTS

MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def count(event_id: str, camera: str, at: datetime, vehicles: int, speed: float | None) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "camera_id": camera,
        "observed_at": at,
        "interval_seconds": 60,
        "lane": 1,
        "vehicle_class": "car",
        "vehicle_count": vehicles,
        "average_speed_kmh": speed,
    }


def test_vehicle_counts_become_exact_camera_intersection_and_area_indicators(
    local_stack: RunningStack, prefix: str
) -> None:
    t0 = future_hour()
    run = t0.strftime("%Y%m%d%H")
    indicators = TopicReader(local_stack, INDICATORS, prefix)
    late_events = TopicReader(local_stack, LATE_EVENTS, prefix)
    dead_letters = TopicReader(local_stack, DLQ_CAMERA, prefix)
    feed = Feeder(local_stack, prefix)
    feed.send(
        CAMERA_VEHICLE_COUNTS,
        [
            count(f"{run}-1", "CAM-0001", t0 + timedelta(seconds=10), 10, 20.0),
            count(f"{run}-2", "CAM-0002", t0 + timedelta(seconds=20), 30, 30.0),
            count(f"{run}-3", "CAM-0001", t0 + timedelta(seconds=70), 5, 40.0),
        ],
    )
    feed.send(
        CAMERA_VEHICLE_COUNTS,
        [
            count(f"{run}-1", "CAM-0001", t0 + timedelta(seconds=10), 10, 20.0),  # re-sent: not again
            # Out of order (CAM-0001 is at 01:10) but minute 00 is open until 01:30: counted.
            count(f"{run}-4", "CAM-0001", t0 + timedelta(seconds=40), 4, 25.0),
        ],
    )
    feed.send_bytes(CAMERA_VEHICLE_COUNTS, b"\x00\x00\x00\x00not an avro batch")
    feed.send(CAMERA_VEHICLE_COUNTS, [count(f"{run}-5", "CAM-0002", t0 + timedelta(seconds=30), -3, 10.0)])
    feed.send(
        CAMERA_VEHICLE_COUNTS,
        [
            # Both cameras reach 03:00: minutes 00 and 01 close (end + 30 s grace <= 03:00).
            count(f"{run}-6", "CAM-0001", t0 + 3 * MIN, 1, None),
            count(f"{run}-7", "CAM-0002", t0 + 3 * MIN, 2, None),
        ],
    )
    # Later than grace for minute 00 of CAM-0001: a late event, counted nowhere.
    feed.send(CAMERA_VEHICLE_COUNTS, [count(f"{run}-8", "CAM-0001", t0 + timedelta(seconds=30), 100, 5.0)])
    # Three hours on: every window above (hours included) closes.
    feed.send(
        CAMERA_VEHICLE_COUNTS,
        [count(f"{run}-9", cam, t0 + 3 * HOUR, 1, None) for cam in ("CAM-0001", "CAM-0002")],
    )
    feed.flush()

    hour_key = ("traffic.volume", "area", "75", t0, t0 + HOUR)
    found = wait_for(
        lambda: finals(indicators.poll(), t0 - HOUR, t0 + HOUR), lambda rows: hour_key in rows, timeout_s=90
    )
    got = single(found)
    m0, m1 = (t0, t0 + MIN), (t0 + MIN, t0 + 2 * MIN)
    # CAM-0001 minute 00: 10 @ 20 and 4 @ 25 -> 14 vehicles, (200 + 100) / 14 km/h.
    assert got[("traffic.volume", "camera", "CAM-0001", *m0)] == 14.0
    assert got[("traffic.average_speed", "camera", "CAM-0001", *m0)] == pytest.approx(300 / 14)
    assert got[("traffic.volume", "camera", "CAM-0002", *m0)] == 30.0
    assert got[("traffic.volume", "camera", "CAM-0001", *m1)] == 5.0
    # INT-0001 minute 00: 44 vehicles, speed 1200 / 44, ratio 1200 / (44 * 50) = 0.545 -> level 1 (busy).
    for entity_type, entity in (("intersection", "INT-0001"), ("area", "26001"), ("area", "75")):
        assert got[("traffic.volume", entity_type, entity, *m0)] == 44.0
        assert got[("traffic.average_speed", entity_type, entity, *m0)] == pytest.approx(1200 / 44)
        assert got[("traffic.speed_ratio", entity_type, entity, *m0)] == pytest.approx(1200 / 2200)
        assert got[("traffic.congestion_level", entity_type, entity, *m0)] == 1.0
    # Minute 01: 5 @ 40 -> ratio 0.8 -> level 0 (free).
    assert got[("traffic.speed_ratio", "intersection", "INT-0001", *m1)] == pytest.approx(0.8)
    assert got[("traffic.congestion_level", "intersection", "INT-0001", *m1)] == 0.0
    # The hour from t0 (hopping by 5 min): 10 + 30 + 5 + 4 + 1 + 2 = 52 vehicles; speed over the 49
    # with a speed: (200 + 900 + 200 + 100) / 49.
    assert got[hour_key] == 52.0
    assert got[("traffic.average_speed", "area", "26001", t0, t0 + HOUR)] == pytest.approx(1400 / 49)
    # The hour from t0 - 55 min ends at t0 + 5 min: the same records.
    assert got[("traffic.volume", "area", "26001", t0 - 55 * MIN, t0 + 5 * MIN)] == 52.0
    # Revisions rise to the one final, which comes last (a window that opened and closed within one
    # commit interval has no provisional result before it).
    camera_revisions = [
        (r["revision"], r["is_final"])
        for r in indicators.poll()
        if (r["indicator"], r["entity_id"], r["window_start"]) == ("traffic.volume", "CAM-0001", t0)
    ]
    assert [final for _, final in camera_revisions] == [False] * (len(camera_revisions) - 1) + [True]
    assert [rev for rev, _ in camera_revisions] == list(range(1, len(camera_revisions) + 1))

    late = wait_for(
        lambda: [e for e in late_events.poll() if e["record_ref"] == f"{run}-8"],
        lambda found: len(found) >= 1,
    )
    assert [(e["processor"], e["lateness_ms"], e["grace_ms"]) for e in late] == [
        ("traffic/camera/1m/CAM-0001", 90_000, 30_000)  # 03:00 - (01:00 + 30 s)
    ]
    source = feed.source_id
    dead = wait_for(
        lambda: [d for d in dead_letters.poll() if d["source_id"] == source], lambda found: len(found) >= 2
    )
    assert sorted(d["rule"] for d in dead) == ["avro-confluent-framing", "must be >= 0"]
    assert [d["field_path"] for d in dead if d["rule"] == "must be >= 0"] == ["vehicle_count"]
    for reader in (indicators, late_events, dead_letters):
        reader.close()


def violation(event_id: str, camera: str, at: datetime, kind: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "camera_id": camera,
        "observed_at": at,
        "lane": 1,
        "violation_type": kind,
        "vehicle_class": "motorbike",
        "plate_number": None,
        "speed_kmh": None,
        "speed_limit_kmh": None,
        "confidence": 0.9,
        "evidence_ref": "",
    }


def test_violations_per_hour_by_type_for_camera_and_areas(local_stack: RunningStack, prefix: str) -> None:
    """CAM-0003 (INT-0002, ward 26002): in hour 00, two red lights (one re-sent) and a wrong way;
    one red light at 01:00 is the next hour; the 03:00 record closes both."""
    t0 = future_hour()
    run = f"V{t0:%Y%m%d%H}"
    indicators = TopicReader(local_stack, INDICATORS, prefix)
    feed = Feeder(local_stack, prefix)
    feed.send(
        CAMERA_VIOLATIONS,
        [
            violation(f"{run}-1", "CAM-0003", t0 + 5 * MIN, "red_light"),
            violation(f"{run}-2", "CAM-0003", t0 + 59 * MIN, "red_light"),
            violation(f"{run}-1", "CAM-0003", t0 + 5 * MIN, "red_light"),
            violation(f"{run}-3", "CAM-0003", t0 + 30 * MIN, "wrong_way"),
            violation(f"{run}-4", "CAM-0003", t0 + HOUR, "red_light"),
        ],
    )
    feed.send(CAMERA_VIOLATIONS, [violation(f"{run}-5", "CAM-0003", t0 + 3 * HOUR, "speeding")])
    feed.flush()
    last = ("traffic.violations.red_light", "area", "75", t0 + HOUR, t0 + 2 * HOUR)
    got = single(wait_for(lambda: finals(indicators.poll(), t0, t0 + 2 * HOUR), lambda rows: last in rows))
    expected = {}
    for entity_type, entity in (("camera", "CAM-0003"), ("area", "26002"), ("area", "75")):
        expected[("traffic.violations.red_light", entity_type, entity, t0, t0 + HOUR)] = 2.0
        expected[("traffic.violations.wrong_way", entity_type, entity, t0, t0 + HOUR)] = 1.0
        expected[("traffic.violations.red_light", entity_type, entity, t0 + HOUR, t0 + 2 * HOUR)] = 1.0
    assert got == expected
    indicators.close()
