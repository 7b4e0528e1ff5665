"""Zalo Official Account API (v3): `POST <base>/v3.0/oa/message/cs` with the OA's `access_token`
header and the officer's Zalo user id (the officer must follow the province's OA).

Zalo answers HTTP 200 with `{"error": 0}` on success and a non-zero `error` otherwise."""

from __future__ import annotations

import httpx

from routing.channels.base import DeliveryError, post
from routing.templates import Message

# Zalo's limit for a text message.
MAX_TEXT = 2000


class ZaloChannel:
    def __init__(self, client: httpx.Client, base_url: str, access_token: str) -> None:
        self.client, self.url, self.token = client, f"{base_url.rstrip('/')}/v3.0/oa/message/cs", access_token

    def send(self, address: str, message: Message) -> None:
        body = {
            "recipient": {"user_id": address},
            "message": {"text": f"{message.subject}\n\n{message.text}"[:MAX_TEXT]},
        }
        answer = post(self.client, "zalo", self.url, json=body, headers={"access_token": self.token}).json()
        if answer.get("error", -1) != 0:
            raise DeliveryError(f"zalo refused: {answer.get('error')} {answer.get('message', '')}")
