"""The environment agent on the real broker and registry: crafted air quality, rainfall and water
level batches (out of order, duplicated, late and malformed) become exact VN_AQI, rainfall and water
indicators.

Times are in a past day, so every window closes on the wall clock right after its batch: records of
one batch may arrive in any order, and a record sent in a later batch for a closed window is late.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.integration.conftest import RunningStack
from tests.integration.helpers import wait_for
from tests.integration.indicator_topic import IndicatorReader, TopicReader, send_batch, send_raw
from topics.catalog import DLQ_SENSOR, LATE_EVENTS, SENSOR_AIR_QUALITY, SENSOR_RAINFALL, SENSOR_WATER_LEVEL

# 2026-11-20 00:00 UTC is 07:00 local: the three hours below lie in the local day that starts at
# 2026-11-19 17:00 UTC.
T0 = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
LOCAL_DAY = datetime(2026, 11, 19, 17, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def air(
    event_id: str, station: str, at: datetime, pm25: float | None, o3: float | None = None
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "device_id": f"DEV-{station}",
        "observed_at": at,
        "station_id": station,
        "interval_seconds": 300,
        "pm25_ugm3": pm25,
        "pm10_ugm3": None,
        "o3_ugm3": o3,
        "no2_ugm3": None,
        "so2_ugm3": None,
        "co_ugm3": None,
        "temperature_c": None,
        "relative_humidity_pct": None,
    }


def test_air_quality_becomes_hourly_and_daily_vn_aqi(local_stack: RunningStack, prefix: str) -> None:
    run = uuid.uuid4().hex[:6]
    station = "AQ-001"  # configured in area 26001
    reader = IndicatorReader(local_stack, {station}, prefix)
    dead = TopicReader(local_stack, DLQ_SENSOR, prefix)
    # Readings are stamped with the END of their 5-minute interval; hour H holds (H, H+1h].
    records = [
        air(f"{run}-1", station, T0 + timedelta(minutes=20), 10.0),
        air(f"{run}-2", station, T0 + timedelta(minutes=40), 30.0),
        air(f"{run}-2", station, T0 + timedelta(minutes=40), 30.0),  # a resend: not counted twice
        air(f"{run}-4", station, T0 + HOUR + timedelta(seconds=20), 30.0),  # hour 01: 30
        # out of order, but within the 30 s grace of hour 00: the interval ending 01:00 is hour 00's
        air(f"{run}-3", station, T0 + HOUR, 30.0),  # hour 00: (10 + 30 + 30) / 3 = 23.33
        air(f"{run}-5", station, T0 + 2 * HOUR + timedelta(minutes=30), 40.0, o3=180.0),
        air(f"{run}-6", station, T0 + 2 * HOUR + timedelta(minutes=10), -1.0),  # refused: negative
    ]
    send_batch(local_stack, SENSOR_AIR_QUALITY, f"SRC-{run}", records, prefix)
    send_raw(local_stack, SENSOR_AIR_QUALITY, f"SRC-{run}", b"\x00not avro", prefix)

    h0, h1, h2 = T0, T0 + HOUR, T0 + 2 * HOUR
    wanted = {("environment.aqi_hourly", station, h) for h in (h0, h1, h2)}
    wanted.add(("environment.aqi_daily", station, LOCAL_DAY))
    finals = wait_for(reader.finals, lambda found: wanted <= found.keys(), 90)
    # hour 00: only c1 of c1..c3 present -> no NowCast -> no VN_AQI
    assert finals[("environment.aqi_hourly", station, h0)]["value"] is None
    # hour 01: c1 = 30, c2 = 70/3; w* = 0.778; NowCast = (30 + 0.778 * 23.33) / 1.778 = 27.08
    # -> PM2.5 sub-index 50 + (27.08 - 25) * 2 = 54.2 -> 54
    one = finals[("environment.aqi_hourly", station, h1)]
    assert (one["value"], one["label"], one["sample_count"]) == (54.0, "pm25", 1)
    # hour 02: PM2.5 NowCast(40, 30, 23.33): w* = 0.583; (40 + 17.5 + 7.94) / (1 + 0.583 + 0.340) = 34.03
    # -> 50 + 9.03 * 2 = 68.1; O3 1-hour 180 -> 50 + 20 * 50 / 40 = 75 -> VN_AQI 75, dominant O3
    two = finals[("environment.aqi_hourly", station, h2)]
    assert (two["value"], two["label"], two["area_code"]) == (75.0, "o3", "26001")
    # daily: PM2.5 mean of the hours present (23.33 + 30 + 40) / 3 = 31.11 -> 50 + 6.11 * 2 = 62.2;
    # O3 max hourly 180 -> 75 (one hour of O3 is too few for an 8-hour mean) -> 75, O3
    day = finals[("environment.aqi_daily", station, LOCAL_DAY)]
    assert (day["value"], day["label"], day["sample_count"]) == (75.0, "o3", 5)
    assert day["window_end"] - day["window_start"] == timedelta(days=1)
    # Revisions rise to the one final, which comes last (a window that opened and closed within one
    # commit interval has no provisional result before it).
    emitted = [
        (i["revision"], i["is_final"])
        for i in reader.mine()
        if i["window_start"] == h2 and i["indicator"].endswith("hourly")
    ]
    assert [final for _, final in emitted] == [False] * (len(emitted) - 1) + [True]
    assert [revision for revision, _ in emitted] == list(range(1, len(emitted) + 1))

    refused = wait_for(dead.poll, lambda found: len(found) >= 2, 30)
    reasons = [d["reason"] for d in refused]
    assert any(f"(event_id={run}-6): pm25_ugm3: must be a finite number >= 0" in r for r in reasons)
    assert any(d["rule"] == "avro-confluent-framing" for d in refused)

    # A reading for hour 01, after it closed: a late event, the final value unchanged.
    late_reader = TopicReader(local_stack, LATE_EVENTS, prefix)
    late_record = air(f"{run}-7", station, h1 + timedelta(minutes=9), 400.0)
    send_batch(local_stack, SENSOR_AIR_QUALITY, f"SRC-{run}", [late_record], prefix)
    # Refused by the hourly route (its hour has closed) and by the daily one (the day closed on the wall
    # clock): one late event per computation that refused it.
    late = wait_for(
        late_reader.poll, lambda found: len([e for e in found if e["record_ref"] == f"{run}-7"]) >= 2, 30
    )
    mine = {e["processor"]: e for e in late if e["record_ref"] == f"{run}-7"}
    assert sorted(mine) == [f"aqi/station/1d/{station}", f"aqi/station/1h/{station}"]
    assert mine[f"aqi/station/1h/{station}"]["window_end"] == h1 + HOUR
    assert mine[f"aqi/station/1h/{station}"]["lateness_ms"] > 0
    # The day closed on the wall clock, which seals it at its end plus grace: late by 0 ms of event time.
    assert mine[f"aqi/station/1d/{station}"]["lateness_ms"] == 0
    assert [i for i in reader.mine() if i["window_start"] == h1 and i["revision"] > one["revision"]] == []
    late_reader.close()
    reader.close()
    dead.close()


def rain(event_id: str, station: str, at: datetime, mm: float) -> dict[str, Any]:
    return {"event_id": event_id, "device_id": "", "observed_at": at, "station_id": station,
            "interval_seconds": 600, "rainfall_mm": mm}  # fmt: skip


def test_rainfall_sums_over_one_hour_and_24_hours(local_stack: RunningStack, prefix: str) -> None:
    run = uuid.uuid4().hex[:6]
    station = "RF-001"
    reader = IndicatorReader(local_stack, {station}, prefix)
    t = T0 + timedelta(days=1)
    records = [
        rain(f"{run}-1", station, t + timedelta(minutes=10), 4.5),
        rain(f"{run}-2", station, t + timedelta(minutes=20), 2.0),
        rain(f"{run}-2", station, t + timedelta(minutes=20), 2.0),  # resend
        rain(f"{run}-3", station, t + 3 * HOUR + timedelta(minutes=10), 1.25),
    ]
    send_batch(local_stack, SENSOR_RAINFALL, f"SRC-{run}", records, prefix)
    wanted = {
        ("environment.rainfall_1h", station, t),
        ("environment.rainfall_1h", station, t + 3 * HOUR),
        ("environment.rainfall_24h", station, t + HOUR - timedelta(days=1)),
        ("environment.rainfall_24h", station, t + 4 * HOUR - timedelta(days=1)),
    }
    finals = wait_for(reader.finals, lambda found: wanted <= found.keys(), 90)
    values = {key: (finals[key]["value"], finals[key]["sample_count"]) for key in wanted}
    assert values == {
        ("environment.rainfall_1h", station, t): (6.5, 2),
        ("environment.rainfall_1h", station, t + 3 * HOUR): (1.25, 1),
        ("environment.rainfall_24h", station, t + HOUR - timedelta(days=1)): (6.5, 2),
        ("environment.rainfall_24h", station, t + 4 * HOUR - timedelta(days=1)): (7.75, 3),
    }
    reader.close()


def level(event_id: str, station: str, at: datetime, cm: float) -> dict[str, Any]:
    return {"event_id": event_id, "station_id": station, "observed_at": at, "device_id": "",
            "water_level_cm": cm, "flow_m3s": None}  # fmt: skip


def test_water_level_trend_and_alarm_level(local_stack: RunningStack, prefix: str) -> None:
    run = uuid.uuid4().hex[:6]
    station = "WL-001"  # alarm levels I/II/III: 200 / 250 / 300 cm
    reader = IndicatorReader(local_stack, {station}, prefix)
    t = T0 + timedelta(days=2)
    minute = timedelta(minutes=1)
    records = [
        level(f"{run}-2", station, t + 4 * minute, 200.0),  # latest of window 00:00-00:05
        level(f"{run}-1", station, t + 1 * minute, 190.0),  # out of order, same window
        level(f"{run}-2", station, t + 4 * minute, 200.0),  # resend
        level(f"{run}-3", station, t + 20 * minute, 230.0),
        level(f"{run}-4", station, t + 24 * minute, 250.0),  # latest of window 00:20-00:25
    ]
    send_batch(local_stack, SENSOR_WATER_LEVEL, f"SRC-{run}", records, prefix)
    first, later = t, t + 20 * minute
    wanted = {(code, station, w) for w in (first, later) for code in
              ("environment.water_level", "environment.water_level_trend", "environment.water_alarm_level")}  # fmt: skip
    finals = wait_for(reader.finals, lambda found: wanted <= found.keys(), 90)
    got = {(code, w): finals[(code, station, w)]["value"] for code, _, w in wanted}
    assert got[("environment.water_level", first)] == 200.0
    assert got[("environment.water_alarm_level", first)] == 1.0  # 200 reaches level I (>=)
    assert got[("environment.water_level_trend", first)] is None  # one point only
    assert got[("environment.water_level", later)] == 250.0
    assert got[("environment.water_alarm_level", later)] == 2.0
    # the trend over the hour ending 00:25 joins (00:04, 200) and (00:24, 250): 50 cm in 20 min
    assert got[("environment.water_level_trend", later)] == 150.0
    reader.close()
