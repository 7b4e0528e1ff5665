"""The platform the chaos run attacks: a three-broker cluster with every service several times where
the design allows it, each a process of its own that a fault can kill.

- the local stack with three KRaft brokers, the registry and the warehouse (chDB: one process owns
  the data, so one warehouse; its sinks run inside it);
- three stream workers of one group;
- two gateways on their own ports (the load driver is their load balancer), each with its own
  memory of event ids, as two hosts would have;
- a second set of sinks, `ioc sinks run`, writing to the warehouse over HTTP through a TCP proxy
  that a fault cuts: the sinks' consumer groups split the partitions between it and the warehouse's
  own sinks;
- the alert router (messages written to its log).

Every child is started with the command compose runs, and kept running as compose's
`restart: unless-stopped` would: one that exits is started again, except while a fault holds it down.
A stack service a fault took down is started again in the background, as compose would, without
waiting for it to be ready: the run measures recovery while it starts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from confluent_kafka import TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from ioc.contracts import apply_contracts
from ioc.endpoints import Endpoints
from ioc.settings import Settings, StackSettings
from ioc.stack import process
from ioc.stack.artifacts import Progress
from ioc.stack.manager import LocalStack
from ioc.stack.ports import free_port
from ioc.stack.services import http_ok
from ioc.stack.supervisor import Supervisor
from load_tests.chaos.proxy import TcpProxy
from streams.engine.runtime import READY
from topics.catalog import CAMERA_VEHICLE_COUNTS
from warehouse.users import WRITER, password_for

BROKERS = 3
WORKERS = 3
GATEWAYS = 2
KEY_ID = "chaos-load"
KEY_RATE_PER_S = 1000.0
# Faster than the defaults, so that a fault's effect fits in a run of minutes: a worker whose commit
# hangs on a lost coordinator exits (and is started again) after this long.
WORKER_ENV = {"IOC_STREAMS_STUCK_COMMIT_S": "20"}
READY_TIMEOUT_S = 180.0
# A stack service started again mid-run (the registry after its outage, a killed broker) starts on a
# machine the run keeps busy: Apicurio took 111 s to start there in one run, past the stack's default.
RESTART_TIMEOUT_S = 300.0


class ChaosPlatform:
    """Starts, watches, kills and restarts the parts; `endpoints` once `start` returned."""

    def __init__(self, stack_dir: Path, progress: Progress) -> None:
        self.settings = Settings(
            stack=StackSettings(dir=stack_dir, brokers=BROKERS, startup_timeout_s=RESTART_TIMEOUT_S)
        )
        self.stack = LocalStack(self.settings, progress)
        self.progress = progress
        self.children = Supervisor(progress, starting="starting {name}…")
        self.proxy: TcpProxy | None = None
        self.endpoints: Endpoints | None = None
        self.gateway_urls: list[str] = []
        self._starting: list[threading.Thread] = []
        self._start_errors: list[Exception] = []

    def start(self) -> str:
        """Bring everything up; returns the API key's secret the load driver sends with."""
        self.endpoints = self.stack.up(
            prepare=lambda ep: apply_contracts(ep, self.settings.topic_prefix, self.progress)
        )
        secret = self._api_key()
        base = {"IOC_STACK_DIR": str(self.stack.dir)}
        python = [sys.executable, "-m", "ioc.cli"]
        for n in range(1, WORKERS + 1):
            name = f"worker-{n}"
            log = self.stack.log_path(name)
            self._add(
                name,
                [*python, "worker"],
                base | WORKER_ENV | {"IOC_STREAMS_INSTANCE_ID": f"w{n}"},
                lambda log=log: READY in process.tail(log, 200),  # type: ignore[misc]
            )
        for n in range(1, GATEWAYS + 1):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            self.gateway_urls.append(url)
            dedup = self.stack.dir / "ingest" / f"dedup-{n}.sqlite3"
            self._add(
                f"gateway-{n}",
                [*python, "ingest", "serve"],
                base | {"IOC_INGEST_PORT": str(port), "IOC_INGEST_DEDUP_FILE": str(dedup)},
                lambda url=url: http_ok(f"{url}/health"),  # type: ignore[misc]
            )
        self.proxy = TcpProxy(int(str(self.stack.state["warehouse"]["port"])))
        writer = password_for(self.settings, WRITER)
        started = time.monotonic()
        self._add(
            "sinks-2",
            [*python, "sinks", "run"],
            base | {"CLICKHOUSE_URL": f"http://{WRITER}:{writer}@127.0.0.1:{self.proxy.port}/ioc"},
            lambda: time.monotonic() - started > 5,
        )
        ack_port = free_port()
        self._add(
            "router",
            [*python, "alerts", "run"],
            base | {"IOC_ROUTING_DELIVERY": "log", "IOC_ROUTING_ACK_PORT": str(ack_port)},
            lambda: http_ok(f"http://127.0.0.1:{ack_port}/healthz"),
        )
        self.children.start()
        return secret

    def _api_key(self) -> str:
        """A production key for every feed and source, fast enough for the whole province, made as an
        operator makes one (`ioc ingest keys add`: its secret is the last line it prints)."""
        added = subprocess.run(  # noqa: S603 - our own command line
            [sys.executable, "-m", "ioc.cli", "ingest", "keys", "add", f"{KEY_ID}-{uuid.uuid4().hex[:6]}"]
            + ["--feed", "*", "--source", "*", "--rate", str(KEY_RATE_PER_S)],
            env=os.environ | {"IOC_STACK_DIR": str(self.stack.dir)},
            capture_output=True,
            text=True,
            check=True,
        )
        return added.stdout.strip().splitlines()[-1]

    def _add(self, name: str, argv: list[str], env: dict[str, str], ready: Callable[[], bool]) -> None:
        readiness = process.Readiness(ready, READY_TIMEOUT_S)
        self.children.add(name, argv, self.stack.log_path(name), env=env, readiness=readiness)

    def kill(self, name: str) -> None:
        """SIGKILL a child or a stack service, as a crash would; it stays down until `restart`."""
        if name in self.children:
            self.children.hold(name)
        else:
            self.stack.kill_service(name)

    def restart(self, name: str) -> None:
        """Start a part a fault took down again: a child at once (its supervisor waits for it), a
        stack service in the background (`settle` waits for it)."""
        if name in self.children:
            self.children.release(name)
            return
        thread = threading.Thread(target=self._start_service, args=(name,), name=f"start-{name}", daemon=True)
        self._starting.append(thread)
        thread.start()

    def _start_service(self, name: str) -> None:
        try:
            self.stack.start_service(name)
        except Exception as exc:  # raised by `settle`, in the run's thread
            self._start_errors.append(exc)

    def settle(self) -> None:
        """Wait until every stack service being started again is ready; raise if one could not start
        (the run cannot go on to a fault of the stack, or to its checks, without it)."""
        for thread in self._starting:
            thread.join()
        self._starting.clear()
        if self._start_errors:
            raise self._start_errors.pop(0)

    def stop_service(self, name: str) -> None:
        """Stop a stack service cleanly (the registry's planned outage)."""
        self.stack.stop_service(name)

    def service_pid(self, name: str) -> int:
        return int(str(self.stack.state[name]["pid"]))

    def revive(self) -> list[str]:
        """Start again every child that exited by itself (a worker leaving after a hung commit)."""
        return self.children.revive()

    def busiest_leader(self) -> str:
        """The stack name of the broker leading the vehicle-count partition with the most records."""
        assert self.endpoints is not None  # noqa: S101 - after start
        topic = CAMERA_VEHICLE_COUNTS.full_name(self.settings.topic_prefix)
        admin = AdminClient(self.endpoints.kafka_client())
        partitions = admin.list_topics(topic, timeout=30).topics[topic].partitions
        latest = admin.list_offsets({TopicPartition(topic, p): OffsetSpec.latest() for p in partitions})
        ends = {tp.partition: future.result().offset for tp, future in latest.items()}
        leader = partitions[max(ends, key=lambda p: ends[p])].leader
        return "kafka" if leader == 1 else f"kafka-{leader}"

    def stop(self) -> None:
        """Stop every child, then the stack; the data stays for a look afterwards."""
        self.children.stop_all()
        if self.proxy is not None:
            self.proxy.close()
        self.stack.down()
