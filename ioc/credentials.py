"""How the platform's clients prove who they are to Kafka and to the schema registry.

One place turns the settings (or the local cluster's own secrets) into the client options that
confluent-kafka and the registry client take, so that no service builds a Kafka client of its own
that forgets them. Passwords are `SecretStr` everywhere: a `repr`, a log line or `ioc stack status`
shows `**********`, never the secret.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from pathlib import Path

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from pydantic import SecretStr

from ioc.stack.errors import StackError

PLAINTEXT = "PLAINTEXT"
SASL_SSL = "SASL_SSL"
SCRAM = "SCRAM-SHA-512"


def read_secret(value: SecretStr, file: Path | None, what: str) -> SecretStr:
    """The secret from its file when one is given (a mounted Docker secret), else the value."""
    if file is None:
        return value
    try:
        return SecretStr(file.read_text().strip())
    except OSError as err:
        raise StackError(
            f"cannot read {what} from {file}: {err.strerror}", "check the path and its permissions"
        ) from None


@dataclass(frozen=True)
class KafkaAuth:
    """A Kafka client's security: PLAINTEXT (the one-broker default on loopback), or SASL/SCRAM over
    TLS with the CA that signed the brokers' certificates."""

    protocol: str = PLAINTEXT
    mechanism: str = SCRAM
    username: str = ""
    password: SecretStr = field(default_factory=lambda: SecretStr(""))
    ca_file: str = ""

    def client_config(self) -> dict[str, str]:
        """librdkafka's options for this security; empty for PLAINTEXT."""
        if self.protocol == PLAINTEXT:
            return {}
        config = {"security.protocol": self.protocol}
        if self.protocol.startswith("SASL"):
            config |= {
                "sasl.mechanism": self.mechanism,
                "sasl.username": self.username,
                "sasl.password": self.password.get_secret_value(),
            }
        if self.ca_file:
            config["ssl.ca.location"] = self.ca_file
        return config

    def java_client_properties(self) -> dict[str, str]:
        """The same security for a Java Kafka client (the registry's storage, the brokers' admin)."""
        if self.protocol == PLAINTEXT:
            return {}
        props = {"security.protocol": self.protocol}
        if self.protocol.startswith("SASL"):
            props |= {
                "sasl.mechanism": self.mechanism,
                "sasl.jaas.config": scram_jaas(self.username, self.password),
            }
        if self.ca_file:
            props |= {"ssl.truststore.type": "PEM", "ssl.truststore.location": self.ca_file}
        return props


def scram_jaas(username: str, password: SecretStr) -> str:
    """The JAAS line a Java client or broker logs in with over SCRAM."""
    secret = password.get_secret_value().replace("\\", "\\\\").replace('"', '\\"')
    return f'org.apache.kafka.common.security.scram.ScramLoginModule required username="{username}" password="{secret}";'


@dataclass(frozen=True)
class BasicAuth:
    """HTTP basic credentials (the registry's); no username means none are sent."""

    username: str = ""
    password: SecretStr = field(default_factory=lambda: SecretStr(""))

    def registry_config(self) -> dict[str, str]:
        """The options confluent-kafka's SchemaRegistryClient takes for them."""
        if not self.username:
            return {}
        return {"basic.auth.user.info": f"{self.username}:{self.password.get_secret_value()}"}

    def header(self) -> dict[str, str]:
        """An `Authorization` header for a plain HTTP client."""
        if not self.username:
            return {}
        token = base64.b64encode(f"{self.username}:{self.password.get_secret_value()}".encode()).decode()
        return {"Authorization": f"Basic {token}"}


LOGIN_REFUSALS = {KafkaError._AUTHENTICATION, KafkaError._SSL}


def check_kafka_login(kafka: dict[str, str], timeout_s: float = 15.0) -> None:
    """Stop a service at its start, saying what to fix, when Kafka refuses its password or its TLS
    handshake: librdkafka would otherwise retry such a client quietly for ever. A broker that does
    not answer at all is not a refusal: the service starts and waits for it as it always does."""
    refusals: list[KafkaError] = []

    def on_error(error: KafkaError) -> None:
        if error.code() in LOGIN_REFUSALS:
            refusals.append(error)

    admin = AdminClient(kafka | {"error_cb": on_error, "socket.timeout.ms": int(timeout_s * 1000)})
    deadline = time.monotonic() + timeout_s
    while not refusals and time.monotonic() < deadline:
        try:
            admin.list_topics(timeout=1)
            return
        except KafkaException:
            admin.poll(0.2)  # delivers the error callbacks
    if refusals:
        user = kafka.get("sasl.username", "")
        raise StackError(
            f"Kafka at {kafka['bootstrap.servers']} refused this client"
            + (f" (user {user!r})" if user else "")
            + f": {refusals[0].str()}",
            "check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD_FILE (or KAFKA_SASL_PASSWORD) and "
            "KAFKA_SSL_CA_LOCATION; on the local cluster they are in <stack dir>/secrets",
        )
