"""The outbox: every report whose period ended in the last `upward_horizon_days` without a final answer (accepted or
refused) from the Government reporting information system, sent oldest first; a failure (timeout,
refused connection, 5xx, 408, 429) is tried again after a growing pause, for as long as it takes.
Every attempt is a row of `report_deliveries`; an accepted or refused report is never sent again,
and every attempt of one report carries the same idempotency key, so a receiver that accepted an
attempt whose answer was lost drops the repeat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from clickhouse_connect.driver.client import Client

from ioc.settings import ReportSettings
from reports import store
from reports.store import Attempts
from reports.upward.mapping import Mapping
from reports.upward.payload import build_payload, encode, idempotency_key
from reports.upward.transport import Outcome

DESTINATION = "government"


class Transport(Protocol):
    def deliver(self, body: bytes, key: str, now: datetime) -> Outcome: ...


def next_try(history: Attempts, base_s: float, cap_s: float) -> datetime | None:
    """When a report that failed `history.count` times may be tried again (None: now)."""
    if history.last_at is None or history.count == 0:
        return None
    pause = min(cap_s, base_s * 2 ** (history.count - 1))
    return history.last_at + timedelta(seconds=pause)


@dataclass(frozen=True)
class Sent:
    report_id: str
    attempt: int
    outcome: Outcome


def drain(
    client: Client,
    transport: Transport,
    mapping: Mapping,
    settings: ReportSettings,
    *,
    province_code: str,
    province_vi: str,
    now: datetime,
) -> list[Sent]:
    """Send what is due in the outbox once; returns what was tried."""
    pending = store.ended_since(client, now - timedelta(days=settings.upward_horizon_days))
    pending = [r for r in pending if r.pdf_path]  # a report is finished once printed
    history = store.attempts(client, DESTINATION, [r.report_id for r in pending])
    tried = []
    for report in pending:
        past = history.get(report.report_id, Attempts(0, False, None))
        due = next_try(past, settings.upward_retry_base_s, settings.upward_retry_max_s)
        if past.final or (due is not None and due > now):
            continue
        document, unmapped = build_payload(report, mapping, province_code, province_vi)
        key = idempotency_key(province_code, report.report_id)
        outcome = transport.deliver(encode(document), key, now)
        reason = outcome.reason
        if unmapped:
            reason = f"{reason}; " if reason else ""
            reason += f"unmapped indicators not sent: {', '.join(unmapped)}"
        store.record_delivery(
            client, report_id=report.report_id, destination=DESTINATION, address=getattr(transport, "url", ""),
            idempotency_key=key, attempt=past.count + 1, status=outcome.status, reason=reason, at=now,
        )  # fmt: skip
        tried.append(Sent(report.report_id, past.count + 1, outcome))
    return tried
