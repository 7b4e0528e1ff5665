"""The long-running router: consume alert changes from `ioc.derived.alerts`, route and notify,
escalate, serve the acknowledgement links, and publish the audit trail to `ioc.derived.notifications`.

Offsets are committed only after the changes read are stored in the state file (see `state.py`), so
a crash at any point neither loses an alert nor notifies twice. On its first start the router's
consumer group reads the topic from the beginning: alerts raised before it was deployed still reach
someone (resolved ones are only recorded). It reads only committed transactions: the stream worker
writes the alerts topic in Kafka transactions, and an aborted one leaves its records in the log.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from datetime import timedelta
from pathlib import Path

import uvicorn
from confluent_kafka import Consumer, KafkaException, Producer

from avro_schemas import load_schema
from ioc.endpoints import resolve
from ioc.province import load_province
from ioc.serde import AvroDecoder, AvroEncoder, SerdeError, registry_client
from ioc.settings import Settings
from routing.ack import AckSigner, ack_app
from routing.audit import AuditPublisher
from routing.channels.base import Channel
from routing.channels.factory import build_channels
from routing.clock import Clock, SystemClock
from routing.roster import RosterSource
from routing.router import Router
from routing.state import Store
from topics.catalog import ALERTS, NOTIFICATIONS

log = logging.getLogger(__name__)
STATE_FILE = "router.sqlite"


def state_dir(settings: Settings) -> Path:
    return settings.routing.state_dir or settings.stack.dir / "routing"


def open_store(settings: Settings) -> Store:
    """The router's state file; `ioc alerts list|ack` open the same one."""
    return Store(state_dir(settings) / STATE_FILE)


def ack_secret(settings: Settings) -> bytes:
    """The configured secret, else one generated once and kept (0600) so links outlive restarts."""
    configured = settings.routing.ack_secret.get_secret_value()
    if configured:
        return configured.encode()
    path = state_dir(settings) / "ack_secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def signer(settings: Settings) -> AckSigner:
    routing = settings.routing
    return AckSigner(ack_secret(settings), routing.ack_public_url, timedelta(hours=routing.ack_link_ttl_h))


def build_router(
    settings: Settings, store: Store, clock: Clock, channels: dict[str, Channel] | None = None
) -> Router:
    """A router on the configured roster and province; `channels` replaces the configured ones."""
    province = load_province(settings.province_file)
    return Router(
        store,
        RosterSource(settings.routing.roster, province),
        province,
        channels if channels is not None else build_channels(settings.routing, clock),
        signer(settings),
        clock,
        settings.routing,
    )


class AckServer:
    """The acknowledgement endpoint (uvicorn) in a thread of the router process."""

    def __init__(self, settings: Settings, store: Store, clock: Clock) -> None:
        app = ack_app(store, signer(settings), clock)
        config = uvicorn.Config(
            app, host=settings.routing.ack_host, port=settings.routing.ack_port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="ack-server", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def router_consumer_config(bootstrap: str, settings: Settings) -> dict[str, str | bool]:
    """The router's consumer: its own group, offsets committed by the router after the state file
    has the changes, a first start from the beginning, and no record of an aborted transaction."""
    return {
        "bootstrap.servers": bootstrap,
        "group.id": f"{settings.topic_prefix}{settings.routing.group_id}",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
    }


def run_router(
    settings: Settings,
    stop: threading.Event,
    clock: Clock | None = None,
    channels: dict[str, Channel] | None = None,
) -> None:
    """Run until `stop` is set. Tests pass a manual clock and their own channels."""
    clock = clock or SystemClock()
    endpoints = resolve(settings, need=("kafka", "registry"))
    registry = registry_client(endpoints.registry)
    prefix = settings.topic_prefix
    decoder = AvroDecoder(registry, load_schema(ALERTS.schema))
    encoder = AvroEncoder.for_subject(
        registry, NOTIFICATIONS.subject(prefix), load_schema(NOTIFICATIONS.schema)
    )
    store = open_store(settings)
    router = build_router(settings, store, clock, channels)
    publisher = AuditPublisher(
        store,
        Producer({"bootstrap.servers": endpoints.kafka, "enable.idempotence": True}),
        NOTIFICATIONS.full_name(prefix),
        encoder.encode,
    )
    consumer = Consumer(router_consumer_config(endpoints.kafka, settings))
    consumer.subscribe([ALERTS.full_name(prefix)])
    ack_server = AckServer(settings, store, clock)
    ack_server.start()
    log.info("router running; acknowledgement links at %s", settings.routing.ack_public_url)
    try:
        while not stop.is_set():
            messages = consumer.consume(num_messages=200, timeout=settings.routing.tick_s)
            handled = False
            for message in messages:
                if message.error() is not None:
                    log.warning("alerts topic: %s", message.error())
                    continue
                handled = True
                try:
                    router.handle(decoder.decode(message.value()))
                except SerdeError as exc:
                    log.error(
                        "alerts topic partition %s offset %s skipped: %s",
                        message.partition(),
                        message.offset(),
                        exc,
                    )
            if handled:
                try:
                    consumer.commit(asynchronous=False)
                except KafkaException as exc:
                    log.warning("offset commit failed (the changes will be re-read and skipped): %s", exc)
            router.tick()
            publisher.publish()
    finally:
        ack_server.stop()
        consumer.close()
        publisher.producer.flush(10)
        store.close()


def start_embedded_router(settings: Settings, stop: threading.Event) -> threading.Thread:
    """For `ioc run`: the router in a thread on the demo roster, writing every message to the log
    (no mail server or bot needed) while links, acknowledgement, escalation and the audit trail work
    as in production."""
    demo = settings.model_copy(update={"routing": settings.routing.model_copy(update={"delivery": "log"})})
    thread = threading.Thread(target=run_router, args=(demo, stop), name="alert-router", daemon=True)
    thread.start()
    return thread
