"""Generating, sending and exporting reports, once (`ioc report …`) or on a schedule (`ioc report
serve`, and a thread of `ioc run`).

The schedule is a loop in the platform rather than a cron line because the platform already runs
its long-lived parts this way (router, gateway, workers under `ioc run` and compose), the loop reads
the `reports` table to find days whose brief is missing (so a day missed while it was down is made
up), and the same loop drains the upward outbox, whose retries need a clock anyway.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from ioc.endpoints import resolve
from ioc.forms import province_forms
from ioc.province import load_province
from ioc.settings import Settings
from reports import mail, store
from reports.daily import build_daily
from reports.model import DailyBrief
from reports.period import build_period
from reports.period_model import PeriodReport
from reports.render import Written, daily_html, period_html, write_files
from reports.upward.exporter import Sent, drain
from reports.upward.mapping import load_mapping
from reports.upward.transport import HttpTransport
from warehouse.users import WRITER, client_auth

log = logging.getLogger(__name__)
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def warehouse(settings: Settings) -> Client:
    """The writer's client: the brief reads every table and records itself in `reports`."""
    return clickhouse_connect.get_client(
        dsn=resolve(settings, need=("clickhouse",)).clickhouse,
        database=settings.clickhouse.database,
        **client_auth(settings, WRITER),
    )


def runner(client: Client) -> Any:
    def run(sql: str, parameters: dict[str, Any]) -> list[dict[str, Any]]:
        return list(client.query(sql, parameters=parameters or None).named_results())

    return run


def generate_daily(
    client: Client, settings: Settings, day: date, out_dir: Path, *, pdf: bool = True
) -> tuple[DailyBrief, Written]:
    """Build, write (HTML, and PDF when `pdf`) and record the brief of the local `day`."""
    brief = build_daily(runner(client), day)
    files = write_files(brief.report_id, daily_html(brief), out_dir, settings.browser if pdf else None)
    store.record_report(client, brief, files)
    return brief, files


def generate_period(
    client: Client, settings: Settings, form_code: str, name: str, out_dir: Path, *, pdf: bool = True
) -> tuple[PeriodReport, Written]:
    """Build, write and record the Decree 09 report of form `form_code` for its period `name`."""
    report = build_period(
        runner(client), province_forms(settings), load_province(settings.province_file), form_code, name
    )
    files = write_files(report.report_id, period_html(report), out_dir, settings.browser if pdf else None)
    store.record_report(client, report, files)
    return report, files


def send_daily(client: Client, settings: Settings, day: date) -> dict[str, str]:
    """E-mail the stored brief of `day` to IOC_REPORTS_RECIPIENTS (each address once)."""
    report_id = f"daily:{day.isoformat()}"
    found = [r for r in store.reports_since(client, datetime.combine(day, time(0), VN) - timedelta(days=1))
             if r.report_id == report_id]  # fmt: skip
    if not found:
        raise LookupError(f"no daily brief for {day:%d/%m/%Y} in the reports table: generate it first")
    return mail.send_report(client, mail.email_channel(settings), found[0], mail.recipients(settings))


def export(client: Client, settings: Settings, now: datetime | None = None) -> list[Sent]:
    """Drain the upward outbox once; nothing is sent while IOC_REPORTS_UPWARD_URL is empty."""
    if not settings.reports.upward_url:
        return []
    province = load_province(settings.province_file)
    transport = HttpTransport(
        settings.reports.upward_url,
        settings.reports.upward_secret.get_secret_value().encode(),
        settings.reports.upward_timeout_s,
    )
    try:
        return drain(
            client, transport, load_mapping(settings.reports.national_codes), settings.reports,
            province_code=province.code, province_vi=province.name_vi, now=now or datetime.now(UTC),
        )  # fmt: skip
    finally:
        transport.close()


def due_days(now: datetime, daily_at: str, catch_up_days: int) -> list[date]:
    """The local days whose brief should exist by `now`: yesterday once `daily_at` (local) has
    passed, and the `catch_up_days` days before it."""
    local = now.astimezone(VN)
    hour, minute = (int(part) for part in daily_at.split(":"))
    latest = local.date() - timedelta(days=1 if local.time() >= time(hour, minute) else 2)
    return [latest - timedelta(days=back) for back in range(catch_up_days, -1, -1)]


def tick(client: Client, settings: Settings, now: datetime) -> None:
    """One pass of the schedule: missing briefs made and e-mailed, then the outbox drained."""
    days = due_days(now, settings.reports.daily_at, settings.reports.catch_up_days)
    for day in sorted(set(days) - store.daily_done(client, days)):
        generate_daily(client, settings, day, settings.reports.out_dir)
        log.info("daily brief for %s generated", day)
        if mail.recipients(settings):
            log.info("daily brief for %s e-mailed: %s", day, send_daily(client, settings, day))
    for sent in export(client, settings, now):
        log.info("report %s upward, attempt %d: %s", sent.report_id, sent.attempt, sent.outcome)


def run_schedule(settings: Settings, stop: threading.Event) -> None:
    """Until `stop`: a pass every IOC_REPORTS_CHECK_INTERVAL_S; a failing pass is logged and retried."""
    client: Client | None = None
    while not stop.is_set():
        try:
            client = client or warehouse(settings)
            tick(client, settings, datetime.now(UTC))
        except Exception:  # the schedule must outlive a warehouse restart or a browser failure
            log.exception(
                "report schedule pass failed; trying again in %ss", settings.reports.check_interval_s
            )
            client = None
        stop.wait(settings.reports.check_interval_s)


def start_report_schedule(settings: Settings, stop: threading.Event) -> threading.Thread:
    """For `ioc run`: the schedule in a thread, e-mail through the demo router's log channel, and no
    catching up (a fresh demo has no earlier days to report)."""
    demo = settings.model_copy(
        update={
            "routing": settings.routing.model_copy(update={"delivery": "log"}),
            "reports": settings.reports.model_copy(update={"catch_up_days": 0}),
        }
    )
    thread = threading.Thread(target=run_schedule, args=(demo, stop), name="report-schedule", daemon=True)
    thread.start()
    return thread
