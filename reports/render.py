"""A report (the daily brief, a period report) to HTML (Jinja2, autoescaped) and to PDF (headless Chromium's print-to-PDF through
ioc/browser.py, the one place that starts the browser), in Vietnamese with Vietnam-time stamps."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ioc.browser import chromium
from ioc.settings import BrowserSettings
from reports.charts import area_bars, hourly_bars
from reports.model import DailyBrief, Series
from reports.period_model import IndicatorResult, PeriodReport

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _local(moment: datetime) -> str:
    return moment.astimezone(VN).strftime("%H:%M %d/%m/%Y")


def _number(value: float, decimals: int = 0) -> str:
    """Vietnamese number format: '.' groups thousands, ',' marks decimals."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def _chart(series: Series) -> Markup:
    return Markup(hourly_bars(series.points, series.unit_vi))  # noqa: S704 - SVG built from numbers, text escaped


def _area_chart(result: IndicatorResult) -> Markup:
    return Markup(area_bars(result))  # noqa: S704 - SVG built from numbers, text escaped


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(["html", "j2"])
    )
    env.filters.update(local=_local, number=_number, chart=_chart, area_chart=_area_chart)
    return env


def daily_html(brief: DailyBrief) -> str:
    return environment().get_template("daily.html.j2").render(brief=brief)


def period_html(report: PeriodReport) -> str:
    return environment().get_template("period.html.j2").render(report=report)


def print_pdf(html: str, browser: BrowserSettings) -> bytes:
    """The HTML printed by Chromium on A4 with its backgrounds (the figures' colours)."""
    with chromium(browser) as running:
        page = running.new_page()
        page.set_content(html, wait_until="load")
        pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
        page.close()
    return pdf


@dataclass(frozen=True)
class Written:
    html_path: Path
    pdf_path: Path | None
    pdf_sha256: str


def write_files(report_id: str, html: str, out_dir: Path, browser: BrowserSettings | None) -> Written:
    """`<out>/<report id>.html` and, when a browser is given, `.pdf` (`daily-2026-12-06`,
    `period-BC-ANTT-THANG-2026-11`)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = report_id.replace(":", "-")
    html_path = out_dir / f"{stem}.html"
    html_path.write_text(html, encoding="utf-8")
    if browser is None:
        return Written(html_path, None, "")
    pdf = print_pdf(html, browser)
    pdf_path = out_dir / f"{stem}.pdf"
    pdf_path.write_bytes(pdf)
    return Written(html_path, pdf_path, hashlib.sha256(pdf).hexdigest())
