"""`ioc alerts …`: run the router, list open alerts with their acknowledgement, acknowledge one, and
check the duty roster. Heavy imports stay inside the commands so `ioc --help` stays quick."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

alerts_app = typer.Typer(
    help="Định tuyến cảnh báo tới cán bộ trực — alert routing to on-duty officers.", no_args_is_help=True
)
console = Console()


@alerts_app.command("run")
def run() -> None:
    """Chạy bộ định tuyến cảnh báo — run the alert router until Ctrl-C or SIGTERM."""
    from ioc.settings import Settings
    from routing.service import run_router

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    run_router(Settings(), stop)


@alerts_app.command("list")
def list_open() -> None:
    """Cảnh báo đang mở và tình trạng xác nhận — open alerts and who acknowledged them."""
    from ioc.province import load_province
    from ioc.settings import Settings
    from routing.service import open_store
    from routing.templates import SEVERITY_VI, local_time

    settings = Settings()
    province = load_province(settings.province_file)
    store = open_store(settings)
    table = Table(title="Cảnh báo đang mở (giờ Việt Nam)")
    for column in ("Mã cảnh báo", "Sự việc", "Địa bàn", "Mức độ", "Từ lúc", "Xác nhận"):
        table.add_column(column)
    for state in store.open_alerts():
        alert = state.record
        if state.acked_at is not None:
            ack = f"{state.acked_by} lúc {local_time(state.acked_at)} ({state.ack_via})"
        else:
            ack = "chưa — tắt tiếng: " + state.silenced_by if state.silenced_by else "chưa"
        table.add_row(
            alert["alert_id"],
            alert["event"],
            province.area_name(alert["area_code"]) if alert["area_code"] else alert["area_desc"],
            SEVERITY_VI.get(alert["severity"], alert["severity"]),
            local_time(alert["opened_at"]),
            ack,
        )
    console.print(table)
    store.close()


@alerts_app.command("ack")
def ack(
    alert_id: Annotated[str, typer.Argument(help="Mã cảnh báo — the alert id")],
    by: Annotated[str, typer.Option("--by", help="Mã cán bộ xác nhận — id of the acknowledging officer")],
) -> None:
    """Xác nhận đã nhận cảnh báo, dừng chuyển cấp — acknowledge an alert and stop its escalation.

    The request goes to the active router through the acknowledgements topic (whichever router runs
    here), which refuses an officer id the duty roster does not have; the answer is read from this
    host's copy of the router's state."""
    from confluent_kafka import Producer

    from ioc.endpoints import resolve
    from ioc.settings import Settings
    from routing.actions import ActionRequest
    from routing.clock import SystemClock
    from routing.leader import AckRequests
    from routing.service import open_store
    from topics.catalog import ROUTING_ACKS

    settings = Settings()
    endpoints = resolve(settings, need=("kafka",))
    store = open_store(settings)
    requests = AckRequests(
        Producer(endpoints.kafka_client() | {"enable.idempotence": True}),
        ROUTING_ACKS.full_name(settings.topic_prefix),
        f"{settings.topic_prefix}{settings.routing.group_id}",
        store,
        settings.routing.ack_wait_s,
    )
    result = requests.submit(ActionRequest.new("ack", alert_id, by, "cli", SystemClock().now()))
    store.close()
    if result.pending:
        console.print(f"[yellow]…[/yellow] {result.reason}")
        return
    if not result.done:
        console.print(f"[red]✗[/red] {result.reason}")
        raise typer.Exit(1)
    console.print(f"[green]✓[/green] Đã xác nhận cảnh báo {alert_id} ({by}).")


@alerts_app.command("roster-check")
def roster_check(
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="Tệp lịch trực — roster file (default: IOC_ROUTING_ROSTER)"),
    ] = None,
) -> None:
    """Kiểm tra lịch trực và cho biết ai đang trực — validate the duty roster and show who is on duty now."""
    from ioc.province import load_province
    from ioc.settings import Settings
    from routing.clock import SystemClock
    from routing.matching import shifts_on_duty
    from routing.roster import RosterError, load_roster

    settings = Settings()
    path = file or settings.routing.roster
    try:
        roster = load_roster(path, load_province(settings.province_file))
    except RosterError as exc:
        console.print(f"[red]✗[/red] {exc}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    now = SystemClock().now()
    table = Table(title=f"{path}: {len(roster.units)} đơn vị, {len(roster.officers)} cán bộ — đang trực")
    for column in ("Đơn vị", "Ca", "Cán bộ trực", "Trưởng ca"):
        table.add_column(column)
    for unit in roster.units:
        shifts = shifts_on_duty(unit, roster, now)
        if not shifts:
            table.add_row(unit.name_vi, "— không có ca —", "", "")
        for shift in shifts:
            table.add_row(unit.name_vi, shift.name_vi, ", ".join(shift.officers), shift.lead)
    console.print(table)
    console.print("[green]✓[/green] lịch trực hợp lệ — the roster is valid")
