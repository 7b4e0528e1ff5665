"""The public-order agents: crowd density and level per zone, incidents per hour by type and area.

Crowd measurements and incidents come from camera analytics; what counts where is
`streams.public_order`, how windows accept, close and emit is `streams.windowed`. Incidents also
raise alerts at once, which is the alerts agent's job (it reads the same topic on its own).
"""

from __future__ import annotations

import faust
from confluent_kafka.schema_registry import SchemaRegistryClient

from ioc.province import load_province
from ioc.settings import Settings
from streams.late_events import LateEventSink
from streams.public_order import CrowdModel, IncidentModel
from streams.windowed import Feed, WindowedAggregator, register_feed
from topics.catalog import CAMERA_CROWD_DENSITY, CAMERA_INCIDENTS, DLQ_CAMERA


def register(
    app: faust.App, settings: Settings, registry: SchemaRegistryClient, late_sink: LateEventSink | None = None
) -> dict[str, WindowedAggregator]:
    """Declare both public-order agents (their topics, tables and wall-clock closers) on the app."""
    province = load_province(settings.province_file)
    sink = late_sink or LateEventSink.create(registry, settings.topic_prefix)
    feeds = (
        Feed("public-order-crowd", CAMERA_CROWD_DENSITY, DLQ_CAMERA, CrowdModel(province)),
        Feed("public-order-incidents", CAMERA_INCIDENTS, DLQ_CAMERA, IncidentModel(province)),
    )
    return {feed.name: register_feed(app, settings, registry, feed, sink) for feed in feeds}
