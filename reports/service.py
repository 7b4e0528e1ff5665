"""Generating, sending and exporting reports, once (`ioc report …`) or on a schedule (`ioc report
serve`, and a thread of `ioc run`).

The schedule is a loop in the platform rather than a cron line because the platform already runs
its long-lived parts this way (router, gateway, workers under `ioc run` and compose), the loop reads
the `reports` table to find days whose brief and periods whose report is missing (so what fell due
while it was down is made up), and the same loop drains the upward outbox, whose retries need a clock
anyway.
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
from ioc.forms import Form, Forms, LiveForms, province_forms
from ioc.forms.periods import period_name, period_named
from ioc.province import load_province
from ioc.settings import Settings
from reports import mail, store
from reports.daily import build_daily
from reports.model import DailyBrief
from reports.period import build_period, find_form
from reports.period_model import PeriodReport, period_report_id
from reports.render import Written, daily_html, period_html, write_files
from reports.upward.exporter import Sent, drain
from reports.upward.mapping import load_mapping
from reports.upward.transport import HttpTransport
from streams.model import reporting_periods
from streams.model.local_calendar import DAY_MS
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
    client: Client,
    settings: Settings,
    form_code: str,
    name: str,
    out_dir: Path,
    *,
    pdf: bool = True,
    forms: Forms | None = None,
) -> tuple[PeriodReport, Written]:
    """Build, write and record the Decree 09 report of form `form_code` for its period `name`, with
    `forms` (the schedule's live set) or the configured ones."""
    report = build_period(
        runner(client),
        forms or province_forms(settings),
        load_province(settings.province_file),
        form_code,
        name,
    )
    files = write_files(report.report_id, period_html(report), out_dir, settings.browser if pdf else None)
    store.record_report(client, report, files)
    return report, files


def send_stored(client: Client, settings: Settings, report_id: str, what: str) -> dict[str, str]:
    """E-mail the stored report `report_id` (`what` names it in the error) with its PDF to
    IOC_REPORTS_RECIPIENTS, each address once."""
    found = store.find(client, report_id)
    if found is None:
        raise LookupError(
            f"chưa có {what} trong bảng reports: hãy tạo trước — no {report_id} yet: generate it first"
        )
    return mail.send_report(client, mail.email_channel(settings), found, mail.recipients(settings))


def send_daily(client: Client, settings: Settings, day: date) -> dict[str, str]:
    """E-mail the stored brief of `day`."""
    return send_stored(client, settings, f"daily:{day.isoformat()}", f"bản tin ngày {day:%d/%m/%Y}")


def send_period(client: Client, settings: Settings, form_code: str, name: str) -> dict[str, str]:
    """E-mail the stored report of form `form_code` for its period `name` (any name `ioc report
    period` takes: `2026-11`, `2026-Q4`, a day of the period)."""
    form = find_form(province_forms(settings), form_code)
    canonical = period_name(form, period_named(form, name))
    return send_stored(
        client, settings, period_report_id(form.code, canonical), f"báo cáo {form.code} kỳ {canonical}"
    )


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


def due_periods(form: Form, now: datetime, catch_up_days: int) -> list[tuple[date, date]]:
    """The form's periods whose report should exist by `now`, oldest first: the latest whose due day
    (the form's `due_days` after the period ends, local time) has passed, when every owning unit's
    values are due, and each earlier one whose due day passed at most `catch_up_days` before that
    one's (the daily briefs' catch-up, counted in the same days). None for an ad-hoc form."""
    schedule = form.schedule
    if schedule is None:
        return []
    latest = reporting_periods.last_due_period(int(now.timestamp() * 1000), schedule)
    horizon = reporting_periods.deadline_ms(latest[1], schedule) - catch_up_days * DAY_MS
    periods = [latest]
    while (earlier := form.period_of(periods[0][0] - timedelta(days=1))) is not None and (
        reporting_periods.deadline_ms(earlier[1], schedule) >= horizon
    ):
        periods.insert(0, earlier)
    return periods


def tick(client: Client, settings: Settings, now: datetime, forms: Forms) -> None:
    """One pass of the schedule: missing briefs, then missing period reports of `forms`, made and
    e-mailed, then the outbox drained. What already has a PDF in `reports` is neither made nor e-mailed
    again, and the mail ledger keeps a recipient from getting a report twice."""
    days = due_days(now, settings.reports.daily_at, settings.reports.catch_up_days)
    for day in sorted(set(days) - store.daily_done(client, days)):
        generate_daily(client, settings, day, settings.reports.out_dir)
        log.info("daily brief for %s generated", day)
        if mail.recipients(settings):
            log.info("daily brief for %s e-mailed: %s", day, send_daily(client, settings, day))
    due = {
        period_report_id(form.code, period_name(form, period)): (form, period_name(form, period))
        for form in forms
        for period in due_periods(form, now, settings.reports.catch_up_days)
    }
    for report_id in sorted(set(due) - store.printed(client, list(due))):
        form, name = due[report_id]
        report, _ = generate_period(client, settings, form.code, name, settings.reports.out_dir, forms=forms)
        log.info("period report %s generated; missing: %d lines", report_id, len(report.missing()))
        if mail.recipients(settings):
            outcome = send_stored(client, settings, report_id, report.title_vi)
            log.info("period report %s e-mailed: %s", report_id, outcome)
    for sent in export(client, settings, now):
        log.info("report %s upward, attempt %d: %s", sent.report_id, sent.attempt, sent.outcome)


def run_schedule(settings: Settings, stop: threading.Event) -> None:
    """Until `stop`: a pass every IOC_REPORTS_CHECK_INTERVAL_S; a failing pass is logged and retried."""
    client: Client | None = None
    forms: LiveForms | None = None  # reloaded when a form file changes; a broken edit keeps the last good set
    while not stop.is_set():
        try:
            forms = forms or LiveForms(
                settings.forms_dir, load_province(settings.province_file), settings.forms_reload_s
            )
            client = client or warehouse(settings)
            tick(client, settings, datetime.now(UTC), forms.current())
        except Exception:  # the schedule must outlive a warehouse restart or a browser failure
            log.exception(
                "report schedule pass failed; trying again in %ss", settings.reports.check_interval_s
            )
            client = None
        stop.wait(settings.reports.check_interval_s)


def start_report_schedule(settings: Settings, stop: threading.Event) -> threading.Thread:
    """For `ioc run`: the schedule in a thread, e-mail through the demo router's log channel, and no
    catching up (a fresh demo has no earlier days or periods to report)."""
    demo = settings.model_copy(
        update={
            "routing": settings.routing.model_copy(update={"delivery": "log"}),
            "reports": settings.reports.model_copy(update={"catch_up_days": 0}),
        }
    )
    thread = threading.Thread(target=run_schedule, args=(demo, stop), name="report-schedule", daemon=True)
    thread.start()
    return thread
