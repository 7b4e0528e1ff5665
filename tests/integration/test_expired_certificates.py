"""A client shown a certificate outside its dates refuses it with a clear `error:` and `hint:`, and
nothing is stored: the MQTT bridge against a real Mosquitto whose certificate has expired (or is not
valid yet), and a service's Kafka login check against a real TLS listener on loopback. Neither needs
the local stack; each server starts in well under a second.

librdkafka (2.16) reports an expired broker certificate exactly as it reports a wrong CA:
"SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: broker certificate
could not be verified, verify that ssl.ca.location is correctly configured …". That is why
check_kafka_login asks the server for the reason itself (ioc.credentials.certificate_refusal), and
why the Kafka side is tested against a real handshake rather than against a copy of that text.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pydantic import SecretStr

from ingest.errors import BrokerRefusedError
from ingest.mqtt_accounts import Accounts
from ingest.mqtt_bridge import MqttBridge, load_config, load_routes
from ioc.credentials import SASL_SSL, SCRAM, KafkaAuth, check_kafka_login
from ioc.stack.certs import SERVER_DAYS, ServerCert, server_cert
from ioc.stack.errors import StackError
from tests.integration.mosquitto import MOSQUITTO, secured_mosquitto
from tests.unit.test_ingest_gateway import FEEDS, RecordingSender, make_gateway

ROUTES = "routes:\n  - {topic: 'it/+/water-level', feed: sensor.water-level, source_level: 1}\n"
NOW = dt.datetime.now(dt.UTC)
EXPIRED = NOW - dt.timedelta(days=SERVER_DAYS + 1)  # issued then, it ended yesterday
NOT_YET_VALID = NOW + dt.timedelta(days=2)  # as if this machine's clock were two days behind
PASSWORD = "the-kafka-password"  # noqa: S105 - a test value that must not appear in a refusal


@pytest.mark.skipif(not Path(MOSQUITTO).exists(), reason=f"no Mosquitto at {MOSQUITTO}")
@pytest.mark.parametrize(
    ("issued", "problem", "openssl"),
    [
        (EXPIRED, "has expired", "certificate has expired"),
        (NOT_YET_VALID, "is not valid yet", "certificate is not yet valid"),
    ],
)
def test_the_bridge_refuses_a_broker_certificate_outside_its_dates_and_stores_nothing(
    tmp_path: Path, issued: dt.datetime, problem: str, openssl: str
) -> None:
    (tmp_path / "routes.yaml").write_text(ROUTES)
    routes = load_routes(tmp_path / "routes.yaml", set(FEEDS))
    with secured_mosquitto(tmp_path, Accounts("it-bridge", ()), routes, certificate_issued=issued) as broker:
        config = tmp_path / "bridge.yaml"
        config.write_text(
            f"broker: {{host: 127.0.0.1, port: {broker.port}, tls: {{ca: '{broker.ca}'}},\n"
            f"         username: it-bridge, password_file: '{broker.passwords / 'it-bridge'}'}}\n{ROUTES}"
        )
        sender = RecordingSender()
        bridge = MqttBridge(make_gateway(tmp_path, sender), load_config(config, set(FEEDS)), instance_id="it")

        with pytest.raises(BrokerRefusedError) as refused:
            bridge.start()

    assert str(refused.value) == (
        f"the MQTT broker mqtts://127.0.0.1:{broker.port} shows a TLS certificate that {problem} "
        f"(OpenSSL: {openssl}); the bridge refuses it"
    )
    assert refused.value.hint.startswith("renew the broker's certificate")
    assert "check this machine's clock" in refused.value.hint
    assert broker.password("it-bridge") not in str(refused.value) + refused.value.hint
    assert not bridge.client.is_connected() and sender.messages == []


@contextmanager
def tls_listener(cert: ServerCert) -> Iterator[int]:
    """A TLS server on loopback that shows `cert` and then hangs up: all a client's certificate
    check needs. Yields its port."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert.certificate, cert.key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            connection.settimeout(2)
            try:
                context.wrap_socket(connection, server_side=True).close()
            except OSError:  # the client refused the certificate: what is tested
                connection.close()

    thread = threading.Thread(target=serve, name="tls-listener", daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def kafka_login(port: int, ca: Path) -> dict[str, str]:
    """A service's SASL/SCRAM-over-TLS login, as ioc.credentials builds it."""
    auth = KafkaAuth(SASL_SSL, SCRAM, "ioc", SecretStr(PASSWORD), str(ca))
    return {"bootstrap.servers": f"127.0.0.1:{port}"} | auth.client_config()


def test_a_service_refuses_an_expired_kafka_certificate_and_says_how_to_renew_it(tmp_path: Path) -> None:
    cert = server_cert(tmp_path, "kafka", now=EXPIRED)
    with tls_listener(cert) as port, pytest.raises(StackError) as refused:
        check_kafka_login(kafka_login(port, cert.ca), timeout_s=10)

    assert refused.value.cause == (
        f"Kafka at 127.0.0.1:{port} shows a TLS certificate that has expired "
        "(OpenSSL: certificate has expired); this client refuses it"
    )
    assert "on the local stack `ioc stack up` issues a new one" in refused.value.hint
    assert "check this machine's clock" in refused.value.hint
    assert PASSWORD not in str(refused.value)


def test_a_kafka_certificate_from_another_ca_keeps_the_ca_refusal(tmp_path: Path) -> None:
    """The reason is read, not guessed: a valid certificate the client's CA did not sign is still
    refused as a CA problem."""
    cert = server_cert(tmp_path / "broker", "kafka")
    other_ca = server_cert(tmp_path / "other", "kafka").ca
    with tls_listener(cert) as port, pytest.raises(StackError) as refused:
        check_kafka_login(kafka_login(port, other_ca), timeout_s=10)

    assert "refused this client (user 'ioc')" in refused.value.cause
    assert "certificate verify failed" in refused.value.cause and "expired" not in refused.value.cause
    assert "KAFKA_SSL_CA_LOCATION" in refused.value.hint
