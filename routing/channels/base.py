"""What every channel shares: the send contract, the error that says whether a retry can help, and
the per-channel rate limit."""

from __future__ import annotations

from typing import Protocol

import httpx

from routing.clock import Clock
from routing.templates import Message


class DeliveryError(Exception):
    """A message the channel did not take. `permanent` when retrying cannot help (a refused
    recipient, a bad token): the router then escalates at once instead of retrying."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Channel(Protocol):
    def send(self, address: str, message: Message) -> None:
        """Deliver or raise DeliveryError."""


def check_http(response: httpx.Response, service: str) -> None:
    """HTTP answers as delivery results: 2xx taken; 408, 429 and 5xx worth a retry; other 4xx final."""
    if response.is_success:
        return
    retry = response.status_code in (408, 429) or response.status_code >= 500
    raise DeliveryError(
        f"{service} answered HTTP {response.status_code}: {response.text[:200]}", permanent=not retry
    )


def post(client: httpx.Client, service: str, url: str, **kwargs: object) -> httpx.Response:
    """A POST whose transport failures (refused, timeout) become retryable delivery errors."""
    try:
        response = client.post(url, **kwargs)  # type: ignore[arg-type]
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{service} unreachable: {exc!r}") from exc
    check_http(response, service)
    return response


class RateLimit:
    """A token bucket per channel: at most `per_minute` messages a minute, with bursts up to that
    many, measured on the router's clock."""

    def __init__(self, per_minute: int, clock: Clock) -> None:
        self.capacity = float(per_minute)
        self.tokens = float(per_minute)
        self.clock = clock
        self.updated = clock.now()

    def take(self) -> bool:
        now = self.clock.now()
        elapsed = (now - self.updated).total_seconds()
        self.updated = now
        self.tokens = min(self.capacity, self.tokens + elapsed * self.capacity / 60.0)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False
