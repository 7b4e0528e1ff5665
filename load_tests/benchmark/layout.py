"""The province's traffic layout as JSON for the Python ceiling (`aggregate.Layout.from_json`).

Built in the benchmark's own process from the same code the platform routes records with
(`streams.model.traffic.camera_areas`), so both count every record in the same windows.
"""

from __future__ import annotations

from typing import Any

from ioc.province import Province
from streams.model.indicators import CONGESTION_BOUNDS, CONGESTION_JAMMED
from streams.model.traffic import camera_areas


def layout_json(province: Province) -> dict[str, Any]:
    """Every configured camera's intersection, free-flow speed and areas, plus what the rest needs."""
    cameras: dict[str, Any] = {}
    for camera in province.cameras:
        intersection = province.intersection_of(camera.id)
        _, areas = camera_areas(province, camera.id)
        cameras[camera.id] = {
            "intersection": intersection.id if intersection is not None else None,
            "free_flow_kmh": intersection.free_flow_kmh if intersection is not None else None,
            "areas": list(areas),
        }
    return {
        "cameras": cameras,
        "province": province.code,
        "bounds": CONGESTION_BOUNDS,
        "jammed": CONGESTION_JAMMED,
    }
