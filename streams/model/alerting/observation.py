"""What the engine watches, read from plain dicts: indicator records and incident events.

An indicator record has the shape of `avro_schemas/derived/indicators.avsc`; an incident event carries
`incident_type`, `entity_id`, `observed_at` and optionally `entity_type` (default camera), `area_code`,
`description`, `confidence`, `latitude`, `longitude`. Timestamps may be epoch milliseconds or aware
datetimes, because the Avro decoder turns timestamp-millis into datetimes and tests write integers.
A record without `is_final` counts as final: only the indicator stream has provisional results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from streams.model.alerting.errors import ObservationError
from streams.model.windows import to_millis


@dataclass(frozen=True)
class Observation:
    """One observation, normalised. `at_ms` is its event time (the window's end, or when it was
    observed); `start_ms` is the window's start, which decides the hour of the week it belongs to."""

    is_incident: bool
    code: str
    """The indicator code, or the incident type."""
    entity_type: str
    entity_id: str
    area_code: str
    at_ms: int
    start_ms: int
    value: float | None
    final: bool
    """False for a provisional window result that later revisions will replace."""
    description: str = ""
    confidence: float | None = None
    latitude: float | None = None
    longitude: float | None = None
    label: str = ""
    """The indicator record's label (a form indicator's Vietnamese name, an AQI's main pollutant)."""


def parse(record: Mapping[str, Any]) -> Observation:
    """Normalise a record; raise ObservationError naming the first missing field."""
    if "incident_type" in record:
        at = _millis(record, "observed_at")
        return Observation(
            is_incident=True,
            code=str(record["incident_type"]),
            entity_type=str(record.get("entity_type") or "camera"),
            entity_id=_text(record, "entity_id"),
            area_code=str(record.get("area_code") or ""),
            at_ms=at,
            start_ms=at,
            value=None,
            final=True,
            description=str(record.get("description") or ""),
            confidence=_number(record.get("confidence")),
            latitude=_number(record.get("latitude")),
            longitude=_number(record.get("longitude")),
        )
    at = _millis(record, "window_end" if "window_end" in record else "observed_at")
    return Observation(
        is_incident=False,
        code=_text(record, "indicator"),
        entity_type=_text(record, "entity_type"),
        entity_id=_text(record, "entity_id"),
        area_code=str(record.get("area_code") or ""),
        at_ms=at,
        start_ms=_millis(record, "window_start") if record.get("window_start") is not None else at,
        value=_number(record.get("value")),
        final=bool(record.get("is_final", True)),
        label=str(record.get("label") or ""),
    )


def _text(record: Mapping[str, Any], field: str) -> str:
    value = record.get(field)
    if not isinstance(value, str) or not value:
        raise ObservationError(f"{field}: missing or empty in {_describe(record)}")
    return value


def _millis(record: Mapping[str, Any], field: str) -> int:
    value = record.get(field)
    if isinstance(value, datetime):
        return to_millis(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ObservationError(f"{field}: expected epoch milliseconds or a datetime in {_describe(record)}")


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _describe(record: Mapping[str, Any]) -> str:
    """Enough of the record to find it in the logs, without dumping a large payload."""
    return f"record {record.get('indicator') or record.get('incident_type')!s}/{record.get('entity_id')!s}"
