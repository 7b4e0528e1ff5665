"""Idempotency at the door: a record resent with the same event id is stored once.

The store remembers `(feed, source_id, event_id)` in a SQLite file, so it survives a gateway
restart, for `retention` (longer than the oldest event time the gateway accepts, so a resend is
either remembered or refused as too old). An id is claimed while its request is in flight (a
concurrent resend then counts as a duplicate), remembered only once the broker has acknowledged it,
and released if delivery failed, so the vendor's retry is stored.

This store is a fast answer for the sender ("duplicate"), not the guarantee. Several gateway
instances each keep their own file, so a resend that the load balancer sends to another instance
is accepted and reaches the topic twice, as does a delivery that reached the broker although its
acknowledgement was lost. Both are then stored and counted once by the guards downstream, whose
state is shared because it lives in Kafka and the warehouse: the sinks drop a row whose key the raw
table already holds (`sinks/dedup.py`, behind the raw tables' ReplacingMergeTree on event_id), and
the stream engine keeps each window's event ids (`streams/engine/upstream.py`). Tested with two
instances: `tests/integration/test_ingest_replicas.py`. A shared store here would add a round trip
to every request for no stronger guarantee.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

Key = tuple[str, str, str]  # (feed, source_id, event_id)
PURGE_EVERY_S = 600.0


class DedupStore:
    """Seen ids with their time; purged of those older than the retention every ten minutes."""

    def __init__(self, path: Path, retention_s: float, clock: Callable[[], float] = time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.retention_s = retention_s
        self.clock = clock
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS seen (feed TEXT, source_id TEXT, event_id TEXT, seen_at REAL,"
            " PRIMARY KEY (feed, source_id, event_id)) WITHOUT ROWID"
        )
        self._lock = threading.Lock()
        self._in_flight: set[Key] = set()
        self._purged_at = 0.0

    def claim(self, keys: Iterable[Key]) -> set[Key]:
        """The keys that are new (neither remembered nor in flight); they are now in flight."""
        now = self.clock()
        fresh: set[Key] = set()
        with self._lock:
            for key in keys:
                if key in self._in_flight or key in fresh:
                    continue
                row = self._db.execute(
                    "SELECT seen_at FROM seen WHERE feed=? AND source_id=? AND event_id=?", key
                ).fetchone()
                if row is None or row[0] < now - self.retention_s:
                    fresh.add(key)
            self._in_flight |= fresh
        return fresh

    def commit(self, keys: Iterable[Key]) -> None:
        """Remember acknowledged keys and end their flight."""
        now = self.clock()
        keys = list(keys)
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO seen VALUES (?, ?, ?, ?)", [(*key, now) for key in keys]
            )
            self._db.execute("COMMIT")
            self._in_flight.difference_update(keys)
            if now - self._purged_at > PURGE_EVERY_S:
                self._db.execute("DELETE FROM seen WHERE seen_at < ?", (now - self.retention_s,))
                self._purged_at = now

    def release(self, keys: Iterable[Key]) -> None:
        """Forget in-flight keys whose delivery failed, so their retry is accepted."""
        with self._lock:
            self._in_flight.difference_update(keys)

    def close(self) -> None:
        self._db.close()
