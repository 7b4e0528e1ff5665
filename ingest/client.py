"""A small client for the HTTP door, for the province simulator and for integrators' own scripts.

`send_records` retries what the gateway asks to retry (429 and 503, after their Retry-After, and
network errors), and resending is safe: records carry event ids, so the gateway stores them once.
The simulator's `GatewaySender` (load_tests/senders.py) sends through it.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any

import httpx

RETRYABLE = (429, 503)


class IngestClientError(Exception):
    """The gateway refused the request (4xx other than 429) or kept failing; `reply` is its body."""

    def __init__(self, status: int, reply: dict[str, Any]) -> None:
        super().__init__(f"HTTP {status}: {reply.get('error', '')} {reply.get('message', '')}".strip())
        self.status = status
        self.reply = reply


def to_json(value: Any) -> Any:
    """Python values to the JSON the gateway documents: times as ISO 8601 with their zone."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: give it a zone (UTC on the wire)")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return value


def send_records(
    base_url: str,
    api_key: str,
    feed: str,
    records: list[dict[str, Any]],
    *,
    source_id: str,
    attempts: int = 5,
    timeout_s: float = 30.0,
    http: httpx.Client | None = None,
) -> dict[str, Any]:
    """Send records of one feed (`camera.vehicle-counts`) as `source_id`; returns the gateway's reply.

    A 207/422 reply (some or all records rejected) is returned, not raised: the caller reads
    `rejected`. Other refusals raise IngestClientError.
    """
    url = f"{base_url.rstrip('/')}/v1/feeds/{feed.replace('.', '/', 1)}"
    body = {"source_id": source_id, "records": to_json(records)}
    owned = http is None
    client = http or httpx.Client(timeout=timeout_s)
    try:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = client.post(url, json=body, headers={"X-API-Key": api_key})
            except httpx.TransportError:
                if attempt == attempts:
                    raise
                time.sleep(min(2**attempt, 30))
                continue
            reply: dict[str, Any] = response.json()
            if response.status_code in RETRYABLE and attempt < attempts:
                time.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            if response.status_code in (200, 207) or (response.status_code == 422 and "rejected" in reply):
                return reply
            raise IngestClientError(response.status_code, reply)
    finally:
        if owned:
            client.close()
