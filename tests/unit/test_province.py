"""The province configuration: the committed demo file is what the generator makes, areas resolve
through renames and mergers, and a broken file is refused with the entry and the rule named."""

from __future__ import annotations

from pathlib import Path

import pytest

from ioc.province import ProvinceError, load_province
from ioc.settings import Settings
from load_tests.province_map import generate_province, render


def test_committed_province_is_what_the_generator_makes() -> None:
    committed = Settings().province_file.read_text(encoding="utf-8")
    assert committed == render(generate_province()), (
        "run: python -m load_tests.province_map > config/province.yaml"
    )


def test_demo_province_has_the_scale_of_the_brief() -> None:
    province = load_province(Settings().province_file)
    assert len(province.cameras) == 2000
    assert len(province.stations) == 300
    assert len(province.reporting_units) == 40
    assert all(s.alarm_levels is not None for s in province.stations if s.kind == "water_level")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "province.yaml"
    path.write_text(text, encoding="utf-8")
    return path


SMALL = """
code: "75"
name_vi: Tỉnh Thử
areas:
  - {code: "75", name_vi: Tỉnh Thử, level: province, former_codes: ["70"]}
  - {code: "731", name_vi: Thành phố cũ, level: former_district, parent: "75"}
  - {code: "26001", name_vi: Phường Một, level: ward, parent: "75", former_codes: ["73101"]}
intersections:
  - {id: INT-1, name_vi: Nút 1, area: "26001", latitude: 10.9, longitude: 106.8, free_flow_kmh: 50}
cameras:
  - {id: CAM-1, intersection: INT-1}
"""


def test_lineage_follows_renames_and_parents(tmp_path: Path) -> None:
    province = load_province(write(tmp_path, SMALL))
    assert province.area_lineage("26001") == ("26001", "75")
    assert province.area_lineage("73101") == ("26001", "75"), "a merged commune's code maps to its successor"
    assert province.area_lineage("731") == ("731", "75"), "a former district stays readable on its own"
    assert province.area_lineage("99999") == ("99999",)
    assert province.area_name("73101") == "Phường Một"
    assert province.area_name("99999") == "99999"
    intersection = province.intersection_of("CAM-1")
    assert intersection is not None and intersection.free_flow_kmh == 50
    assert province.intersection_of("CAM-404") is None


def test_dangling_references_name_the_entry(tmp_path: Path) -> None:
    broken = SMALL.replace("intersection: INT-1", "intersection: INT-9").replace(
        'area: "26001", latitude', 'area: "26002", latitude'
    )
    with pytest.raises(ProvinceError) as caught:
        load_province(write(tmp_path, broken))
    message = str(caught.value)
    assert "cameras[0] (CAM-1): intersection 'INT-9' is not configured" in message
    assert "intersections[0] (INT-1): area '26002' is not a configured area" in message


def test_field_errors_name_the_path(tmp_path: Path) -> None:
    broken = SMALL.replace("free_flow_kmh: 50", "free_flow_kmh: -5")
    with pytest.raises(
        ProvinceError, match=r"intersections\.0\.free_flow_kmh: Input should be greater than 0"
    ):
        load_province(write(tmp_path, broken))


def test_water_level_station_needs_increasing_alarm_levels(tmp_path: Path) -> None:
    station = (
        "stations:\n  - {id: WL-1, name_vi: Trạm, kind: water_level, area: '26001', latitude: 1, longitude: 2,"
        " alarm_levels: {level_1_cm: 300, level_2_cm: 250, level_3_cm: 400}}\n"
    )
    with pytest.raises(ProvinceError, match="alarm levels must increase"):
        load_province(write(tmp_path, SMALL + station))
