"""Unit tests for streams.model.aqi, built from Decision 1459/QĐ-TCMT (see /work/shared/VN_AQI.md).

Every expected value is written out by hand (worked in the comment next to it) from the decision's tables and
formulas; none is computed by calling the code under test.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from streams.model.aqi import (
    MIN_HOURS_FOR_8H_MEAN,
    AqiLevel,
    AqiResult,
    Pollutant,
    daily_aqi,
    day_of,
    eight_hour_means,
    hourly_aqi,
    level,
    nowcast,
    round_aqi,
    sub_index,
)

# Bảng 2, copied by hand from the decision: index I and the concentration (µg/m³) at each breakpoint.
INDEX = (0, 50, 100, 150, 200, 300, 400, 500)
BREAKPOINTS = {
    "o3": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "co": (0, 10000, 30000, 45000, 60000, 90000, 120000, 150000),
    "so2": (0, 125, 350, 550, 800, 1600, 2100, 2630),
    "no2": (0, 100, 200, 700, 1200, 2350, 3100, 3850),
    "pm10": (0, 50, 150, 250, 350, 420, 500, 600),
    "pm25": (0, 25, 50, 80, 150, 250, 350, 500),
}
O3_8H = (0, 100, 120, 170, 210, 400)
BOUNDARY_CASES = [
    (name, bp, index) for name, bps in BREAKPOINTS.items() for bp, index in zip(bps, INDEX, strict=True)
]


def test_pollutant_values() -> None:
    assert [p.value for p in Pollutant] == ["pm25", "pm10", "o3", "no2", "so2", "co"]


# --- sub-index (Bảng 2) ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("pollutant", "concentration", "expected"), BOUNDARY_CASES)
def test_sub_index_at_every_breakpoint(pollutant: str, concentration: float, expected: int) -> None:
    assert sub_index(pollutant, concentration) == pytest.approx(expected)


@pytest.mark.parametrize(("concentration", "expected"), list(zip(O3_8H, INDEX[:6], strict=True)))
def test_o3_8h_row_at_every_breakpoint(concentration: float, expected: int) -> None:
    assert sub_index("o3", concentration, o3_8h=True) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("pollutant", "concentration", "expected"),
    [
        ("pm25", 37.5, 75.0),  # (100-50)/(50-25) * (37.5-25) + 50 = 2 * 12.5 + 50
        ("pm25", 25.5, 51.0),  # 2 * 0.5 + 50; continuous bands, no US EPA split at 25/25.1
        ("pm25", 200, 250.0),  # (300-200)/(250-150) * (200-150) + 200 = 1 * 50 + 200
        ("pm25", 425, 450.0),  # (500-400)/(500-350) * (425-350) + 400 = 2/3 * 75 + 400
        ("pm10", 100, 75.0),  # (100-50)/(150-50) * (100-50) + 50 = 0.5 * 50 + 50
        ("o3", 250, 125.0),  # (150-100)/(300-200) * (250-200) + 100 = 0.5 * 50 + 100
        ("o3", 110, 34.375),  # 1h row: 50/160 * 110
        ("co", 20000, 75.0),  # (100-50)/(30000-10000) * (20000-10000) + 50 = 25 + 50
        ("so2", 450, 125.0),  # (150-100)/(550-350) * (450-350) + 100 = 0.25 * 100 + 100
        ("no2", 450, 125.0),  # (150-100)/(700-200) * (450-200) + 100 = 0.1 * 250 + 100
    ],
)
def test_sub_index_inside_a_band(pollutant: str, concentration: float, expected: float) -> None:
    assert sub_index(pollutant, concentration) == pytest.approx(expected)


def test_o3_8h_row_inside_a_band() -> None:
    # (100-50)/(120-100) * (110-100) + 50 = 2.5 * 10 + 50 = 75
    assert sub_index("o3", 110, o3_8h=True) == pytest.approx(75.0)


@pytest.mark.parametrize(
    ("pollutant", "concentration"),
    [
        ("pm25", 500.1),
        ("pm25", 1000),
        ("pm10", 750),
        ("o3", 5000),
        ("co", 200000),
        ("so2", 3000),
        ("no2", 4000),
    ],
)
def test_at_or_above_top_is_500(pollutant: str, concentration: float) -> None:
    assert sub_index(pollutant, concentration) == 500


@pytest.mark.parametrize(("pollutant", "bp", "index"), [c for c in BOUNDARY_CASES if 0 < c[2] < 500])
def test_bands_are_continuous(pollutant: str, bp: float, index: int) -> None:
    # Just below and just above each inner breakpoint the sub-index is the breakpoint's index: no gap, no jump.
    assert sub_index(pollutant, bp - 1e-6) == pytest.approx(index, abs=1e-3)
    assert sub_index(pollutant, bp + 1e-6) == pytest.approx(index, abs=1e-3)


def test_o3_8h_above_400_is_not_computed() -> None:
    assert sub_index("o3", 400, o3_8h=True) == pytest.approx(300)
    assert sub_index("o3", 400.1, o3_8h=True) is None
    assert sub_index("o3", 1500, o3_8h=True) is None


def test_sub_index_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        sub_index("pm25", -0.1)
    with pytest.raises(ValueError):
        sub_index("pm25", float("nan"))
    with pytest.raises(ValueError):
        sub_index("pm1", 10)
    with pytest.raises(ValueError):
        sub_index("pm25", 10, o3_8h=True)


# --- NowCast (§1.3.5, §2.2.1.a) ---------------------------------------------------------------------------------

# A 12-hour series (c1 first) with Cmin 16.5 (c9) and Cmax 26.9 (c4), as in the decision's worked example.
WORKED_SERIES = [17.6, 20.5, 22.0, 26.9, 24.0, 21.5, 19.9, 18.0, 16.5, 17.2, 18.8, 20.0]


def test_nowcast_worked_example() -> None:
    # w* = 16.5 / 26.9 = 0.613383 > 1/2, so w = w*.
    # w^0..w^11 = 1, .613383, .376239, .230778, .141555, .086828, .053259, .032668, .020038, .012291,
    #             .007539, .004624;  Σ w^(i-1) = 2.579202
    # w^(i-1)·ci = 17.6, 12.5743, 8.2772, 6.2079, 3.3973, 1.8668, 1.0598, 0.5880, 0.3306, 0.2114, 0.1417,
    #              0.0925;  Σ = 52.3478
    # NowCast = 52.3478 / 2.579202 = 20.296 ≈ 20.3
    assert nowcast(WORKED_SERIES) == pytest.approx(20.2961, abs=1e-3)


def test_nowcast_weight_is_clamped_at_one_half() -> None:
    # w* = 10/40 = 0.25 -> w = 0.5: (10 + 0.5*40) / (1 + 0.5) = 30 / 1.5 = 20 (unclamped w would give 16)
    assert nowcast([10, 40]) == pytest.approx(20.0)


def test_nowcast_weight_above_one_half_is_used() -> None:
    # w* = 30/40 = 0.75: (30 + 0.75*40) / 1.75 = 60 / 1.75 = 34.285714
    assert nowcast([30, 40]) == pytest.approx(34.285714)


def test_nowcast_missing_hour_has_weight_zero() -> None:
    # c1 = 10, c2 missing, c3 = 40: w* = 0.25 -> 0.5; (1*10 + 0.25*40) / (1 + 0.25) = 20 / 1.25 = 16.
    # Reading c2 as 0 would give w = 0.5 and (10 + 0 + 10) / 1.75 = 11.43.
    assert nowcast([10, None, 40]) == pytest.approx(16.0)


def test_nowcast_needs_two_of_the_last_three_hours() -> None:
    assert nowcast([10, None, None, 20, 20, 20]) is None
    assert nowcast([None, None, 10, 20]) is None
    assert nowcast([10]) is None
    assert nowcast([]) is None
    # c1 missing, c2 = 10, c3 = 40: w* = 0.25 -> 0.5; (0.5*10 + 0.25*40) / (0.5 + 0.25) = 15 / 0.75 = 20
    assert nowcast([None, 10, 40]) == pytest.approx(20.0)


def test_nowcast_ignores_hours_after_c12() -> None:
    # Only c1..c12 count: a constant 10 gives 10; a 13th value of 1000 must not move it.
    assert nowcast([10.0] * 12 + [1000.0]) == pytest.approx(10.0)


def test_nowcast_of_all_zero_hours_is_zero() -> None:
    assert nowcast([0, 0, 0]) == 0.0


def test_nowcast_rejects_negative_concentration() -> None:
    with pytest.raises(ValueError):
        nowcast([10, -1])


# --- rounding and levels (Bảng 1) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.5, 1), (2.5, 3), (50.4, 50), (50.49, 50), (50.5, 51), (100.5, 101), (99.5, 100), (500.0, 500)],
)
def test_round_half_up(value: float, expected: int) -> None:
    # Python's round() gives 0, 2, 50 and 100 for 0.5, 2.5, 50.5 and 100.5 (banker's rounding).
    assert round_aqi(value) == expected


def test_level_is_read_from_the_rounded_value() -> None:
    assert level(round_aqi(50.4)).name_vi == "Tốt"  # 50.4 -> 50
    assert level(round_aqi(50.5)).name_vi == "Trung bình"  # 50.5 -> 51
    assert level(round_aqi(100.5)).name_vi == "Kém"  # 100.5 -> 101


@pytest.mark.parametrize(
    ("aqi", "name_vi", "colour_vi", "rgb", "hex_code", "low", "high"),
    [
        (0, "Tốt", "xanh lá", (0, 228, 0), "#00E400", 0, 50),
        (50, "Tốt", "xanh lá", (0, 228, 0), "#00E400", 0, 50),
        (51, "Trung bình", "vàng", (255, 255, 0), "#FFFF00", 51, 100),
        (100, "Trung bình", "vàng", (255, 255, 0), "#FFFF00", 51, 100),
        (101, "Kém", "da cam", (255, 126, 0), "#FF7E00", 101, 150),
        (150, "Kém", "da cam", (255, 126, 0), "#FF7E00", 101, 150),
        (151, "Xấu", "đỏ", (255, 0, 0), "#FF0000", 151, 200),
        (200, "Xấu", "đỏ", (255, 0, 0), "#FF0000", 151, 200),
        (201, "Rất xấu", "tím", (143, 63, 151), "#8F3F97", 201, 300),
        (300, "Rất xấu", "tím", (143, 63, 151), "#8F3F97", 201, 300),
        (301, "Nguy hại", "nâu", (126, 0, 35), "#7E0023", 301, 500),
        (500, "Nguy hại", "nâu", (126, 0, 35), "#7E0023", 301, 500),
    ],
)
def test_levels_at_band_edges(
    aqi: int, name_vi: str, colour_vi: str, rgb: tuple[int, int, int], hex_code: str, low: int, high: int
) -> None:
    assert level(aqi) == AqiLevel(name_vi, colour_vi, rgb, low, high)
    assert level(aqi).hex == hex_code


@pytest.mark.parametrize("aqi", [-1, 501])
def test_level_outside_scale_is_an_error(aqi: int) -> None:
    with pytest.raises(ValueError):
        level(aqi)


# --- hourly AQI (§2.2.1) ----------------------------------------------------------------------------------------

GOOD = AqiLevel("Tốt", "xanh lá", (0, 228, 0), 0, 50)
POOR = AqiLevel("Kém", "da cam", (255, 126, 0), 101, 150)


def test_hourly_dominant_pollutant() -> None:
    # PM2.5 NowCast of a constant 37.5 is 37.5 -> 75; O3 250 on the 1h row -> 125 (see inside-band cases).
    result = hourly_aqi({"pm25": [37.5, 37.5], "o3": [250]})
    assert result == AqiResult(aqi=125, dominant="o3", sub_indices={"pm25": 75, "o3": 125}, level=POOR)


def test_hourly_pm_uses_nowcast_not_the_hour() -> None:
    # NowCast [10, 40] = 20 (clamp case above) -> 2 * 20 = 40. The 1h value 10 would give 20.
    result = hourly_aqi({"pm25": [10, 40]})
    assert result is not None
    assert result.aqi == 40


def test_hourly_o3_uses_the_1h_row() -> None:
    # O3 110: 1h row 50/160 * 110 = 34.375 -> 34 (the 8h row would give 75); PM2.5 5 -> 2 * 5 = 10.
    result = hourly_aqi({"pm25": [5, 5], "o3": [110]})
    assert result == AqiResult(aqi=34, dominant="o3", sub_indices={"pm25": 10, "o3": 34}, level=GOOD)


def test_hourly_gases_use_the_hours_value() -> None:
    # SO2 this hour 450 -> 125; the previous hour's 2000 is not used. Missing NO2 hour -> no NO2 sub-index.
    # PM10 50 -> 50.
    result = hourly_aqi({"pm10": [50, 50], "so2": [450, 2000], "no2": [None, 3000]})
    assert result == AqiResult(aqi=125, dominant="so2", sub_indices={"pm10": 50, "so2": 125}, level=POOR)


def test_hourly_float_noise_rounds_the_exact_half_up() -> None:
    # O3 161.2: (100-50)/(200-160) * (161.2-160) + 50 = 1.25 * 1.2 + 50 = 51.5 exactly -> 52.
    result = hourly_aqi({"pm25": [5, 5], "o3": [161.2]})
    assert result is not None
    assert result.sub_indices["o3"] == 52


def test_no_hourly_aqi_without_pm() -> None:
    assert hourly_aqi({"o3": [250], "so2": [450]}) is None
    assert hourly_aqi({"pm25": [10, None, None], "o3": [250]}) is None  # NowCast not computable


def test_hourly_rejects_unknown_pollutant() -> None:
    with pytest.raises(ValueError):
        hourly_aqi({"pm25": [10, 10], "benzene": [1]})


# --- daily AQI (§2.2.2) -----------------------------------------------------------------------------------------


def test_daily_pm_is_the_mean_of_hours_present() -> None:
    # 12 hours of 20 and 12 missing: mean 20 -> 2 * 20 = 40 (missing as zero would give mean 10 -> 20).
    result = daily_aqi({"pm25": [20.0] * 12 + [None] * 12})
    assert result is not None
    assert result.aqi == 40


def test_daily_so2_uses_the_max_not_the_mean() -> None:
    # Max 450 -> 125. The mean (450 + 23*50)/24 = 66.7 would give 50/125 * 66.7 = 26.7.
    result = daily_aqi({"pm10": [50.0] * 24, "so2": [450.0] + [50.0] * 23})
    assert result == AqiResult(aqi=125, dominant="so2", sub_indices={"pm10": 50, "so2": 125}, level=POOR)


def test_daily_co_is_in_micrograms() -> None:
    # CO 10000 µg/m³ (10 mg/m³) -> 50; PM2.5 5 -> 10.
    result = daily_aqi({"pm25": [5.0] * 24, "co": [10000.0] * 24})
    assert result == AqiResult(aqi=50, dominant="co", sub_indices={"pm25": 10, "co": 50}, level=GOOD)


def test_daily_o3_takes_the_larger_of_1h_and_8h() -> None:
    # 1h max 150 -> 50/160 * 150 = 46.875; 8h max 150 -> (150-100)/(170-120) * (150-120) + 100 = 130.
    result = daily_aqi({"pm25": [5.0] * 24, "o3": [150.0] + [50.0] * 23}, [110.0, None, 150.0])
    assert result is not None
    assert result.sub_indices["o3"] == 130
    # 1h max 250 -> 125; 8h max 110 -> 75: the 1h row wins.
    result = daily_aqi({"pm25": [5.0] * 24, "o3": [250.0] * 24}, [110.0])
    assert result is not None
    assert result.sub_indices["o3"] == 125


def test_daily_o3_8h_above_400_is_not_computed() -> None:
    # 8h max 450 is off the 8h row, so only the 1h max 500 counts: (300-200)/(800-400) * (500-400) + 200 = 225.
    result = daily_aqi({"pm25": [5.0] * 24, "o3": [500.0] * 24}, [450.0])
    assert result is not None
    assert result.sub_indices["o3"] == 225


def test_daily_float_noise_and_level_kem() -> None:
    # PM2.5 mean 50.3: (100-50)/(80-50) * 0.3 + 100 = 100.5 -> 101 -> Kém.
    result = daily_aqi({"pm25": [50.3] * 24})
    assert result == AqiResult(aqi=101, dominant="pm25", sub_indices={"pm25": 101}, level=POOR)


def test_no_daily_aqi_without_pm() -> None:
    assert daily_aqi({"so2": [450.0] * 24}, [110.0]) is None
    assert daily_aqi({"pm25": [None] * 24, "so2": [450.0] * 24}) is None


def test_daily_rejects_more_than_24_hours() -> None:
    with pytest.raises(ValueError):
        daily_aqi({"pm25": [10.0] * 25})
    with pytest.raises(ValueError):
        daily_aqi({"pm25": [10.0] * 24}, [10.0] * 25)


# --- 8-hour O3 means and the day ------------------------------------------------------------------------------


def test_eight_hour_means_reach_into_the_previous_day() -> None:
    # Hour-ending 18:00..00:00 of the previous day (7 hours of 80), then the 24 hours of the day at 0.
    means = eight_hour_means([80.0] * 7 + [0.0] * 24)
    assert len(means) == 24
    assert means[0] == pytest.approx(70.0)  # ending 01:00: (7*80 + 0) / 8
    assert means[1] == pytest.approx(60.0)  # ending 02:00: (6*80 + 0 + 0) / 8
    assert means[7:] == [0.0] * 17


def test_eight_hour_mean_needs_enough_hours() -> None:
    assert MIN_HOURS_FOR_8H_MEAN == 6
    # 6 of 8 present: (10 + 20 + 4*30) / 6 = 150 / 6 = 25
    assert eight_hour_means([10.0, None, 20.0, None, 30.0, 30.0, 30.0, 30.0]) == [pytest.approx(25.0)]
    # 5 of 8 present: no mean
    assert eight_hour_means([10.0, None, None, None, 30.0, 30.0, 30.0, 30.0]) == [None]
    assert eight_hour_means([10.0] * 7) == []


@pytest.mark.parametrize(
    ("hour_end", "expected"),
    [
        (datetime(2024, 5, 1, 18, 0, tzinfo=UTC), date(2024, 5, 2)),  # 01:00 local 2 May: first hour of 2 May
        (datetime(2024, 5, 1, 17, 0, tzinfo=UTC), date(2024, 5, 1)),  # 00:00 local 2 May: last hour of 1 May
        (datetime(2024, 5, 1, 16, 0, tzinfo=UTC), date(2024, 5, 1)),  # 23:00 local 1 May
        (datetime(2024, 5, 2, 1, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")), date(2024, 5, 2)),
        (datetime(2024, 5, 2, 0, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")), date(2024, 5, 1)),
        (datetime(2024, 12, 31, 17, 0, tzinfo=UTC), date(2024, 12, 31)),  # 00:00 local 1 Jan 2025
    ],
)
def test_day_of_uses_hour_ending_labels(hour_end: datetime, expected: date) -> None:
    assert day_of(hour_end) == expected


def test_day_of_rejects_naive_datetime() -> None:
    with pytest.raises(ValueError):
        day_of(datetime(2024, 5, 1, 18, 0))
