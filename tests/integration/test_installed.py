"""The production path: the platform's wheel, installed in a fresh virtualenv outside the checkout, runs
every command that docker-compose.yml runs in the image, against the test stack as a production
deployment would (KAFKA_BOOTSTRAP_SERVERS, SCHEMA_REGISTRY_URL, CLICKHOUSE_URL, a topic prefix of its
own). The one-shot steps succeed; the long-running services come up, and a batch sent through the
installed gateway is stored raw by the installed sinks and counted by the installed worker.

The image (Dockerfile) installs the same wheel; Docker itself cannot run on these machines. The
virtualenv takes the dependencies already installed for the tests (a .pth line to their folder) and
the platform only from the wheel: `pip install --no-deps`, run from a folder outside the checkout.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import sysconfig
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml

from config import CONFIG_DIR
from ingest.feeds import build_feeds
from ingest.mqtt_accounts import Accounts, load_accounts
from ingest.mqtt_bridge import Route, load_routes
from ioc.stack import process
from ioc.stack.ports import free_port
from ioc.stack.services import http_ok
from tests.integration.conftest import RunningStack, progress
from tests.integration.helpers import wait_for, warehouse_client
from tests.integration.mosquitto import SecuredBroker, secured_mosquitto
from warehouse.users import WRITER, password_for

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "ioc-platform"


def compose_commands() -> dict[str, list[str]]:
    """The `ioc` sub-command of every service compose runs from the platform's image."""
    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return {
        name: service["command"]
        for name, service in spec["services"].items()
        if str(service.get("image", "")).startswith(IMAGE)
    }


class Installed:
    """The installed `ioc`, run as compose would run one of its services."""

    def __init__(self, folder: Path, ioc: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.ioc = ioc
        self.env = env
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.started: dict[str, float] = {}

    def run(self, *args: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.ioc), *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )

    def start(self, name: str, command: list[str]) -> None:
        with self.log_path(name).open("ab") as log:
            self.running[name] = subprocess.Popen(
                [str(self.ioc), *command],
                cwd=self.folder,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started[name] = time.monotonic()

    def log_path(self, name: str) -> Path:
        return self.folder / f"{name}.log"

    def log(self, name: str) -> str:
        return self.log_path(name).read_text(errors="replace")

    def stop_all(self) -> dict[str, int | None]:
        """SIGTERM, as `docker compose stop` sends; each one's exit code (None: had to be killed)."""
        codes: dict[str, int | None] = {}
        for proc in self.running.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for name, proc in self.running.items():
            try:
                codes[name] = proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                codes[name] = None
        return codes


@pytest.fixture(scope="module")
def installed(local_stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    folder = tmp_path_factory.mktemp("installed")
    progress("Building the platform's wheel and installing it in a fresh virtualenv…")
    dist = folder / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "ioc-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wheel = next(dist.glob("*.whl"))
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], check=True
    )

    endpoints = local_stack.endpoints
    writer = password_for(local_stack.settings, WRITER)
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("IOC_", "KAFKA_", "SCHEMA_", "CLICKHOUSE_"))
    }
    env = clean | {
        "KAFKA_BOOTSTRAP_SERVERS": endpoints.kafka,
        "SCHEMA_REGISTRY_URL": endpoints.registry,
        "CLICKHOUSE_URL": f"http://{WRITER}:{writer}@{endpoints.clickhouse.removeprefix('http://')}/ioc",
        "IOC_TOPIC_PREFIX": f"i{uuid.uuid4().hex[:6]}.",
        "IOC_STACK_DIR": str(folder / "state"),
        "IOC_STREAMS_INSTANCE_ID": "installed",
        "IOC_INGEST_PORT": str(free_port()),
        "IOC_ROUTING_ACK_PORT": str(free_port()),
        "IOC_ROUTING_DELIVERY": "log",
    }
    with secured_mosquitto(folder / "mosquitto", *shipped_accounts()) as broker:
        env["IOC_INGEST_MQTT_CONFIG"] = str(bridge_config(folder, broker))
        run = Installed(folder, venv / "bin" / "ioc", env)
        try:
            yield run
        finally:
            run.stop_all()


def shipped_accounts() -> tuple[Accounts, tuple[Route, ...]]:
    """The shipped station accounts and bridge routes, as compose's Mosquitto gets them rendered."""
    routes = load_routes(CONFIG_DIR / "mqtt_bridge.yaml", set(build_feeds()))
    return load_accounts(CONFIG_DIR / "mqtt_accounts.yaml"), routes


def bridge_config(folder: Path, broker: SecuredBroker) -> Path:
    """config/mosquitto/bridge.yaml (compose's bridge: TLS, the bridge's user, a password file),
    pointed at the test's Mosquitto and the files its render made."""
    config = yaml.safe_load((ROOT / "config/mosquitto/bridge.yaml").read_text())
    config["broker"] |= {
        "host": "127.0.0.1",
        "port": broker.port,
        "tls": {"ca": str(broker.ca)},
        "password_file": str(broker.passwords / config["broker"]["username"]),
    }
    path = folder / "mqtt_bridge.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_the_installed_platform_is_the_wheel_and_carries_its_data(installed: Installed) -> None:
    python = installed.ioc.parent / "python"
    shown = subprocess.run(
        [str(python), "-c", "import ioc, config; print(ioc.__file__); print(config.CONFIG_DIR)"],
        cwd=installed.folder,
        env=installed.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    venv = str(installed.ioc.parent.parent)
    assert all(path.startswith(venv) for path in shown), shown
    assert (Path(shown[1]) / "province.yaml").exists()


def test_every_command_compose_runs_starts_from_the_installed_wheel(
    local_stack: RunningStack, installed: Installed
) -> None:
    commands = compose_commands()
    one_shots = {name: c for name, c in commands.items() if name in ONE_SHOT_ORDER}
    services = {name: c for name, c in commands.items() if name not in ONE_SHOT_ORDER}
    assert set(services) == set(READY), (
        f"a compose service without a readiness check here: {set(services) ^ set(READY)}"
    )

    for name in sorted(one_shots, key=ONE_SHOT_ORDER.index):
        done = installed.run(*one_shots[name])
        assert done.returncode == 0, f"{name} ({' '.join(one_shots[name])}): {done.stdout}{done.stderr}"

    source = f"IT-{uuid.uuid4().hex[:6]}"
    key = installed.run("ingest", "keys", "add", "installed", "--feed", "camera.*", "--source", source)
    assert key.returncode == 0, key.stderr
    secret = key.stdout.strip().splitlines()[-1]
    for name, command in services.items():
        installed.start(name, command)
    for name in services:
        # Fails with the log's tail if the service exits or does not come up in time.
        readiness = process.Readiness(lambda n=name: READY[n](installed), 90)  # type: ignore[misc]
        process.wait_ready(name, installed.running[name].pid, installed.log_path(name), readiness)

    camera = f"CAM-IT-{uuid.uuid4().hex[:6]}"
    observed = datetime.now(UTC) - timedelta(seconds=30)
    body = {
        "source_id": source,
        "records": [
            {
                "event_id": f"{camera}-{lane}",
                "camera_id": camera,
                "observed_at": observed.isoformat(),
                "vehicle_count": 4 + lane,
                "lane": lane,
            }
            for lane in range(2)
        ],
    }
    url = f"http://127.0.0.1:{installed.env['IOC_INGEST_PORT']}/v1/feeds/camera/vehicle-counts"
    answer = httpx.post(url, json=body, headers={"X-API-Key": secret}, timeout=30)
    assert answer.status_code == 200, answer.text

    client = warehouse_client(local_stack.endpoints, local_stack.settings)

    def stored(sql: str) -> int:
        return int(client.query(sql, parameters={"camera": camera}).result_rows[0][0])

    raw = "SELECT count() FROM camera_vehicle_counts WHERE camera_id = {camera:String}"
    volume = "SELECT ifNull(max(value), 0) FROM indicators WHERE entity_id = {camera:String} AND indicator = 'traffic.volume'"
    assert wait_for(lambda: stored(raw), lambda rows: rows == 2, timeout_s=60) == 2
    assert wait_for(lambda: stored(volume), lambda value: value == 9, timeout_s=60) == 9

    codes = installed.stop_all()
    assert all(code is not None for code in codes.values()), f"not stopped by SIGTERM: {codes}"
    for name in services:
        assert "Traceback" not in installed.log(name), installed.log(name)[-3000:]


# compose's one-shot services, in their `depends_on` order.
ONE_SHOT_ORDER = ["ioc-init", "ioc-schemas", "ioc-db", "ioc-province"]
# Each long-running service's readiness probe (the stack's own `process.wait_ready` runs them).
READY: dict[str, Callable[[Installed], bool]] = {
    "ioc-worker": lambda i: "Worker ready" in i.log("ioc-worker"),
    # No door of its own: up once it has run 5 s without exiting.
    "ioc-sinks": lambda i: time.monotonic() - i.started["ioc-sinks"] >= 5,
    "ioc-gateway": lambda i: http_ok(f"http://127.0.0.1:{i.env['IOC_INGEST_PORT']}/health"),
    "ioc-router": lambda i: http_ok(f"http://127.0.0.1:{i.env['IOC_ROUTING_ACK_PORT']}/healthz"),
    # Printed once the broker accepted its login over TLS (a refusal ends it with error: and hint:).
    "ioc-mqtt-bridge": lambda i: "✓ mqtts://" in i.log("ioc-mqtt-bridge"),
}
