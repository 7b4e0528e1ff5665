"""Runs one sink thread per mapped topic; used by the embedded warehouse and by `ioc sinks run`."""

from __future__ import annotations

import threading
from collections.abc import Callable

from clickhouse_connect.driver.client import Client

from avro_schemas import load_schema
from ioc.endpoints import Endpoints
from ioc.serde import AvroDecoder, AvroEncoder, registry_client
from ioc.settings import Settings
from sinks.dead_letters import DeadLetterSender
from sinks.sink import TopicSink
from sinks.tables import MAPPINGS
from topics.catalog import dead_letter_topic


def start_sinks(
    settings: Settings, endpoints: Endpoints, client_factory: Callable[[], Client], stop: threading.Event
) -> list[tuple[TopicSink, threading.Thread]]:
    """Create and start every sink; each thread runs until `stop` is set."""
    registry = registry_client(endpoints)
    prefix = settings.topic_prefix
    dead_letter_schema = load_schema("derived/dead_letters")
    running = []
    for mapping in MAPPINGS:
        topic = mapping.topic.full_name(prefix)
        dlq = dead_letter_topic(mapping.topic)
        dead_letters = (
            DeadLetterSender(
                endpoints.kafka_client(),
                dlq.full_name(prefix),
                AvroEncoder.for_subject(registry, dlq.subject(prefix), dead_letter_schema),
            )
            if dlq is not None
            else None
        )
        sink = TopicSink(
            mapping,
            topic,
            # One consumer group per topic: a sink joining or leaving rebalances only its own topic.
            endpoints.kafka_client()
            | {"group.id": f"{prefix}{settings.sinks.group_id}.{mapping.topic.name}"},
            AvroDecoder(registry, load_schema(mapping.topic.schema)),
            client_factory,
            dead_letters,
            settings.sinks.batch_max_records,
            settings.sinks.batch_max_seconds,
            settings.sinks.insert_max_tries,
        )
        thread = threading.Thread(target=sink.run, args=(stop,), name=f"sink-{topic}", daemon=True)
        thread.start()
        running.append((sink, thread))
    return running
