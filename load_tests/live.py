"""Wiring the simulator to the configured or local Kafka, for `ioc simulate` and `ioc run`."""

from __future__ import annotations

import threading

from avro_schemas import load_schema
from ioc.endpoints import resolve
from ioc.serde import AvroEncoder, registry_client
from ioc.settings import Settings
from load_tests.simulator import CameraSimulator, KafkaSender, province_cameras, run_live
from topics.catalog import CAMERA_VEHICLE_COUNTS

BATCH_SIZE = 100


def kafka_sender(settings: Settings) -> KafkaSender:
    """A sender for the vehicle-count topic, with the registered schema's id."""
    endpoints = resolve(settings, need=("kafka", "registry"))
    spec = CAMERA_VEHICLE_COUNTS
    encoder = AvroEncoder.for_subject(
        registry_client(endpoints.registry), spec.subject(settings.topic_prefix), load_schema(spec.schema)
    )
    return KafkaSender(endpoints.kafka, spec.full_name(settings.topic_prefix), encoder)


def run_simulator(settings: Settings, *, cameras: int, seed: int, duration_s: float) -> KafkaSender:
    """Send live records until `duration_s` passes (0: until Ctrl-C)."""
    stop = threading.Event()
    sender = kafka_sender(settings)
    simulator = CameraSimulator(province_cameras(cameras, seed), seed)
    if duration_s > 0:
        timer = threading.Timer(duration_s, stop.set)
        timer.daemon = True
        timer.start()
    try:
        run_live(simulator, sender, BATCH_SIZE, stop)
    except KeyboardInterrupt:
        sender.flush()
    return sender
