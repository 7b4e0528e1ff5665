"""The demo channel: every message is written to the router's log instead of being sent, so the
embedded platform shows routing working without any mail server or bot account."""

from __future__ import annotations

import logging

from routing.templates import Message

log = logging.getLogger("routing.delivery")


class LogChannel:
    def __init__(self, name: str) -> None:
        self.name = name

    def send(self, address: str, message: Message) -> None:
        log.info("[%s → %s] %s\n%s", self.name, address, message.subject, message.text)
