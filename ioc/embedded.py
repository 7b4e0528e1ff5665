"""`ioc run`: the whole platform on its embedded default, with a simulated province, until Ctrl-C.

Starts the local stack (and the contracts), the Faust worker, the ingestion gateway (HTTP), the alert
router (messages written to its log instead of sent), the operations console (its address and demo
account printed) and the simulator, then shows a live summary read
back from the warehouse, in Vietnamese with local times. Ctrl-C stops everything this command
started, in reverse order; so does a SIGTERM (a supervisor, `kill`, `docker stop`).
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from rich.console import Group
from rich.live import Live
from rich.table import Table

from console.accounts import demo_account
from console.server import BackgroundConsole
from ingest.key_admin import add_key
from ingest.server import serve
from ingest.wiring import read_keys
from ioc.contracts import apply_contracts
from ioc.endpoints import Endpoints
from ioc.settings import Settings
from ioc.stack.artifacts import Progress
from ioc.stack.manager import LocalStack
from ioc.stack.supervisor import Supervisor
from load_tests.live import BATCH_SIZE, feed_sender, province_simulator
from load_tests.pacing import run_live
from load_tests.senders import KafkaFeedSender
from reports.service import start_report_schedule
from routing.service import start_embedded_router
from streams.model.indicators import TRAFFIC_AVERAGE_SPEED, TRAFFIC_VOLUME
from warehouse.query import run_query

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SEED = 42
# A sandbox key for every feed, made on the first run so the HTTP door can be tried at once; it
# validates and answers as production would but stores nothing.
DEMO_KEY_ID = "demo-sandbox"
COUNTS_SQL = """
SELECT
  (SELECT count() FROM camera_vehicle_counts) AS raw_rows,
  (SELECT count() FROM indicators_current) AS indicator_windows,
  (SELECT count() FROM indicators_current WHERE is_final) AS final_windows,
  (SELECT count() FROM dead_letters) AS dead_letters,
  (SELECT count() FROM alerts_current WHERE state != 'resolved') AS open_alerts,
  (SELECT count() FROM notifications) AS notifications
"""
TOP_CAMERAS_SQL = f"""
SELECT entity_id, window_start,
       anyIf(value, indicator = '{TRAFFIC_VOLUME}') AS volume,
       anyIf(value, indicator = '{TRAFFIC_AVERAGE_SPEED}') AS speed
FROM indicators_current
WHERE entity_type = 'camera'
  AND window_start = (SELECT max(window_start) FROM indicators_current WHERE is_final AND entity_type = 'camera')
GROUP BY entity_id, window_start ORDER BY volume DESC LIMIT 8
"""  # noqa: S608 - assembled from code constants, never from input


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
    totals.add_row("Cảnh báo đang mở", str(counts["open_alerts"]))
    totals.add_row("Nhật ký định tuyến cảnh báo", str(counts["notifications"]))
    cameras = Table(title="Camera đông nhất — phút gần nhất đã chốt")
    for column in ("Camera", "Phút", "Lưu lượng (xe/phút)", "Tốc độ TB (km/h)"):
        cameras.add_column(column)
    for row in _query(endpoints, settings, TOP_CAMERAS_SQL):
        start = datetime.fromisoformat(f"{row['window_start']}+00:00").astimezone(LOCAL_TZ).strftime("%H:%M")
        speed = "—" if row["speed"] is None else f"{float(str(row['speed'])):.1f}"
        cameras.add_row(str(row["entity_id"]), start, f"{float(str(row['volume'])):.0f}", speed)
    return Group(services, totals, cameras)


def demo_key(settings: Settings) -> str | None:
    """The demo sandbox key's secret when this run created it (shown once), else None.

    It goes on the keys topic like any key (`ioc ingest keys revoke demo-sandbox` removes it; the
    next run then makes a new one)."""
    if DEMO_KEY_ID in read_keys(settings).by_id:
        return None
    return add_key(settings, DEMO_KEY_ID, ["*"], ["*"], sandbox=True)


def log_to_file(logger_name: str, path: str) -> None:
    """A background part's log goes to its file: the live summary owns the terminal."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def start_gateway(settings: Settings, stop: threading.Event, progress: Progress) -> threading.Thread:
    """The HTTP door in a thread; a failure (a busy port, say) is reported, not fatal to the rest."""

    def run() -> None:
        try:
            serve(settings, stop)
        except Exception as exc:
            logging.getLogger("ingest").error("the ingestion gateway stopped: %s", exc)

    secret = demo_key(settings)  # the gateway follows the keys topic: before or after, it gets it
    thread = threading.Thread(target=run, name="ingest-gateway", daemon=True)
    thread.start()
    url = f"http://{settings.ingest.host}:{settings.ingest.port}"
    progress(f"Ingestion gateway: {url} (API description at {url}/docs)")
    if secret is not None:
        progress(f"Sandbox key for every feed (shown once, only its hash is kept): {secret}")
    return thread


def start_console(settings: Settings, progress: Progress) -> BackgroundConsole | None:
    """The operations console, with the demo account printed; a failure (a busy port) is reported,
    not fatal to the rest."""
    try:
        running = BackgroundConsole(settings).start()
    except Exception as exc:
        progress(f"The operations console did not start: {exc}")
        return None
    progress(f"Bảng điều hành — operations console: {running.url}")
    progress(f"Tường màn hình — the wall's 27 screens: {running.url}wall/")
    demo = demo_account(settings)
    if demo is not None:
        progress(f"Tài khoản thử — demo account (trưởng ca / shift lead): {demo[0]} / {demo[1]}")
    return running


def supervised_workers(stack: LocalStack, count: int, progress: Progress) -> Supervisor:
    """The stream workers of one group, each under its own instance id (w1, w2, …) and log, kept
    running as compose's `restart: unless-stopped` keeps them: a worker exits on purpose when it
    cannot go on in-process (a commit that never returns after a broker failed, a fenced consumer)
    and resumes exactly from its last commit when started again (`revive`)."""
    workers = Supervisor(
        progress,
        starting="Starting the stream worker {name}…",
        exited="{name} exited (see {log}); starting it again",
    )
    names = ["worker"] if count == 1 else [f"worker-{n}" for n in range(1, count + 1)]
    for instance, name in enumerate(names, start=1):
        workers.add(
            name,
            [sys.executable, "-m", "ioc.cli", "worker"],
            stack.log_path(name),
            env={"IOC_STACK_DIR": str(stack.dir), "IOC_STREAMS_INSTANCE_ID": f"w{instance}"},
        )
    return workers


def stop_on_sigterm() -> None:
    """Make a SIGTERM stop the platform as Ctrl-C does: Python's default ends the process at once,
    leaving the stack's brokers, registry, warehouse and workers running with nobody to stop them."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def run_embedded(settings: Settings, *, cameras: int, workers: int, progress: Progress) -> None:
    """Run until Ctrl-C or SIGTERM, then stop what was started."""
    stop_on_sigterm()
    stack = LocalStack(settings, progress)
    stop = threading.Event()
    services: list[threading.Thread] = []
    sender: KafkaFeedSender | None = None
    console: BackgroundConsole | None = None
    running = supervised_workers(stack, workers, progress)
    try:
        endpoints = stack.up(prepare=lambda ep: apply_contracts(ep, settings.topic_prefix, progress))
        running.start()
        for logger_name, log_name in (("routing", "router"), ("ingest", "gateway")):
            log_to_file(logger_name, str(stack.log_path(log_name)))
        services = [start_gateway(settings, stop, progress), start_embedded_router(settings, stop)]
        progress(f"Alert router: messages to on-duty officers are written to {stack.log_path('router')}")
        services.append(start_report_schedule(settings, stop))
        progress(f"Reports: each day's brief after {settings.reports.daily_at} in {settings.reports.out_dir}")
        log_to_file("console", str(stack.log_path("console")))
        console = start_console(settings, progress)
        sender = feed_sender(settings)
        simulator = province_simulator(settings, cameras=cameras, seed=SEED)
        simulating = threading.Thread(
            target=run_live, args=(simulator, sender, BATCH_SIZE, stop), name="simulator", daemon=True
        )
        simulating.start()
        services.append(simulating)
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
                running.revive()
                time.sleep(2)
    except KeyboardInterrupt:
        progress("Ctrl-C: stopping…")
    finally:
        stop.set()
        if console is not None:
            console.stop()
        for thread in services:  # they flush to Kafka: before the broker goes
            thread.join(timeout=15)
        sender = None  # its producer disconnects now, instead of retrying the stopped broker
        running.stop_all()
        stack.down()
        progress("stopped")
