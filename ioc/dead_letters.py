"""The dead-letter record (avro_schemas/derived/dead_letters.avsc), built in one place.

Stream agents and sinks both move refused records to a dead-letter topic; they must say where the
record came from, which rule it broke and why in the same shape, so operators read one format.
"""

from __future__ import annotations

import time
from typing import Any


def dead_letter_record(
    source_topic: str,
    record_ref: str,
    rule: str,
    reason: str,
    payload: bytes,
    *,
    source_id: str = "",
    field_path: str = "",
) -> dict[str, Any]:
    """A DeadLetter record stamped with the time of rejection (epoch milliseconds, UTC)."""
    return {
        "source_topic": source_topic,
        "source_id": source_id,
        "record_ref": record_ref,
        "field_path": field_path,
        "rule": rule,
        "reason": reason,
        "payload": payload,
        "rejected_at": int(time.time() * 1000),
    }
