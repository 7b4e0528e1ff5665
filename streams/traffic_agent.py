"""The traffic agents: vehicle counts and violations into event-time windowed indicators.

Vehicle counts become volume and count-weighted average speed per camera and intersection (one
minute), per area (one minute, and one hour hopping by five minutes), with the speed ratio and the
congestion level against the intersection's free-flow speed; violations become counts per hour by
type, per camera and per area. What counts where is `streams.traffic`; how windows accept, close and
emit is `streams.windowed` (shared with the public-order agents).
"""

from __future__ import annotations

import faust
from confluent_kafka.schema_registry import SchemaRegistryClient

from ioc.province import load_province
from ioc.settings import Settings
from streams.late_events import LateEventSink
from streams.model.windows import now_ms
from streams.traffic import TrafficModel, ViolationModel
from streams.windowed import Feed, WindowedAggregator, register_feed
from topics.catalog import CAMERA_VEHICLE_COUNTS, CAMERA_VIOLATIONS, DLQ_CAMERA

__all__ = ["now_ms", "register"]


def register(
    app: faust.App, settings: Settings, registry: SchemaRegistryClient, late_sink: LateEventSink | None = None
) -> dict[str, WindowedAggregator]:
    """Declare both traffic agents (their topics, tables and wall-clock closers) on the app."""
    province = load_province(settings.province_file)
    sink = late_sink or LateEventSink.create(registry, settings.topic_prefix)
    feeds = (
        Feed("traffic-counts", CAMERA_VEHICLE_COUNTS, DLQ_CAMERA, TrafficModel(province)),
        Feed("traffic-violations", CAMERA_VIOLATIONS, DLQ_CAMERA, ViolationModel(province)),
    )
    return {feed.name: register_feed(app, settings, registry, feed, sink) for feed in feeds}
