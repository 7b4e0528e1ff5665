"""The Faust application: built from settings and endpoints, never at import time.

Faust reads some bare environment variables itself and lets them override what the app passes;
the platform's own settings therefore carry the `IOC_STREAMS_` prefix and are passed explicitly.
"""

from __future__ import annotations

import faust

from ioc.endpoints import Endpoints
from ioc.serde import registry_client
from ioc.settings import Settings
from streams import (
    alerts_agent,
    environment_agent,
    health_agent,
    public_order_agent,
    services_agent,
    traffic_agent,
)


def create_app(settings: Settings, endpoints: Endpoints) -> faust.App:
    """The app with every agent registered; schemas are looked up in the registry here, once."""
    streams = settings.streams
    streams.data_dir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        f"{settings.topic_prefix}{streams.app_id}",
        broker=f"kafka://{endpoints.kafka}",
        store="memory://",
        datadir=str(streams.data_dir),
        web_enabled=False,
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        topic_disable_leader=True,
        broker_commit_every=500,
        broker_commit_interval=1.0,
    )
    registry = registry_client(endpoints.registry)
    traffic_agent.register(app, settings, registry)
    public_order_agent.register(app, settings, registry)
    alerts_agent.register(app, settings, registry)
    environment_agent.register(app, settings, registry)
    services_agent.register(app, settings, registry)
    health_agent.register(app, settings, registry)
    return app
