"""The long-running router: consume alert changes from `ioc.derived.alerts`, route and notify,
escalate, serve the acknowledgement links, and publish the audit trail to `ioc.derived.notifications`.

Several routers may run: one is active, the others are hot standbys (routing/leader.py). The active
router's state file is copied to the compacted state topic in Kafka transactions, with the alerts
topic's offsets, before anything is sent (routing/replica.py); a router taking over fences the former
one and reads that topic to its end first, so a change is handled once and a message marked sent is
not sent again whichever router reads it. On its first start a deployment reads the alerts from the
beginning: alerts raised before it was deployed still reach someone (resolved ones are only
recorded; changes older than `IOC_ROUTING_RETENTION_DAYS` are passed over, see Router.handle). It
reads only committed transactions: the stream worker writes the alerts topic in Kafka transactions,
and an aborted one leaves its records in the log. Resolved alerts older than that retention are
forgotten by the active router, on the state topic too (Router.tick).
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import uvicorn
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition

from avro_schemas import load_schema
from ioc.endpoints import Endpoints, connect
from ioc.province import load_province
from ioc.serde import AvroDecoder, AvroEncoder, SerdeError, registry_client
from ioc.settings import Settings
from routing.ack import AckSigner, Submit, ack_app
from routing.actions import ActionRequest, apply_request
from routing.audit import AuditPublisher
from routing.channels.base import Channel
from routing.channels.factory import build_channels
from routing.clock import Clock, SystemClock
from routing.leader import AckRequests, Leadership
from routing.replica import ReplicaError, StateFollower, StateWriter
from routing.roster import RosterSource
from routing.router import Router, row_event
from routing.state import Store
from topics.catalog import ALERT_ACTIONS, ALERTS, NOTIFICATIONS, ROUTING_ACKS, ROUTING_STATE

log = logging.getLogger(__name__)
STATE_FILE = "router.sqlite"


def state_dir(settings: Settings) -> Path:
    return settings.routing.state_dir or settings.stack.dir / "routing"


def open_store(settings: Settings) -> Store:
    """The router's state file; `ioc alerts list|ack` open the same one."""
    return Store(state_dir(settings) / STATE_FILE)


def _kept_secret(settings: Settings, configured: str, name: str) -> str:
    """`configured`, else a secret generated once into `<state dir>/<name>` (0600) and kept, so that
    what it signs or opens outlives restarts."""
    if configured:
        return configured
    path = state_dir(settings) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    return path.read_text().strip()


def ack_secret(settings: Settings) -> bytes:
    """The acknowledgement links' signing key (`IOC_ROUTING_ACK_SECRET`, else generated and kept)."""
    return _kept_secret(settings, settings.routing.ack_secret.get_secret_value(), "ack_secret").encode()


def console_token(settings: Settings) -> str:
    """The console's bearer token for the action API (`IOC_ROUTING_CONSOLE_TOKEN`, else generated
    once into `<state dir>/console_token`): the router and a console on the same host read the same."""
    return _kept_secret(settings, settings.routing.console_token.get_secret_value(), "console_token")


def signer(settings: Settings) -> AckSigner:
    routing = settings.routing
    return AckSigner(ack_secret(settings), routing.ack_public_url, timedelta(hours=routing.ack_link_ttl_h))


def build_router(
    settings: Settings,
    store: Store,
    clock: Clock,
    channels: dict[str, Channel] | None = None,
    durable: Callable[[], None] | None = None,
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
        durable,
    )


class AckServer:
    """The acknowledgement endpoint (uvicorn) in a thread of the router process."""

    def __init__(self, settings: Settings, store: Store, clock: Clock, submit: Submit) -> None:
        app = ack_app(store, signer(settings), clock, submit, console_token(settings))
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


def router_consumer_config(
    client: dict[str, str],
    settings: Settings,
    role: str = "",
    extra: dict[str, str | int | bool] | None = None,
) -> dict[str, str | int | bool]:
    """A consumer of the router over `client` (`Endpoints.kafka_client()`: the brokers and the login):
    group `<prefix><group_id>` (`-<role>` for the leader group), offsets never committed
    automatically, a first start from the beginning, and no record of an aborted transaction (the
    stream worker writes the alerts in transactions; the router its state)."""
    group = f"{settings.topic_prefix}{settings.routing.group_id}"
    config: dict[str, str | int | bool] = {
        **client,
        "group.id": f"{group}-{role}" if role else group,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
    }
    return config | (extra or {})


class Replication:
    """The active router's writer of the state topic, or none while standby (then nothing is durable
    and the router must not send: `durable` raises)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.writer: StateWriter | None = None

    def durable(self) -> None:
        if self.writer is None:
            raise ReplicaError("not the active router")
        self.writer.write(self.store)


class Active:
    """What the active router holds: its fencing writer and the alerts consumer, assigned at the
    offsets stored with the state (so a change is handled once whoever reads it)."""

    def __init__(
        self, settings: Settings, endpoints: Endpoints, store: Store, follower: StateFollower, clock: Clock
    ) -> None:
        prefix, group = settings.topic_prefix, f"{settings.topic_prefix}{settings.routing.group_id}"
        writer = StateWriter(endpoints.kafka_client(), ROUTING_STATE.full_name(prefix), group)
        follower.catch_up(writer.marker(), timeout_s=120)
        follower.pause()
        interrupted = store.requeue_interrupted()
        with store.transaction():
            for row in interrupted:
                state = store.alert(row.alert_id)
                if state is not None:
                    detail = "interrupted by a router failover: sent again (it may have gone out once)"
                    store.audit(
                        row_event("retry", state.record, row, clock.now(), row.attempts, detail=detail)
                    )
        writer.write(store)
        self.writer, self.store = writer, store
        self.alerts = Consumer(router_consumer_config(endpoints.kafka_client(), settings))
        topic = ALERTS.full_name(prefix)
        stored = store.offsets()
        partitions = self.alerts.list_topics(topic, timeout=30).topics[topic].partitions
        self.alerts.assign([TopicPartition(topic, p, stored.get(p, OFFSET_BEGINNING)) for p in partitions])
        log.info(
            "router active: state read to its end, %d interrupted message(s) to send again", len(interrupted)
        )

    def close(self) -> None:
        self.alerts.close()


def run_router(
    settings: Settings,
    stop: threading.Event,
    clock: Clock | None = None,
    channels: dict[str, Channel] | None = None,
) -> None:
    """Run until `stop` is set, as the active router or a standby (routing/leader.py). Tests pass a
    manual clock and their own channels."""
    clock = clock or SystemClock()
    endpoints = connect(settings)
    registry = registry_client(endpoints)
    prefix, routing = settings.topic_prefix, settings.routing
    group = f"{prefix}{routing.group_id}"
    decoder = AvroDecoder(registry, load_schema(ALERTS.schema))
    encoder = AvroEncoder.for_subject(
        registry, NOTIFICATIONS.subject(prefix), load_schema(NOTIFICATIONS.schema)
    )
    store = open_store(settings)
    store.wipe()  # a cache of the state topic, copied again at every start
    replication = Replication(store)
    router = build_router(settings, store, clock, channels, replication.durable)
    producer = Producer(endpoints.kafka_client() | {"enable.idempotence": True})
    publisher = AuditPublisher(store, producer, NOTIFICATIONS.full_name(prefix), encoder.encode)
    follower = StateFollower(
        Consumer(router_consumer_config(endpoints.kafka_client(), settings, role="state")),
        ROUTING_STATE.full_name(prefix),
        group,
        store,
    )
    session = {"session.timeout.ms": routing.failover_session_ms, "heartbeat.interval.ms": 1000}
    leadership = Leadership(
        Consumer(
            router_consumer_config(
                endpoints.kafka_client(),
                settings,
                role="leader",
                extra=session | {"partition.assignment.strategy": "cooperative-sticky"},
            )
        ),
        ROUTING_ACKS.full_name(prefix),
    )
    requests = AckRequests(producer, ROUTING_ACKS.full_name(prefix), group, store, routing.ack_wait_s)
    ack_server = AckServer(settings, store, clock, requests.submit)
    ack_server.start()
    log.info("router running (standby until elected); acknowledgement links at %s", routing.ack_public_url)
    active: Active | None = None

    def step_down(reason: str) -> None:
        nonlocal active
        log.warning("router standby: %s", reason)
        if active is not None:
            active.close()
        active, replication.writer = None, None
        store.wipe()  # it may hold writes the topic never took: copy the topic again
        follower.restart()

    try:
        while not stop.is_set():
            if not leadership.active:
                if active is not None:
                    step_down("another router was elected")
                leadership.poll(0)
                follower.follow(routing.tick_s)
                continue
            try:
                if active is None:
                    active = Active(settings, endpoints, store, follower, clock)
                    replication.writer = active.writer
                _active_step(
                    active,
                    router,
                    decoder,
                    leadership,
                    publisher,
                    group,
                    routing.tick_s,
                    ALERT_ACTIONS.full_name(prefix),
                )
            except (ReplicaError, KafkaException) as exc:
                step_down(f"the state could not be stored in Kafka, so nothing is sent: {exc}")
                stop.wait(routing.tick_s)
    finally:
        ack_server.stop()
        if active is not None:
            active.close()
        # Dropped here, not left to the garbage collector: the transactional producer would otherwise
        # outlive the router in a process that goes on (`ioc run`, tests) and keep calling Kafka.
        active, replication.writer = None, None
        leadership.consumer.close()  # leaves the group: a standby takes over at once
        follower.consumer.close()
        producer.flush(10)
        store.close()


def _active_step(
    active: Active,
    router: Router,
    decoder: AvroDecoder,
    leadership: Leadership,
    publisher: AuditPublisher,
    group: str,
    tick_s: float,
    actions_topic: str,
) -> None:
    """One round of the active router: alert changes, operators' requests, escalations and sends, the
    audit trail; the state is stored in Kafka after each part, before anything is sent. The actions
    that change an alert go to the alert task in the transaction that stores the requests' answers."""
    store, writer = active.store, active.writer
    offsets: dict[int, int] = {}
    partitions: dict[str, int] = {}
    for message in active.alerts.consume(num_messages=200, timeout=tick_s):
        if message.error() is not None:
            log.warning("alerts topic: %s", message.error())
            continue
        offsets[message.partition()] = message.offset() + 1
        try:
            alert = decoder.decode(message.value())
        except SerdeError as exc:
            log.error(
                "alerts topic partition %s offset %s skipped: %s", message.partition(), message.offset(), exc
            )
            continue
        router.handle(alert)
        partitions[alert["alert_id"]] = message.partition()
    if offsets:
        with store.transaction():
            store.set_partitions(partitions)
            store.set_offsets(offsets)
    writer.write(store)
    requests = leadership.poll(0)
    actions = []
    for message in requests:
        request = ActionRequest.from_json(group, message.value())
        if request is None:
            continue
        result, action = apply_request(store, router.roster.current(), request, router.clock.now())
        log.info(
            "%s of %s by %s: %s", request.kind, request.alert_id, request.officer_id, result.reason or "done"
        )
        partition = store.partition(request.alert_id)
        if action is not None and partition >= 0:
            actions.append((actions_topic, partition, request.alert_id.encode(), action.to_json()))
        elif action is not None:
            log.warning(
                "%s of %s: the alert's partition is not known; no revision follows",
                request.kind,
                request.alert_id,
            )
    if requests:
        writer.write(store, actions)
        try:
            leadership.consumer.commit(asynchronous=False)
        except KafkaException as exc:
            log.warning("acknowledgements offset commit failed (re-read and skipped): %s", exc)
    if not leadership.active:
        return  # the partition moved while polling: the next round steps down, sending nothing
    router.tick()
    writer.write(store)
    publisher.publish()
    writer.write(store)


def start_embedded_router(settings: Settings, stop: threading.Event) -> threading.Thread:
    """For `ioc run`: the router in a thread on the demo roster, writing every message to the log
    (no mail server or bot needed) while links, acknowledgement, escalation and the audit trail work
    as in production."""
    demo = settings.model_copy(update={"routing": settings.routing.model_copy(update={"delivery": "log"})})
    thread = threading.Thread(target=run_router, args=(demo, stop), name="alert-router", daemon=True)
    thread.start()
    return thread
