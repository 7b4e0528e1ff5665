"""Late-event and dead-letter payloads are JSON an operator can read without the schema, whatever
Avro logical types the record holds."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from streams.engine.inputs import payload_of


def test_dates_and_instants_become_iso_8601() -> None:
    record = {
        "event_id": "R-1",
        "period_end": date(2026, 11, 14),
        "observed_at": datetime(2026, 11, 26, 1, 2, 3, tzinfo=UTC),
        "note": "Báo cáo tháng",
    }
    assert json.loads(payload_of(record)) == {
        "event_id": "R-1",
        "period_end": "2026-11-14",
        "observed_at": "2026-11-26T01:02:03+00:00",
        "note": "Báo cáo tháng",
    }


def test_timestamp_fields_decoded_as_epoch_millis_become_iso_8601_in_utc() -> None:
    """The engine decodes timestamp-millis as integers; the fields its schema names as such are shown
    as instants, other integers stay numbers."""
    # 1_764_118_923_456 ms = 2025-11-26T01:02:03.456Z
    record = {"observed_at": 1_764_118_923_456, "vehicle_count": 8}
    assert json.loads(payload_of(record, {"observed_at"})) == {
        "observed_at": "2025-11-26T01:02:03.456+00:00",
        "vehicle_count": 8,
    }
