"""The audit log of queries: who ran what, when, how much it read and how it ended.

Every request to the HTTP interface (refused logins included) becomes one row of
`restricted_audit_queries` (migration 102), which only auditors and the writer may read
(warehouse.roles) and no user of the HTTP interface can change: readers are read-only, and the rows
are written by this process on a connection of its own, never through the front.

Writing a row per query would add an insert to every query; rows are queued instead and written
by one thread in batches (every `flush_interval_s`, or sooner once `batch_rows` are waiting), so
a query pays for a `deque.append`. Should the backlog reach `max_backlog` (the engine refusing the
inserts), the front refuses new queries rather than let them go unrecorded.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

import chdb

from warehouse.errors import ClickHouseError
from warehouse.quoting import quote_identifier
from warehouse.roles import AUDIT_TABLE

log = logging.getLogger(__name__)
# A query text is kept whole up to this many characters (an INSERT's data is never part of it).
MAX_QUERY_CHARS = 65536


@dataclass
class AuditEntry:
    """One request as the audit log keeps it; `outcome` is `ok` or ClickHouse's error name."""

    event_time: str
    user: str
    role: str
    client: str
    query_id: str
    query: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    read_rows: int = 0
    read_bytes: int = 0
    written_rows: int = 0
    duration_ms: int = 0
    outcome: str = "ok"
    error_code: int = 0

    @classmethod
    def start(cls, user: str, role: str, client: str, query_id: str) -> AuditEntry:
        """An entry stamped now (UTC, milliseconds)."""
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        return cls(now, user[:128], role, client, query_id)

    def finish(self, summary: dict[str, str], error: ClickHouseError | None, duration_s: float) -> None:
        """Fill in what the query read and how it ended."""
        self.read_rows = int(summary.get("read_rows", 0))
        self.read_bytes = int(summary.get("read_bytes", 0))
        self.written_rows = int(summary.get("written_rows", 0))
        self.duration_ms = int(duration_s * 1000)
        if error is not None:
            self.outcome, self.error_code = error.name or "UNKNOWN", error.code


_COLUMNS = tuple(column.name for column in fields(AuditEntry))


def audit_unavailable() -> ClickHouseError:
    """The refusal when queries could no longer be recorded (ClickHouse has no such error: 1002 is
    its UNKNOWN_EXCEPTION, with a name that says what happened)."""
    return ClickHouseError(
        1002, "AUDIT_LOG_UNAVAILABLE", "the audit log of queries cannot be written; no query runs unrecorded"
    )


class AuditLog:
    """The queue of entries and the thread that writes them to the engine at `path`."""

    def __init__(
        self,
        path: str,
        database: str,
        flush_interval_s: float = 1.0,
        batch_rows: int = 1000,
        max_backlog: int = 100_000,
    ) -> None:
        self._conn: Any = chdb.connect(path)
        self._statement = f"INSERT INTO {quote_identifier(database)}.{AUDIT_TABLE} ({', '.join(_COLUMNS)})"
        self._interval = flush_interval_s
        self._batch_rows = batch_rows
        self._max_backlog = max_backlog
        self._queue: deque[AuditEntry] = deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-log", daemon=True)
        self._thread.start()

    @property
    def full(self) -> bool:
        """Whether the backlog is at its bound (new queries are then refused)."""
        return len(self._queue) >= self._max_backlog

    def record(self, entry: AuditEntry) -> None:
        """Queue an entry; the caller does not wait for it to be written."""
        entry.query = entry.query[:MAX_QUERY_CHARS]
        self._queue.append(entry)
        if len(self._queue) >= self._batch_rows:
            self._wake.set()

    def close(self) -> None:
        """Write what is queued and stop the thread."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)
        self._conn.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            self._flush()
        self._flush()

    def _flush(self) -> None:
        """Write every queued entry, in batches; on failure they stay queued for the next try."""
        while self._queue:
            batch = [self._queue[i] for i in range(min(len(self._queue), self._batch_rows))]
            rows = "".join(json.dumps(asdict(entry), ensure_ascii=False) + "\n" for entry in batch)
            try:
                inserter = self._conn.send_insert(self._statement, "JSONEachRow")
                inserter.append(rows.encode())
                inserter.finish()
            except Exception:  # the engine's own errors; kept queued, the front refuses once full
                log.exception("could not write %d audit entries; %d queued", len(batch), len(self._queue))
                return
            for _ in batch:
                self._queue.popleft()
