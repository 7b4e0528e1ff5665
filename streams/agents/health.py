"""Input health: camera heartbeats into the online ratio per area and minute (streams/model/health.py);
sensor readings into each station's staleness, on the wall clock (streams/engine/health_tasks.py).
Report lateness runs on the report values' task (streams/agents/report_values.py)."""

from __future__ import annotations

from streams.engine.health_tasks import StalenessOwnerTask, StationClockTask
from streams.engine.inputs import Intake
from streams.engine.runtime import Task
from streams.engine.store import Store
from streams.engine.topology import Node, Wiring
from streams.engine.upstream import TotalsTopic
from streams.model.health import CameraOnlineModel
from topics.catalog import (
    CAMERA_HEARTBEATS,
    DLQ_CAMERA,
    DLQ_SENSOR,
    HEALTH_HEARTBEATS_TASKS,
    HEALTH_SENSORS_TASKS,
    SENSOR_AIR_QUALITY,
    SENSOR_RAINFALL,
    SENSOR_WATER_LEVEL,
)

SENSOR_FEEDS = (SENSOR_AIR_QUALITY, SENSOR_RAINFALL, SENSOR_WATER_LEVEL)


def processors(wiring: Wiring) -> list[Node]:
    timeout_ms = int(wiring.settings.indicators.camera_heartbeat_timeout_s * 1000)
    cameras = CameraOnlineModel(wiring.province, timeout_ms)
    return [
        *wiring.windowed(HEALTH_HEARTBEATS_TASKS, CAMERA_HEARTBEATS, DLQ_CAMERA, cameras),
        *staleness(wiring),
    ]


def staleness(wiring: Wiring) -> list[Node]:
    """The sensor feeds' station clocks and their owners, over the totals topic of the catalog."""
    topics = HEALTH_SENSORS_TASKS
    assert topics.totals is not None and topics.totals_state is not None  # noqa: S101 - declared so
    totals = TotalsTopic(wiring.name(topics.totals), topics.totals.partitions)
    sources = tuple(wiring.name(spec) for spec in SENSOR_FEEDS)

    def clock_task(partition: int, stores: list[Store]) -> Task:
        intakes = {
            wiring.name(spec): Intake(wiring.decoder(spec), wiring.encoder(DLQ_SENSOR), lambda record: None)
            for spec in SENSOR_FEEDS
        }
        return StationClockTask(intakes, totals, f"{topics.name}|{partition}", wiring.province)

    def owner_task(partition: int, stores: list[Store]) -> Task:
        sinks = wiring.sinks(DLQ_SENSOR)
        return StalenessOwnerTask(
            partition, stores[0], wiring.province, totals, sinks, wiring.timing.horizon_ms
        )

    return [
        Node(topics.name, sources, (wiring.name(topics.state),), clock_task),
        Node(f"{topics.name}-totals", (totals.name,), (wiring.name(topics.totals_state),), owner_task),
    ]
