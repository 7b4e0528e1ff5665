"""Public order: crowd measurements into density and level per zone and minute; incidents into counts
per hour by type and area (streams/model/public_order.py). Incidents also raise alerts at once: the
alerts agent reads the same topic on its own."""

from __future__ import annotations

from streams.engine.topology import Node, Wiring
from streams.model.public_order import CrowdModel, IncidentModel
from topics.catalog import (
    CAMERA_CROWD_DENSITY,
    CAMERA_INCIDENTS,
    DLQ_CAMERA,
    PUBLIC_ORDER_CROWD_TASKS,
    PUBLIC_ORDER_INCIDENTS_TASKS,
)


def processors(wiring: Wiring) -> list[Node]:
    crowd = CrowdModel(wiring.province)
    incidents = IncidentModel(wiring.province)
    return [
        *wiring.windowed(PUBLIC_ORDER_CROWD_TASKS, CAMERA_CROWD_DENSITY, DLQ_CAMERA, crowd),
        *wiring.windowed(PUBLIC_ORDER_INCIDENTS_TASKS, CAMERA_INCIDENTS, DLQ_CAMERA, incidents),
    ]
