"""Runs one sink thread per mapped topic; used by the embedded warehouse and by `ioc sinks run`."""

from __future__ import annotations

import threading
from collections.abc import Callable

from clickhouse_connect.driver.client import Client

from avro_schemas import load_schema
from ioc.endpoints import Endpoints
from ioc.serde import AvroDecoder, registry_client
from ioc.settings import Settings
from sinks.sink import TopicSink
from sinks.tables import MAPPINGS


def start_sinks(
    settings: Settings, endpoints: Endpoints, client_factory: Callable[[], Client], stop: threading.Event
) -> list[tuple[TopicSink, threading.Thread]]:
    """Create and start every sink; each thread runs until `stop` is set."""
    registry = registry_client(endpoints.registry)
    running = []
    for mapping in MAPPINGS:
        topic = mapping.topic.full_name(settings.topic_prefix)
        sink = TopicSink(
            mapping,
            topic,
            {
                "bootstrap.servers": endpoints.kafka,
                "group.id": f"{settings.topic_prefix}{settings.sinks.group_id}",
            },
            AvroDecoder(registry, load_schema(mapping.topic.schema)),
            client_factory,
            settings.sinks.batch_max_records,
            settings.sinks.batch_max_seconds,
        )
        thread = threading.Thread(target=sink.run, args=(stop,), name=f"sink-{topic}", daemon=True)
        thread.start()
        running.append((sink, thread))
    return running
