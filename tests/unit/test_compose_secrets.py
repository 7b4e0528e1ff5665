"""`ioc stack compose-secrets`: compose's brokers and registry get the configuration the local
secured cluster runs with (one function makes both), naming compose's hosts, with private files."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from ioc.stack.compose_secrets import ComposeCluster, render
from ioc.stack.secrets import StackSecrets


def properties(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if line)


def test_each_broker_listens_secured_under_its_compose_name(tmp_path: Path) -> None:
    files = render(tmp_path)
    broker = properties(tmp_path / "kafka-2.properties")
    assert broker["node.id"] == "2"
    assert broker["advertised.listeners"] == "SASL_SSL://kafka-2:9092"
    assert broker["controller.quorum.voters"] == ComposeCluster().voters
    assert broker["ssl.keystore.location"] == "/run/secrets/kafka-2_keystore"
    assert broker["ssl.truststore.location"] == "/run/secrets/kafka_ca"
    assert broker["min.insync.replicas"] == "2" and broker["default.replication.factor"] == "3"
    keystore = tmp_path / "secrets" / "tls" / "kafka-2-keystore.pem"
    assert keystore in files
    certificate = x509.load_pem_x509_certificate((tmp_path / "secrets" / "tls" / "kafka-2.pem").read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "kafka-2" in names.get_values_for_type(x509.DNSName)
    for path in files:
        if path.name != "ca.pem":
            assert path.stat().st_mode & 0o077 == 0, path


def test_the_users_the_storage_is_formatted_with_are_those_the_services_log_in_as(tmp_path: Path) -> None:
    render(tmp_path)
    secrets = StackSecrets(tmp_path)
    lines = (tmp_path / "kafka-format.args").read_text().splitlines()
    client = secrets.kafka_client().password.get_secret_value()
    assert lines[0] == "--add-scram" and lines[2] == "--add-scram"
    assert lines[3] == f"SCRAM-SHA-512=[name=ioc,password={client}]"
    registry = properties(tmp_path / "registry.properties")
    assert registry["apicurio.kafkasql.bootstrap.servers"] == ComposeCluster().bootstrap
    assert f'username="ioc" password="{client}"' in registry["apicurio.kafka.common.sasl.jaas.config"]
    tools = properties(tmp_path / "kafka-client.properties")
    assert tools["security.protocol"] == "SASL_SSL"


def test_a_second_render_keeps_the_passwords_and_certificates(tmp_path: Path) -> None:
    render(tmp_path)
    before = {p: p.read_bytes() for p in (tmp_path / "secrets").rglob("*") if p.is_file()}
    render(tmp_path)
    assert {p: p.read_bytes() for p in (tmp_path / "secrets").rglob("*") if p.is_file()} == before
