"""Every Kafka consumer of the platform that may read what the stream worker writes reads only committed
transactions (`isolation.level=read_committed`): the worker writes its outputs (ioc.derived.*, the
dead-letter and late-event topics) in Kafka transactions, and an aborted one leaves its records in the
log, where a read_uncommitted consumer would store or route them.

The configs are checked where they are built, and a scan of the platform's code finds every
`Consumer(...)`, so a new consumer must be built the same way or be listed below with its reason."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

import sinks.sink
from ioc.settings import Settings
from routing.service import router_consumer_config
from sinks.sink import TopicSink, sink_consumer_config
from sinks.tables import MAPPINGS

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = ("sinks", "routing", "ioc", "ingest", "warehouse", "load_tests")
BUILDERS = {"sink_consumer_config", "router_consumer_config"}
# Consumers that never read a topic the stream worker writes.
EXEMPT = {
    "load_tests/benchmark/driver.py": "reads only the committed offsets of the benchmark's input topic",
    "load_tests/benchmark/ceiling.py": "the Python ceiling reads the benchmark's input topic",
    "ingest/shared_topics.py": "reads only the gateways' keys and members topics, written without transactions",
}


def test_the_sinks_consumer_reads_committed_transactions_and_commits_itself() -> None:
    config = sink_consumer_config({"bootstrap.servers": "127.0.0.1:9", "group.id": "g"})
    assert config == {
        "bootstrap.servers": "127.0.0.1:9",
        "group.id": "g",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
    }


def test_the_base_config_cannot_turn_read_committed_off() -> None:
    config = sink_consumer_config({"group.id": "g", "isolation.level": "read_uncommitted"})
    assert config["isolation.level"] == "read_committed"


@pytest.mark.parametrize("mapping", MAPPINGS, ids=lambda m: m.topic.name)
def test_every_sink_builds_its_consumer_from_that_config(
    mapping: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[dict[str, Any]] = []

    class Recorder:
        def __init__(self, config: dict[str, Any]) -> None:
            built.append(config)

    monkeypatch.setattr(sinks.sink, "Consumer", Recorder)
    TopicSink(
        mapping,
        mapping.topic.full_name(),
        {"bootstrap.servers": "127.0.0.1:9", "group.id": "unit"},
        decoder=None,  # type: ignore[arg-type]
        client_factory=lambda: None,  # type: ignore[arg-type,return-value]
        dead_letters=None,
        batch_max_records=10,
        batch_max_seconds=1.0,
    )
    assert built == [sink_consumer_config({"bootstrap.servers": "127.0.0.1:9", "group.id": "unit"})]


def test_the_alert_routers_consumer_reads_committed_transactions() -> None:
    settings = Settings(topic_prefix="t1.")
    client = {"bootstrap.servers": "127.0.0.1:9", "security.protocol": "SASL_SSL"}
    assert router_consumer_config(client, settings) == {
        "bootstrap.servers": "127.0.0.1:9",
        "security.protocol": "SASL_SSL",
        "group.id": f"t1.{settings.routing.group_id}",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
    }


def consumer_calls() -> list[tuple[str, int, ast.Call]]:
    """Every `Consumer(...)` call in the platform's code: file, line, call."""
    found = []
    for package in PLATFORM:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Consumer":
                    found.append((str(path.relative_to(ROOT)), node.lineno, node))
    return found


def test_every_consumer_of_the_platform_is_built_read_committed_or_has_its_reason() -> None:
    calls = consumer_calls()
    assert {file for file, _, _ in calls} >= {"sinks/sink.py", "routing/service.py"}
    unbuilt = [
        f"{file}:{line}"
        for file, line, call in calls
        if file not in EXEMPT
        and not (
            call.args
            and isinstance(call.args[0], ast.Call)
            and getattr(call.args[0].func, "id", None) in BUILDERS
        )
    ]
    assert unbuilt == [], "build these consumers with sink_consumer_config or router_consumer_config"
    assert {file for file, _, _ in calls} >= EXEMPT.keys(), "an exemption whose consumer is gone"
