"""Unit tests for ioc.endpoints: configured addresses win, the local stack's state file fills the gaps.

Every settings section is built explicitly so real KAFKA_*/SCHEMA_REGISTRY_*/CLICKHOUSE_* variables on the
machine running the tests cannot leak in (each section reads its own environment prefix when defaulted).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ioc.endpoints import STATE_FILE, Endpoints, describe, local_urls, read_state, resolve, write_state
from ioc.settings import ClickHouseSettings, KafkaSettings, RegistrySettings, Settings, StackSettings
from ioc.stack.errors import StackError

# Ports as the local stack would record them.
STATE: dict[str, dict[str, object]] = {
    "kafka": {"port": 19092, "pid": 101},
    "registry": {"port": 18081, "pid": 102},
    "warehouse": {"port": 18123, "pid": 103},
}
LOCAL_KAFKA = "127.0.0.1:19092"
LOCAL_REGISTRY = "http://127.0.0.1:18081/apis/ccompat/v7"
LOCAL_CLICKHOUSE = "http://127.0.0.1:18123"


def settings(stack_dir: Path, kafka: str = "", registry: str = "", clickhouse: str = "") -> Settings:
    """Settings isolated from the environment: every address given here, empty meaning 'not configured'."""
    return Settings(
        kafka=KafkaSettings(bootstrap_servers=kafka),
        registry=RegistrySettings(url=registry),
        clickhouse=ClickHouseSettings(url=clickhouse),
        stack=StackSettings(dir=stack_dir),
    )


def test_local_urls_from_state() -> None:
    """Each recorded service maps to the address clients use; the warehouse serves as 'clickhouse'."""
    assert local_urls(STATE) == {
        "kafka": LOCAL_KAFKA,
        "registry": LOCAL_REGISTRY,
        "clickhouse": LOCAL_CLICKHOUSE,
    }


def test_local_urls_only_for_recorded_services() -> None:
    """A service the stack did not start has no local address."""
    assert local_urls({"kafka": {"port": 9092}}) == {"kafka": "127.0.0.1:9092"}
    assert local_urls({}) == {}


def test_read_state_of_a_stack_that_never_ran(tmp_path: Path) -> None:
    """No state file means no local services, not an error."""
    assert read_state(tmp_path / "missing") == {}


def test_write_state_round_trips_and_creates_the_directory(tmp_path: Path) -> None:
    """The state is readable back exactly, even when the stack directory did not exist yet."""
    stack_dir = tmp_path / "nested" / ".stack"
    write_state(stack_dir, STATE)
    assert read_state(stack_dir) == STATE
    assert json.loads((stack_dir / STATE_FILE).read_text()) == STATE
    # The temporary file used for the atomic replace is gone.
    assert sorted(p.name for p in stack_dir.iterdir()) == ["stack.json"]


def test_write_state_replaces_the_previous_state(tmp_path: Path) -> None:
    """A restarted stack's new ports replace the old ones entirely."""
    write_state(tmp_path, STATE)
    write_state(tmp_path, {"kafka": {"port": 29092}})
    assert read_state(tmp_path) == {"kafka": {"port": 29092}}


def test_resolve_uses_the_local_stack(tmp_path: Path) -> None:
    """With nothing configured, the running local stack provides every service."""
    write_state(tmp_path, STATE)
    assert resolve(settings(tmp_path)) == Endpoints(LOCAL_KAFKA, LOCAL_REGISTRY, LOCAL_CLICKHOUSE)


def test_resolve_prefers_configured_addresses(tmp_path: Path) -> None:
    """An operator pointing at production must never be silently redirected to the local stack."""
    write_state(tmp_path, STATE)
    resolved = resolve(
        settings(
            tmp_path,
            kafka="kafka-1:9092,kafka-2:9092",
            registry="https://registry.example/apis/ccompat/v7",
            clickhouse="http://writer:secret@clickhouse:8123/ioc",
        )
    )
    assert resolved == Endpoints(
        "kafka-1:9092,kafka-2:9092",
        "https://registry.example/apis/ccompat/v7",
        "http://writer:secret@clickhouse:8123/ioc",
    )


def test_resolve_mixes_configured_and_local(tmp_path: Path) -> None:
    """Each service is resolved on its own: a configured registry with a local Kafka and warehouse."""
    write_state(tmp_path, STATE)
    resolved = resolve(settings(tmp_path, registry="http://registry:8080/apis/ccompat/v7"))
    assert resolved == Endpoints(LOCAL_KAFKA, "http://registry:8080/apis/ccompat/v7", LOCAL_CLICKHOUSE)


def test_resolve_needs_no_state_when_everything_is_configured(tmp_path: Path) -> None:
    """Production runs without any local stack directory."""
    resolved = resolve(
        settings(tmp_path / "absent", kafka="k:9092", registry="http://r", clickhouse="http://c")
    )
    assert resolved == Endpoints("k:9092", "http://r", "http://c")


def test_resolve_without_any_address_names_every_missing_service(tmp_path: Path) -> None:
    """The error says which services are missing and how to get them."""
    with pytest.raises(StackError) as info:
        resolve(settings(tmp_path))
    assert info.value.cause.startswith("no address for kafka, registry, clickhouse:")
    assert str(tmp_path) in info.value.cause
    assert "ioc stack up" in info.value.hint
    assert "KAFKA_BOOTSTRAP_SERVERS" in info.value.hint


def test_resolve_names_only_the_missing_service(tmp_path: Path) -> None:
    """With Kafka and ClickHouse known, only the registry is reported missing."""
    write_state(tmp_path, {"kafka": {"port": 19092}})
    with pytest.raises(StackError) as info:
        resolve(settings(tmp_path, clickhouse="http://c"))
    assert info.value.cause.startswith("no address for registry:")


def test_need_limits_what_is_required(tmp_path: Path) -> None:
    """A command that only talks to Kafka runs without a registry or warehouse; those come back empty."""
    write_state(tmp_path, {"kafka": {"port": 19092}})
    assert resolve(settings(tmp_path), need=("kafka",)) == Endpoints(LOCAL_KAFKA, "", "")
    assert resolve(settings(tmp_path, clickhouse="http://c"), need=("kafka",)) == Endpoints(
        LOCAL_KAFKA, "", "http://c"
    )
    assert resolve(settings(tmp_path), need=()) == Endpoints(LOCAL_KAFKA, "", "")


def test_need_still_reports_what_it_requires(tmp_path: Path) -> None:
    """Limiting `need` does not hide a missing service that is in it."""
    write_state(tmp_path, {"kafka": {"port": 19092}})
    with pytest.raises(StackError) as info:
        resolve(settings(tmp_path), need=("kafka", "clickhouse"))
    assert info.value.cause.startswith("no address for clickhouse:")


def test_describe() -> None:
    """Status output shows the endpoints under their service names."""
    assert describe(Endpoints("k", "r", "c")) == {"kafka": "k", "registry": "r", "clickhouse": "c"}


def test_the_local_registry_comes_with_its_readiness_probe(tmp_path: Path) -> None:
    """Readers of the local stack learn where Apicurio says whether its journal is loaded."""
    write_state(tmp_path, STATE | {"registry": {"port": 18081, "management_port": 18082, "pid": 102}})
    assert resolve(settings(tmp_path)).registry_ready == "http://127.0.0.1:18082/health/ready"


def test_a_configured_registry_never_gets_the_local_probe(tmp_path: Path) -> None:
    """Another registry's readiness is not the local one's: only its own configured probe counts."""
    write_state(tmp_path, STATE | {"registry": {"port": 18081, "management_port": 18082, "pid": 102}})
    configured = "http://registry:8080/apis/ccompat/v7"
    assert resolve(settings(tmp_path, registry=configured)).registry_ready == ""
    with_probe = settings(tmp_path, registry=configured)
    with_probe.registry.ready_url = "http://registry:9000/health/ready"
    assert resolve(with_probe).registry_ready == "http://registry:9000/health/ready"
