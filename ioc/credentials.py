"""How the platform's clients prove who they are to Kafka and to the schema registry.

One place turns the settings (or the local cluster's own secrets) into the client options that
confluent-kafka and the registry client take, so that no service builds a Kafka client of its own
that forgets them. Passwords are `SecretStr` everywhere: a `repr`, a log line or `ioc stack status`
shows `**********`, never the secret.
"""

from __future__ import annotations

import base64
import socket
import ssl
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
# OpenSSL's verify results (x509_vfy.h) for a certificate shown outside its dates.
CERT_NOT_YET_VALID = 9
CERT_HAS_EXPIRED = 10
KAFKA_CERTIFICATE_HINT = (
    "renew the brokers' certificate: on the local stack `ioc stack up` issues a new one (after "
    "`ioc stack down` if it runs); on your own Kafka, renew it there. If it should still be valid, "
    "check this machine's clock"
)


def outdated(error: ssl.SSLCertVerificationError) -> str:
    """Why a certificate was refused, when its dates are the reason: "has expired" or "is not valid
    yet"; else ""."""
    return {CERT_HAS_EXPIRED: "has expired", CERT_NOT_YET_VALID: "is not valid yet"}.get(
        error.verify_code, ""
    )


def certificate_refusal(address: str, ca_file: str, timeout_s: float) -> ssl.SSLCertVerificationError | None:
    """Why the certificate that the TLS server at `address` (host:port) shows fails against `ca_file`
    (the system's CAs when empty), as OpenSSL says it; None when it passes or nothing answers.

    librdkafka's refusal says only "certificate verify failed", the same for an expired certificate
    as for a wrong CA, so the reason is asked of the server once more here. The host name is not
    checked: it would be reported before the dates, and a name librdkafka refused keeps its own
    refusal."""
    host, _, port = address.strip().rpartition(":")
    context = ssl.create_default_context(cafile=ca_file or None)
    context.check_hostname = False
    try:
        with (
            socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s) as raw,
            context.wrap_socket(raw),
        ):
            return None
    except ssl.SSLCertVerificationError as error:
        return error
    except (OSError, ValueError):
        return None


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
        if refusals[0].code() == KafkaError._SSL:
            _refuse_outdated_certificate(kafka, timeout_s)
        user = kafka.get("sasl.username", "")
        raise StackError(
            f"Kafka at {kafka['bootstrap.servers']} refused this client"
            + (f" (user {user!r})" if user else "")
            + f": {refusals[0].str()}",
            "check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD_FILE (or KAFKA_SASL_PASSWORD) and "
            "KAFKA_SSL_CA_LOCATION; on the local cluster they are in <stack dir>/secrets",
        )


def _refuse_outdated_certificate(kafka: dict[str, str], timeout_s: float) -> None:
    """Raise the refusal that names an expired (or not yet valid) broker certificate, and how to
    renew it, when that is why TLS failed with one of the bootstrap servers."""
    for address in kafka["bootstrap.servers"].split(","):
        error = certificate_refusal(address, kafka.get("ssl.ca.location", ""), min(timeout_s, 5.0))
        if error is not None and (problem := outdated(error)):
            raise StackError(
                f"Kafka at {address.strip()} shows a TLS certificate that {problem} "
                f"(OpenSSL: {error.verify_message}); this client refuses it",
                KAFKA_CERTIFICATE_HINT,
            )
