"""The pipelines of the benchmark: how each starts, where its input is, which consumer group's
commits show its progress, and where its results become queryable."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from streams.model.indicators import TRAFFIC_VOLUME
from topics.catalog import CAMERA_VEHICLE_COUNTS

REPO = Path(__file__).resolve().parents[2]


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

    def probe_query(self) -> str:
        """The probes seen so far; the prefix is a query parameter, the names are this module's constants."""
        extra = f" AND {self.where}" if self.where else ""
        return (
            f"SELECT DISTINCT {self.column} FROM {self.table}"  # noqa: S608 - constants, no input
            f" WHERE startsWith({self.column}, {{prefix:String}}){extra}"
        )


PLATFORM = Pipeline(
    "platform",
    "Platform (stream engine, exactly once)",
    CAMERA_VEHICLE_COUNTS.full_name(),
    "ioc-streams",
    "indicators",
    "entity_id",
    f"indicator = '{TRAFFIC_VOLUME}'",
    "platform set: 1-min windows per camera, intersection and area, 1-h/5-min hopping per area; "
    "each event_id once; provisional + final with revisions; late events routed; state in changelogs; "
    "results, changelogs and offsets committed in Kafka transactions",
)
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
)
PIPELINES = (PLATFORM, CEILING, QUIX, NAIVE)


def command(pipeline: Pipeline, config_file: Path, quix_python: Path) -> list[str]:
    """How the pipeline's process is started (the platform's worker is `ioc worker` itself)."""
    if pipeline is PLATFORM:
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
