"""The broker stops and comes back while a vendor keeps sending: every request is answered 200 or
503 + Retry-After, and every record answered 200 is on the topic afterwards."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from ingest.keys import KeyStore
from ingest.server import BackgroundServer
from ingest.wiring import connect_gateway
from ioc.stack.ports import free_port
from tests.integration.conftest import RunningStack
from tests.integration.helpers import wait_for
from tests.integration.test_ingest_http import event_ids, gateway_settings, read_topic
from topics.catalog import SENSOR_RAINFALL


class Vendor:
    """Sends batches of rainfall readings in a loop, remembering what each answer said."""

    def __init__(self, url: str, key: str) -> None:
        self.url = f"{url}/v1/feeds/sensor/rainfall"
        self.key = key
        self.source = f"RAIN-{uuid.uuid4().hex[:8]}"
        self.accepted: list[str] = []
        self.statuses: list[int] = []
        self.retry_after: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=60) as http:
            batch = 0
            while not self.stop.is_set():
                batch += 1
                ids = [f"{self.source}-{batch}-{i}" for i in range(10)]
                now = datetime.now(UTC).isoformat()
                records = [
                    {
                        "event_id": i,
                        "device_id": "RG-1",
                        "observed_at": now,
                        "interval_seconds": 300,
                        "rainfall_mm": 1.5,
                    }
                    for i in ids
                ]
                response = http.post(
                    self.url,
                    json={"source_id": self.source, "records": records},
                    headers={"X-API-Key": self.key},
                )
                self.statuses.append(response.status_code)
                if response.status_code == 200:
                    self.accepted += ids
                elif response.status_code == 503:
                    self.retry_after.append(response.headers.get("Retry-After", ""))
                    self.stop.wait(0.5)
                self.stop.wait(0.05)


def test_no_accepted_record_is_missing_after_a_broker_restart(
    local_stack: RunningStack, tmp_path: Path
) -> None:
    settings = gateway_settings(local_stack, tmp_path, delivery_timeout_s=3, rate_per_key_per_s=1e6)
    keys = KeyStore([])
    secret = keys.add("rain", ["sensor.rainfall"], ["RAIN-*"])
    server = BackgroundServer(connect_gateway(settings), keys, settings, port=free_port()).start()
    vendor = Vendor(server.url, secret)
    try:
        vendor.thread.start()
        wait_for(lambda: len(vendor.accepted), lambda n: n >= 50, 30, 0.2)
        local_stack.stack.stop_service("kafka")
        wait_for(lambda: vendor.statuses.count(503), lambda n: n >= 2, 60, 0.5)
        accepted_while_down = len(vendor.accepted)
        local_stack.stack.start_service("kafka")
        wait_for(lambda: len(vendor.accepted), lambda n: n >= accepted_while_down + 50, 120, 0.5)
    finally:
        vendor.stop.set()
        vendor.thread.join(60)
        server.stop()
    assert set(vendor.statuses) <= {200, 503}, vendor.statuses
    assert vendor.retry_after and set(vendor.retry_after) == {"2"}
    stored = event_ids(read_topic(local_stack, SENSOR_RAINFALL, vendor.source))
    assert set(vendor.accepted) - set(stored) == set()
