"""A generic webhook: the message as JSON, signed with HMAC-SHA256 so the receiver can tell it came
from the IOC and was not replayed.

Headers: `X-IOC-Timestamp` (Unix seconds), `X-IOC-Signature: sha256=<hex>` over
`<timestamp>.<body>` with the shared secret, and `Idempotency-Key` (the message id, the same on
every retry)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

from routing.channels.base import post
from routing.clock import Clock
from routing.templates import Message


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """What `X-IOC-Signature` carries; receivers recompute it to check a request."""
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def payload(message: Message) -> dict[str, Any]:
    return {
        "message_id": message.message_id,
        "subject": message.subject,
        "text": message.text,
        "alerts": [
            {
                "kind": item.kind,
                "alert_id": item.alert["alert_id"],
                "revision": item.alert["revision"],
                "state": item.alert["state"],
                "severity": item.alert["severity"],
                "category": item.alert["category"],
                "area_code": item.alert["area_code"],
                "headline_vi": item.alert["headline_vi"],
                "ack_url": item.ack_url,
            }
            for item in message.items
        ],
    }


class WebhookChannel:
    def __init__(self, client: httpx.Client, secret: bytes, clock: Clock) -> None:
        self.client, self.secret, self.clock = client, secret, clock

    def send(self, address: str, message: Message) -> None:
        body = json.dumps(payload(message), ensure_ascii=False).encode()
        timestamp = str(int(self.clock.now().timestamp()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-IOC-Timestamp": timestamp,
            "X-IOC-Signature": signature(self.secret, timestamp, body),
            "Idempotency-Key": message.message_id,
        }
        post(self.client, "webhook", address, content=body, headers=headers)
