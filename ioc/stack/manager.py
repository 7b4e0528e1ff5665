"""`ioc stack up | down | status | logs`: the local stack's life cycle.

Order matters: Kafka first (Apicurio stores its schemas in Kafka), then the registry, then the
data contracts (topics and schemas, so that nothing subscribes to a topic that does not exist yet),
then the warehouse. Services configured from outside (`KAFKA_BOOTSTRAP_SERVERS`, …) are used as
they are and never started or stopped here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ioc.endpoints import Endpoints, local_urls, read_state, resolve, write_state
from ioc.settings import Settings
from ioc.stack import process, services
from ioc.stack.artifacts import Progress
from ioc.stack.errors import StackError
from ioc.stack.java import find_java
from ioc.stack.ports import claim_port, is_listening

SERVICE_ORDER = ("kafka", "registry", "warehouse")
Prepare = Callable[[Endpoints], None]


@dataclass(frozen=True)
class ServiceStatus:
    """One line of `ioc stack status`."""

    name: str
    address: str
    state: str  # "running", "stopped", "external", "not responding"
    log: str


class LocalStack:
    """Starts, watches and stops the local services; remembers them in `<stack dir>/stack.json`."""

    def __init__(self, settings: Settings, progress: Progress) -> None:
        self.settings = settings
        self.dir = settings.stack.dir.resolve()
        self.progress = progress
        self.state = read_state(self.dir)

    def log_path(self, name: str) -> Path:
        """Where a service writes its output."""
        return self.dir / "logs" / f"{name}.log"

    def _external(self, name: str) -> str:
        return {
            "kafka": self.settings.kafka.bootstrap_servers,
            "registry": self.settings.registry.url,
            "warehouse": self.settings.clickhouse.url,
        }[name]

    def _running(self, name: str) -> bool:
        entry = self.state.get(name)
        return bool(entry and entry.get("pid") and process.is_alive(int(str(entry["pid"]))))

    def _port(self, name: str, key: str, configured: int, what: str, env_var: str) -> int:
        """The configured port, else the one used last time if still free (stable addresses), else a free one."""
        if configured == 0:
            previous = int(str(self.state.get(name, {}).get(key, 0)))
            if previous and not is_listening(previous):
                return previous
        return claim_port(configured, what, env_var)

    def up(self, prepare: Prepare | None = None) -> Endpoints:
        """Start every service that is neither configured from outside nor already running."""
        started: list[str] = []
        try:
            for name in SERVICE_ORDER:
                if name == "warehouse" and prepare is not None:
                    prepare(resolve(self.settings, need=("kafka", "registry")))
                if self._external(name):
                    self.progress(f"{name}: using {self._external(name)}")
                    continue
                if self._running(name):
                    self.progress(f"{name}: already running")
                    continue
                self._start(name)
                started.append(name)
        except BaseException:
            # A failure or Ctrl-C half-way leaves nothing of ours running.
            for name in reversed(started):
                self._stop(name)
            raise
        return resolve(self.settings)

    def _start(self, name: str) -> None:
        stack = self.settings.stack
        log = self.log_path(name)
        entry: dict[str, object] = {"log": str(log)}
        timeout = stack.startup_timeout_s
        if name == "kafka":
            port = self._port(name, "port", stack.kafka_port, "Kafka", "IOC_STACK_KAFKA_PORT")
            cport = self._port(
                name,
                "controller_port",
                stack.kafka_controller_port,
                "the Kafka controller",
                "IOC_STACK_KAFKA_CONTROLLER_PORT",
            )
            launch = services.kafka_launch(
                find_java(),
                stack.cache_dir,
                stack.kafka_version,
                self.dir / "kafka",
                port,
                cport,
                stack.kafka_heap,
                self.progress,
            )
            entry |= {"port": port, "controller_port": cport}
            bootstrap = f"127.0.0.1:{port}"
            readiness = process.Readiness(lambda: services.kafka_ok(bootstrap), timeout)
        elif name == "registry":
            port = self._port(
                name, "port", stack.registry_port, "the schema registry", "IOC_STACK_REGISTRY_PORT"
            )
            mport = self._port(
                name,
                "management_port",
                stack.registry_management_port,
                "the registry's health endpoint",
                "IOC_STACK_REGISTRY_MANAGEMENT_PORT",
            )
            kafka = resolve(self.settings, need=("kafka",)).kafka
            launch = services.registry_launch(
                find_java(),
                stack.cache_dir,
                stack.apicurio_version,
                port,
                mport,
                kafka,
                stack.registry_heap,
                self.progress,
            )
            entry |= {"port": port, "management_port": mport}
            ready_url = f"http://127.0.0.1:{mport}/health/ready"
            readiness = process.Readiness(lambda: services.http_ok(ready_url), timeout)
        else:
            port = self._port(
                name,
                "port",
                stack.warehouse_port,
                "the warehouse (ClickHouse HTTP)",
                "IOC_STACK_WAREHOUSE_PORT",
            )
            launch = services.warehouse_launch(
                self.dir, port, self.settings.warehouse, self.settings.topic_prefix
            )
            entry |= {"port": port}
            ping = f"http://127.0.0.1:{port}/ping"
            readiness = process.Readiness(lambda: services.http_ok(ping, b"Ok.\n"), timeout)
        self.progress(f"Starting {name}…")
        pid = process.start(name, launch.argv, log, cwd=launch.cwd, env=launch.env)
        entry["pid"] = pid
        self.state[name] = entry
        write_state(self.dir, self.state)
        process.wait_ready(name, pid, log, readiness)
        self.progress(f"{name}: ready at {self._address(name)}")

    def _address(self, name: str) -> str:
        key = "clickhouse" if name == "warehouse" else name
        return self._external(name) or local_urls(self.state).get(key, "")

    def _stop(self, name: str) -> None:
        entry = self.state.get(name)
        if not entry or not entry.get("pid"):
            return
        self.progress(f"Stopping {name}…")
        process.stop(int(str(entry["pid"])))
        entry["pid"] = 0
        write_state(self.dir, self.state)

    def down(self) -> None:
        """Stop every service this stack started, in reverse order; keeps data and ports for the next `up`."""
        for name in reversed(SERVICE_ORDER):
            self._stop(name)

    def stop_service(self, name: str) -> None:
        """Stop one service (tests use it to restart the registry or the broker)."""
        if name not in SERVICE_ORDER:
            raise StackError(f"unknown service {name!r}", f"choose one of {', '.join(SERVICE_ORDER)}")
        self._stop(name)

    def start_service(self, name: str) -> None:
        """Start one stopped service again on its previous ports."""
        if not self._running(name):
            self._start(name)

    def status(self) -> list[ServiceStatus]:
        """Each service, its address, and whether it answers now."""
        rows = []
        for name in SERVICE_ORDER:
            address = self._address(name)
            if self._external(name):
                state = "external"
            elif not self._running(name):
                state = "stopped"
            else:
                state = "running" if self._answers(name, address) else "not responding"
            rows.append(ServiceStatus(name, address, state, str(self.log_path(name))))
        return rows

    def _answers(self, name: str, address: str) -> bool:
        try:
            if name == "kafka":
                return services.kafka_ok(address)
            if name == "registry":
                return services.http_ok(f"{address}/subjects")
            return services.http_ok(f"{address}/ping", b"Ok.\n")
        except Exception:
            return False
