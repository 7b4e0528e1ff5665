"""How each local service is laid out on disk, started and probed.

A service knows its own files and command line; the manager decides order, ports and state.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from ioc.credentials import BasicAuth, KafkaAuth, scram_jaas
from ioc.settings import WarehouseSettings
from ioc.stack import artifacts, certs
from ioc.stack.artifacts import Progress
from ioc.stack.certs import ServerCert
from ioc.stack.errors import StackError
from ioc.stack.ports import is_listening
from topics.catalog import replication

LOG4J2_PROPERTIES = """\
status = warn
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
logger.kafka.name = kafka
logger.kafka.level = WARN
logger.apache.name = org.apache.kafka
logger.apache.level = WARN
"""


@dataclass(frozen=True)
class Launch:
    """What the manager needs to start a service: its command line, folder and environment."""

    argv: list[str]
    cwd: Path | None = None
    env: dict[str, str] | None = None


@dataclass(frozen=True)
class KafkaNode:
    """One node of the local KRaft cluster: a broker and a controller in one process."""

    node_id: int
    port: int
    controller_port: int
    home: Path


@dataclass(frozen=True)
class KafkaSecurity:
    """What a secured node needs: its certificate, the brokers' own login, and the SCRAM users that
    its storage is formatted with (KRaft keeps them in the metadata log, so they exist before any
    broker can be asked to create one)."""

    cert: ServerCert
    broker: KafkaAuth
    users: tuple[KafkaAuth, ...]

    def broker_properties(self) -> list[str]:
        return [
            f"sasl.enabled.mechanisms={self.broker.mechanism}",
            f"sasl.mechanism.inter.broker.protocol={self.broker.mechanism}",
            f"listener.name.sasl_ssl.{self.broker.mechanism.lower()}.sasl.jaas.config="
            + scram_jaas(self.broker.username, self.broker.password),
            "ssl.keystore.type=PEM",
            f"ssl.keystore.location={self.cert.key_and_chain}",
            "ssl.truststore.type=PEM",
            f"ssl.truststore.location={self.cert.ca}",
        ]

    def format_arguments(self) -> list[str]:
        """`--add-scram` for each user. The passwords are on the formatting tool's command line for
        the second it runs (the tool has no other way to take them); it is never logged."""
        arguments = []
        for user in (self.broker, *self.users):
            secret = user.password.get_secret_value()
            arguments += ["--add-scram", f"{user.mechanism}=[name={user.username},password={secret}]"]
        return arguments


def quorum_voters(nodes: list[KafkaNode]) -> str:
    return ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in nodes)


@dataclass(frozen=True)
class BrokerAddresses:
    """Where one KRaft node listens and how the others and the clients reach it."""

    node_id: int
    voters: str  # controller.quorum.voters
    listen: str  # host:port of the client and inter-broker listener ("" host: every interface)
    advertise: str  # host:port the clients are told
    controller: str  # host:port of the controller listener


def broker_properties(
    addresses: BrokerAddresses, log_dir: str, brokers: int, security: KafkaSecurity | None
) -> str:
    """A combined broker+controller's server.properties: the local stack's nodes and compose's
    brokers (`ioc stack compose-secrets`) are configured by this one function. Replication follows
    the cluster's size (`topics/catalog.py`)."""
    copies, min_insync = replication(brokers)
    listener = "SASL_SSL" if security else "PLAINTEXT"
    return "\n".join(
        [
            "process.roles=broker,controller",
            f"node.id={addresses.node_id}",
            f"controller.quorum.voters={addresses.voters}",
            f"listeners={listener}://{addresses.listen},CONTROLLER://{addresses.controller}",
            f"advertised.listeners={listener}://{addresses.advertise}",
            "controller.listener.names=CONTROLLER",
            f"inter.broker.listener.name={listener}",
            f"listener.security.protocol.map={listener}:{listener},CONTROLLER:PLAINTEXT",
            *(security.broker_properties() if security else []),
            f"log.dirs={log_dir}",
            "num.partitions=1",
            f"default.replication.factor={copies}",
            f"min.insync.replicas={min_insync}",
            f"offsets.topic.replication.factor={copies}",
            f"transaction.state.log.replication.factor={copies}",
            f"transaction.state.log.min.isr={min_insync}",
            f"share.coordinator.state.topic.replication.factor={copies}",
            f"share.coordinator.state.topic.min.isr={min_insync}",
            "group.initial.rebalance.delay.ms=0",
            # Topics are code (topics/); a typo must not create a topic silently.
            "auto.create.topics.enable=false",
            "",
        ]
    )


def kafka_launch(
    java: Path,
    cache_dir: Path,
    version: str,
    node: KafkaNode,
    cluster: list[KafkaNode],
    cluster_id: str,
    heap: str,
    progress: Progress,
    security: KafkaSecurity | None = None,
) -> Launch:
    """One KRaft node (broker+controller) on loopback, a voter of the `cluster`'s static quorum; formats
    its storage with the cluster's id on first start (and, when secured, its SCRAM users)."""
    libs = artifacts.kafka_libs(cache_dir, version, progress)
    home = node.home
    home.mkdir(parents=True, exist_ok=True)
    data = home / "data"
    props = home / "server.properties"
    # The properties hold the brokers' own password when secured: readable by this user only.
    properties = broker_properties(
        BrokerAddresses(
            node.node_id,
            quorum_voters(cluster),
            f"127.0.0.1:{node.port}",
            f"127.0.0.1:{node.port}",
            f"127.0.0.1:{node.controller_port}",
        ),
        str(data),
        len(cluster),
        security,
    )
    certs.write_private(props, properties.encode())
    log4j = home / "log4j2.properties"
    log4j.write_text(LOG4J2_PROPERTIES)
    classpath = f"{libs}/*"
    jvm = [str(java), f"-Dlog4j2.configurationFile={log4j}", "-cp", classpath]
    if not (data / "meta.properties").exists():
        progress(f"Formatting Kafka storage (node {node.node_id})…")
        format_storage = [
            *jvm,
            "kafka.tools.StorageTool",
            "format",
            f"--cluster-id={cluster_id}",
            "-c",
            str(props),
        ]
        if security:
            format_storage += security.format_arguments()
        result = subprocess.run(format_storage, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise StackError(
                "Kafka could not format its storage",
                f"delete {data} and try again",
                log_tail=(result.stdout + result.stderr)[-2000:],
            )
    return Launch(argv=[jvm[0], f"-Xmx{heap}", *jvm[1:], "kafka.Kafka", str(props)])


def kafka_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes in URL-safe base64 without padding (what `random-uuid`
    prints), never starting with '-': one in 64 did, and the storage tool's argument parser took it
    for an option, so formatting failed twice in a row ("seen once on a fresh machine", and by CI's
    chaos run). Kafka's own Uuid.randomUuid() redraws such ids for the same reason."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def registry_launch(
    java: Path,
    cache_dir: Path,
    version: str,
    port: int,
    management_port: int,
    kafka: str,
    heap: str,
    progress: Progress,
    secured: RegistrySecurity | None = None,
) -> Launch:
    """Apicurio Registry with KafkaSQL storage, so schemas live in a Kafka topic and survive restarts.
    Secured: its API asks for HTTP basic credentials and it logs in to Kafka over SASL/TLS, both set
    in a properties file of its own (0600) rather than on its command line or in its environment."""
    app = artifacts.apicurio_app(cache_dir, version, progress)
    env = {
        "QUARKUS_HTTP_HOST": "127.0.0.1",
        "QUARKUS_HTTP_PORT": str(port),
        "QUARKUS_MANAGEMENT_HOST": "127.0.0.1",
        "QUARKUS_MANAGEMENT_PORT": str(management_port),
        "APICURIO_STORAGE_KIND": "kafkasql",
        "APICURIO_KAFKASQL_BOOTSTRAP_SERVERS": kafka,
    }
    if secured:
        certs.write_private(secured.properties_file, secured.properties().encode())
        env["QUARKUS_CONFIG_LOCATIONS"] = str(secured.properties_file)
    return Launch(argv=[str(java), f"-Xmx{heap}", "-jar", "quarkus-run.jar"], cwd=app, env=env)


@dataclass(frozen=True)
class RegistrySecurity:
    """The registry's account (Quarkus' embedded user realm, HTTP basic on `/apis`) and its own
    Kafka login for the KafkaSQL journal (Apicurio passes `apicurio.kafka.common.*` to its clients)."""

    account: BasicAuth
    kafka: KafkaAuth
    properties_file: Path

    def properties(self) -> str:
        user = self.account.username
        lines = {
            "quarkus.http.auth.basic": "true",
            "quarkus.security.users.embedded.enabled": "true",
            "quarkus.security.users.embedded.plain-text": "true",
            f"quarkus.security.users.embedded.users.{user}": self.account.password.get_secret_value(),
            f"quarkus.security.users.embedded.roles.{user}": "sr-admin",
            "quarkus.http.auth.permission.registry.paths": "/apis/*",
            "quarkus.http.auth.permission.registry.policy": "authenticated",
        }
        lines |= {f"apicurio.kafka.common.{k}": v for k, v in self.kafka.java_client_properties().items()}
        return "".join(f"{key}={escape_property(value)}\n" for key, value in lines.items())


def escape_property(value: str) -> str:
    """A value as a Java properties file reads it back (backslashes are escapes there)."""
    return value.replace("\\", "\\\\")


def warehouse_launch(
    stack_dir: Path, port: int, warehouse: WarehouseSettings, topic_prefix: str = ""
) -> Launch:
    """The platform's own process that owns the embedded chDB engine (one process per data folder).
    It finds Kafka and the registry through the stack's state file, hence the absolute stack folder;
    its users' passwords and limits, and the topic prefix its sinks read, are passed as this stack's
    settings have them, so that settings built in code (tests, the benchmark) reach it as well as
    those from the environment."""
    env = {"IOC_STACK_DIR": str(stack_dir), "IOC_TOPIC_PREFIX": topic_prefix}
    for name, value in warehouse.model_dump().items():
        text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        if text:
            env[f"IOC_WAREHOUSE_{name.upper()}"] = text
    return Launch(
        argv=[
            sys.executable,
            "-m",
            "warehouse",
            "--data",
            str(stack_dir / "warehouse" / "chdb"),
            "--port",
            str(port),
        ],
        env=env,
    )


def http_ok(url: str, expect: bytes | None = None, headers: dict[str, str] | None = None) -> bool:
    """Whether the URL answers 200 (and, if given, with that body): the readiness probe for HTTP services."""
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback URLs we built
    with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310 - loopback URLs we built
        return bool(response.status == 200 and (expect is None or response.read() == expect))


def kafka_ok(client: dict[str, str]) -> bool:
    """Whether the broker answers a metadata request from this client (address and login). The port
    is checked first so that the Kafka client does not flood the terminal with connection-refused
    lines while the broker starts."""
    from confluent_kafka.admin import AdminClient

    host, _, port = client["bootstrap.servers"].split(",")[0].rpartition(":")
    if not is_listening(int(port), host):
        return False

    admin = AdminClient(client | {"socket.timeout.ms": 2000})
    admin.list_topics(timeout=2)
    return True
