"""The warehouse side of reports: the `reports` table (what was generated) and `report_deliveries`
(every attempt to deliver one, by e-mail or upward), migrations 160 and 161."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from clickhouse_connect.driver.client import Client

from reports.render import Written

REPORT_COLUMNS = [
    "report_id", "kind", "form_code", "period_start", "period_end", "generated_at", "title", "html_path",
    "pdf_path", "pdf_sha256", "figures", "missing",
]  # fmt: skip
DELIVERY_COLUMNS = [
    "delivery_id", "report_id", "destination", "address", "idempotency_key", "attempt", "status", "reason",
    "attempted_at",
]  # fmt: skip
# Outcomes after which a report is not sent to that destination again.
FINAL = ("accepted", "refused", "sent")


@dataclass(frozen=True)
class StoredReport:
    """A row of `reports` (its newest generation)."""

    report_id: str
    kind: str
    form_code: str
    period_start: datetime
    period_end: datetime
    generated_at: datetime
    title: str
    html_path: str
    pdf_path: str
    pdf_sha256: str
    figures: dict[str, float]
    missing: list[str]


class Recordable(Protocol):
    """What a report kind (DailyBrief, PeriodReport) gives the `reports` table."""

    report_id: str
    kind: str
    form_code: str
    start: datetime
    end: datetime
    generated_at: datetime
    title_vi: str

    def figures(self) -> dict[str, float]: ...

    def missing(self) -> list[str]: ...


def record_report(client: Client, report: Recordable, files: Written) -> None:
    client.insert(
        "reports",
        [[
            report.report_id, report.kind, report.form_code, report.start, report.end, report.generated_at,
            report.title_vi, str(files.html_path), str(files.pdf_path or ""), files.pdf_sha256, report.figures(),
            report.missing(),
        ]],
        column_names=REPORT_COLUMNS,
    )  # fmt: skip


def utc(moment: datetime) -> datetime:
    """clickhouse-connect gives some DateTime64 results (aggregates) without their zone: they are UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _report(row: dict[str, Any]) -> StoredReport:
    values = {k: row[k] for k in REPORT_COLUMNS}
    for key in ("period_start", "period_end", "generated_at"):
        values[key] = utc(values[key])
    return StoredReport(**values)


def find(client: Client, report_id: str) -> StoredReport | None:
    """The newest generation of one report, or None when it was never generated."""
    result = client.query(
        f"SELECT {', '.join(REPORT_COLUMNS)} FROM reports FINAL "  # noqa: S608 - constant column list
        "WHERE report_id = {id:String}",
        parameters={"id": report_id},
    )
    return next((_report(row) for row in result.named_results()), None)


def ended_since(client: Client, since: datetime) -> list[StoredReport]:
    """Each report whose period ends at or after `since` (newest generation), oldest period first:
    the outbox's horizon, so a quarter's or a year's report, whose period began long ago, is sent too."""
    result = client.query(
        f"SELECT {', '.join(REPORT_COLUMNS)} FROM reports FINAL "  # noqa: S608 - constant column list
        "WHERE period_end >= {since:DateTime64(3)} ORDER BY period_start, report_id",
        parameters={"since": since},
    )
    return [_report(row) for row in result.named_results()]


def printed(client: Client, report_ids: list[str]) -> set[str]:
    """Which of `report_ids` have been generated with a PDF: the schedule makes the others, so a
    report made again by hand (data corrected late) is not made, nor e-mailed, again by the schedule."""
    if not report_ids:
        return set()
    result = client.query(
        "SELECT report_id FROM reports FINAL WHERE report_id IN {ids:Array(String)} AND pdf_path != ''",
        parameters={"ids": report_ids},
    )
    return {row[0] for row in result.result_rows}


def daily_done(client: Client, days: list[date]) -> set[date]:
    """Which of `days` already have a daily brief with a PDF."""
    done = printed(client, [f"daily:{d.isoformat()}" for d in days])
    return {date.fromisoformat(report_id.removeprefix("daily:")) for report_id in done}


@dataclass(frozen=True)
class Attempts:
    """What the ledger says about one report at one destination."""

    count: int
    final: bool
    last_at: datetime | None


def attempts(client: Client, destination: str, report_ids: list[str]) -> dict[str, Attempts]:
    result = client.query(
        "SELECT report_id, count(), countIf(status IN {final:Array(String)}) > 0, max(attempted_at) "
        "FROM report_deliveries FINAL WHERE destination = {d:String} AND report_id IN {ids:Array(String)} "
        "GROUP BY report_id",
        parameters={"final": list(FINAL), "d": destination, "ids": report_ids},
    )
    return {row[0]: Attempts(row[1], bool(row[2]), utc(row[3])) for row in result.result_rows}


def record_delivery(
    client: Client,
    *,
    report_id: str,
    destination: str,
    address: str,
    idempotency_key: str,
    attempt: int,
    status: str,
    reason: str = "",
    at: datetime | None = None,
) -> None:
    client.insert(
        "report_deliveries",
        [[
            uuid.uuid4().hex, report_id, destination, address, idempotency_key, attempt, status, reason[:2000],
            at or datetime.now(UTC),
        ]],
        column_names=DELIVERY_COLUMNS,
    )  # fmt: skip
