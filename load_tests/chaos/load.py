"""Steady load through the gateways (paced by `load_tests.pacing.run_live`), as a vendor's client behind a load balancer would send it.

The province simulator's records go out on the wall clock, in batch envelopes, to the gateways in
turn; a request that fails (connection refused or reset, 503 while the broker is away, 429) is sent
again as it was, to the next gateway, until one acknowledges it: a client that gives up would make
"lost" meaningless. What is acknowledged goes into the ledger.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from ingest.client import to_json
from ingest.feeds import feed_name
from load_tests.chaos.ledger import Ledger
from topics.catalog import TopicSpec

RETRY_PAUSE_S = 0.5


class FailoverSender:
    """A `Sender` (load_tests/senders.py) over several gateway URLs; counts what had to be sent again."""

    def __init__(self, urls: list[str], api_key: str, ledger: Ledger, stop: threading.Event) -> None:
        self.urls = urls
        self.api_key = api_key
        self.ledger = ledger
        self.stop = stop
        self.http = httpx.Client(timeout=30.0)
        self.records_sent = 0
        self.resent = 0
        self.rejected = 0
        self._turn = 0

    def send(self, feed: TopicSpec, source_id: str, records: list[dict[str, Any]]) -> None:
        path = f"/v1/feeds/{feed_name(feed).replace('.', '/', 1)}"
        body = {"source_id": source_id, "records": to_json(records)}
        failures = 0
        while not self.stop.is_set():
            url = self.urls[self._turn % len(self.urls)] + path
            self._turn += 1
            try:
                response = self.http.post(url, json=body, headers={"X-API-Key": self.api_key})
            except httpx.TransportError:
                response = None
            # 422 with `rejected`: every record broke a rule (old reports of past periods do); none stored.
            answered = response is not None and (
                response.status_code in (200, 207)
                or (response.status_code == 422 and "rejected" in response.json())
            )
            if response is not None and answered:
                rejected = {item["index"] for item in response.json().get("rejected", [])}
                self.rejected += len(rejected)
                kept = [record for i, record in enumerate(records) if i not in rejected]
                self.ledger.acknowledge(feed.name, kept, time.time())
                self.records_sent += len(records)
                return
            if response is not None and response.status_code not in (429, 503):
                raise RuntimeError(
                    f"gateway refused a batch of {feed.name}: {response.status_code} {response.text}"
                )
            self.resent += len(records)
            failures += 1
            if failures % len(self.urls) == 0:  # every gateway refused: give them a moment
                self.stop.wait(RETRY_PAUSE_S)

    def flush(self, timeout_s: float = 30.0) -> int:
        return 0
