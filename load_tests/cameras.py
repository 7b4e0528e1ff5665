"""Camera analytics of the province: counts, speeds, plate reads, violations, crowds, incidents, heartbeats.

Each camera of `config/province.yaml` reports every lane's vehicle count and its average speed once a
minute; every fifth camera also reads plates; cameras with a crowd zone measure its density.
Violations and incidents are rare random events whose rate follows the traffic curve. Cameras fail
now and then: an outage silences a camera's analytics for a while and its heartbeats say offline.
A camera's feed comes from its area's VMS (`VMS-<area>`), so one source carries many cameras.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ioc.province import Province
from load_tests.curves import crowd_factor, rush_factor
from load_tests.emission import event_id
from topics.catalog import (
    CAMERA_CROWD_DENSITY,
    CAMERA_HEARTBEATS,
    CAMERA_INCIDENTS,
    CAMERA_PLATE_READS,
    CAMERA_SPEEDS,
    CAMERA_VEHICLE_COUNTS,
    CAMERA_VIOLATIONS,
    TopicSpec,
)

VEHICLE_MIX = (("motorbike", 0.7), ("car", 0.2), ("truck", 0.05), ("bus", 0.03), ("bicycle", 0.02))
VIOLATIONS = ("red_light", "wrong_way", "illegal_parking", "no_helmet", "lane_violation", "speeding")
INCIDENTS = ("accident", "fire_smoke", "fight", "crowd_gathering")
PLATE_PROVINCES = ("60", "39", "93", "51")
HEARTBEAT_EVERY_MIN = 5
Record = tuple[TopicSpec, str, dict[str, Any]]


@dataclass(frozen=True)
class SimCamera:
    """A camera as the simulator needs it: where it is, how many lanes, what it measures."""

    camera_id: str
    source_id: str
    lanes: int
    free_flow_kmh: float
    reads_plates: bool
    crowd_zone: str | None
    zone_area_m2: float
    # Cameras' clocks are not aligned: each closes its counting minute at its own second.
    phase_ms: int


@dataclass(frozen=True)
class CameraRates:
    """How often the rare camera events happen, per camera and minute at a rush factor of 1."""

    violation_per_min: float = 0.02
    incident_per_min: float = 0.00002
    outage_per_min: float = 0.0002
    outage_minutes: tuple[int, int] = (5, 60)
    plate_read_share: float = 0.3  # of the vehicles an ANPR camera sees


def sim_cameras(province: Province, rng: random.Random, limit: int | None = None) -> list[SimCamera]:
    """The province's cameras (the first `limit` of them), with lanes drawn once from the seed."""
    cameras = []
    for index, camera in enumerate(province.cameras[:limit]):
        # The province file's references are checked on load, so every camera has its intersection.
        intersection = province.intersection_of(camera.id)
        assert intersection is not None  # noqa: S101
        cameras.append(
            SimCamera(
                camera_id=camera.id,
                source_id=f"VMS-{intersection.area}",
                lanes=rng.randint(1, 4),
                free_flow_kmh=intersection.free_flow_kmh,
                reads_plates=index % 5 == 0,
                crowd_zone=camera.crowd_zone,
                zone_area_m2=float(rng.choice([400, 800, 1500, 3000])),
                phase_ms=rng.randint(1, 59_999),
            )
        )
    return cameras


class CameraFeeds:
    """Generates one minute of every camera feed; the same seed gives the same records."""

    def __init__(self, cameras: list[SimCamera], rng: random.Random, rates: CameraRates) -> None:
        self.cameras = cameras
        self.rng = rng
        self.rates = rates
        self.offline_until: dict[str, datetime] = {}

    def minute(self, end: datetime) -> list[Record]:
        """Everything the cameras report for the minute ending at `end` (event times inside it)."""
        traffic, crowd = rush_factor(end), crowd_factor(end)
        minute_index = int(end.timestamp() // 60)
        out: list[Record] = []
        for number, camera in enumerate(self.cameras):
            online = self._online(camera, end)
            if (minute_index + number) % HEARTBEAT_EVERY_MIN == 0:
                out.append(self._heartbeat(camera, end, online))
            if not online:
                continue
            volume = self._counts(camera, end, traffic, out)
            if camera.reads_plates:
                self._plates(camera, end, volume, out)
            if camera.crowd_zone is not None:
                out.append(self._crowd(camera, end, crowd))
            if self.rng.random() < self.rates.violation_per_min * traffic:
                out.append(self._violation(camera, end))
            if self.rng.random() < self.rates.incident_per_min * max(traffic, crowd):
                out.append(self._incident(camera, end))
        return out

    def _online(self, camera: SimCamera, end: datetime) -> bool:
        until = self.offline_until.get(camera.camera_id)
        if until is not None and end < until:
            return False
        if self.rng.random() < self.rates.outage_per_min:
            self.offline_until[camera.camera_id] = end + timedelta(
                minutes=self.rng.randint(*self.rates.outage_minutes)
            )
            return False
        return True

    def _moment(self, end: datetime) -> datetime:
        return end - timedelta(milliseconds=self.rng.randint(1, 59_999))

    def _counts(self, camera: SimCamera, end: datetime, traffic: float, out: list[Record]) -> int:
        congestion = min(0.8, traffic / 3)
        speed = max(5.0, self.rng.gauss(camera.free_flow_kmh * (1 - congestion), 4))
        at = end - timedelta(milliseconds=camera.phase_ms)
        volume = 0
        for lane in range(1, camera.lanes + 1):
            count = max(0, int(self.rng.gauss(12 * traffic, 3)))
            volume += count
            record = {
                "event_id": event_id("VC", camera.camera_id, at, lane),
                "camera_id": camera.camera_id,
                "observed_at": at,
                "interval_seconds": 60,
                "lane": lane,
                "vehicle_class": vehicle_class(self.rng),
                "vehicle_count": count,
                "average_speed_kmh": round(max(5.0, self.rng.gauss(speed, 3)), 1),
            }
            out.append((CAMERA_VEHICLE_COUNTS, camera.source_id, record))
        out.append(
            (
                CAMERA_SPEEDS,
                camera.source_id,
                {
                    "event_id": event_id("SP", camera.camera_id, at),
                    "camera_id": camera.camera_id,
                    "observed_at": at,
                    "interval_seconds": 60,
                    "lane": 0,
                    "vehicle_class": None,
                    "vehicle_count": volume,
                    "average_speed_kmh": round(speed, 1),
                    "p85_speed_kmh": round(speed * 1.2, 1),
                    "max_speed_kmh": round(speed * 1.6, 1),
                    "speed_limit_kmh": camera.free_flow_kmh,
                },
            )
        )
        return volume

    def _plates(self, camera: SimCamera, end: datetime, volume: int, out: list[Record]) -> None:
        for n in range(int(volume * self.rates.plate_read_share)):
            at = self._moment(end)
            plate = f"{self.rng.choice(PLATE_PROVINCES)}{self.rng.choice('ABCDEFGHK')}-{self.rng.randint(10000, 99999)}"
            record = {
                "event_id": event_id("PR", camera.camera_id, at, n),
                "camera_id": camera.camera_id,
                "observed_at": at,
                "lane": self.rng.randint(1, camera.lanes),
                "plate_number": plate,
                "vehicle_class": vehicle_class(self.rng),
                "direction": "forward",
                "confidence": round(self.rng.uniform(0.7, 0.99), 2),
                "image_ref": "",
            }
            out.append((CAMERA_PLATE_READS, camera.source_id, record))

    def _crowd(self, camera: SimCamera, end: datetime, crowd: float) -> Record:
        at = end - timedelta(milliseconds=camera.phase_ms)
        persons = max(0, int(self.rng.gauss(camera.zone_area_m2 * 0.8 * crowd, 20)))
        return (
            CAMERA_CROWD_DENSITY,
            camera.source_id,
            {
                "event_id": event_id("CD", camera.camera_id, at),
                "camera_id": camera.camera_id,
                "observed_at": at,
                "zone_id": str(camera.crowd_zone),
                "person_count": persons,
                "density_persons_per_m2": round(persons / camera.zone_area_m2, 3),
                "zone_area_m2": camera.zone_area_m2,
            },
        )

    def _violation(self, camera: SimCamera, end: datetime) -> Record:
        at = self._moment(end)
        kind = self.rng.choice(VIOLATIONS)
        speed = round(camera.free_flow_kmh * self.rng.uniform(1.2, 1.8), 1) if kind == "speeding" else None
        return (
            CAMERA_VIOLATIONS,
            camera.source_id,
            {
                "event_id": event_id("VI", camera.camera_id, at),
                "camera_id": camera.camera_id,
                "observed_at": at,
                "lane": self.rng.randint(1, camera.lanes),
                "violation_type": kind,
                "vehicle_class": vehicle_class(self.rng),
                "plate_number": f"60A-{self.rng.randint(10000, 99999)}" if camera.reads_plates else None,
                "speed_kmh": speed,
                "speed_limit_kmh": camera.free_flow_kmh if speed is not None else None,
                "confidence": round(self.rng.uniform(0.6, 0.99), 2),
                "evidence_ref": "",
            },
        )

    def _incident(self, camera: SimCamera, end: datetime) -> Record:
        at = self._moment(end)
        return (
            CAMERA_INCIDENTS,
            camera.source_id,
            {
                "event_id": event_id("IN", camera.camera_id, at),
                "camera_id": camera.camera_id,
                "observed_at": at,
                "incident_type": self.rng.choice(INCIDENTS),
                "confidence": round(self.rng.uniform(0.6, 0.99), 2),
                "severity_hint": self.rng.choice(("minor", "moderate", "severe")),
                "description": "",
                "latitude": None,
                "longitude": None,
                "evidence_ref": "",
            },
        )

    def _heartbeat(self, camera: SimCamera, end: datetime, online: bool) -> Record:
        at = end - timedelta(milliseconds=camera.phase_ms)
        status = "online" if online else "offline"
        return (
            CAMERA_HEARTBEATS,
            camera.source_id,
            {
                "event_id": event_id("HB", camera.camera_id, at),
                "camera_id": camera.camera_id,
                "observed_at": at,
                "status": status,
                "status_reason": "" if online else "mất kết nối",
                "uptime_seconds": int(at.timestamp()) % 864_000 if online else None,
                "firmware_version": "5.7.3",
                "stream_fps": 25.0 if online else None,
            },
        )


def vehicle_class(rng: random.Random) -> str:
    """A vehicle class drawn from a Vietnamese road's mix (mostly motorbikes)."""
    roll, total = rng.random(), 0.0
    for name, share in VEHICLE_MIX:
        total += share
        if roll < total:
            return name
    return "other"
