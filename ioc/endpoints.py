"""Where the running services are: configured addresses first, else those of the running local stack.

Every command that talks to Kafka, the registry or ClickHouse asks here, so an operator can point
the same commands at production services by setting three environment variables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ioc.credentials import BasicAuth, KafkaAuth, check_kafka_login, read_secret
from ioc.example_secrets import refuse_example_secrets
from ioc.settings import Settings
from ioc.stack.errors import StackError
from ioc.stack.secrets import StackSecrets

STATE_FILE = "stack.json"


@dataclass(frozen=True)
class Endpoints:
    """The three addresses every part of the platform needs, and how to log in to Kafka and the
    registry there (nothing on the one-broker default; SCRAM over TLS and basic auth on a cluster)."""

    kafka: str
    registry: str
    clickhouse: str
    kafka_auth: KafkaAuth = field(default_factory=KafkaAuth)
    registry_auth: BasicAuth = field(default_factory=BasicAuth)
    # The registry's readiness probe, when it has one (ioc.serde.RegistryClient says why it matters).
    registry_ready: str = ""

    def kafka_client(self) -> dict[str, str]:
        """The options every Kafka client of the platform starts from: where, and how to log in."""
        return {"bootstrap.servers": self.kafka} | self.kafka_auth.client_config()


def read_state(stack_dir: Path) -> dict[str, dict[str, object]]:
    """The local stack's record of its services (ports, pids, logs); empty when it never ran."""
    path = stack_dir / STATE_FILE
    if not path.exists():
        return {}
    data: dict[str, dict[str, object]] = json.loads(path.read_text())
    return data


def write_state(stack_dir: Path, state: dict[str, dict[str, object]]) -> None:
    """Record the services atomically, so a reader never sees half a file."""
    stack_dir.mkdir(parents=True, exist_ok=True)
    tmp = stack_dir / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True))
    tmp.replace(stack_dir / STATE_FILE)


def local_urls(state: dict[str, dict[str, object]]) -> dict[str, str]:
    """The addresses of the local services recorded in the state."""
    urls: dict[str, str] = {}
    if "kafka" in state:
        # Every node of a cluster (`kafka`, `kafka-2`, …): a client finds the others through any one.
        nodes = [name for name in state if name == "kafka" or name.startswith("kafka-")]
        urls["kafka"] = ",".join(
            f"127.0.0.1:{state[name]['port']}" for name in sorted(nodes, key=_node_number)
        )
    if "registry" in state:
        urls["registry"] = f"http://127.0.0.1:{state['registry']['port']}/apis/ccompat/v7"
    if "warehouse" in state:
        urls["clickhouse"] = f"http://127.0.0.1:{state['warehouse']['port']}"
    return urls


def registry_ready_url(management_port: object) -> str:
    """Apicurio's readiness probe on its management interface: up once its journal is loaded."""
    return f"http://127.0.0.1:{management_port}/health/ready"


def _registry_ready(settings: Settings, state: dict[str, dict[str, object]]) -> str:
    """The configured probe of a configured registry; the local registry's own probe otherwise."""
    if settings.registry.url:
        return settings.registry.ready_url
    management_port = state.get("registry", {}).get("management_port")
    return registry_ready_url(management_port) if management_port else ""


def _node_number(name: str) -> int:
    return int(name.partition("-")[2] or 1)


ALL_SERVICES = ("kafka", "registry", "clickhouse")


def resolve(settings: Settings, need: tuple[str, ...] = ALL_SERVICES) -> Endpoints:
    """Configured addresses win; the rest come from the local stack. Those in `need` must be known;
    the others are empty strings when unknown."""
    configured = {
        "kafka": settings.kafka.bootstrap_servers,
        "registry": settings.registry.url,
        "clickhouse": settings.clickhouse.url,
    }
    local = local_urls(read_state(settings.stack.dir))
    missing = [name for name in need if not configured[name] and name not in local]
    if missing:
        raise StackError(
            f"no address for {', '.join(missing)}: the local stack is not running in {settings.stack.dir}",
            "start it with `ioc stack up`, or set KAFKA_BOOTSTRAP_SERVERS / SCHEMA_REGISTRY_URL / CLICKHOUSE_URL",
        )
    state = read_state(settings.stack.dir)
    return Endpoints(
        **{name: url or local.get(name, "") for name, url in configured.items()},
        kafka_auth=_kafka_auth(settings, state),
        registry_auth=_registry_auth(settings, state),
        registry_ready=_registry_ready(settings, state),
    )


def _kafka_auth(settings: Settings, state: dict[str, dict[str, object]]) -> KafkaAuth:
    """The configured login for a configured Kafka; the stack's own for its secured cluster."""
    kafka = settings.kafka
    if kafka.bootstrap_servers:
        return KafkaAuth(
            kafka.security_protocol,
            kafka.sasl_mechanism,
            kafka.sasl_username,
            read_secret(kafka.sasl_password, kafka.sasl_password_file, "the Kafka password"),
            kafka.ssl_ca_location,
        )
    if state.get("kafka", {}).get("secure"):
        return StackSecrets(settings.stack.dir.resolve()).kafka_client()
    return KafkaAuth()


def _registry_auth(settings: Settings, state: dict[str, dict[str, object]]) -> BasicAuth:
    registry = settings.registry
    if registry.url:
        password = read_secret(registry.password, registry.password_file, "the registry password")
        return BasicAuth(registry.username, password)
    if state.get("registry", {}).get("secure"):
        return StackSecrets(settings.stack.dir.resolve()).registry()
    return BasicAuth()


def describe(endpoints: Endpoints) -> dict[str, str]:
    """The addresses as a plain dict, for status output and logs (never the credentials)."""
    return {"kafka": endpoints.kafka, "registry": endpoints.registry, "clickhouse": endpoints.clickhouse}


def connect(settings: Settings) -> Endpoints:
    """What a long-running service (worker, sinks, gateway, router, warehouse) starts from: Kafka
    and the registry, with its Kafka login checked once, so that a wrong password or certificate
    stops it at start with what to fix instead of leaving it retrying in silence. A secret copied
    from an example file stops it before anything is reached (ioc/example_secrets.py)."""
    refuse_example_secrets(settings)
    endpoints = resolve(settings, need=("kafka", "registry"))
    check_kafka_login(endpoints.kafka_client())
    return endpoints
