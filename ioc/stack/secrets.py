"""The local stack's own secrets: passwords made once at `stack up` and its TLS certificates, all
under `<stack dir>/secrets` (0600), so that a secured cluster needs nothing typed by hand.

Users: `ioc-admin` is what the brokers log in to each other with; `ioc` is every platform service
(Kafka and the registry). Other processes of the stack (workers, sinks, gateways, the chaos run) find
the same files through the stack's state, never through their command lines or logs.
"""

from __future__ import annotations

import secrets as token
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from ioc.credentials import SASL_SSL, SCRAM, BasicAuth, KafkaAuth
from ioc.stack import certs
from ioc.stack.artifacts import Progress
from ioc.stack.certs import ServerCert

BROKER_USER = "ioc-admin"
CLIENT_USER = "ioc"
REGISTRY_USER = "ioc"


@dataclass(frozen=True)
class StackSecrets:
    """The secrets of the stack whose folder is `stack_dir`."""

    stack_dir: Path

    @property
    def folder(self) -> Path:
        return self.stack_dir / "secrets"

    def password(self, name: str) -> SecretStr:
        """The password kept in `<name>.password`, made on first use."""
        path = self.folder / f"{name}.password"
        if not path.exists():
            certs.write_private(path, token.token_urlsafe(24).encode())
        return SecretStr(path.read_text().strip())

    def server_cert(
        self, name: str, hosts: tuple[str, ...] = (), progress: Progress = certs.quiet
    ) -> ServerCert:
        """The certificate of `name`, issued again when due (`progress` is told)."""
        return certs.server_cert(self.folder / "tls", name, hosts=hosts, progress=progress)

    @property
    def ca_file(self) -> Path:
        return self.folder / "tls" / "ca.pem"

    def kafka_client(self) -> KafkaAuth:
        """How the platform's services log in to the stack's secured Kafka."""
        return KafkaAuth(
            SASL_SSL, SCRAM, CLIENT_USER, self.password("kafka-" + CLIENT_USER), str(self.ca_file)
        )

    def kafka_broker(self) -> KafkaAuth:
        """How the brokers log in to each other."""
        return KafkaAuth(
            SASL_SSL, SCRAM, BROKER_USER, self.password("kafka-" + BROKER_USER), str(self.ca_file)
        )

    def registry(self) -> BasicAuth:
        """The registry's one account: every platform service reads and registers schemas."""
        return BasicAuth(REGISTRY_USER, self.password("registry-" + REGISTRY_USER))
