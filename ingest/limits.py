"""Per-key request rate: a token bucket per key, so a misbehaving sender slows only itself.

The bucket refills at the key's rate (divided among the live gateway instances, each taking its
share: `ingest/members.py`) and holds at most `burst` tokens: a vendor that sends a burst
after a reconnect is served, one that sends too fast for long gets 429 with the wait until the next
token. Request size is limited by the HTTP layer before the body is read (see `http_app.py`).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets by key id; thread-safe (requests are served from a thread pool)."""

    def __init__(self, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, key_id: str, rate_per_s: float, burst: float | None = None) -> float:
        """0 when the request may go ahead; otherwise the seconds to wait before the next one.

        `burst` (default: the limiter's) caps the bucket; an instance sharing a key's rate with
        others passes its share of both (see `ingest/members.py`).
        """
        now = self.clock()
        cap = float(self.burst if burst is None else burst)
        with self._lock:
            bucket = self._buckets.setdefault(key_id, _Bucket(cap, now))
            bucket.tokens = min(cap, bucket.tokens + (now - bucket.updated) * rate_per_s)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / rate_per_s


def retry_after_header(wait_s: float) -> str:
    """Retry-After takes whole seconds; round up so a client that obeys it is served."""
    return str(max(1, math.ceil(wait_s)))
