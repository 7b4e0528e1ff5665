"""streams/model stays pure: no stream engine, Kafka client or ClickHouse client is imported by any of
its modules, so the wall, the docs generator and the alert rules' validation can use it on their own.

Each module is imported in a fresh interpreter, because in this one the other tests have long since
imported faust and the rest.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import streams.model

ENGINES = ("faust", "aiokafka", "confluent_kafka", "clickhouse_connect", "chdb")
PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted({name.partition(".")[0] for name in sys.modules})))
"""
MODULES = sorted(
    ["streams.model"]
    + [info.name for info in pkgutil.walk_packages(streams.model.__path__, "streams.model.")]
)


def test_the_walk_finds_the_model() -> None:
    assert {"streams.model.indicators", "streams.model.alerting.rules"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_no_engine(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, module], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    assert loaded.isdisjoint(ENGINES), f"{module} imports {sorted(loaded & set(ENGINES))}"
