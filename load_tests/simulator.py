"""Vehicle counts of a few synthetic cameras, and a producer for one topic: the small tools the
integration tests use to put exact, known records on the vehicle-count topic.

The whole province (every feed, curves, faults, pacing) is `load_tests.province_sim`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from confluent_kafka import Producer

from ioc.serde import AvroEncoder
from load_tests.cameras import vehicle_class
from load_tests.curves import rush_factor


@dataclass(frozen=True)
class Camera:
    """A camera at an intersection, with its lanes and the speed traffic flows at when the road is free."""

    camera_id: str
    area_code: str
    lanes: int
    free_flow_kmh: float


def province_cameras(count: int, seed: int) -> list[Camera]:
    """A reproducible set of cameras spread over a handful of wards."""
    rng = random.Random(seed)
    areas = ["26734", "26737", "26740", "26743", "26746"]
    return [
        Camera(f"CAM-{i:04d}", areas[i % len(areas)], rng.randint(1, 4), rng.choice([40.0, 50.0, 60.0]))
        for i in range(1, count + 1)
    ]


class CameraSimulator:
    """Generates VehicleCountBatch records; the same seed gives the same records."""

    def __init__(self, cameras: list[Camera], seed: int, source_id: str = "SIM-VMS") -> None:
        self.cameras = cameras
        self.rng = random.Random(seed)
        self.source_id = source_id
        self.sequence = 0

    def records(self, observed_at: datetime) -> Iterator[dict[str, Any]]:
        """One record per camera lane for the minute ending at `observed_at`."""
        factor = rush_factor(observed_at)
        for camera in self.cameras:
            for lane in range(1, camera.lanes + 1):
                self.sequence += 1
                count = max(0, int(self.rng.gauss(12 * factor, 3)))
                congestion = min(0.8, factor / 3)
                speed = max(5.0, self.rng.gauss(camera.free_flow_kmh * (1 - congestion), 4))
                yield {
                    "event_id": f"{self.source_id}-{self.sequence}",
                    "camera_id": camera.camera_id,
                    "observed_at": observed_at,
                    "interval_seconds": 60,
                    "lane": lane,
                    "vehicle_class": vehicle_class(self.rng),
                    "vehicle_count": count,
                    "average_speed_kmh": round(speed, 1),
                }

    def batch(self, records: list[dict[str, Any]], sent_at: datetime) -> dict[str, Any]:
        """A batch envelope around records, as a vendor would send it."""
        return {"source_id": self.source_id, "sent_at": sent_at, "records": records}


def chunks(records: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """Records in lists of at most `size`."""
    chunk: list[dict[str, Any]] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class KafkaSender:
    """Sends batches straight to Kafka with an idempotent, fully acknowledged producer."""

    def __init__(self, kafka: dict[str, str], topic: str, encoder: AvroEncoder) -> None:
        self.topic = topic
        self.encoder = encoder
        self.producer = Producer(kafka | {"enable.idempotence": True, "acks": "all", "linger.ms": 20})
        self.records_sent = 0

    def send(self, batch: dict[str, Any]) -> None:
        self.producer.produce(self.topic, key=batch["source_id"].encode(), value=self.encoder.encode(batch))
        self.producer.poll(0)
        self.records_sent += len(batch["records"])

    def flush(self, timeout_s: float = 30.0) -> int:
        """Wait for every batch to be acknowledged; returns how many are still unacknowledged."""
        return int(self.producer.flush(timeout_s))
