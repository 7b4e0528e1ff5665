"""`ioc run`: the whole platform on its embedded default, with a simulated province, until Ctrl-C.

Starts the local stack (and the contracts), the Faust worker and the simulator, then shows a live
summary read back from the warehouse, in Vietnamese with local times. Ctrl-C stops everything
this command started, in reverse order.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from rich.console import Group
from rich.live import Live
from rich.table import Table

from ioc.contracts import apply_contracts
from ioc.endpoints import Endpoints
from ioc.settings import Settings
from ioc.stack import process
from ioc.stack.artifacts import Progress
from ioc.stack.manager import LocalStack
from load_tests.live import BATCH_SIZE, feed_sender, province_simulator
from load_tests.pacing import run_live
from warehouse.query import run_query

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SEED = 42
COUNTS_SQL = """
SELECT
  (SELECT count() FROM camera_vehicle_counts) AS raw_rows,
  (SELECT count() FROM indicators_current) AS indicator_windows,
  (SELECT count() FROM indicators_current WHERE is_final) AS final_windows,
  (SELECT count() FROM dead_letters) AS dead_letters
"""
TOP_CAMERAS_SQL = """
SELECT entity_id, window_start,
       anyIf(value, indicator = 'traffic.volume') AS volume,
       anyIf(value, indicator = 'traffic.average_speed') AS speed
FROM indicators_current
WHERE window_start = (SELECT max(window_start) FROM indicators_current WHERE is_final)
GROUP BY entity_id, window_start ORDER BY volume DESC LIMIT 8
"""


def _query(endpoints: Endpoints, settings: Settings, sql: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads(run_query(endpoints.clickhouse, settings, sql, "json"))["data"]
    return rows


def _summary(stack: LocalStack, endpoints: Endpoints, settings: Settings, sent: int) -> Group:
    now = datetime.now(LOCAL_TZ).strftime("%H:%M:%S %d/%m/%Y")
    services = Table(title=f"IOC — nền tảng dữ liệu, chế độ nhúng · {now} (giờ Việt Nam)")
    for column in ("Dịch vụ", "Địa chỉ", "Trạng thái"):
        services.add_column(column)
    for row in stack.status():
        services.add_row(row.name, row.address, row.state)
    counts = _query(endpoints, settings, COUNTS_SQL)[0]
    totals = Table(title="Số liệu")
    totals.add_column("Chỉ số")
    totals.add_column("Giá trị", justify="right")
    totals.add_row("Bản ghi đã gửi (mọi nguồn)", f"{sent:,}")
    totals.add_row("Bản ghi thô trong kho", f"{int(str(counts['raw_rows'])):,}")
    totals.add_row("Cửa sổ chỉ tiêu (đã chốt)", f"{counts['indicator_windows']} ({counts['final_windows']})")
    totals.add_row("Bản ghi lỗi (dead letter)", str(counts["dead_letters"]))
    cameras = Table(title="Camera đông nhất — phút gần nhất đã chốt")
    for column in ("Camera", "Phút", "Lưu lượng (xe/phút)", "Tốc độ TB (km/h)"):
        cameras.add_column(column)
    for row in _query(endpoints, settings, TOP_CAMERAS_SQL):
        start = datetime.fromisoformat(f"{row['window_start']}+00:00").astimezone(LOCAL_TZ).strftime("%H:%M")
        speed = "—" if row["speed"] is None else f"{float(str(row['speed'])):.1f}"
        cameras.add_row(str(row["entity_id"]), start, f"{float(str(row['volume'])):.0f}", speed)
    return Group(services, totals, cameras)


def run_embedded(settings: Settings, *, cameras: int, progress: Progress) -> None:
    """Run until Ctrl-C, then stop what was started."""
    stack = LocalStack(settings, progress)
    stop = threading.Event()
    worker_pid = 0
    try:
        endpoints = stack.up(prepare=lambda ep: apply_contracts(ep, settings.topic_prefix, progress))
        progress("Starting the Faust worker…")
        worker_pid = process.start(
            "worker",
            [sys.executable, "-m", "ioc.cli", "worker"],
            stack.log_path("worker"),
            env={"IOC_STACK_DIR": str(stack.dir)},
        )
        sender = feed_sender(settings)
        simulator = province_simulator(settings, cameras=cameras, seed=SEED)
        threading.Thread(
            target=run_live, args=(simulator, sender, BATCH_SIZE, stop), name="simulator", daemon=True
        ).start()
        progress(
            f"Simulating the province with {cameras} cameras, its stations and departments; "
            "Ctrl-C stops everything."
        )
        with Live(refresh_per_second=1, screen=False) as live:
            while True:
                try:
                    live.update(_summary(stack, endpoints, settings, sender.records_sent))
                except Exception as exc:  # the summary must never take the platform down
                    live.update(Table(title=f"(đang chờ dữ liệu… {exc})"))
                if not process.is_alive(worker_pid):
                    progress(f"the worker stopped; see {stack.log_path('worker')}")
                    break
                time.sleep(2)
    except KeyboardInterrupt:
        progress("Ctrl-C: stopping…")
    finally:
        stop.set()
        if worker_pid:
            process.stop(worker_pid)
        stack.down()
        progress("stopped")
