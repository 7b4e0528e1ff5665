"""What the alert rules observe of each input feed, besides indicator records (which they read as
they are): incident events, and one liveness signal per camera heartbeat or sensor reading, which the
absence rules watch to tell when a device falls silent. Pure mappings from decoded records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from streams.model.indicators import INPUT_HEALTH_CAMERA_HEARTBEAT, INPUT_HEALTH_SENSOR_READING

Observation = dict[str, Any]
Observe = Callable[[dict[str, Any]], list[Observation]]


def indicator(record: dict[str, Any]) -> list[Observation]:
    """An indicator record is an observation as it is."""
    return [record]


def incident(record: dict[str, Any]) -> list[Observation]:
    """A camera's incident event (the engine's `entity_id` is the camera)."""
    return [
        {
            "incident_type": record["incident_type"],
            "entity_type": "camera",
            "entity_id": record["camera_id"],
            "observed_at": record["observed_at"],
            "description": record["description"],
            "confidence": record["confidence"],
            "latitude": record["latitude"],
            "longitude": record["longitude"],
        }
    ]


def camera_heartbeat(record: dict[str, Any]) -> list[Observation]:
    """A camera is talking, whatever status it reports."""
    return [_liveness(INPUT_HEALTH_CAMERA_HEARTBEAT, "camera", record["camera_id"], record["observed_at"])]


def sensor_reading(record: dict[str, Any]) -> list[Observation]:
    """A sensor device is talking (a water gauge that names no device stands for its station)."""
    device = record.get("device_id") or record.get("station_id") or ""
    return [_liveness(INPUT_HEALTH_SENSOR_READING, "device", device, record["observed_at"])]


def _liveness(code: str, entity_type: str, entity_id: str, observed_at: int) -> Observation:
    return {"indicator": code, "entity_type": entity_type, "entity_id": entity_id, "observed_at": observed_at}
