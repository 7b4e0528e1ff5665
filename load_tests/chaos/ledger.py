"""The chaos run's ledger: every record a gateway acknowledged, so the checks need only it and ClickHouse.

A record enters the ledger when a gateway answered its request 200/207 and did not list it among
the rejected: from then on the platform owes it to the raw table once, and to its windows' totals.
Vehicle counts also keep what the minute totals need (camera, event minute, vehicles).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from topics.catalog import CAMERA_VEHICLE_COUNTS

MINUTE_MS = 60_000


@dataclass(frozen=True)
class Entry:
    """One acknowledged record: its feed (unprefixed topic name) and when it was acknowledged."""

    feed: str
    acked_at: float  # epoch seconds


@dataclass(frozen=True)
class Count:
    """What a vehicle-count record adds to its camera's minute."""

    camera_id: str
    minute_ms: int
    vehicles: int


class Ledger:
    """Acknowledged records by event id; written by the load driver's thread, read by the checks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.entries: dict[str, Entry] = {}
        self.counts: dict[str, Count] = {}

    def acknowledge(self, feed: str, records: list[dict[str, object]], acked_at: float) -> None:
        with self._lock:
            for record in records:
                event_id = str(record["event_id"])
                self.entries.setdefault(event_id, Entry(feed, acked_at))
                if feed == CAMERA_VEHICLE_COUNTS.name:
                    observed = record["observed_at"]
                    assert isinstance(observed, datetime)  # noqa: S101 - the simulator's own records
                    minute = int(observed.timestamp() * 1000) // MINUTE_MS * MINUTE_MS
                    self.counts[event_id] = Count(
                        str(record["camera_id"]), minute, int(str(record["vehicle_count"]))
                    )

    def by_feed(self) -> dict[str, list[str]]:
        with self._lock:
            grouped: dict[str, list[str]] = defaultdict(list)
            for event_id, entry in self.entries.items():
                grouped[entry.feed].append(event_id)
            return dict(grouped)

    def acked_between(self, start: float, end: float) -> set[str]:
        with self._lock:
            return {event_id for event_id, entry in self.entries.items() if start <= entry.acked_at < end}

    def first_after(self, since: float, limit: int) -> list[str]:
        """The first `limit` vehicle-count ids acknowledged after `since` (the recovery probe's
        sample: once they are stored and counted, what the fault held up has come through)."""
        with self._lock:
            fresh = [
                (e.acked_at, i) for i, e in self.entries.items() if e.acked_at >= since and i in self.counts
            ]
        return [event_id for _, event_id in sorted(fresh)[:limit]]

    def __len__(self) -> int:
        return len(self.entries)
