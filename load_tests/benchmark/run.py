"""The benchmark run: one local stack (Kafka, registry, warehouse), the same data offered to each
pipeline in turn on its own input topic, every figure measured the same way, the results written."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import clickhouse_connect
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic
from rich.console import Console

from avro_schemas import load_schema
from ioc.contracts import apply_contracts
from ioc.endpoints import Endpoints, resolve
from ioc.province import load_province
from ioc.serde import AvroEncoder, registry_client
from ioc.settings import Settings
from ioc.stack import process
from ioc.stack.manager import LocalStack
from load_tests.benchmark.child_config import RESULT_TABLE
from load_tests.benchmark.data import TrafficData
from load_tests.benchmark.driver import Driver, LagMeter, group_members
from load_tests.benchmark.layout import layout_json
from load_tests.benchmark.measure import Result, Target, measure
from load_tests.benchmark.modes import MODES, Mode
from load_tests.benchmark.pipelines import PIPELINES, QUIX, Pipeline, ProcessSpec, processes
from load_tests.benchmark.report import document, print_table, write_json
from load_tests.benchmark.venv import quix_python
from topics.catalog import CAMERA_VEHICLE_COUNTS
from warehouse.users import WRITER, client_auth

Progress = Callable[[str], None]
# Two workers normally share their group a few seconds after they start.
JOIN_TIMEOUT_S = 90
JOIN_ATTEMPTS = 2
RESULT_DDL = f"""
CREATE TABLE IF NOT EXISTS {RESULT_TABLE}
(
    pipeline LowCardinality(String),
    camera_id String,
    window_start DateTime64(3, 'UTC'),
    volume Float64,
    average_speed Nullable(Float64),
    speed_ratio Nullable(Float64),
    congestion_level Nullable(UInt8),
    computed_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree ORDER BY (pipeline, camera_id, window_start)
"""


class Bench:
    """The stack and everything shared by the pipelines' runs."""

    def __init__(self, settings: Settings, workdir: Path, progress: Progress) -> None:
        self.workdir = workdir
        # The unprefixed deployment first: the warehouse's sinks start on it (`deploy` moves them).
        self.settings = settings.model_copy(
            update={
                "stack": settings.stack.model_copy(update={"dir": workdir / "stack"}),
                "topic_prefix": "",
            }
        )
        self.progress = progress
        self.stack = LocalStack(self.settings, progress)
        self.endpoints: Endpoints | None = None
        self.admin: AdminClient | None = None
        self.deployments: set[str] = set()  # topic prefixes whose contracts are applied

    def _apply(self, endpoints: Endpoints, prefix: str) -> None:
        apply_contracts(endpoints, prefix, self.progress)
        self.deployments.add(prefix)

    def up(self) -> Endpoints:
        self.endpoints = self.stack.up(prepare=lambda ep: self._apply(ep, ""))
        peers = [p for p in PIPELINES if not p.workers]
        # One admin client for the whole run (creating topics, describing groups), dropped before the
        # broker stops; its informational lines (a purged background queue at exit) are not shown.
        self.admin = AdminClient(self.endpoints.kafka_client() | {"log_level": 5})
        futures = self.admin.create_topics(
            [
                NewTopic(
                    p.topic,
                    CAMERA_VEHICLE_COUNTS.partitions,
                    1,
                    config={"message.timestamp.type": "LogAppendTime"},
                )
                for p in peers
            ]
        )
        for future in futures.values():
            future.result()
        self.warehouse().command(RESULT_DDL)
        return self.endpoints

    def warehouse(self) -> clickhouse_connect.driver.client.Client:
        assert self.endpoints is not None  # noqa: S101 - after up()
        return clickhouse_connect.get_client(
            dsn=self.endpoints.clickhouse,
            database="ioc",
            autogenerate_session_id=False,
            **client_auth(self.settings, WRITER),
        )

    def warehouse_pid(self) -> int:
        return int(str(self.stack.state["warehouse"]["pid"]))

    def deploy(self, prefix: str) -> None:
        """The deployment's topics and schemas, and the warehouse's sinks reading its topics (the
        warehouse restarts when they read another deployment's: its sinks follow one prefix)."""
        assert self.endpoints is not None  # noqa: S101 - after up()
        if prefix not in self.deployments:
            self._apply(self.endpoints, prefix)
        if self.settings.topic_prefix != prefix:
            self.progress(f"warehouse: restarting with its sinks on the deployment {prefix!r}…")
            self.settings = self.settings.model_copy(update={"topic_prefix": prefix})
            self.stack.settings = self.settings
            self.stack.stop_service("warehouse")
            self.stack.start_service("warehouse")
            self.endpoints = resolve(self.settings)

    def child_config(self, pipeline: Pipeline) -> Path:
        """The peer's settings file (0600: it holds the writer's password)."""
        assert self.endpoints is not None  # noqa: S101 - after up()
        path = self.workdir / f"{pipeline.name}.json"
        auth = client_auth(self.settings, WRITER)
        config: dict[str, Any] = {
            "pipeline": pipeline.name,
            "bootstrap": self.endpoints.kafka,
            "registry": self.endpoints.registry,
            "topic": pipeline.topic,
            "group": pipeline.group,
            "schema": load_schema(CAMERA_VEHICLE_COUNTS.schema),
            "layout": layout_json(load_province(self.settings.province_file)),
            "state_dir": str(self.workdir / f"state-{pipeline.name}"),
            "clickhouse": {"url": self.endpoints.clickhouse, "database": "ioc", **auth},
        }
        path.touch(mode=0o600)
        path.write_text(json.dumps(config), encoding="utf-8")
        return path

    def log(self, name: str) -> Path:
        return self.workdir / "logs" / f"{name}.log"

    def start(self, spec: ProcessSpec) -> int:
        env = {"IOC_STACK_DIR": str(self.stack.dir), "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        return process.start(spec.name, spec.argv, self.log(spec.name), env=env | spec.env)

    def down(self) -> None:
        self.admin = None
        self.stack.down()


def wait_for_workers(bench: Bench, pipeline: Pipeline, pids: list[int]) -> dict[str, int]:
    """Until every worker of the platform is a member of its group holding input partitions (a
    second worker joining mid-measurement would rebalance the first); returns the input partitions
    each holds."""
    assert bench.admin is not None  # noqa: S101 - after up()
    deadline = time.monotonic() + JOIN_TIMEOUT_S
    held: dict[str, int] = {}
    while time.monotonic() < deadline:
        if not all(process.is_alive(pid) for pid in pids):
            raise RuntimeError(f"{pipeline.name}: a worker exited before joining its group")
        try:
            held = group_members(bench.admin, pipeline.group, pipeline.topic)
        except KafkaException:  # the coordinator may not know the group before its first worker joins
            held = {}
        if len(held) == pipeline.workers and all(held.values()):
            return held
        time.sleep(1)
    raise RuntimeError(
        f"{pipeline.workers} workers not sharing group {pipeline.group} after {JOIN_TIMEOUT_S} s "
        f"(input partitions held: {shares(held) or 'none'})"
    )


def start_workers(bench: Bench, pipeline: Pipeline, specs: list[ProcessSpec], pids: list[int]) -> list[str]:
    """Start the platform's workers (their pids go into `pids`, which the caller stops) and wait until
    they share the group; returns notes. Two workers started together have been seen to stay stuck
    in their first rebalance (the first one's revoke waiting on its transaction's offset commit):
    then every worker is stopped and started again, once, and the note says so."""
    notes: list[str] = []
    for attempt in range(1, JOIN_ATTEMPTS + 1):
        pids.extend(bench.start(spec) for spec in specs)
        try:
            held = wait_for_workers(bench, pipeline, pids)
        except RuntimeError as exc:
            if attempt == JOIN_ATTEMPTS:
                raise
            notes.append(f"start {attempt}: {exc}; every worker stopped and started again")
            bench.progress(f"{pipeline.name}: {notes[-1]}")
            for pid in pids:
                process.stop(pid)
            pids.clear()
            continue
        notes.append(f"group {pipeline.group}, input partitions held at the start: {shares(held)}")
        break
    return notes


def shares(held: dict[str, int]) -> str:
    return ", ".join(f"{member} {n}" for member, n in sorted(held.items()))


def run_pipeline(bench: Bench, pipeline: Pipeline, data: TrafficData, mode: Mode, quix: Path) -> Result:
    if pipeline.deployment is not None:
        bench.deploy(pipeline.deployment)
    endpoints = bench.endpoints
    assert endpoints is not None  # noqa: S101 - after up()
    client = bench.warehouse()

    def find(prefix: str) -> set[str]:
        return {
            row[0] for row in client.query(pipeline.probe_query(), parameters={"prefix": prefix}).result_rows
        }

    lag = LagMeter(endpoints.kafka, pipeline.topic, CAMERA_VEHICLE_COUNTS.partitions, pipeline.group)
    driver = Driver(endpoints.kafka, pipeline.topic, data)
    messages = data.messages(datetime.now(UTC))
    per_message = sum(n for _, n in messages) / len(messages)
    specs = processes(pipeline, bench.child_config(pipeline), quix)
    bench.progress(f"{pipeline.name}: starting {', '.join(spec.name for spec in specs)}…")
    pids: list[int] = []
    try:
        if pipeline.workers:
            notes = start_workers(bench, pipeline, specs, pids)
        else:
            notes = []
            pids.extend(bench.start(spec) for spec in specs)
        result = measure(
            Target(tuple(pids), bench.warehouse_pid(), lag, driver, find, per_message),
            pipeline.name,
            pipeline.label,
            mode,
            bench.progress,
        )
        result.notes += notes
        if pipeline.workers and bench.admin is not None:
            try:
                after = shares(group_members(bench.admin, pipeline.group, pipeline.topic))
            except KafkaException as exc:
                after = f"not described ({exc})"
            result.notes.append(f"group {pipeline.group}, input partitions held at the end: {after}")
        if pipeline.workers > 1:
            result.notes.append(
                f"CPU and peak RSS cover all {pipeline.workers} worker processes; peak RSS is the sum of "
                "each worker's own peak (VmHWM), never less than their peak together"
            )
        return result
    except RuntimeError as exc:
        tails = "\n".join(f"{spec.name}:\n{process.tail(bench.log(spec.name), 20)}" for spec in specs)
        bench.progress(f"{pipeline.name}: {exc}\n{tails}")
        return Result(pipeline.name, pipeline.label, notes=[str(exc)])
    finally:
        for pid in pids:
            process.stop(pid)
        driver.flush()
        lag.close()
        client.close()


def run_benchmark(
    settings: Settings, mode: Mode, progress: Progress, only: tuple[str, ...] = (), keep: bool = False
) -> list[Result]:
    """Every pipeline (or those named in `only`) through every phase, one after the other.

    `keep` leaves the working folder (the pipelines' logs, the stack's data) for a look afterwards."""
    pipelines = [p for p in PIPELINES if not only or p.name in only]
    quix = quix_python(settings.bench.quix_venv, progress) if QUIX in pipelines else Path()
    workdir = Path(tempfile.mkdtemp(prefix="ioc-bench-"))
    bench = Bench(settings, workdir, progress)
    try:
        endpoints = bench.up()
        encoder = AvroEncoder.for_subject(
            registry_client(endpoints),
            CAMERA_VEHICLE_COUNTS.subject(),
            load_schema(CAMERA_VEHICLE_COUNTS.schema),
        )
        data = TrafficData(load_province(settings.province_file), settings.bench.seed, encoder)
        return [run_pipeline(bench, pipeline, data, mode, quix) for pipeline in pipelines]
    finally:
        bench.down()
        if keep:
            progress(f"kept the working folder {workdir} (logs in {workdir / 'logs'})")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run_and_report(
    mode: str, only: tuple[str, ...] = (), output: Path | None = None, keep: bool = False
) -> Path:
    """Run the benchmark, print its table and write its JSON; returns the JSON's path."""
    console = Console(stderr=True)
    settings = Settings()
    started = datetime.now(UTC)
    results = run_benchmark(
        settings, MODES[mode], lambda message: console.print(f"[dim]{message}[/dim]"), only, keep
    )
    command = f"python -m load_tests.benchmark --mode {mode}" + "".join(f" --only {name}" for name in only)
    doc = document(results, mode, command, started)
    print_table(doc, Console(width=170))
    path = output or settings.bench.results_dir / f"benchmark-{mode}-{started:%Y%m%dT%H%M}Z.json"
    write_json(doc, path)
    console.print(f"results: {path}")
    return path
