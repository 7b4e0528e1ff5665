"""What the environment feeds compute from window summaries: hourly VN_AQI by NowCast with the
dominant pollutant, the daily VN_AQI of the local day, 24 h rainfall, and readings placed by the end
of their interval."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from streams.model.indicator_record import WindowStamp
from streams.model.local_calendar import day_window
from streams.station_feeds import AIR_QUALITY, HOUR_MS, RAINFALL, WindowView

H = int(datetime(2026, 11, 20, 2, 0, tzinfo=UTC).timestamp() * 1000)  # 09:00 local


def view(kind: str, start: int, size: int, summaries: dict[int, dict[str, Any]]) -> WindowView:
    stamp = WindowStamp("station", "S", "", start, start + size, 1, False, 0)
    return WindowView(kind, start, size, summaries, None, stamp)


def aq(n: int, **means: float) -> dict[str, Any]:
    return {"n": n, "means": means}


def test_hourly_aqi_uses_the_nowcast_of_the_previous_hours() -> None:
    summaries = {H - 2 * HOUR_MS: aq(2, pm25=20.0), H - HOUR_MS: aq(1, pm25=30.0), H: aq(3, pm25=40.0)}
    [indicator] = AIR_QUALITY.indicators(view("", H, HOUR_MS, summaries))
    # w* = 20/40 = 0.5 -> w = 0.5: (40 + 15 + 5) / 1.75 = 34.29 -> 50 + 9.29 * 2 = 68.6 -> 69
    assert (indicator["indicator"], indicator["value"], indicator["label"]) == (
        "environment.aqi_hourly",
        69.0,
        "pm25",
    )
    assert indicator["sample_count"] == 3


def test_hourly_aqi_without_enough_recent_pm_hours_is_null() -> None:
    [indicator] = AIR_QUALITY.indicators(view("", H, HOUR_MS, {H: aq(1, pm25=40.0, o3=300.0)}))
    assert (indicator["value"], indicator["label"]) == (None, "")


def test_daily_aqi_covers_the_local_day_and_names_the_dominant_pollutant() -> None:
    start, end = day_window(H)
    summaries = {start + i * HOUR_MS: aq(1, pm25=20.0, no2=250.0) for i in range(3)}
    summaries[start - HOUR_MS] = aq(1, pm25=500.0)  # the previous local day: not in this day's mean
    [indicator] = AIR_QUALITY.indicators(view("daily", start, end - start, summaries))
    # PM2.5 mean 20 -> 40; NO2 day max 250 -> 100 + 50 * 50 / 500 = 105 -> 105, NO2
    assert (indicator["indicator"], indicator["value"], indicator["label"]) == (
        "environment.aqi_daily",
        105.0,
        "no2",
    )
    assert indicator["sample_count"] == 3


def test_rainfall_24h_sums_the_hours_it_covers() -> None:
    summaries = {
        H: {"n": 2, "mm": 3.5},
        H - 23 * HOUR_MS: {"n": 1, "mm": 1.0},
        H - 24 * HOUR_MS: {"n": 1, "mm": 9.0},
    }
    start = H + HOUR_MS - 24 * HOUR_MS
    [indicator] = RAINFALL.indicators(view("24h", start, 24 * HOUR_MS, summaries))
    assert (indicator["indicator"], indicator["value"], indicator["sample_count"]) == (
        "environment.rainfall_24h",
        4.5,
        3,
    )


def test_a_reading_ending_on_the_hour_belongs_to_the_hour_it_measured() -> None:
    assert AIR_QUALITY.event_ms({}, H) == H - 1
    assert RAINFALL.derived(H) == [("24h", H + HOUR_MS - 24 * HOUR_MS, 24 * HOUR_MS)]
