"""Traffic: vehicle counts into volume, speed and congestion per camera, intersection and area;
violations into counts per hour by type, per camera and per area (streams/model/traffic.py)."""

from __future__ import annotations

from streams.engine.topology import Node, Wiring
from streams.model.traffic import TrafficModel, ViolationModel
from topics.catalog import (
    CAMERA_VEHICLE_COUNTS,
    CAMERA_VIOLATIONS,
    DLQ_CAMERA,
    TRAFFIC_COUNTS_TASKS,
    TRAFFIC_VIOLATIONS_TASKS,
)


def processors(wiring: Wiring) -> list[Node]:
    counts = TrafficModel(wiring.province)
    violations = ViolationModel(wiring.province)
    return [
        *wiring.windowed(TRAFFIC_COUNTS_TASKS, CAMERA_VEHICLE_COUNTS, DLQ_CAMERA, counts),
        *wiring.windowed(TRAFFIC_VIOLATIONS_TASKS, CAMERA_VIOLATIONS, DLQ_CAMERA, violations),
    ]
