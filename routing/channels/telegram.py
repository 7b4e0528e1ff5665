"""Telegram Bot API: `POST <base>/bot<token>/sendMessage` with the officer's chat id."""

from __future__ import annotations

import httpx

from routing.channels.base import DeliveryError, post
from routing.templates import Message

# Telegram refuses longer texts.
MAX_TEXT = 4096


class TelegramChannel:
    def __init__(self, client: httpx.Client, base_url: str, token: str) -> None:
        self.client, self.url = client, f"{base_url.rstrip('/')}/bot{token}/sendMessage"

    def send(self, address: str, message: Message) -> None:
        text = f"{message.subject}\n\n{message.text}"[:MAX_TEXT]
        answer = post(self.client, "telegram", self.url, json={"chat_id": address, "text": text}).json()
        if not answer.get("ok", False):
            raise DeliveryError(f"telegram refused: {answer.get('description', answer)}", permanent=True)
