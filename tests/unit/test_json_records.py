"""The plain-JSON reading of a contract names the field and the rule even for times Python cannot
hold, instead of failing with a bare OverflowError."""

from __future__ import annotations

import pytest

from avro_schemas import load_schema
from avro_schemas.json_records import JsonRecordConverter, RecordError


@pytest.mark.parametrize("observed_at", [10**20, "0001-01-01T00:00:00+07:00", -(10**20)])
def test_times_beyond_a_datetime_name_the_field(observed_at: object) -> None:
    batch = load_schema("camera/vehicle_counts")
    record_schema = next(f for f in batch["fields"] if f["name"] == "records")["type"]["items"]
    record = {
        "event_id": "E-1",
        "camera_id": "CAM-0001",
        "observed_at": observed_at,
        "interval_seconds": 60,
        "lane": 1,
        "vehicle_class": "car",
        "vehicle_count": 3,
        "average_speed_kmh": None,
    }
    with pytest.raises(RecordError) as refused:
        JsonRecordConverter(record_schema).convert(record)
    assert (refused.value.path, refused.value.rule) == ("observed_at", "timestamp-range")
