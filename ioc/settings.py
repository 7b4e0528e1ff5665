"""The platform's configuration: the one place that reads the environment.

Every part of the platform receives a `Settings` object built once by the entry point; nothing
else calls `os.environ`. Each section maps to environment variables with its own prefix, so the
names an operator sets are the familiar ones (`KAFKA_BOOTSTRAP_SERVERS`, `SCHEMA_REGISTRY_URL`,
`CLICKHOUSE_URL`). When one of those three is empty the local stack provides that service.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseSettings):
    """Where Kafka is. Empty bootstrap servers: use (or start) the local broker."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_")

    bootstrap_servers: str = ""


class RegistrySettings(BaseSettings):
    """The schema registry's Confluent-compatible API, for example
    `http://127.0.0.1:8081/apis/ccompat/v7` on Apicurio."""

    model_config = SettingsConfigDict(env_prefix="SCHEMA_REGISTRY_")

    url: str = ""


class ClickHouseSettings(BaseSettings):
    """ClickHouse over HTTP, for example `http://ioc_writer:secret@clickhouse:8123/ioc`.
    Empty: the embedded chDB warehouse of the local stack."""

    model_config = SettingsConfigDict(env_prefix="CLICKHOUSE_")

    url: str = ""
    database: str = "ioc"


class StackSettings(BaseSettings):
    """The local stack: where it keeps its files and which loopback ports it uses (0 = pick a free one)."""

    model_config = SettingsConfigDict(env_prefix="IOC_STACK_")

    dir: Path = Path(".stack")
    cache_dir: Path = Path.home() / ".cache" / "ioc"
    kafka_port: int = 0
    kafka_controller_port: int = 0
    registry_port: int = 0
    registry_management_port: int = 0
    warehouse_port: int = 0
    startup_timeout_s: float = 120.0
    kafka_version: str = "4.1.1"
    apicurio_version: str = "3.3.3"
    registry_heap: str = "512m"
    kafka_heap: str = "512m"


class StreamSettings(BaseSettings):
    """The Faust worker's own settings. Prefixed, because Faust reads bare variables itself
    (a set environment variable would silently override what the app passes)."""

    model_config = SettingsConfigDict(env_prefix="IOC_STREAMS_")

    app_id: str = "ioc-streams"
    batch_size: int = 500
    batch_within_s: float = 0.5
    window_grace_s: float = 30.0
    # A window whose key has gone quiet still closes this long after its end, on the wall clock.
    idle_close_s: float = 60.0
    close_check_interval_s: float = 5.0
    web_port: int = 0
    data_dir: Path = Path(".stack") / "streams"


class SinkSettings(BaseSettings):
    """How the ClickHouse sinks batch: by size or by time, whichever comes first."""

    model_config = SettingsConfigDict(env_prefix="IOC_SINK_")

    group_id: str = "ioc-sinks"
    batch_max_records: int = 20_000
    batch_max_seconds: float = 1.0


class Settings(BaseSettings):
    """All sections together; build it once with `Settings()` and pass it down."""

    model_config = SettingsConfigDict(env_prefix="IOC_")

    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    clickhouse: ClickHouseSettings = Field(default_factory=ClickHouseSettings)
    stack: StackSettings = Field(default_factory=StackSettings)
    streams: StreamSettings = Field(default_factory=StreamSettings)
    sinks: SinkSettings = Field(default_factory=SinkSettings)
    topic_prefix: str = ""
