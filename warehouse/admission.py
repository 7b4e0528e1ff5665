"""How many queries each user has running, and the refusal of one more than its limit.

In chDB every connection is the same engine user, so the engine's own
`max_concurrent_queries_for_user` would count the sinks' inserts against a reader; the front counts
per authenticated user instead, and answers as a ClickHouse server does past the limit:
TOO_MANY_SIMULTANEOUS_QUERIES (202) before the query starts, naming the limit. Queries are not
queued: a client told "too many" retries or waits, as it would with a server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from warehouse.errors import ClickHouseError

TOO_MANY_SIMULTANEOUS_QUERIES = 202


class RunningQueries:
    """A count of running queries per user, safe to share between request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[str, int] = {}

    def running(self, user: str) -> int:
        with self._lock:
            return self._running.get(user, 0)

    @contextmanager
    def admit(self, user: str, limit: int) -> Iterator[None]:
        """Hold one of the user's `limit` places (0: no limit) while the block runs."""
        with self._lock:
            current = self._running.get(user, 0)
            if 0 < limit <= current:
                raise ClickHouseError(
                    TOO_MANY_SIMULTANEOUS_QUERIES,
                    "TOO_MANY_SIMULTANEOUS_QUERIES",
                    f"Too many simultaneous queries for user {user}. Current: {current}, maximum: "
                    f"{limit} (max_concurrent_queries_for_user)",
                )
            self._running[user] = current + 1
        try:
            yield
        finally:
            with self._lock:
                self._running[user] -= 1
