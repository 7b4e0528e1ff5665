"""A seeded, rate-controlled simulator of a province's cameras (the walking-skeleton part of it).

Cameras sit at intersections in areas; each reports every lane's vehicle count once a minute, with a
daily curve that peaks in the morning and evening rush hours. The load therefore follows the size
of the province: about 2.5 records per camera per minute.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from confluent_kafka import Producer

from ioc.serde import AvroEncoder

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
VEHICLE_MIX = (("motorbike", 0.7), ("car", 0.2), ("truck", 0.05), ("bus", 0.03), ("bicycle", 0.02))


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


def rush_factor(moment: datetime) -> float:
    """Relative traffic for the local time of day: low at night, peaks near 07:30 and 17:30."""
    local = moment.astimezone(LOCAL_TZ)
    hour = local.hour + local.minute / 60
    peaks = math.exp(-((hour - 7.5) ** 2) / 2) + math.exp(-((hour - 17.5) ** 2) / 2)
    return 0.15 + 0.35 * (6 <= hour <= 22) + peaks


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
                    "vehicle_class": self._vehicle_class(),
                    "vehicle_count": count,
                    "average_speed_kmh": round(speed, 1),
                }

    def _vehicle_class(self) -> str:
        roll, total = self.rng.random(), 0.0
        for name, share in VEHICLE_MIX:
            total += share
            if roll < total:
                return name
        return "other"

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

    def __init__(self, bootstrap: str, topic: str, encoder: AvroEncoder) -> None:
        self.topic = topic
        self.encoder = encoder
        self.producer = Producer(
            {"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all", "linger.ms": 20}
        )
        self.records_sent = 0

    def send(self, batch: dict[str, Any]) -> None:
        self.producer.produce(self.topic, key=batch["source_id"].encode(), value=self.encoder.encode(batch))
        self.producer.poll(0)
        self.records_sent += len(batch["records"])

    def flush(self, timeout_s: float = 30.0) -> int:
        """Wait for every batch to be acknowledged; returns how many are still unacknowledged."""
        return int(self.producer.flush(timeout_s))


def run_live(simulator: CameraSimulator, sender: KafkaSender, batch_size: int, stop: threading.Event) -> None:
    """Send each wall-clock minute's records once, spread evenly over that minute, until stopped.

    Open loop: batches go out on schedule whatever the broker does, so a slow pipeline shows up as
    consumer lag, not as a slower simulator. Records carry the minute's end as their event time.
    """
    while not stop.is_set():
        minute_start = datetime.now(UTC).replace(second=0, microsecond=0)
        minute_end = minute_start + timedelta(minutes=1)
        batches = list(chunks(simulator.records(minute_end - timedelta(milliseconds=1)), batch_size))
        remaining = max(0.001, (minute_end - datetime.now(UTC)).total_seconds())
        interval = remaining / max(1, len(batches))
        for batch in batches:
            if stop.is_set():
                break
            sender.send(simulator.batch(batch, datetime.now(UTC)))
            stop.wait(interval)
        stop.wait(max(0.0, (minute_end - datetime.now(UTC)).total_seconds()))
    sender.flush()
