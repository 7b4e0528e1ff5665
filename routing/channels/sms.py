"""A generic HTTP SMS gateway: `POST <url>` with a bearer token and JSON `{to, text, sender}`;
any 2xx answer means the gateway took the message. SMS is short: the subject and the first alert's
acknowledgement link only."""

from __future__ import annotations

import httpx

from routing.channels.base import post
from routing.templates import NEEDS_ACK, Message


def sms_text(message: Message) -> str:
    links = [item.ack_url for item in message.items if item.kind in NEEDS_ACK][:1]
    return " ".join([message.subject, *links])


class SmsChannel:
    def __init__(self, client: httpx.Client, url: str, token: str, sender: str) -> None:
        self.client, self.url, self.token, self.sender = client, url, token, sender

    def send(self, address: str, message: Message) -> None:
        body = {
            "to": address,
            "text": sms_text(message),
            "sender": self.sender,
            "reference": message.message_id,
        }
        post(self.client, "sms", self.url, json=body, headers={"Authorization": f"Bearer {self.token}"})
