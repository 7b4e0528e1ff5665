"""The one module that knows how to reach the Government reporting information system.

No public description of that system's interface is reachable from here, so this is a plain signed
HTTPS POST of the JSON document: when the real interface is published (its URL, authentication,
envelope), replace this module only; the outbox, ledger, payload and mapping stay.

Headers: `X-IOC-Timestamp` (Unix seconds), `X-IOC-Signature: sha256=<hex>` (HMAC-SHA256 over
`<timestamp>.<body>` with the shared secret, the webhook channel's scheme) and `Idempotency-Key`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import httpx

from routing.channels.base import DeliveryError, post
from routing.channels.webhook import signature

SERVICE = "Hệ thống thông tin báo cáo Chính phủ"


@dataclass(frozen=True)
class Outcome:
    """accepted (2xx), refused (a final 4xx: the reason is the receiver's), or failed (retry later)."""

    status: str
    reason: str = ""


class HttpTransport:
    def __init__(self, url: str, secret: bytes, timeout_s: float) -> None:
        self.url, self.secret = url, secret
        self.client = httpx.Client(timeout=timeout_s)

    def deliver(self, body: bytes, key: str, now: datetime) -> Outcome:
        timestamp = str(int(now.timestamp()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-IOC-Timestamp": timestamp,
            "X-IOC-Signature": signature(self.secret, timestamp, body),
            "Idempotency-Key": key,
        }
        try:
            post(self.client, SERVICE, self.url, content=body, headers=headers)
        except DeliveryError as error:
            return Outcome("refused" if error.permanent else "failed", str(error))
        return Outcome("accepted")

    def close(self) -> None:
        self.client.close()
