"""Wiring the simulator to the configured or local Kafka (or the ingestion gateway), for `ioc simulate`
and `ioc run`."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from avro_schemas import load_schema
from ioc.endpoints import resolve
from ioc.province import load_province
from ioc.serde import AvroEncoder, registry_client
from ioc.settings import Settings
from load_tests.faults import FaultConfig
from load_tests.pacing import run_at_rate, run_live
from load_tests.province_sim import ProvinceSimulator, SimConfig
from load_tests.senders import GatewaySender, KafkaFeedSender, Sender
from load_tests.simulator import KafkaSender
from topics.catalog import CAMERA_VEHICLE_COUNTS, INPUT_TOPICS

BATCH_SIZE = 100


def kafka_sender(settings: Settings) -> KafkaSender:
    """A sender for the vehicle-count topic alone, with the registered schema's id (tests use it)."""
    endpoints = resolve(settings, need=("kafka", "registry"))
    spec = CAMERA_VEHICLE_COUNTS
    encoder = AvroEncoder.for_subject(
        registry_client(endpoints),
        spec.subject(settings.topic_prefix),
        load_schema(spec.schema),
    )
    return KafkaSender(endpoints.kafka_client(), spec.full_name(settings.topic_prefix), encoder)


def feed_sender(settings: Settings) -> KafkaFeedSender:
    """A sender for every input topic, each with its registered schema's id (looked up once, here)."""
    endpoints = resolve(settings, need=("kafka", "registry"))
    registry = registry_client(endpoints)
    prefix = settings.topic_prefix
    topics = {
        spec.name: (
            spec.full_name(prefix),
            AvroEncoder.for_subject(registry, spec.subject(prefix), load_schema(spec.schema)),
        )
        for spec in INPUT_TOPICS
    }
    return KafkaFeedSender(endpoints.kafka_client(), topics)


def province_simulator(
    settings: Settings, *, cameras: int | None, seed: int, faults: FaultConfig | None = None
) -> ProvinceSimulator:
    """The province of the settings' file, starting now, with `cameras` of its cameras (None: all)."""
    config = SimConfig(cameras=cameras, faults=faults or FaultConfig())
    return ProvinceSimulator(load_province(settings.province_file), seed, datetime.now(UTC), config)


def run_simulator(
    settings: Settings,
    *,
    cameras: int | None,
    seed: int,
    duration_s: float,
    rate: float = 0.0,
    faults: FaultConfig | None = None,
    gateway: tuple[str, str] | None = None,
) -> Sender:
    """Send until `duration_s` passes (0: until Ctrl-C): live on the wall clock, or `rate` records/s.

    `gateway` (base URL, API key) sends through the HTTP ingestion gateway instead of to Kafka."""
    stop = threading.Event()
    sender: Sender = GatewaySender(*gateway) if gateway else feed_sender(settings)
    simulator = province_simulator(settings, cameras=cameras, seed=seed, faults=faults)
    if duration_s > 0:
        timer = threading.Timer(duration_s, stop.set)
        timer.daemon = True
        timer.start()
    try:
        if rate > 0:
            run_at_rate(simulator, sender, BATCH_SIZE, rate, stop)
        else:
            run_live(simulator, sender, BATCH_SIZE, stop)
    except KeyboardInterrupt:
        sender.flush()
    return sender
