"""The files compose's secured cluster needs (`ioc stack compose-secrets`), made by the same code
that secures the local cluster, so that the two cannot drift: each broker's server.properties
(`services.broker_properties`), the SCRAM users its storage is formatted with, the registry's
properties (`services.RegistrySecurity`), the CA and the brokers' certificates naming compose's
service names, and one password file per user.

Docker cannot run on this project's machines: what is tested here is that these files are what the
local cluster runs with (tests/unit/test_compose_secrets.py) and that compose mounts every one of
them (tests/unit/test_compose.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ioc.credentials import KafkaAuth
from ioc.stack import certs
from ioc.stack.secrets import StackSecrets
from ioc.stack.services import (
    BrokerAddresses,
    KafkaSecurity,
    RegistrySecurity,
    broker_properties,
    escape_property,
)

# Where compose mounts them: Compose secrets appear under /run/secrets/<name>.
MOUNTED = Path("/run/secrets")
CLIENT_PORT = 9092
CONTROLLER_PORT = 9093
DATA_DIR = "/var/lib/kafka/data"


@dataclass(frozen=True)
class ComposeCluster:
    """Compose's brokers: `kafka-1` … `kafka-N`."""

    brokers: int = 3

    def host(self, node_id: int) -> str:
        return f"kafka-{node_id}"

    @property
    def bootstrap(self) -> str:
        return ",".join(f"{self.host(n)}:{CLIENT_PORT}" for n in range(1, self.brokers + 1))

    @property
    def voters(self) -> str:
        return ",".join(f"{n}@{self.host(n)}:{CONTROLLER_PORT}" for n in range(1, self.brokers + 1))


def _mounted(auth: KafkaAuth) -> KafkaAuth:
    """The same login with the CA where the containers see it."""
    return replace(auth, ca_file=str(MOUNTED / "kafka_ca"))


def render(out: Path, cluster: ComposeCluster = ComposeCluster()) -> list[Path]:
    """Write every file into `out` (passwords and certificates kept if already there, so that a
    second run changes nothing a running cluster depends on, except a certificate due for renewal:
    ioc.stack.certs); returns the files compose mounts."""
    secrets = StackSecrets(out)
    client, broker = _mounted(secrets.kafka_client()), _mounted(secrets.kafka_broker())
    written: list[Path] = []
    for node_id in range(1, cluster.brokers + 1):
        host = cluster.host(node_id)
        cert = secrets.server_cert(host, hosts=(host,))
        mounted_cert = certs.ServerCert(
            ca=MOUNTED / "kafka_ca",
            certificate=MOUNTED / f"{host}_certificate",
            key=MOUNTED / f"{host}_key",
            key_and_chain=MOUNTED / f"{host}_keystore",
        )
        security = KafkaSecurity(mounted_cert, broker, (client,))
        addresses = BrokerAddresses(
            node_id, cluster.voters, f":{CLIENT_PORT}", f"{host}:{CLIENT_PORT}", f":{CONTROLLER_PORT}"
        )
        properties = out / f"{host}.properties"
        certs.write_private(
            properties, broker_properties(addresses, DATA_DIR, cluster.brokers, security).encode()
        )
        written += [properties, cert.key_and_chain]
    # The SCRAM users, one `--add-scram` argument per line for `xargs` in each broker's command.
    arguments = security.format_arguments()
    format_args = out / "kafka-format.args"
    certs.write_private(format_args, "".join(f"{argument}\n" for argument in arguments).encode())
    registry = out / "registry.properties"
    registry_text = RegistrySecurity(secrets.registry(), client, registry).properties()
    certs.write_private(
        registry, f"apicurio.kafkasql.bootstrap.servers={cluster.bootstrap}\n{registry_text}".encode()
    )
    # What the Kafka tools inside a broker's container log in with (its healthcheck).
    tools = out / "kafka-client.properties"
    tool_lines = client.java_client_properties()
    certs.write_private(tools, "".join(f"{k}={escape_property(v)}\n" for k, v in tool_lines.items()).encode())
    passwords = [secrets.folder / "kafka-ioc.password", secrets.folder / "registry-ioc.password"]
    return [*written, format_args, registry, tools, secrets.ca_file, *passwords]
