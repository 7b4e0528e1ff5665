"""What every generator yields: one record for one feed, from one source, due to be sent at a moment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from topics.catalog import TopicSpec


@dataclass(order=True)
class Emission:
    """A record and where it goes. Ordered by `send_at` (then a sequence number), so a heap of them
    yields the province's traffic in the order a real network would deliver it, faults included."""

    send_at: datetime
    sequence: int
    feed: TopicSpec = field(compare=False)
    source_id: str = field(compare=False)
    record: dict[str, Any] = field(compare=False)
    # Set by the fault injector, for reports and tests; never sent.
    fault: str = field(default="", compare=False)


def event_id(kind: str, device: str, moment: datetime, n: int = 0) -> str:
    """A reproducible id that differs between runs at different times (the warehouse dedups on it)."""
    return f"{kind}-{device}-{int(moment.timestamp() * 1000)}-{n}"
