"""`ioc report …`: generate the daily brief or a period report, e-mail them, send reports upward, or run
the schedule.
Heavy imports stay inside the commands so `ioc --help` stays quick."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

if TYPE_CHECKING:
    from reports.render import Written

report_app = typer.Typer(
    help="Báo cáo của Trung tâm: bản tin ngày, báo cáo định kỳ, gửi thư, gửi lên hệ thống báo cáo Chính phủ — the centre's reports.",
    no_args_is_help=True,
)
console = Console(stderr=True)
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _day(value: str) -> date:
    """`YYYY-MM-DD`, `today` or `yesterday` (local days)."""
    today = datetime.now(UTC).astimezone(VN).date()
    named = {"today": today, "yesterday": today - timedelta(days=1)}
    if value in named:
        return named[value]
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r}: expected YYYY-MM-DD, today or yesterday", param_hint="--date"
        ) from None


DateOption = Annotated[
    str, typer.Option("--date", help="Ngày (giờ Việt Nam): YYYY-MM-DD, today, yesterday — the local day")
]


def _no_browser(error: Exception) -> NoReturn:
    console.print(f"[red]error:[/red] {error}", highlight=False)
    console.print("[yellow]hint:[/yellow] or make the HTML alone with --no-pdf")
    raise typer.Exit(1) from None


def _made(files: Written, missing: list[str]) -> None:
    """The files written (stdout, for scripts), then what the report lacks (stderr, in Vietnamese)."""
    print(files.html_path)
    if files.pdf_path:
        print(files.pdf_path)
    for line in missing:
        console.print(f"[yellow]thiếu dữ liệu:[/yellow] {line}", highlight=False)


@report_app.command("daily")
def daily(
    day: DateOption = "yesterday",
    out: Annotated[
        Path | None, typer.Option("--out", help="Thư mục ghi tệp — output folder (IOC_REPORTS_OUT_DIR)")
    ] = None,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="In PDF bằng Chromium — print the PDF")] = True,
    send: Annotated[
        bool, typer.Option("--send", help="Gửi thư kèm PDF — e-mail it to the recipients")
    ] = False,
) -> None:
    """Bản tin điều hành ngày (HTML, PDF) — the daily operations brief of one local day, from ClickHouse."""
    from ioc.browser import BrowserMissingError
    from ioc.settings import Settings
    from reports.service import generate_daily, send_daily, warehouse

    settings = Settings()
    client = warehouse(settings)
    try:
        brief, files = generate_daily(client, settings, _day(day), out or settings.reports.out_dir, pdf=pdf)
    except BrowserMissingError as error:
        _no_browser(error)
    _made(files, brief.missing())
    if send:
        for address, outcome in send_daily(client, settings, brief.day).items():
            console.print(f"{address}: {outcome}", highlight=False)


@report_app.command("period")
def period(
    form: Annotated[str, typer.Option("--form", help="Mã biểu mẫu, ví dụ BC-ANTT-THANG — the form's code")],
    name: Annotated[
        str,
        typer.Option(
            "--period",
            help="Kỳ báo cáo: 2026-11 (tháng, chốt ngày 14), 2026-Q4, 2026-H1, 2026 hoặc một ngày trong kỳ "
            "— the form's period",
        ),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", help="Thư mục ghi tệp — output folder (IOC_REPORTS_OUT_DIR)")
    ] = None,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="In PDF bằng Chromium — print the PDF")] = True,
    send: Annotated[
        bool, typer.Option("--send", help="Gửi thư kèm PDF — e-mail it to the recipients")
    ] = False,
) -> None:
    """Báo cáo định kỳ theo biểu mẫu (Nghị định 09/2019) — one form's period report, from ClickHouse."""
    from ioc.browser import BrowserMissingError
    from ioc.forms.periods import PeriodNameError
    from ioc.settings import Settings
    from reports.service import generate_period, send_stored, warehouse

    settings = Settings()
    client = warehouse(settings)
    try:
        report, files = generate_period(
            client, settings, form, name, out or settings.reports.out_dir, pdf=pdf
        )
    except LookupError as error:
        raise typer.BadParameter(str(error), param_hint="--form") from None
    except PeriodNameError as error:
        raise typer.BadParameter(str(error), param_hint="--period") from None
    except BrowserMissingError as error:
        _no_browser(error)
    _made(files, report.missing())
    if send:
        for address, outcome in send_stored(client, settings, report.report_id, report.title_vi).items():
            console.print(f"{address}: {outcome}", highlight=False)


@report_app.command("send")
def send(
    day: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Ngày của bản tin (giờ Việt Nam): YYYY-MM-DD, today, yesterday (mặc định) — the brief's day",
        ),
    ] = None,
    form: Annotated[
        str | None,
        typer.Option("--form", help="Mã biểu mẫu, gửi báo cáo định kỳ thay cho bản tin — a form's code"),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--period", help="Kỳ của báo cáo định kỳ (đi cùng --form): 2026-11, 2026-Q4… — its period"
        ),
    ] = None,
) -> None:
    """Gửi qua thư bản tin ngày (--date) hoặc báo cáo định kỳ (--form, --period) đã tạo, kèm PDF; mỗi người
    nhận một lần — e-mail a generated report to IOC_REPORTS_RECIPIENTS."""
    from ioc.forms.periods import PeriodNameError
    from ioc.settings import Settings
    from reports.service import send_daily, send_period, warehouse

    if (form is None) != (name is None):
        raise typer.BadParameter(
            "--form và --period phải đi cùng nhau — give both", param_hint="--form/--period"
        )
    if form is not None and day is not None:
        raise typer.BadParameter(
            "chọn bản tin ngày (--date) hoặc báo cáo định kỳ (--form, --period), không cả hai — one report at a time",
            param_hint="--date",
        )
    settings = Settings()
    try:
        if form is not None and name is not None:
            outcomes = send_period(warehouse(settings), settings, form, name)
        else:
            outcomes = send_daily(warehouse(settings), settings, _day(day or "yesterday"))
    except PeriodNameError as error:
        raise typer.BadParameter(str(error), param_hint="--period") from None
    except LookupError as error:
        raise typer.BadParameter(str(error), param_hint="--form" if form else "--date") from None
    for address, outcome in outcomes.items():
        print(f"{address}: {outcome}")


@report_app.command("export")
def export() -> None:
    """Gửi các báo cáo chờ lên hệ thống báo cáo Chính phủ — drain the upward outbox once."""
    from ioc.settings import Settings
    from reports.service import export as export_once
    from reports.service import warehouse

    settings = Settings()
    if not settings.reports.upward_url:
        raise typer.BadParameter("set IOC_REPORTS_UPWARD_URL (and IOC_REPORTS_UPWARD_SECRET) first")
    for sent in export_once(warehouse(settings), settings):
        print(
            f"{sent.report_id} attempt {sent.attempt}: {sent.outcome.status} {sent.outcome.reason}".rstrip()
        )


@report_app.command("serve")
def serve() -> None:
    """Chạy lịch báo cáo: bản tin ngày sau IOC_REPORTS_DAILY_AT, báo cáo định kỳ của mỗi biểu mẫu khi
    qua hạn nộp, gửi thư, rồi gửi lên hệ thống báo cáo Chính phủ — the schedule, until SIGTERM."""
    from ioc.settings import Settings
    from reports.service import run_schedule

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    run_schedule(Settings(), stop)
