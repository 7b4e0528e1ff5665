"""The benchmark run: one local stack (Kafka, registry, warehouse), the same data offered to each
pipeline in turn on its own input topic, every figure measured the same way, the results written."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import clickhouse_connect
from confluent_kafka.admin import AdminClient, NewTopic
from rich.console import Console

from avro_schemas import load_schema
from ioc.contracts import apply_contracts
from ioc.endpoints import Endpoints
from ioc.province import load_province
from ioc.serde import AvroEncoder, registry_client
from ioc.settings import Settings
from ioc.stack import process
from ioc.stack.manager import LocalStack
from load_tests.benchmark.child_config import RESULT_TABLE
from load_tests.benchmark.data import TrafficData
from load_tests.benchmark.driver import Driver, LagMeter
from load_tests.benchmark.layout import layout_json
from load_tests.benchmark.measure import Result, Target, measure
from load_tests.benchmark.modes import MODES, Mode
from load_tests.benchmark.pipelines import PIPELINES, PLATFORM, QUIX, Pipeline, command
from load_tests.benchmark.report import document, print_table, write_json
from load_tests.benchmark.venv import quix_python
from topics.catalog import CAMERA_VEHICLE_COUNTS
from warehouse.users import WRITER, client_auth

Progress = Callable[[str], None]
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
        self.settings = settings.model_copy(
            update={"stack": settings.stack.model_copy(update={"dir": workdir / "stack"})}
        )
        self.progress = progress
        self.stack = LocalStack(self.settings, progress)
        self.endpoints: Endpoints | None = None

    def up(self) -> Endpoints:
        self.endpoints = self.stack.up(prepare=lambda ep: apply_contracts(ep, "", self.progress))
        peers = [p for p in PIPELINES if p is not PLATFORM]
        admin = AdminClient(
            {"bootstrap.servers": self.endpoints.kafka}
        )  # kept alive until the futures resolve
        futures = admin.create_topics(
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

    def start(self, pipeline: Pipeline, quix: Path) -> int:
        env = {
            "IOC_STACK_DIR": str(self.stack.dir),
            "IOC_STREAMS_DATA_DIR": str(self.workdir / "streams"),
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        }
        argv = command(pipeline, self.child_config(pipeline), quix)
        return process.start(pipeline.name, argv, self.workdir / "logs" / f"{pipeline.name}.log", env=env)

    def down(self) -> None:
        self.stack.down()


def run_pipeline(bench: Bench, pipeline: Pipeline, data: TrafficData, mode: Mode, quix: Path) -> Result:
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
    bench.progress(f"{pipeline.name}: starting…")
    pid = bench.start(pipeline, quix)
    try:
        return measure(
            Target(pid, bench.warehouse_pid(), lag, driver, find, per_message),
            pipeline.name,
            pipeline.label,
            mode,
            bench.progress,
        )
    except RuntimeError as exc:
        log = bench.workdir / "logs" / f"{pipeline.name}.log"
        bench.progress(f"{pipeline.name}: {exc}\n{process.tail(log, 20)}")
        return Result(pipeline.name, pipeline.label, notes=[str(exc)])
    finally:
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
            registry_client(endpoints.registry),
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
