"""`ioc stack up | down | status | logs`: the local stack's life cycle.

Order matters: Kafka first (Apicurio stores its schemas in Kafka), then the registry, then the
data contracts (topics and schemas, so that nothing subscribes to a topic that does not exist yet),
then the warehouse. Services configured from outside (`KAFKA_BOOTSTRAP_SERVERS`, …) are used as
they are and never started or stopped here.

Kafka is one node by default, or a KRaft cluster of `IOC_STACK_BROKERS` nodes (`ioc stack up
--brokers 3`): services `kafka`, `kafka-2`, `kafka-3`, each a broker and a controller voter. A
cluster's nodes start together (none is ready before a majority of voters runs), and its size is
fixed when its storage is formatted: the stack remembers it and refuses another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ioc.credentials import BasicAuth, KafkaAuth
from ioc.endpoints import Endpoints, local_urls, read_state, registry_ready_url, resolve, write_state
from ioc.settings import Settings
from ioc.stack import process, services
from ioc.stack.artifacts import Progress
from ioc.stack.errors import StackError
from ioc.stack.java import find_java
from ioc.stack.ports import claim_port, is_listening
from ioc.stack.secrets import StackSecrets

AFTER_KAFKA = ("registry", "warehouse")
Prepare = Callable[[Endpoints], None]


def kafka_names(brokers: int) -> list[str]:
    """The stack's names of the Kafka nodes: `kafka` (node 1), then `kafka-2`, `kafka-3`, …"""
    return ["kafka", *(f"kafka-{n}" for n in range(2, brokers + 1))]


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
        kafka = self.state.get("kafka")
        # A stack from before clusters has no count recorded: it is one broker.
        self.brokers = int(str(kafka.get("brokers", 1))) if kafka else settings.stack.brokers
        # Fixed when the storage is formatted, like the size: the SCRAM users live in its metadata.
        wanted = settings.stack.secure
        self.secure = (
            bool(kafka.get("secure")) if kafka else wanted == "on" or (wanted == "auto" and self.brokers > 1)
        )
        self.secrets = StackSecrets(self.dir)

    def services(self) -> list[str]:
        """Every service of this stack, in start order."""
        return [*kafka_names(self.brokers), *AFTER_KAFKA]

    def log_path(self, name: str) -> Path:
        """Where a service writes its output."""
        return self.dir / "logs" / f"{name}.log"

    def _external(self, name: str) -> str:
        return {
            "kafka": self.settings.kafka.bootstrap_servers,
            "registry": self.settings.registry.url,
            "warehouse": self.settings.clickhouse.url,
        }[name.split("-")[0]]

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
        self._check_brokers()
        started: list[str] = []
        try:
            self._up_kafka(started)
            for name in AFTER_KAFKA:
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

    def _check_brokers(self) -> None:
        wanted = self.settings.stack.brokers
        if wanted < 1:
            raise StackError(f"IOC_STACK_BROKERS is {wanted}", "use 1 (the default) or 3 for a cluster")
        if wanted != self.brokers:
            raise StackError(
                f"the stack in {self.dir} was made with {self.brokers} Kafka broker(s), not {wanted}",
                f"run `ioc stack up --brokers {self.brokers}`, or give the new stack its own folder "
                "(IOC_STACK_DIR)",
            )

    def _up_kafka(self, started: list[str]) -> None:
        """Launch every Kafka node that is not running, then wait for each: a node of a cluster is
        ready only once a majority of the voters runs."""
        if self._external("kafka"):
            self.progress(f"kafka: using {self._external('kafka')}")
            return
        if self.secure:
            self._renew_certificates()
        nodes = self._kafka_nodes()  # once: every node must be given the same voters
        waiting = []
        for name in kafka_names(self.brokers):
            if self._running(name):
                self.progress(f"{name}: already running")
                continue
            waiting.append((name, self._launch(name, nodes)))
            started.append(name)
        for name, readiness in waiting:
            self._await(name, readiness)

    def _start(self, name: str) -> None:
        self._await(name, self._launch(name, self._kafka_nodes() if name.startswith("kafka") else []))

    def _launch(self, name: str, nodes: list[services.KafkaNode]) -> process.Readiness:
        """Start one service's process (a Kafka node among `nodes`) and record it; returns how to
        know it is ready."""
        stack = self.settings.stack
        log = self.log_path(name)
        entry: dict[str, object] = {"log": str(log)}
        timeout = stack.startup_timeout_s
        if name.startswith("kafka"):
            node = nodes[kafka_names(self.brokers).index(name)]
            cluster_id = str(self.state.get("kafka", {}).get("cluster_id", "")) or services.kafka_cluster_id()
            launch = services.kafka_launch(
                find_java(),
                stack.cache_dir,
                stack.kafka_version,
                node,
                nodes,
                cluster_id,
                stack.kafka_heap,
                self.progress,
                self._kafka_security(),
            )
            entry |= {"port": node.port, "controller_port": node.controller_port}
            if name == "kafka":
                entry |= {"brokers": self.brokers, "cluster_id": cluster_id, "secure": self.secure}
            client = {
                "bootstrap.servers": f"127.0.0.1:{node.port}"
            } | self._kafka_client_auth().client_config()
            readiness = process.Readiness(lambda: services.kafka_ok(client), timeout)
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
            kafka = resolve(self.settings, need=("kafka",))
            secured = None
            if self.secure:
                secured = services.RegistrySecurity(
                    self.secrets.registry(),
                    kafka.kafka_auth,
                    self.dir / "registry" / "application.properties",
                )
            launch = services.registry_launch(
                find_java(),
                stack.cache_dir,
                stack.apicurio_version,
                port,
                mport,
                kafka.kafka,
                stack.registry_heap,
                self.progress,
                secured,
            )
            entry |= {"port": port, "management_port": mport, "secure": self.secure}
            ready_url = registry_ready_url(mport)
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
        entry["pid"] = process.start(name, launch.argv, log, cwd=launch.cwd, env=launch.env)
        self.state[name] = entry
        write_state(self.dir, self.state)
        return readiness

    def _await(self, name: str, readiness: process.Readiness) -> None:
        process.wait_ready(name, int(str(self.state[name]["pid"])), self.log_path(name), readiness)
        self.progress(f"{name}: ready at {self._address(name)}")

    def _renew_certificates(self) -> None:
        """Issue the brokers' certificate again (and the CA) when it expires within
        certs.RENEW_BEFORE, and say so. Checked whether or not the stack runs, since its services
        read the files only when they start: a running one is told to be restarted."""
        renewed: list[str] = []
        self.secrets.server_cert("kafka", progress=renewed.append)
        for line in renewed:
            self.progress(line)
        running = [name for name in self.services() if self._running(name)]
        if renewed and running:
            self.progress(
                f"TLS: {', '.join(running)} still use the former certificate until restarted: "
                "`ioc stack down`, then `ioc stack up`"
            )

    def _kafka_security(self) -> services.KafkaSecurity | None:
        if not self.secure:
            return None
        return services.KafkaSecurity(
            self.secrets.server_cert("kafka"), self.secrets.kafka_broker(), (self.secrets.kafka_client(),)
        )

    def _kafka_client_auth(self) -> KafkaAuth:
        return self.secrets.kafka_client() if self.secure else KafkaAuth()

    def _kafka_nodes(self) -> list[services.KafkaNode]:
        """Every node's ports (kept from the last run while free: a cluster's voters must agree on
        them) and folder; node 1 keeps the configured ports and the folder a single broker had."""
        stack = self.settings.stack
        nodes: list[services.KafkaNode] = []
        taken: set[int] = set()
        for number, name in enumerate(kafka_names(self.brokers), start=1):
            first = number == 1
            ports = []
            for key, configured, what, env_var in (
                ("port", stack.kafka_port if first else 0, "Kafka", "IOC_STACK_KAFKA_PORT"),
                (
                    "controller_port",
                    stack.kafka_controller_port if first else 0,
                    "the Kafka controller",
                    "IOC_STACK_KAFKA_CONTROLLER_PORT",
                ),
            ):
                if self._running(name):
                    port = int(str(self.state[name][key]))
                else:
                    port = self._port(name, key, configured, what, env_var)
                    while port in taken:
                        port = self._port(name, key, 0, what, env_var)
                taken.add(port)
                ports.append(port)
            home = self.dir / ("kafka" if first else name)
            nodes.append(services.KafkaNode(number, ports[0], ports[1], home))
        return nodes

    def _address(self, name: str) -> str:
        if name.startswith("kafka"):
            entry = self.state.get(name, {})
            return self._external(name) or (f"127.0.0.1:{entry['port']}" if "port" in entry else "")
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
        for name in reversed(self.services()):
            self._stop(name)

    def stop_service(self, name: str) -> None:
        """Stop one service (tests use it to restart the registry, the broker or one cluster node)."""
        if name not in self.services():
            raise StackError(f"unknown service {name!r}", f"choose one of {', '.join(self.services())}")
        self._stop(name)

    def kill_service(self, name: str) -> None:
        """SIGKILL one service, as a crash would (the chaos tests' broker failure)."""
        entry = self.state.get(name)
        if entry and entry.get("pid"):
            process.kill(int(str(entry["pid"])))
            entry["pid"] = 0
            write_state(self.dir, self.state)

    def start_service(self, name: str) -> None:
        """Start one stopped service again on its previous ports."""
        if not self._running(name):
            self._start(name)

    def status(self) -> list[ServiceStatus]:
        """Each service, its address, and whether it answers now."""
        rows = []
        for name in self.services():
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
            if name.startswith("kafka"):
                return services.kafka_ok(
                    {"bootstrap.servers": address} | self._kafka_client_auth().client_config()
                )
            if name == "registry":
                auth = self.secrets.registry() if self.secure else BasicAuth()
                return services.http_ok(f"{address}/subjects", headers=auth.header())
            return services.http_ok(f"{address}/ping", b"Ok.\n")
        except Exception:
            return False
