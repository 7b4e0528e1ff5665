"""One record of `ioc.derived.indicators`, built in one place so every agent fills every field alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class WindowStamp:
    """What every indicator of one window emission shares: the entity, the window and its revision."""

    entity_type: str
    entity_id: str
    area_code: str
    start_ms: int
    end_ms: int
    revision: int
    final: bool
    computed_ms: int

    def indicator(
        self, code: str, value: float | None, unit: str, sample_count: int, label: str = ""
    ) -> dict[str, Any]:
        """The record in the shape of `avro_schemas/derived/indicators.avsc`."""
        return {
            "indicator": code,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "area_code": self.area_code,
            "window_start": self.start_ms,
            "window_end": self.end_ms,
            "value": value,
            "unit": unit,
            "sample_count": sample_count,
            "revision": self.revision,
            "is_final": self.final,
            "computed_at": self.computed_ms,
            "label": label,
        }
