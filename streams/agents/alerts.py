"""Alerts: indicator windows, incidents and the liveness of cameras and sensors into alert changes
(CAP fields) on `ioc.derived.alerts`, by the rules of `IOC_STREAMS_ALERT_RULES` (streams/model/alerting)."""

from __future__ import annotations

from streams.engine.alert_task import AlertSource, AlertTask
from streams.engine.inputs import Intake
from streams.engine.runtime import Task
from streams.engine.store import Store
from streams.engine.topology import Node, Wiring
from streams.model.alerting import inputs, load_rules
from topics.catalog import (
    ALERT_ACTIONS,
    ALERTS,
    ALERTS_TASKS,
    CAMERA_HEARTBEATS,
    CAMERA_INCIDENTS,
    DLQ_CAMERA,
    DLQ_DERIVED,
    DLQ_SENSOR,
    INDICATORS,
    SENSOR_AIR_QUALITY,
    SENSOR_RAINFALL,
    SENSOR_WATER_LEVEL,
    TopicSpec,
)


def processors(wiring: Wiring) -> list[Node]:
    """One processor over every observed topic and the operators' actions (all co-partitioned: three
    partitions each, as many as the alerts topic has: a task writes its alerts to its own number)."""
    streams = wiring.settings.streams
    ruleset = load_rules(streams.alert_rules)

    def source(
        spec: TopicSpec, dead: TopicSpec, observe: inputs.Observe, *, envelopes: bool = True
    ) -> AlertSource:
        intake = Intake(wiring.decoder(spec), wiring.encoder(dead), lambda record: None)
        return AlertSource(wiring.name(spec), observe, intake, wiring.name(dead), envelopes, not envelopes)

    sources = [
        source(INDICATORS, DLQ_DERIVED, inputs.indicator, envelopes=False),
        source(CAMERA_INCIDENTS, DLQ_CAMERA, inputs.incident),
        source(CAMERA_HEARTBEATS, DLQ_CAMERA, inputs.camera_heartbeat),
        *(
            source(spec, DLQ_SENSOR, inputs.sensor_reading)
            for spec in (SENSOR_AIR_QUALITY, SENSOR_RAINFALL, SENSOR_WATER_LEVEL)
        ),
    ]

    def task(partition: int, stores: list[Store]) -> Task:
        return AlertTask(
            stores[0],
            ruleset,
            sources,
            wiring.encoder(ALERTS),
            wiring.name(ALERTS),
            streams.alert_sender,
            partition,
            wiring.name(ALERT_ACTIONS),
        )

    topics = (*(s.topic for s in sources), wiring.name(ALERT_ACTIONS))
    return [Node(ALERTS_TASKS.name, topics, (wiring.name(ALERTS_TASKS.state),), task)]
