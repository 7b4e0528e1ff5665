"""The stream worker: every agent's processors on one runtime, built from settings, never at import time."""

from __future__ import annotations

import socket

from ioc.endpoints import Endpoints
from ioc.serde import registry_client
from ioc.settings import Settings
from streams.agents import alerts, environment, health, public_order, report_values, services, traffic
from streams.engine.runtime import Runtime, RuntimeConfig
from streams.engine.topology import Node, Wiring

AGENTS = (traffic, public_order, environment, services, report_values, health, alerts)


def processors(settings: Settings, endpoints: Endpoints) -> list[Node]:
    """Every agent's processors; schemas are looked up in the registry here, once."""
    wiring = Wiring(settings, registry_client(endpoints))
    return [node for agent in AGENTS for node in agent.processors(wiring)]


def create_runtime(settings: Settings, endpoints: Endpoints) -> Runtime:
    streams = settings.streams
    config = RuntimeConfig(
        bootstrap=endpoints.kafka,
        group_id=f"{settings.topic_prefix}{streams.app_id}",
        instance_id=streams.instance_id or socket.gethostname(),
        batch_size=streams.batch_size,
        commit_interval_s=streams.commit_interval_s,
        tick_interval_s=streams.close_check_interval_s,
        session_timeout_ms=int(streams.session_timeout_s * 1000),
        transaction_timeout_ms=int(streams.transaction_timeout_s * 1000),
        stuck_commit_s=streams.stuck_commit_s,
        extra=endpoints.kafka_auth.client_config(),
    )
    return Runtime(processors(settings, endpoints), config)
