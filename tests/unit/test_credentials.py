"""Unit tests for the platform's credentials: what each client is given, where the secrets come from,
and that none of them shows up in a repr, a status line or a Java properties file it does not belong in.

Refusals by real servers (wrong password, no TLS, no registry credentials) are in
tests/integration/test_cluster.py, on the secured three-broker cluster.
"""

from __future__ import annotations

import json
import ssl
from pathlib import Path

import pytest
from pydantic import SecretStr

from ioc.credentials import SASL_SSL, BasicAuth, KafkaAuth, read_secret
from ioc.endpoints import STATE_FILE, describe, resolve
from ioc.settings import ClickHouseSettings, KafkaSettings, RegistrySettings, Settings, StackSettings
from ioc.stack.certs import server_cert
from ioc.stack.errors import StackError
from ioc.stack.secrets import StackSecrets
from ioc.stack.services import KafkaSecurity, RegistrySecurity

SECRET = 's3cr"et\\pw'  # noqa: S105 - a test value with the characters JAAS must escape


def test_plaintext_adds_nothing_to_a_kafka_client() -> None:
    assert KafkaAuth().client_config() == {}
    assert KafkaAuth().java_client_properties() == {}


def test_scram_over_tls_gives_librdkafka_and_java_the_same_login() -> None:
    auth = KafkaAuth(SASL_SSL, "SCRAM-SHA-512", "ioc", SecretStr(SECRET), "/tls/ca.pem")
    assert auth.client_config() == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "ioc",
        "sasl.password": SECRET,
        "ssl.ca.location": "/tls/ca.pem",
    }
    java = auth.java_client_properties()
    # Quotes and backslashes in a password must not end the JAAS string early.
    assert java["sasl.jaas.config"].endswith('password="s3cr\\"et\\\\pw";')
    assert java["ssl.truststore.location"] == "/tls/ca.pem"
    assert SECRET not in repr(auth)


def test_basic_auth_for_the_registry_client_and_a_plain_http_client() -> None:
    assert BasicAuth().registry_config() == {} and BasicAuth().header() == {}
    auth = BasicAuth("ioc", SecretStr("pw"))
    assert auth.registry_config() == {"basic.auth.user.info": "ioc:pw"}
    assert auth.header() == {"Authorization": "Basic aW9jOnB3"}


def test_a_password_file_wins_over_the_variable_and_a_missing_one_is_named(tmp_path: Path) -> None:
    file = tmp_path / "kafka.password"
    file.write_text("from-file\n")
    assert read_secret(SecretStr("from-env"), file, "the Kafka password").get_secret_value() == "from-file"
    assert read_secret(SecretStr("from-env"), None, "x").get_secret_value() == "from-env"
    with pytest.raises(StackError, match="cannot read the Kafka password from .*missing"):
        read_secret(SecretStr(""), tmp_path / "missing", "the Kafka password")


def test_a_stack_makes_each_password_once_and_keeps_it_private(tmp_path: Path) -> None:
    secrets = StackSecrets(tmp_path)
    first = secrets.kafka_client().password.get_secret_value()
    assert first and secrets.kafka_client().password.get_secret_value() == first
    assert secrets.kafka_broker().password.get_secret_value() != first
    for path in secrets.folder.glob("*.password"):
        assert path.stat().st_mode & 0o077 == 0, path


def test_the_stack_certificate_is_trusted_through_its_ca_for_loopback(tmp_path: Path) -> None:
    cert = server_cert(tmp_path, "kafka")
    assert cert.key.stat().st_mode & 0o077 == 0
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert.certificate, cert.key)  # the key matches the certificate
    client = ssl.create_default_context(cafile=str(cert.ca))
    assert client.verify_mode == ssl.CERT_REQUIRED
    assert (
        server_cert(tmp_path, "kafka") == cert
        and cert.certificate.read_bytes() == server_cert(tmp_path, "kafka").certificate.read_bytes()
    )  # kept, not remade: clients keep trusting it


def test_brokers_are_formatted_with_every_scram_user(tmp_path: Path) -> None:
    secrets = StackSecrets(tmp_path)
    security = KafkaSecurity(secrets.server_cert("kafka"), secrets.kafka_broker(), (secrets.kafka_client(),))
    arguments = security.format_arguments()
    assert arguments[0::2] == ["--add-scram", "--add-scram"]
    assert arguments[1].startswith("SCRAM-SHA-512=[name=ioc-admin,password=")
    assert arguments[3].startswith("SCRAM-SHA-512=[name=ioc,password=")
    properties = "\n".join(security.broker_properties())
    assert "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512" in properties
    assert "ssl.keystore.type=PEM" in properties


def test_the_registry_asks_for_its_account_and_logs_in_to_kafka(tmp_path: Path) -> None:
    secrets = StackSecrets(tmp_path)
    text = RegistrySecurity(secrets.registry(), secrets.kafka_client(), tmp_path / "p").properties()
    lines = dict(line.split("=", 1) for line in text.splitlines())
    assert lines["quarkus.http.auth.basic"] == "true"
    assert lines["quarkus.http.auth.permission.registry.policy"] == "authenticated"
    assert (
        lines["quarkus.security.users.embedded.users.ioc"] == secrets.registry().password.get_secret_value()
    )
    assert lines["apicurio.kafka.common.security.protocol"] == "SASL_SSL"
    assert "ScramLoginModule" in lines["apicurio.kafka.common.sasl.jaas.config"]


def _settings(stack_dir: Path, kafka: KafkaSettings | None = None, registry: str = "") -> Settings:
    return Settings(
        kafka=kafka or KafkaSettings(),
        registry=RegistrySettings(url=registry),
        clickhouse=ClickHouseSettings(),
        stack=StackSettings(dir=stack_dir),
    )


def test_a_secured_local_stack_gives_every_client_its_login_and_status_shows_none(tmp_path: Path) -> None:
    state = {
        "kafka": {"port": 19092, "pid": 1, "secure": True},
        "registry": {"port": 18081, "pid": 2, "secure": True},
        "warehouse": {"port": 18123, "pid": 3},
    }
    (tmp_path / STATE_FILE).write_text(json.dumps(state))
    endpoints = resolve(_settings(tmp_path))
    secrets = StackSecrets(tmp_path.resolve())
    assert (
        endpoints.kafka_client()
        == {"bootstrap.servers": "127.0.0.1:19092"} | secrets.kafka_client().client_config()
    )
    assert endpoints.registry_auth == secrets.registry()
    shown = json.dumps(describe(endpoints)) + repr(endpoints)
    assert secrets.kafka_client().password.get_secret_value() not in shown
    assert secrets.registry().password.get_secret_value() not in shown


def test_an_open_local_stack_and_a_configured_kafka(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text(json.dumps({"kafka": {"port": 19092, "pid": 1}}))
    assert resolve(_settings(tmp_path), need=("kafka",)).kafka_client() == {
        "bootstrap.servers": "127.0.0.1:19092"
    }
    password = tmp_path / "pw"
    password.write_text("mounted")
    configured = KafkaSettings(
        bootstrap_servers="kafka-1:9094",
        security_protocol="SASL_SSL",
        sasl_username="ioc-sinks",
        sasl_password_file=password,
        ssl_ca_location="/run/secrets/ca.pem",
    )
    client = resolve(_settings(tmp_path, configured), need=("kafka",)).kafka_client()
    assert client["sasl.username"] == "ioc-sinks" and client["sasl.password"] == "mounted"
    assert (
        client["bootstrap.servers"] == "kafka-1:9094" and client["ssl.ca.location"] == "/run/secrets/ca.pem"
    )
