"""Event time in epoch milliseconds, the unit every window, watermark and indicator record uses.

Pure, tested without Kafka. Window shapes are `streams.model.shapes`; when windows close is the
stream engine's (streams/engine).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_millis(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime (Avro timestamp-millis decodes to one). Integer
    arithmetic: `timestamp() * 1000` is a float and comes out 1 ms low for some instants."""
    return (moment - EPOCH) // timedelta(milliseconds=1)
