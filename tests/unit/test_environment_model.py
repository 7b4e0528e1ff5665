"""The environment models (streams/model/environment.py): what each window computes (hourly VN_AQI by
NowCast with the dominant pollutant, the daily VN_AQI of the local day with the O3 8-hour means
reaching back 7 hours, rainfall over 1 h and 24 h, water level, trend and alarm level), where readings
are placed (by the end of their interval), which records are refused, and the whole path through the
window engine (tests/unit/stream_harness.py): finals, duplicates, late readings.

Times: T0 = 2026-11-20T00:00Z, 07:00 local; that local day starts 2026-11-19T17:00Z.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from ioc.province import Province
from streams.model.environment import (
    AQI_DAILY,
    AQI_HOURLY,
    DAY_MS,
    HOUR_MS,
    RAINFALL_1H,
    RAINFALL_24H,
    AirQualityModel,
    RainfallModel,
    WaterLevelModel,
    station_of,
    water_route,
)
from streams.model.indicators import (
    ENVIRONMENT_AQI_DAILY,
    ENVIRONMENT_AQI_HOURLY,
    ENVIRONMENT_RAINFALL_1H,
    ENVIRONMENT_RAINFALL_24H,
    ENVIRONMENT_WATER_ALARM_LEVEL,
    ENVIRONMENT_WATER_LEVEL,
    ENVIRONMENT_WATER_LEVEL_TREND,
)
from streams.model.local_calendar import day_window
from streams.model.routes import Acc, Route, WindowView
from tests.unit.stream_harness import Deployment, FinalKey

MIN = 60_000
S = 1_000
T0 = int(datetime(2026, 11, 20, tzinfo=UTC).timestamp() * 1000)
LOCAL_DAY = int(datetime(2026, 11, 19, 17, tzinfo=UTC).timestamp() * 1000)
H = T0 + 2 * HOUR_MS  # 09:00 local
FAR = T0 + 20 * DAY_MS  # a wall clock far ahead: every quiet window has closed
TREND_SPAN_MS = 3_600_000

PROVINCE = Province.model_validate(
    {
        "code": "75",
        "name_vi": "Tỉnh Thử",
        "areas": [
            {"code": "75", "name_vi": "Tỉnh", "level": "province"},
            {"code": "26001", "name_vi": "Phường Một", "level": "ward", "parent": "75"},
        ],
        "stations": [
            {"id": "AQ-001", "name_vi": "Không khí 1", "kind": "air_quality", "area": "26001",
             "latitude": 10.9, "longitude": 106.8},
            {"id": "RF-001", "name_vi": "Mưa 1", "kind": "rainfall", "area": "26001",
             "latitude": 10.9, "longitude": 106.8},
            {"id": "WL-001", "name_vi": "Mực nước 1", "kind": "water_level", "area": "26001",
             "latitude": 10.9, "longitude": 106.8,
             "alarm_levels": {"level_1_cm": 200, "level_2_cm": 250, "level_3_cm": 300}},
        ],
    }
)  # fmt: skip


def air(
    event_id: str, at: int, pm25: float | None = None, station: str = "AQ-001", **others: float | None
) -> dict[str, Any]:
    """A decoded air quality reading (times in epoch ms), stamped with the end of its interval."""
    record: dict[str, Any] = {
        "event_id": event_id,
        "device_id": f"DEV-{station}",
        "observed_at": at,
        "station_id": station,
        "interval_seconds": 300,
        "pm25_ugm3": pm25,
        "pm10_ugm3": None,
        "o3_ugm3": None,
        "no2_ugm3": None,
        "so2_ugm3": None,
        "co_ugm3": None,
        "temperature_c": None,
        "relative_humidity_pct": None,
    }
    record.update({f"{name}_ugm3": value for name, value in others.items()})
    return record


def rain(event_id: str, at: int, mm: float, station: str = "RF-001", interval_s: int = 600) -> dict[str, Any]:
    return {"event_id": event_id, "device_id": "", "observed_at": at, "station_id": station,
            "interval_seconds": interval_s, "rainfall_mm": mm}  # fmt: skip


def level(event_id: str, at: int, cm: float, station: str = "WL-001") -> dict[str, Any]:
    return {"event_id": event_id, "station_id": station, "observed_at": at, "device_id": "",
            "water_level_cm": cm, "flow_m3s": None}  # fmt: skip


def pane(model: Any, route: Route, *records: dict[str, Any]) -> Acc:
    acc: Acc = model.empty(route)
    for record in records:
        model.add(route, acc, record)
    return acc


def view(route: Route, start: int, end: int, panes: dict[int, Acc], entity: str = "AQ-001") -> WindowView:
    """A window as the engine shows it: its panes oldest first (start: the reported start)."""
    return WindowView(route, entity, "26001", start, end, sorted(panes.items()), None, end, True)


def deployment(model: Any, schema: str) -> Deployment:
    return Deployment(model, partitions=1, owners=1, schema=schema, opened_ms=T0)


def close_all(d: Deployment) -> None:
    d.run_until_quiet(FAR)
    d.tick(FAR)
    d.run_until_quiet(FAR)


def finals(d: Deployment) -> dict[tuple[str, int], dict[str, Any]]:
    """Every final by (code, window start ms); the harness fails on a second final for a window."""
    d.finals()
    return {
        (r["indicator"], int(r["window_start"].timestamp() * 1000)): r
        for r in d.indicators()
        if r["is_final"]
    }


# --- what a window computes -----------------------------------------------------------------------


def test_hourly_aqi_uses_the_nowcast_of_the_previous_hours() -> None:
    model = AirQualityModel(PROVINCE)
    panes = {
        H - 2 * HOUR_MS: pane(model, AQI_HOURLY, air("a", 0, 20.0), air("b", 0, 20.0)),
        H - HOUR_MS: pane(model, AQI_HOURLY, air("c", 0, 30.0)),
        H: pane(model, AQI_HOURLY, *(air(f"d{i}", 0, 40.0) for i in range(3))),
    }
    [(code, value, unit, samples, label)] = model.values(view(AQI_HOURLY, H, H + HOUR_MS, panes))
    # w* = 20/40 = 0.5 -> w = 0.5: (40 + 15 + 5) / 1.75 = 34.29 -> 50 + 9.29 * 2 = 68.6 -> 69
    assert (code, value, unit, label) == (ENVIRONMENT_AQI_HOURLY, 69.0, "VN_AQI", "pm25")
    assert samples == 3


def test_hourly_aqi_without_enough_recent_pm_hours_is_null() -> None:
    model = AirQualityModel(PROVINCE)
    panes = {H: pane(model, AQI_HOURLY, air("a", 0, 40.0, o3=300.0))}
    [(_, value, _, samples, label)] = model.values(view(AQI_HOURLY, H, H + HOUR_MS, panes))
    assert (value, label, samples) == (None, "", 1)


def test_daily_aqi_covers_the_local_day_and_names_the_dominant_pollutant() -> None:
    model = AirQualityModel(PROVINCE)
    start, end = day_window(H)
    panes = {start + i * HOUR_MS: pane(model, AQI_DAILY, air(f"e{i}", 0, 20.0, no2=250.0)) for i in range(3)}
    panes[start - HOUR_MS] = pane(model, AQI_DAILY, air("x", 0, 500.0))  # the day before: not in the mean
    [(code, value, _, samples, label)] = model.values(view(AQI_DAILY, start, end, panes))
    # PM2.5 mean 20 -> 40; NO2 day max 250 -> 100 + 50 * 50 / 500 = 105 -> 105, NO2
    assert (code, value, label) == (ENVIRONMENT_AQI_DAILY, 105.0, "no2")
    assert samples == 3


def test_rainfall_24h_sums_the_hours_it_covers() -> None:
    model = RainfallModel(PROVINCE)
    start = H + HOUR_MS - DAY_MS
    assert H - DAY_MS not in RAINFALL_24H.shape.panes(start)  # the hour before the window is not in it
    panes = {
        H: pane(model, RAINFALL_24H, rain("a", 0, 3.0), rain("b", 0, 0.5)),
        H - 23 * HOUR_MS: pane(model, RAINFALL_24H, rain("c", 0, 1.0)),
    }
    [(code, value, unit, samples, _)] = model.values(view(RAINFALL_24H, start, H + HOUR_MS, panes, "RF-001"))
    assert (code, value, unit, samples) == (ENVIRONMENT_RAINFALL_24H, 4.5, "mm", 3)


def test_a_reading_ending_on_the_hour_belongs_to_the_hour_it_measured() -> None:
    model = AirQualityModel(PROVINCE)
    assert model.event_ms(air("a", H)) == H - 1
    assert RainfallModel(PROVINCE).event_ms(rain("a", H, 1.0)) == H - 1
    assert WaterLevelModel(PROVINCE, TREND_SPAN_MS).event_ms(level("a", H, 1.0)) == H  # an instant
    # The hour ending at H exists in the hourly VN_AQI reporting [H - 1 h, H) and in one 24 h rainfall
    # window, the one ending at H (a 24 h window exists for each hour that has readings).
    hourly, daily = AQI_HOURLY.shape, RAINFALL_24H.shape
    at = hourly.pane(H - 1)
    assert [hourly.report_start(s) for s in hourly.windows(at) if hourly.reports(s, at)] == [H - HOUR_MS]
    at = daily.pane(H - 1)
    assert [(s, daily.end(s)) for s in daily.windows(at) if daily.reports(s, at)] == [(H - DAY_MS, H)]


@pytest.mark.parametrize("day", ["2025-01-01", "2026-03-31", "2026-11-20", "2030-07-15"])
def test_the_daily_window_reports_the_local_day_and_looks_back_seven_hours(day: str) -> None:
    shape = AQI_DAILY.shape
    noon_local = int(datetime.fromisoformat(f"{day}T05:00:00+00:00").timestamp() * 1000)
    [start] = [s for s in shape.windows(shape.pane(noon_local)) if shape.reports(s, shape.pane(noon_local))]
    assert (shape.report_start(start), shape.end(start)) == day_window(noon_local)
    assert shape.report_start(start) - start == 7 * HOUR_MS


def test_where_a_reading_counts() -> None:
    """A station's gates: every route of the model, placed on the station (or the device outside any
    station), with the station's area; no totals."""
    placement = AirQualityModel(PROVINCE).place(air("a", H))
    assert placement.key == "AQ-001" and placement.totals == ()
    assert placement.gate is not None
    assert [(p.route, p.entity_id, p.area_code) for p in (placement.gate, *placement.also)] == [
        (AQI_HOURLY, "AQ-001", "26001"),
        (AQI_DAILY, "AQ-001", "26001"),
    ]
    assert station_of({"station_id": "", "device_id": "DEV-9"}) == "DEV-9"
    loose = RainfallModel(PROVINCE).place(rain("a", H, 1.0, station=""))
    assert loose.gate is not None and (loose.gate.route, loose.gate.entity_id) == (RAINFALL_1H, "")
    assert loose.gate.area_code == ""


def test_refused_readings_name_the_field_and_the_rule() -> None:
    aq = AirQualityModel(PROVINCE)
    assert aq.problem(air("a", H, 10.0, o3=None)) is None
    assert aq.problem(air("a", H, -1.0)) == ("pm25_ugm3", "must be a finite number >= 0")
    assert aq.problem(air("a", H, 1.0, co=float("nan"))) == ("co_ugm3", "must be a finite number >= 0")
    rf = RainfallModel(PROVINCE)
    assert rf.problem(rain("a", H, 0.0)) is None
    assert rf.problem(rain("a", H, 1.0, interval_s=0)) == ("interval_seconds", "must be > 0")
    assert rf.problem(rain("a", H, float("inf"))) == ("rainfall_mm", "must be a finite number >= 0")
    wl = WaterLevelModel(PROVINCE, TREND_SPAN_MS)
    assert wl.problem(level("a", H, -35.0)) is None  # below the datum is a level
    assert wl.problem(level("a", H, float("nan"))) == ("water_level_cm", "must be a finite number")


def test_the_water_trend_spans_whole_five_minute_slices() -> None:
    assert water_route(3_600_000).shape.size_ms == 3_600_000
    assert water_route(1_000_000).shape.size_ms == 900_000  # as before: the slices starting inside it
    assert water_route(60_000).shape.size_ms == 300_000


def test_water_level_keeps_the_latest_reading_whatever_the_order() -> None:
    model = WaterLevelModel(PROVINCE, TREND_SPAN_MS)
    route = model.route
    one = pane(model, route, level("b", H + 4 * MIN, 200.0), level("a", H + MIN, 190.0))
    other = pane(model, route, level("a", H + MIN, 190.0), level("b", H + 4 * MIN, 200.0))
    assert one == other and one["latest"][2] == 200.0 and one["n"] == 2
    merged = pane(model, route, level("c", H + 2 * MIN, 195.0))
    model.merge(route, merged, one)
    assert (merged["n"], merged["latest"][2]) == (3, 200.0)


# --- through the window engine --------------------------------------------------------------------


def test_air_quality_becomes_hourly_and_daily_vn_aqi() -> None:
    """The integration test's readings: hour 00 holds (00:00, 01:00], out of order within grace."""
    d = deployment(AirQualityModel(PROVINCE), "sensor/air_quality")
    d.fold(
        0,
        [
            air("1", T0 + 20 * MIN, 10.0),
            air("2", T0 + 40 * MIN, 30.0),
            air("2", T0 + 40 * MIN, 30.0),  # a resend: not counted twice
            air("4", T0 + HOUR_MS + 20 * S, 30.0),  # hour 01: 30
            air("3", T0 + HOUR_MS, 30.0),  # the interval ending 01:00 is hour 00's, within its grace
            air("5", T0 + 2 * HOUR_MS + 30 * MIN, 40.0, o3=180.0),
        ],
        T0,
    )
    close_all(d)
    got = finals(d)
    h0, h1, h2 = T0, T0 + HOUR_MS, T0 + 2 * HOUR_MS
    # hour 00: only c1 of c1..c3 present -> no NowCast -> no VN_AQI
    assert got[(ENVIRONMENT_AQI_HOURLY, h0)]["value"] is None
    # hour 01: c1 = 30, c2 = 70/3; w* = 0.778; NowCast = 27.08 -> 50 + (27.08 - 25) * 2 = 54.2 -> 54
    one = got[(ENVIRONMENT_AQI_HOURLY, h1)]
    assert (one["value"], one["label"], one["sample_count"], one["area_code"]) == (54.0, "pm25", 1, "26001")
    assert (one["entity_type"], one["entity_id"], one["unit"]) == ("station", "AQ-001", "VN_AQI")
    # hour 02: PM2.5 NowCast(40, 30, 23.33) = 34.03 -> 68.1; O3 1-hour 180 -> 75: VN_AQI 75, dominant O3
    two = got[(ENVIRONMENT_AQI_HOURLY, h2)]
    assert (two["value"], two["label"]) == (75.0, "o3")
    assert two["window_end"] - two["window_start"] == one["window_end"] - one["window_start"]
    assert int(two["window_end"].timestamp() * 1000) == h2 + HOUR_MS
    # daily: PM2.5 mean of the hours present (23.33 + 30 + 40) / 3 = 31.11 -> 62.2; O3 max hourly 180
    # -> 75 (one hour of O3 is too few for an 8-hour mean) -> 75, O3
    day = got[(ENVIRONMENT_AQI_DAILY, LOCAL_DAY)]
    assert (day["value"], day["label"], day["sample_count"]) == (75.0, "o3", 5)
    assert int(day["window_end"].timestamp() * 1000) == LOCAL_DAY + DAY_MS
    assert sorted(got) == sorted(
        [(ENVIRONMENT_AQI_HOURLY, h) for h in (h0, h1, h2)] + [(ENVIRONMENT_AQI_DAILY, LOCAL_DAY)]
    )
    assert d.sources[0].duplicates == 1
    assert d.late_events() == []

    # A reading for hour 01 after every window holding it has closed: late for both, counted nowhere.
    before = len(d.indicators())
    d.fold(0, [air("7", h1 + 9 * MIN, 400.0)], FAR)
    close_all(d)
    late = d.late_events()
    assert sorted(e["processor"] for e in late) == ["aqi/station/1d/AQ-001", "aqi/station/1h/AQ-001"]
    hourly = next(e for e in late if e["processor"].startswith("aqi/station/1h"))
    assert int(hourly["window_end"].timestamp() * 1000) == h1 + HOUR_MS  # the hour it measured
    assert hourly["record_ref"] == "7" and hourly["lateness_ms"] > 0
    assert json.loads(hourly["payload"])["pm25_ugm3"] == 400.0
    assert len(d.indicators()) == before


def test_a_reading_late_for_its_hour_still_counts_in_the_later_hours_that_look_back_at_it() -> None:
    """The engine's rule (docs/stream_engine.md): a reading is late for a window only once that window
    has closed, and still counts in the later windows holding it. Hour 01 closes when hour 02's reading
    moves the station's clock past 02:00:30; a reading for hour 01 then misses hour 01's VN_AQI but
    is c2 of hour 02's NowCast (the old engine dropped it from both)."""
    d = deployment(AirQualityModel(PROVINCE), "sensor/air_quality")
    d.fold(0, [air("a", T0 + 30 * MIN, 20.0), air("b", T0 + HOUR_MS + 30 * MIN, 30.0)], T0)
    d.fold(0, [air("c", T0 + 2 * HOUR_MS + 40 * MIN, 40.0)], T0)
    d.fold(0, [air("late", T0 + HOUR_MS + 40 * MIN, 60.0)], T0)
    close_all(d)
    got = finals(d)
    # hour 01: NowCast(30, 20): w* = 0.667 -> (30 + 13.33) / 1.667 = 26 -> 52 (without the late reading)
    assert got[(ENVIRONMENT_AQI_HOURLY, T0 + HOUR_MS)]["value"] == 52.0
    # hour 02: c2 = (30 + 60) / 2 = 45: w* = 20/45 -> 0.5: (40 + 22.5 + 5) / 1.75 = 38.57 -> 77.1 -> 77
    assert got[(ENVIRONMENT_AQI_HOURLY, T0 + 2 * HOUR_MS)]["value"] == 77.0
    assert [e["processor"] for e in d.late_events()] == ["aqi/station/1h/AQ-001"]
    # the day is open: the reading counts in it (PM2.5 mean of 20, 45, 40 = 35 -> 50 + 10 * 2 = 70)
    assert got[(ENVIRONMENT_AQI_DAILY, LOCAL_DAY)]["value"] == 70.0


def test_the_daily_vn_aqi_follows_the_local_day_and_its_o3_looks_back_seven_hours() -> None:
    """O3 150 µg/m³ in each of the 7 hours before the local day and in its first hour: the 8-hour mean
    ending at 01:00 local is 150 (O3 8h row: 100 + 50 * 30 / 50 = 130), above the day's PM2.5 (10 ->
    20) and its 1-hour O3 (150 -> 46.9). A PM2.5 reading stamped at local midnight is the previous
    day's last hour."""
    d = deployment(AirQualityModel(PROVINCE), "sensor/air_quality")
    before = [air(f"o{h}", LOCAL_DAY - (7 - h) * HOUR_MS + 30 * MIN, o3=150.0) for h in range(7)]
    d.fold(
        0,
        [*before, air("midnight", LOCAL_DAY, 100.0), air("first", LOCAL_DAY + 30 * MIN, 10.0, o3=150.0)],
        T0,
    )
    close_all(d)
    got = finals(d)
    day = got[(ENVIRONMENT_AQI_DAILY, LOCAL_DAY)]
    assert (day["value"], day["label"], day["sample_count"]) == (130.0, "o3", 1)
    assert (int(day["window_end"].timestamp() * 1000) - LOCAL_DAY) == DAY_MS
    # the day before: PM2.5 100 -> 150 + 50 * 20 / 70 = 164.3 -> 164, above its O3 (8-hour mean 150 -> 130)
    previous = got[(ENVIRONMENT_AQI_DAILY, LOCAL_DAY - DAY_MS)]
    assert (previous["value"], previous["label"], previous["sample_count"]) == (164.0, "pm25", 8)
    assert [key for key in got if key[0] == ENVIRONMENT_AQI_DAILY] == [
        (ENVIRONMENT_AQI_DAILY, LOCAL_DAY - DAY_MS),
        (ENVIRONMENT_AQI_DAILY, LOCAL_DAY),
    ]


def test_rainfall_sums_over_one_hour_and_24_hours() -> None:
    d = deployment(RainfallModel(PROVINCE), "sensor/rainfall")
    t = T0 + DAY_MS
    d.fold(
        0,
        [
            rain("1", t + 10 * MIN, 4.5),
            rain("2", t + 20 * MIN, 2.0),
            rain("2", t + 20 * MIN, 2.0),  # a resend
            rain("3", t + 3 * HOUR_MS + 10 * MIN, 1.25),
        ],
        T0,
    )
    close_all(d)
    got = {key: (r["value"], r["sample_count"]) for key, r in finals(d).items()}
    assert got == {
        (ENVIRONMENT_RAINFALL_1H, t): (6.5, 2),
        (ENVIRONMENT_RAINFALL_1H, t + 3 * HOUR_MS): (1.25, 1),
        # the 24 h ending with each hour that has readings, not with the quiet hours between
        (ENVIRONMENT_RAINFALL_24H, t + HOUR_MS - DAY_MS): (6.5, 2),
        (ENVIRONMENT_RAINFALL_24H, t + 4 * HOUR_MS - DAY_MS): (7.75, 3),
    }
    assert d.sources[0].duplicates == 1


def test_rainfall_late_for_its_hour_still_counts_in_the_next_24_hours() -> None:
    d = deployment(RainfallModel(PROVINCE), "sensor/rainfall")
    t = T0 + DAY_MS
    d.fold(0, [rain("1", t + 10 * MIN, 1.0), rain("2", t + HOUR_MS + 10 * MIN, 2.0)], T0)
    d.fold(0, [rain("3", t + 2 * HOUR_MS + 10 * MIN, 4.0), rain("late", t + 50 * MIN, 8.0)], T0)
    close_all(d)
    got = {key: r["value"] for key, r in finals(d).items()}
    assert got[(ENVIRONMENT_RAINFALL_1H, t)] == 1.0
    assert got[(ENVIRONMENT_RAINFALL_24H, t + HOUR_MS - DAY_MS)] == 1.0
    assert got[(ENVIRONMENT_RAINFALL_24H, t + 2 * HOUR_MS - DAY_MS)] == 3.0  # closed before it came
    assert got[(ENVIRONMENT_RAINFALL_24H, t + 3 * HOUR_MS - DAY_MS)] == 15.0  # open: 1 + 8 + 2 + 4
    assert sorted(e["processor"] for e in d.late_events()) == [
        "rainfall/station/1h/RF-001",
        "rainfall/station/24h/RF-001",
    ]


def test_water_level_trend_and_alarm_level() -> None:
    d = deployment(WaterLevelModel(PROVINCE, TREND_SPAN_MS), "sensor/water_level")
    t = T0 + 2 * DAY_MS
    d.fold(
        0,
        [
            level("2", t + 4 * MIN, 200.0),  # latest of 00:00-00:05
            level("1", t + 1 * MIN, 190.0),  # out of order, same window
            level("2", t + 4 * MIN, 200.0),  # a resend
            level("3", t + 20 * MIN, 230.0),
            level("4", t + 24 * MIN, 250.0),  # latest of 00:20-00:25
        ],
        T0,
    )
    close_all(d)
    got = {key: (r["value"], r["sample_count"]) for key, r in finals(d).items()}
    first, later = t, t + 20 * MIN
    assert got == {
        (ENVIRONMENT_WATER_LEVEL, first): (200.0, 2),
        (ENVIRONMENT_WATER_ALARM_LEVEL, first): (1.0, 2),  # 200 reaches level I (>=)
        (ENVIRONMENT_WATER_LEVEL_TREND, first): (None, 2),  # one point only
        (ENVIRONMENT_WATER_LEVEL, later): (250.0, 2),
        (ENVIRONMENT_WATER_ALARM_LEVEL, later): (2.0, 2),
        # the hour ending 00:25 joins (00:04, 200) and (00:24, 250): 50 cm in 20 min, 4 readings
        (ENVIRONMENT_WATER_LEVEL_TREND, later): (150.0, 4),
    }
    record = next(r for r in d.indicators() if r["indicator"] == ENVIRONMENT_WATER_LEVEL and r["is_final"])
    assert int((record["window_end"] - record["window_start"]).total_seconds()) == 300


def test_a_station_without_alarm_levels_has_no_alarm_level() -> None:
    d = deployment(WaterLevelModel(PROVINCE, TREND_SPAN_MS), "sensor/water_level")
    d.fold(0, [level("1", T0 + MIN, 500.0, station="WL-NEW")], T0)
    close_all(d)
    got = {key[0]: r for key, r in finals(d).items()}
    assert got[ENVIRONMENT_WATER_LEVEL]["value"] == 500.0
    assert got[ENVIRONMENT_WATER_ALARM_LEVEL]["value"] is None
    assert got[ENVIRONMENT_WATER_LEVEL]["area_code"] == ""


def test_duplicates_across_batches_and_commits_count_once() -> None:
    d = deployment(RainfallModel(PROVINCE), "sensor/rainfall")
    d.fold(0, [rain("a", T0 + 10 * MIN, 1.0)], T0)
    d.commit(T0)
    d.fold(0, [rain("a", T0 + 10 * MIN, 1.0), rain("b", T0 + 20 * MIN, 2.0)], T0)
    d.crash(T0)  # the second batch is read again after the restart
    d.feed(0, T0)
    d.fold(0, [rain("b", T0 + 20 * MIN, 2.0)], T0)
    close_all(d)
    got = {key: r["value"] for key, r in finals(d).items()}
    assert got == {(ENVIRONMENT_RAINFALL_1H, T0): 3.0, (ENVIRONMENT_RAINFALL_24H, T0 + HOUR_MS - DAY_MS): 3.0}
    assert d.sources[0].duplicates == 2


def test_finals_do_not_depend_on_batches_or_crashes() -> None:
    """Several stations over two days, committed, cut and crashed anywhere: the same finals."""
    readings = [
        air(
            f"{station}-{i}",
            T0 + i * 5 * MIN + offset,
            10.0 + (i * 7) % 40,
            station=station,
            o3=(i * 13) % 200,
        )
        for i in range(2 * 24 * 12)
        for station, offset in (("AQ-001", 0), ("AQ-002", 90 * S))
    ]
    whole = deployment(AirQualityModel(PROVINCE), "sensor/air_quality")
    whole.fold(0, readings, T0)
    close_all(whole)
    cut = deployment(AirQualityModel(PROVINCE), "sensor/air_quality")
    for index in range(0, len(readings), 37):
        cut.fold(0, readings[index : index + 37], T0)
        if index % 3 == 0:
            cut.commit(T0)
        if index % 5 == 0:
            cut.crash(T0)
            cut.feed(0, T0)
    close_all(cut)
    expected: dict[FinalKey, float | None] = whole.finals()
    assert cut.finals() == expected
    assert sum(1 for key in expected if key[0] == ENVIRONMENT_AQI_DAILY) == 2 * 3  # 2 stations, 3 local days
