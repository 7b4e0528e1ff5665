"""The platform's configuration: the one place that reads the environment.

Every part of the platform receives a `Settings` object built once by the entry point; nothing
else calls `os.environ`. Each section maps to environment variables with its own prefix, so the
names an operator sets are the familiar ones (`KAFKA_BOOTSTRAP_SERVERS`, `SCHEMA_REGISTRY_URL`,
`CLICKHOUSE_URL`). When one of those three is empty the local stack provides that service.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from config import CONFIG_DIR


class KafkaSettings(BaseSettings):
    """Where Kafka is. Empty bootstrap servers: use (or start) the local broker."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_")

    bootstrap_servers: str = ""
    # How the platform's clients authenticate to a Kafka configured here (the local cluster's own
    # credentials are found in its stack folder): PLAINTEXT, or SASL_SSL with SCRAM-SHA-512.
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "SCRAM-SHA-512"
    sasl_username: str = ""
    sasl_password: SecretStr = SecretStr("")
    sasl_password_file: Path | None = None  # wins over sasl_password: a mounted secret
    ssl_ca_location: str = ""  # PEM of the CA that signed the brokers' certificates


class RegistrySettings(BaseSettings):
    """The schema registry's Confluent-compatible API, for example
    `http://127.0.0.1:8081/apis/ccompat/v7` on Apicurio, and its HTTP basic credentials if any."""

    model_config = SettingsConfigDict(env_prefix="SCHEMA_REGISTRY_")

    url: str = ""
    username: str = ""
    password: SecretStr = SecretStr("")
    password_file: Path | None = None  # wins over password: a mounted secret
    # Its readiness probe (Apicurio: `http://HOST:9000/health/ready`): until it answers 200, a
    # schema the registry says it does not know is waited for, not refused (ioc.serde.RegistryClient).
    ready_url: str = ""


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
    # Kafka nodes: 1, or 3 for a KRaft cluster whose topics keep 3 copies with min.insync.replicas 2.
    brokers: int = 1
    # Credentials and TLS (SASL/SCRAM-SHA-512 over TLS on Kafka, basic auth on the registry):
    # "auto" turns them on for a cluster and leaves the one-broker default open on loopback.
    secure: Literal["auto", "on", "off"] = "auto"
    kafka_port: int = 0  # node 1's ports; a cluster's other nodes pick free ones
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
    """The stream worker's own settings (streams/)."""

    model_config = SettingsConfigDict(env_prefix="IOC_STREAMS_")

    # The consumer group (and the prefix of every worker's transactional id).
    app_id: str = "ioc-streams"
    # This worker's name in its group, stable across its restarts: a worker that comes back under the
    # same name within the session timeout gets its partitions again at once, and fences the crashed
    # one's transaction. Empty: the host name (one worker per host or container). Two workers on one
    # host need different names.
    instance_id: str = ""
    # Messages taken from Kafka at once (a camera batch holds ~100 records).
    batch_size: int = 200
    # Outputs become visible to readers when their transaction commits: this often.
    commit_interval_s: float = 0.2
    session_timeout_s: float = 10.0
    # A crashed worker's open transaction blocks readers of its partitions until aborted after this.
    transaction_timeout_s: float = 10.0
    # A transaction commit still in flight after this long will not return: the worker exits so that
    # its supervisor starts it again (it resumes exactly from its last commit).
    stuck_commit_s: float = 60.0
    window_grace_s: float = 30.0
    # A window whose series has gone quiet still closes this long after its end, on the wall clock;
    # a source partition whose clock has not moved for this long stops holding totals back.
    idle_close_s: float = 60.0
    close_check_interval_s: float = 1.0
    # An open window's provisional result is re-emitted at most this often (its final always is).
    provisional_interval_s: float = 5.0
    # Open windows whose figures age with time (hotline tickets and dossiers turning overdue while nothing
    # is said of them) are judged again this often, and re-emitted only when their figures changed.
    ageing_refresh_s: float = Field(default=60.0, gt=0)
    # A device silent this long (behind its partition's newest event) is forgotten, and a record this
    # far behind its partition's newest event is late outright.
    device_horizon_s: float = 86_400.0
    alert_rules: Path = CONFIG_DIR / "alert_rules.yaml"
    # CAP `sender`: who issues the alerts, as other emergency systems will see it.
    alert_sender: str = "ioc@localhost"


class IndicatorSettings(BaseSettings):
    """What the environment, public-service and input-health agents judge against (streams/)."""

    model_config = SettingsConfigDict(env_prefix="IOC_INDICATORS_")

    # An unresolved dossier due within this many hours counts as due soon (sắp đến hạn).
    dossier_due_soon_h: float = 48.0
    # A hotline ticket still open this many hours after it was reported counts as overdue (quá hạn).
    hotline_due_h: float = 48.0
    # A camera whose last heartbeat is older than this at a window's end counts as offline.
    camera_heartbeat_timeout_s: float = 300.0
    # The water level trend is the slope of the readings over this trailing span.
    water_trend_span_s: float = 3600.0


class SinkSettings(BaseSettings):
    """How the ClickHouse sinks batch: by size or by time, whichever comes first."""

    model_config = SettingsConfigDict(env_prefix="IOC_SINK_")

    group_id: str = "ioc-sinks"
    batch_max_records: int = 20_000
    batch_max_seconds: float = 1.0
    # An insert failing in a way neither a refusal of its rows nor the warehouse being unavailable
    # (an unknown error code) is tried this often, then its rows that still fail go to the dead
    # letters, so that a poison message cannot stop its topic (about a minute with the backoff).
    insert_max_tries: int = Field(default=8, ge=1)


class WarehouseSettings(BaseSettings):
    """The embedded warehouse's users and the limits of its read-only sessions.

    `ioc_writer` reads and writes (the sinks, migrations); `grafana` and `analyst` only read, with
    limits that a query cannot lift. An empty password is generated once and kept in
    `<stack dir>/warehouse/credentials.json` (mode 0600), where `ioc sql` and the tests find it.
    """

    model_config = SettingsConfigDict(env_prefix="IOC_WAREHOUSE_")

    ioc_writer_password: SecretStr = SecretStr("")
    grafana_password: SecretStr = SecretStr("")
    analyst_password: SecretStr = SecretStr("")
    # Per query of a reader, and how many of its queries may run at once; the same values are the
    # ClickHouse server's profiles (sinks/clickhouse/users.d/ioc-users.xml). docs/warehouse.md, "Limits".
    # Dashboards must stay light: a panel that needs more is a query to fix, not a limit to raise.
    # The wall's threads keep the writer's priority and may use both cores: its panels are short.
    grafana_max_execution_time_s: float = 30.0
    grafana_max_memory_usage: int = 2_000_000_000
    grafana_max_result_rows: int = 100_000
    grafana_max_result_bytes: int = 1_000_000_000
    grafana_max_rows_to_read: int = 2_000_000_000
    grafana_max_bytes_to_read: int = 100_000_000_000
    grafana_max_threads: int = 2
    grafana_max_concurrent_queries: int = 32
    grafana_os_thread_priority: int = 0
    # An analyst's heavy query must not starve the sinks or the wall on a 2-core machine: one thread
    # per query, at the lowest CPU priority (nice 19), at most four at once, two minutes each, and a
    # scan bounded to ten billion rows (a year of the busiest raw table is about two billion).
    analyst_max_execution_time_s: float = 120.0
    analyst_max_memory_usage: int = 4_000_000_000
    analyst_max_result_rows: int = 1_000_000
    analyst_max_result_bytes: int = 1_000_000_000
    analyst_max_rows_to_read: int = 10_000_000_000
    analyst_max_bytes_to_read: int = 500_000_000_000
    analyst_max_threads: int = 1
    analyst_max_concurrent_queries: int = 4
    analyst_os_thread_priority: int = 19


class RoutingSettings(BaseSettings):
    """The alert router (`routing/`): roster, durable state, acknowledgement links and channels.

    Empty secrets are fine for channels nobody in the roster uses; the acknowledgement secret, when
    empty, is generated once into `<state dir>/ack_secret` (mode 0600) so links survive restarts.
    """

    model_config = SettingsConfigDict(env_prefix="IOC_ROUTING_")

    roster: Path = CONFIG_DIR / "duty_roster.yaml"
    # Empty: `<stack dir>/routing`, holding the SQLite state (outbox, escalations, acknowledgements),
    # a cache of the state topic copied again at every start (routing/replica.py).
    state_dir: Path | None = None
    # Names one router deployment: its consumer groups, its rows on the shared state topic, its
    # transactional id. Every replica of one deployment has the same.
    group_id: str = "ioc-router"
    # How soon a standby notices that the active router died (the leader group's session timeout).
    failover_session_ms: int = 6000
    # How long an acknowledgement link's POST waits for the active router to apply it.
    ack_wait_s: float = 10.0
    # `send` delivers through the real channels; `log` writes each message to the log instead (demo).
    delivery: str = "send"
    # Related alerts reaching one officer within this many seconds go out as one message.
    group_wait_s: float = 30.0
    tick_s: float = 1.0
    max_attempts: int = 5
    retry_base_s: float = 30.0
    retry_max_s: float = 600.0
    # Messages per minute per channel, so a storm of alerts cannot get the province's sender banned.
    rate_per_minute: int = 60
    # A resolved alert is forgotten this long after its last change: its alert row, escalations and
    # messages no longer to send are deleted here and, as tombstones, on the state topic, which would
    # otherwise grow for good. A change older than this of an alert the router does not hold is
    # passed over (it may repeat one forgotten). Seven days is the ingest's event-time window
    # (IOC_INGEST_MAX_AGE_DAYS) and far longer than an acknowledgement link lives.
    retention_days: float = Field(default=7.0, gt=0)
    ack_host: str = "127.0.0.1"
    ack_port: int = 8765
    # The address officers' links point at (a reverse proxy in production).
    ack_public_url: str = "http://127.0.0.1:8765"
    ack_secret: SecretStr = SecretStr("")
    ack_link_ttl_h: float = 24.0
    # The operations console's key to the router's action API (routing/console_api.py); empty: one is
    # generated once into `<state dir>/console_token` (0600), where a console on this host reads it.
    console_token: SecretStr = SecretStr("")
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    mail_from: str = "ioc-canhbao@localhost"
    webhook_secret: SecretStr = SecretStr("")
    telegram_base_url: str = "https://api.telegram.org"
    telegram_token: SecretStr = SecretStr("")
    zalo_base_url: str = "https://openapi.zalo.me"
    zalo_access_token: SecretStr = SecretStr("")
    sms_url: str = ""
    sms_token: SecretStr = SecretStr("")
    sms_sender: str = "IOC"
    http_timeout_s: float = 10.0


class IngestSettings(BaseSettings):
    """The ingestion gateway (HTTP, MQTT, files): where it listens, its limits and its memory of ids.

    API keys are not here: they live on the shared keys topic (`ioc ingest keys`).

    The accepted event-time window and the dedup retention go together: a resend is either still
    remembered (answered as a duplicate) or older than `max_age_days` (refused), never stored twice.
    """

    model_config = SettingsConfigDict(env_prefix="IOC_INGEST_")

    host: str = "127.0.0.1"
    port: int = 8088
    # Empty: `<stack dir>/ingest/dedup.sqlite3` (one per instance; the shared guards are downstream).
    dedup_file: Path | None = None
    # Names this instance: its MQTT client id (`<client_id>-<instance_id>`, stable so its persistent
    # session survives a restart) and its heartbeat. Empty: the host name, which differs per
    # container; set it when several bridges run on one host.
    instance_id: str = ""
    # Gateway instances announce themselves this often and count as alive this long after (the
    # share of each key's rate an instance allows is the rate divided by the live instances).
    heartbeat_s: float = 2.0
    member_ttl_s: float = 7.0
    mqtt_config: Path = CONFIG_DIR / "mqtt_bridge.yaml"
    # The MQTT bridge's password for the bridge config's broker.username; wins over the file
    # named in its broker.password_file.
    mqtt_password: SecretStr = SecretStr("")
    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 10_000_000
    max_records_per_request: int = 1_000
    rate_per_key_per_s: float = 20.0
    rate_burst: int = 40
    delivery_timeout_s: float = 10.0
    retry_after_s: int = 10
    max_future_s: float = 300.0
    max_age_days: float = 7.0


class BenchSettings(BaseSettings):
    """The benchmark (`ioc bench`): where the Quix Streams peer's own virtualenv and the results go."""

    model_config = SettingsConfigDict(env_prefix="IOC_BENCH_")

    # Quix Streams needs confluent-kafka < 2.13 (the platform pins 2.16.1): a virtualenv of its own.
    quix_venv: Path = Path(__file__).resolve().parent.parent / ".venv-bench-quix"
    results_dir: Path = Path(__file__).resolve().parent.parent / "load_tests" / "results"
    seed: int = 42


class GrafanaSettings(BaseSettings):
    """The Grafana server `ioc grafana deploy` uploads the wall to: a service-account token, or an
    admin user and password."""

    model_config = SettingsConfigDict(env_prefix="IOC_GRAFANA_")

    url: str = "http://127.0.0.1:3000"
    token: SecretStr = SecretStr("")
    user: str = "admin"
    password: SecretStr = SecretStr("")


class WallSettings(BaseSettings):
    """The wall in a browser (`ioc wall serve`, wall/web): where it listens when run on its own (the
    operations console mounts it at `/wall` instead), and the window size of `ioc wall snapshot`."""

    model_config = SettingsConfigDict(env_prefix="IOC_WALL_")

    host: str = "127.0.0.1"
    port: int = 8767
    snapshot_width: int = 1920
    snapshot_height: int = 1080


class BrowserSettings(BaseSettings):
    """The headless browser that `ioc wall snapshot` and the browser tests drive: Debian's chromium,
    never one that Playwright downloads (its download fails on these machines)."""

    model_config = SettingsConfigDict(env_prefix="IOC_BROWSER_")

    chromium: Path = Path("/usr/bin/chromium")


class ReportSettings(BaseSettings):
    """The centre's generated reports (`reports/`): where files go, who receives the brief and the
    period reports by e-mail (through the alert router's e-mail channel), when the schedule runs, and
    the bridge upward to the Government reporting information system (Decree 09/2019/NĐ-CP)."""

    model_config = SettingsConfigDict(env_prefix="IOC_REPORTS_")

    out_dir: Path = Path("reports-out")
    # Comma-separated e-mail addresses of the reports' readers (the centre's leadership): the daily
    # brief and the forms' period reports, which they forward to each form's receiving body.
    recipients: str = ""
    # Local time (Asia/Ho_Chi_Minh) after which yesterday's brief is generated; quote it in YAML.
    daily_at: str = "07:00"
    check_interval_s: float = 60.0
    # How many past days the schedule fills in when it finds their brief missing (after downtime); an
    # earlier period's report is made too when its due day fell this many days or less before the
    # latest due period's (the latest is always made).
    catch_up_days: int = Field(default=3, ge=0)
    national_codes: Path = CONFIG_DIR / "national_indicators.yaml"
    # The receiver of the Government reporting system; empty: nothing is sent upward.
    upward_url: str = ""
    upward_secret: SecretStr = SecretStr("")
    upward_timeout_s: float = 10.0
    # A failed delivery is tried again after base × 2^(failures-1) seconds, at most max: forever, since
    # a report stays in the outbox until the receiver accepts or refuses it.
    upward_retry_base_s: float = 60.0
    upward_retry_max_s: float = 3600.0
    # Reports whose period started this many days ago or less are in the outbox.
    upward_horizon_days: int = Field(default=60, ge=1)


class ConsoleSettings(BaseSettings):
    """The operations console (`console/`, `ioc console serve`): where it listens, how long a sign-in
    lasts, and the alert router it asks to act on alerts."""

    model_config = SettingsConfigDict(env_prefix="IOC_CONSOLE_")

    host: str = "127.0.0.1"  # loopback: a reverse proxy with TLS puts it on the centre's network
    port: int = 8090
    # Empty: `<stack dir>/console` (accounts, the session key, the audit log, the demo password).
    state_dir: Path | None = None
    # A sign-in lasts one shift and a little handover time; then the person signs in again.
    session_ttl_min: float = Field(default=600.0, gt=0)
    # Empty: generated once into `<state dir>/session_key` (mode 0600), so sessions survive restarts.
    session_secret: SecretStr = SecretStr("")
    # The live queue is read from the warehouse this often and pushed to every open page.
    queue_interval_s: float = Field(default=2.0, gt=0)
    # The alert router's operator-action API (its ack server); empty: the router's own
    # IOC_ROUTING_ACK_PUBLIC_URL. The bearer token is the router's IOC_ROUTING_CONSOLE_TOKEN (or the one
    # generated into the router's state folder on this host).
    router_url: str = ""
    router_timeout_s: float = 10.0
    # `ioc run` makes this account (role shift_lead) for a newcomer and prints its password; empty: none.
    # An officer of the demo roster (the IOC duty desk), because the router acts only for the roster's
    # officers: a console account outside the roster may read but its actions are refused.
    demo_account: str = "ioc.le.thu"


class Settings(BaseSettings):
    """All sections together; build it once with `Settings()` and pass it down."""

    model_config = SettingsConfigDict(env_prefix="IOC_")

    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    clickhouse: ClickHouseSettings = Field(default_factory=ClickHouseSettings)
    stack: StackSettings = Field(default_factory=StackSettings)
    streams: StreamSettings = Field(default_factory=StreamSettings)
    indicators: IndicatorSettings = Field(default_factory=IndicatorSettings)
    sinks: SinkSettings = Field(default_factory=SinkSettings)
    warehouse: WarehouseSettings = Field(default_factory=WarehouseSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    grafana: GrafanaSettings = Field(default_factory=GrafanaSettings)
    browser: BrowserSettings = Field(default_factory=BrowserSettings)
    wall: WallSettings = Field(default_factory=WallSettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    bench: BenchSettings = Field(default_factory=BenchSettings)
    topic_prefix: str = ""
    # Areas, intersections, cameras, stations and reporting units (see ioc/province.py).
    province_file: Path = CONFIG_DIR / "province.yaml"
    # Report forms under Decree 09/2019, one YAML file per form (see ioc/forms/, docs/catalog/forms/).
    forms_dir: Path = CONFIG_DIR / "report_forms"
    # How often a running gateway looks for edited form files (a broken edit keeps the last good forms).
    forms_reload_s: float = 5.0
