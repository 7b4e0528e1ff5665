"""The pipelines of the benchmark: how each starts, where its input is, which consumer group's
commits show its progress, and where its results become queryable.

The platform runs as deployments of `ioc worker`: a topic prefix (`IOC_TOPIC_PREFIX`) of their own, so
that each run starts with empty changelogs and consumer groups and its results pass through its own
indicators topic, and one process per worker, each a static member of the deployment's group under an
instance id of its own (`IOC_STREAMS_INSTANCE_ID`; two workers on one host must not share one).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from streams.model.indicators import TRAFFIC_VOLUME
from topics.catalog import CAMERA_VEHICLE_COUNTS

REPO = Path(__file__).resolve().parents[2]
# The worker's consumer group after its deployment's prefix (`IOC_STREAMS_APP_ID`); given to the
# workers explicitly, so a value exported in the shell cannot move them to another group.
PLATFORM_APP_ID = "ioc-streams"


@dataclass(frozen=True)
class Pipeline:
    name: str
    label: str
    topic: str
    group: str
    # Where its results land: table and the column holding the camera id (probe ids are cameras).
    table: str
    column: str
    where: str
    computes: str  # what it aggregates, printed with the results so the ratios can be read rightly
    # The platform deployment (topic prefix) whose warehouse sinks store its results, None when the
    # pipeline inserts into ClickHouse itself.
    deployment: str | None = None
    workers: int = 0  # `ioc worker` processes of the platform; 0: the pipeline's own single process

    def probe_query(self) -> str:
        """The probes seen so far; the prefix is a query parameter, the names are this module's constants."""
        extra = f" AND {self.where}" if self.where else ""
        return (
            f"SELECT DISTINCT {self.column} FROM {self.table}"  # noqa: S608 - constants, no input
            f" WHERE startsWith({self.column}, {{prefix:String}}){extra}"
        )


@dataclass(frozen=True)
class ProcessSpec:
    """One process of a pipeline: its name (and log's), command line and environment (added to the
    benchmark's own)."""

    name: str
    argv: list[str]
    env: dict[str, str]


PLATFORM_COMPUTES = (
    "platform set: 1-min windows per camera, intersection and area, 1-h/5-min hopping per area; "
    "each event_id once; provisional + final with revisions; late events routed; state in changelogs; "
    "results, changelogs and offsets committed in Kafka transactions"
)


def platform(name: str, label: str, deployment: str, workers: int) -> Pipeline:
    """The platform's traffic pipeline as a deployment of `workers` stream workers under a topic prefix:
    its input topic, consumer group and (through the warehouse's sinks) its indicators are that prefix's."""
    return Pipeline(
        name,
        label,
        CAMERA_VEHICLE_COUNTS.full_name(deployment),
        f"{deployment}{PLATFORM_APP_ID}",
        "indicators",
        "entity_id",
        f"indicator = '{TRAFFIC_VOLUME}'",
        PLATFORM_COMPUTES,
        deployment,
        workers,
    )


# The one-worker platform keeps the topics' own names (no prefix), as a single deployment has them.
PLATFORM = platform("platform", "Platform (stream engine, exactly once)", "", 1)
# Run after it on the same broker, warehouse and tables, but its own topics, changelogs and groups.
PLATFORM_2W = platform("platform_2w", "Platform, 2 workers", "bench.2w.", 2)
CEILING = Pipeline(
    "python_ceiling",
    "Python ceiling",
    "bench.ceiling.vehicle-counts",
    "bench-ceiling",
    "bench_indicators",
    "camera_id",
    "pipeline = 'python_ceiling'",
    "same indicator set and duplicate handling as the platform, in plain Python "
    "(no changelog, no finals, no late-event routing)",
)
QUIX = Pipeline(
    "quix",
    "Quix Streams 3.28.1",
    "bench.quix.vehicle-counts",
    "bench-quix",
    "bench_indicators",
    "camera_id",
    "pipeline = 'quix'",
    "per-camera 1-min volume and speed only, duplicates counted again (less work than the platform)",
)
NAIVE = Pipeline(
    "naive_faust",
    "Naive Faust (await per event)",
    "bench.naive.vehicle-counts",
    "bench-naive-faust",
    "indicators",
    "entity_id",
    f"indicator = '{TRAFFIC_VOLUME}'",
    "per-camera 1-min volume only, duplicates counted again (less work than the platform)",
    # It sends its results to the unprefixed indicators topic, for the warehouse's sinks to store.
    deployment="",
)
PIPELINES = (PLATFORM, PLATFORM_2W, CEILING, QUIX, NAIVE)


def command(pipeline: Pipeline, config_file: Path, quix_python: Path) -> list[str]:
    """How one of the pipeline's processes is started (the platform's worker is `ioc worker` itself)."""
    if pipeline.workers:
        return [sys.executable, "-m", "ioc.cli", "worker"]
    if pipeline is CEILING:
        return [sys.executable, "-m", "load_tests.benchmark.ceiling", str(config_file)]
    if pipeline is QUIX:
        return [str(quix_python), "-m", "load_tests.benchmark.quix_pipeline", str(config_file)]
    return [
        sys.executable,
        "-m",
        "load_tests.benchmark.naive_faust",
        str(config_file),
        "worker",
        "-l",
        "warn",
    ]


def processes(pipeline: Pipeline, config_file: Path, quix_python: Path) -> list[ProcessSpec]:
    """Every process of the pipeline: one per platform worker, each under its own instance id in the
    deployment's group, or the peer's single process."""
    argv = command(pipeline, config_file, quix_python)
    if not pipeline.workers:
        return [ProcessSpec(pipeline.name, argv, {})]
    assert pipeline.deployment is not None  # noqa: S101 - the platform always has one
    return [
        ProcessSpec(
            f"{pipeline.name}-w{n}",
            argv,
            {
                "IOC_TOPIC_PREFIX": pipeline.deployment,
                "IOC_STREAMS_APP_ID": PLATFORM_APP_ID,
                "IOC_STREAMS_INSTANCE_ID": f"bench-{pipeline.name}-w{n}",
            },
        )
        for n in range(1, pipeline.workers + 1)
    ]
