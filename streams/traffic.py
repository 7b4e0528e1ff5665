"""Traffic indicators per camera and window: vehicle volume and count-weighted average speed.

Pure functions over decoded records and plain dict accumulators (dicts, because the accumulators
live in a Faust table whose changelog is JSON).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from streams.windows import to_millis, window_start

Accumulator = dict[str, Any]
VOLUME = "traffic.volume"
AVERAGE_SPEED = "traffic.average_speed"


def empty() -> Accumulator:
    """A window with nothing in it yet."""
    return {"vehicles": 0, "speed_sum": 0.0, "speed_vehicles": 0, "records": 0, "revision": 0}


def add_record(acc: Accumulator, record: dict[str, Any]) -> None:
    """Fold one vehicle-count record into a window. The average speed is weighted by the vehicles
    each record counted, so a lane with 40 cars weighs forty times one with a single car."""
    count = int(record["vehicle_count"])
    acc["vehicles"] += count
    acc["records"] += 1
    speed = record.get("average_speed_kmh")
    if speed is not None and count > 0:
        acc["speed_sum"] += float(speed) * count
        acc["speed_vehicles"] += count


def window_key(camera_id: str, start_ms: int) -> str:
    """The table key of one camera's window."""
    return f"{camera_id}|{start_ms}"


def parse_key(key: str) -> tuple[str, int]:
    """Camera id and window start back from a table key."""
    camera, _, start = key.rpartition("|")
    return camera, int(start)


def group_records(records: Iterable[dict[str, Any]], size_ms: int) -> dict[str, list[dict[str, Any]]]:
    """Records by the table key of their window."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        key = window_key(record["camera_id"], window_start(to_millis(record["observed_at"]), size_ms))
        grouped.setdefault(key, []).append(record)
    return grouped


def indicators(
    camera_id: str,
    start_ms: int,
    size_ms: int,
    acc: Accumulator,
    *,
    final: bool,
    now_ms: int,
    area_code: str = "",
) -> list[dict[str, Any]]:
    """The indicator records of one window, in the shape of `avro_schemas/derived/indicators.avsc`."""
    common = {
        "entity_type": "camera",
        "entity_id": camera_id,
        "area_code": area_code,
        "window_start": start_ms,
        "window_end": start_ms + size_ms,
        "sample_count": acc["records"],
        "revision": acc["revision"],
        "is_final": final,
        "computed_at": now_ms,
    }
    speed = acc["speed_sum"] / acc["speed_vehicles"] if acc["speed_vehicles"] else None
    return [
        {"indicator": VOLUME, "value": float(acc["vehicles"]), "unit": "vehicles"} | common,
        {"indicator": AVERAGE_SPEED, "value": speed, "unit": "km/h"} | common,
    ]
