"""The demo province of `config/province.yaml`, generated reproducibly so the simulator and the
configuration always describe the same cameras, stations and units.

`python -m load_tests.province_map > config/province.yaml` rewrites the committed file; a test checks
that the committed file is what this generates. The names are Vietnamese-sounding and the codes
illustrative: a real deployment writes its own file from the province's official lists.
"""

from __future__ import annotations

import random
import sys
from typing import Any

import yaml

from config import CONFIG_DIR
from ioc.forms.loader import owns, read_forms
from ioc.province import PeriodicReport

PROVINCE_CODE = "75"
WARDS = (
    ("26001", "Phường Trấn Biên", "ward", "731"),
    ("26002", "Phường Biên Hòa", "ward", "731"),
    ("26003", "Phường Tam Hiệp", "ward", "731"),
    ("26004", "Phường Long Bình", "ward", "731"),
    ("26005", "Phường Hố Nai", "ward", "731"),
    ("26006", "Phường Trảng Dài", "ward", "731"),
    ("26007", "Phường Long Hưng", "ward", "731"),
    ("26008", "Phường Phước Tân", "ward", "731"),
    ("26009", "Phường Tam Phước", "ward", "731"),
    ("26010", "Phường Long Khánh", "ward", "732"),
    ("26011", "Xã Long Thành", "commune", "740"),
    ("26012", "Xã Nhơn Trạch", "commune", "741"),
    ("26013", "Xã Trảng Bom", "commune", "737"),
    ("26014", "Xã Trị An", "commune", "735"),
    ("26015", "Xã Định Quán", "commune", "736"),
    ("26016", "Phường Đồng Xoài", "ward", "689"),
    ("26017", "Phường Bình Long", "ward", "691"),
    ("26018", "Phường Phước Long", "ward", "690"),
    ("26019", "Xã Lộc Ninh", "commune", "694"),
    ("26020", "Xã Bù Đăng", "commune", "696"),
)
FORMER_DISTRICTS = (
    ("731", "Thành phố Biên Hòa (cũ)"),
    ("732", "Thành phố Long Khánh (cũ)"),
    ("735", "Huyện Vĩnh Cửu (cũ)"),
    ("736", "Huyện Định Quán (cũ)"),
    ("737", "Huyện Trảng Bom (cũ)"),
    ("740", "Huyện Long Thành (cũ)"),
    ("741", "Huyện Nhơn Trạch (cũ)"),
    ("689", "Thành phố Đồng Xoài (cũ)"),
    ("690", "Thị xã Phước Long (cũ)"),
    ("691", "Thị xã Bình Long (cũ)"),
    ("694", "Huyện Lộc Ninh (cũ)"),
    ("696", "Huyện Bù Đăng (cũ)"),
)
ZONES = (
    ("Z-QL1A", "Hành lang Quốc lộ 1A"),
    ("Z-QL51", "Hành lang Quốc lộ 51"),
    ("Z-LVDN", "Lưu vực sông Đồng Nai"),
)
DEPARTMENTS = (
    ("SO-TNMT", "Sở Nông nghiệp và Môi trường"),
    ("SO-XD", "Sở Xây dựng"),
    ("SO-YT", "Sở Y tế"),
    ("SO-GDDT", "Sở Giáo dục và Đào tạo"),
    ("SO-TC", "Sở Tài chính"),
    ("SO-CT", "Sở Công Thương"),
    ("SO-NV", "Sở Nội vụ"),
    ("SO-TP", "Sở Tư pháp"),
    ("SO-KHCN", "Sở Khoa học và Công nghệ"),
    ("SO-VHTTDL", "Sở Văn hóa, Thể thao và Du lịch"),
    ("CA-TINH", "Công an tỉnh"),
    ("BQL-KCN", "Ban Quản lý các khu công nghiệp"),
    ("TT-HCC", "Trung tâm Phục vụ hành chính công"),
    ("SO-NG", "Sở Ngoại vụ"),
    ("SO-DTM", "Sở Dân tộc và Tôn giáo"),
    ("VP-UBND", "Văn phòng UBND tỉnh"),
    ("TTR-TINH", "Thanh tra tỉnh"),
    ("BHXH-TINH", "Bảo hiểm xã hội tỉnh"),
    ("CUC-THUE", "Thuế tỉnh"),
    ("KB-TINH", "Kho bạc Nhà nước khu vực"),
)
STATION_MIX = (
    ("AQ", "air_quality", 120),
    ("WL", "water_level", 60),
    ("RF", "rainfall", 60),
    ("WX", "weather", 60),
)
STATION_NAMES = {
    "air_quality": "Trạm quan trắc không khí",
    "water_level": "Trạm đo mực nước",
    "rainfall": "Trạm đo mưa",
    "weather": "Trạm khí tượng",
}
CENTRE = (10.95, 106.82)


def generate_province(seed: int = 42, cameras: int = 2000) -> dict[str, Any]:
    """The province as the plain data of `config/province.yaml` (see `ioc.province`)."""
    rng = random.Random(seed)

    def spot() -> dict[str, float]:
        return {
            "latitude": round(CENTRE[0] + rng.uniform(-0.15, 0.15), 5),
            "longitude": round(CENTRE[1] + rng.uniform(-0.15, 0.15), 5),
        }

    ward_codes = [code for code, *_ in WARDS]
    areas: list[dict[str, Any]] = [
        {"code": PROVINCE_CODE, "name_vi": "Tỉnh Đồng Nai", "level": "province", "former_codes": ["70"]}
    ]
    areas += [
        {"code": code, "name_vi": name, "level": "former_district", "parent": PROVINCE_CODE}
        for code, name in FORMER_DISTRICTS
    ]
    areas += [
        {
            "code": code,
            "name_vi": name,
            "level": level,
            "parent": PROVINCE_CODE,
            # Two merged communes each, with illustrative codes (the district's code plus a number).
            "former_codes": [f"{district}{2 * index + n:02d}" for n in (1, 2)],
        }
        for index, (code, name, level, district) in enumerate(WARDS)
    ]
    areas += [
        {"code": code, "name_vi": name, "level": "zone", "parent": PROVINCE_CODE} for code, name in ZONES
    ]

    intersections, camera_entries, crowd_zones = [], [], []
    camera_number = 0
    while camera_number < cameras:
        index = len(intersections) + 1
        ward = ward_codes[(index - 1) % len(ward_codes)]
        corridor = [("Z-QL1A", "Z-QL51")[index % 2]] if index % 3 == 0 else []
        intersection = f"INT-{index:04d}"
        intersections.append(
            {
                "id": intersection,
                "name_vi": f"Nút giao số {index}",
                "area": ward,
                **spot(),
                "free_flow_kmh": rng.choice([40.0, 50.0, 60.0]),
                "zones": corridor,
            }
        )
        zone = None
        if index % 19 == 1:  # 19, not 20: the zones then fall in different wards
            zone = f"CZ-{len(crowd_zones) + 1:03d}"
            crowd_zones.append(
                {"id": zone, "name_vi": f"Khu vực đông người {len(crowd_zones) + 1}", "area": ward}
            )
        for _ in range(min(rng.randint(2, 4), cameras - camera_number)):
            camera_number += 1
            camera: dict[str, Any] = {"id": f"CAM-{camera_number:04d}", "intersection": intersection}
            if zone is not None:
                camera["crowd_zone"] = zone
                zone = None
            camera_entries.append(camera)

    stations = []
    for prefix, kind, count in STATION_MIX:
        for number in range(1, count + 1):
            station: dict[str, Any] = {
                "id": f"{prefix}-{number:03d}",
                "name_vi": f"{STATION_NAMES[kind]} {number}",
                "kind": kind,
                "area": ward_codes[(number - 1) % len(ward_codes)],
                **spot(),
            }
            if kind == "water_level":
                base = rng.choice([150, 200, 250, 300])
                station["alarm_levels"] = {
                    "level_1_cm": base,
                    "level_2_cm": base + 50,
                    "level_3_cm": base + 100,
                }
            stations.append(station)

    units = [{"code": code, "name_vi": name, "area": PROVINCE_CODE} for code, name in DEPARTMENTS]
    units += [{"code": f"UBND-{code}", "name_vi": f"UBND {name}", "area": code} for code, name, *_ in WARDS]
    for unit in units:
        unit["reports"] = owed_reports(unit["code"])
    return {
        "code": PROVINCE_CODE,
        "name_vi": "Tỉnh Đồng Nai",
        "areas": areas,
        "intersections": intersections,
        "cameras": camera_entries,
        "crowd_zones": crowd_zones,
        "stations": stations,
        "reporting_units": units,
    }


def owed_reports(unit: str) -> list[dict[str, Any]]:
    """The unit's periodic reports: the scheduled forms of config/report_forms it owns (the forms are
    the source; the province file repeats them for the lateness check, and the forms loader checks
    that both agree)."""
    reports = []
    for form in read_forms(CONFIG_DIR / "report_forms"):
        schedule = form.schedule
        if schedule is not None and owns(form, unit):
            defaults = PeriodicReport(report_code=form.code, period=schedule.period)
            changed = {k: v for k, v in schedule.model_dump().items() if v != getattr(defaults, k)}
            reports.append({"report_code": form.code, "period": schedule.period} | changed)
    return reports


HEADER = """\
# Tỉnh mẫu | The demo province, read by ioc.province.load_province (IOC_PROVINCE_FILE points elsewhere).
# Generated by `python -m load_tests.province_map > config/province.yaml`; codes and names are
# illustrative. Areas follow the two-level local government of 1 July 2025 (province, then commune /
# ward); former_codes keep the old district (and merged province) codes so history stays groupable.
# Sections: areas, intersections (free-flow speed for congestion), cameras, crowd_zones, stations
# (water-level alarm levels I/II/III), reporting_units (periodic reports under Decree 09/2019).
"""


def render(province: dict[str, Any]) -> str:
    """YAML with one line per entry, so a diff of the file reads like a list of changes."""
    lines = [HEADER.rstrip("\n")]
    for key, value in province.items():
        if isinstance(value, list):
            lines.append(f"{key}:")
            lines += [f"  - {_flow(entry)}" for entry in value]
        else:
            lines.append(f"{key}: {_flow([value])[1:-1]}")
    return "\n".join(lines) + "\n"


def _flow(value: Any) -> str:
    return yaml.safe_dump(
        value, allow_unicode=True, sort_keys=False, width=10_000, default_flow_style=True
    ).strip()


if __name__ == "__main__":
    sys.stdout.write(render(generate_province()))
