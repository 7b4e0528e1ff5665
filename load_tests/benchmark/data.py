"""The benchmark's input: the province's vehicle-count batches, generated once per event-time minute
from the same seed and encoded once, so every pipeline gets exactly the same bytes.

Records of the minute that just ended are sent during the current one (every camera reports its
last minute), so no pipeline ever sees them as late; messages of a minute are reused round-robin
when the offered rate asks for more than the province produces.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from ioc.province import Province
from ioc.serde import AvroEncoder
from load_tests.cameras import CameraFeeds, CameraRates, sim_cameras
from topics.catalog import CAMERA_VEHICLE_COUNTS

RECORDS_PER_MESSAGE = 100
Message = tuple[bytes, bytes]  # (key, value)


class TrafficData:
    """Encoded batches per minute, as a vendor's VMS would send them (one source per area)."""

    def __init__(self, province: Province, seed: int, encoder: AvroEncoder) -> None:
        self.cameras = sim_cameras(province, random.Random(f"{seed}-layout"), None)
        self.seed = seed
        self.encoder = encoder
        self._minutes: dict[datetime, list[tuple[Message, int]]] = {}

    def messages(self, now: datetime) -> list[tuple[Message, int]]:
        """(message, records in it) for the minute before `now`'s minute."""
        end = now.astimezone(UTC).replace(second=0, microsecond=0)
        if end not in self._minutes:
            self._minutes = {
                minute: m for minute, m in self._minutes.items() if minute >= end - timedelta(minutes=1)
            }
            self._minutes[end] = self._encode(end)
        return self._minutes[end]

    def _encode(self, end: datetime) -> list[tuple[Message, int]]:
        # The same seed and minute give the same records, whichever pipeline asks first.
        feeds = CameraFeeds(
            self.cameras, random.Random(f"{self.seed}-{end.isoformat()}"), CameraRates(outage_per_min=0)
        )
        by_source: dict[str, list[dict[str, object]]] = defaultdict(list)
        for feed, source, record in feeds.minute(end):
            if feed is CAMERA_VEHICLE_COUNTS:
                by_source[source].append(record)
        out = []
        sent_at = datetime.now(UTC)
        for source, records in by_source.items():
            for i in range(0, len(records), RECORDS_PER_MESSAGE):
                chunk = records[i : i + RECORDS_PER_MESSAGE]
                value = self.encoder.encode({"source_id": source, "sent_at": sent_at, "records": chunk})
                out.append(((source.encode(), value), len(chunk)))
        return out

    def probe(self, camera_id: str, now: datetime) -> bytes:
        """One message with one record of a camera that exists only to be looked for in ClickHouse.

        Its event time is in the same minute as the data sent with it: a probe stamped "now" would
        move the province's watermark ahead of the data and make the platform count that data late."""
        at = now.astimezone(UTC).replace(second=0, microsecond=0) - timedelta(milliseconds=1)
        record = {
            "event_id": f"PROBE-{camera_id}",
            "camera_id": camera_id,
            "observed_at": at,
            "interval_seconds": 60,
            "lane": 1,
            "vehicle_class": "car",
            "vehicle_count": 1,
            "average_speed_kmh": 40.0,
        }
        return self.encoder.encode({"source_id": "BENCH-PROBE", "sent_at": at, "records": [record]})
