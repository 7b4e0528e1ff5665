"""The MQTT bridge against a Mosquitto that authenticates, as production runs it: TLS only, one user
per station gateway, each allowed by the ACL (rendered from the bridge's routes) to publish only its
own source ids. A station's own reading is stored; a wrong password, another station's source id
and a plaintext client are each refused by the broker, and nothing of theirs is stored."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from ingest.errors import BrokerRefusedError
from ingest.feeds import build_feeds
from ingest.gateway import Gateway
from ingest.mqtt_accounts import Accounts, Station
from ingest.mqtt_bridge import MqttBridge, load_config, load_routes
from ingest.wiring import connect_gateway
from tests.integration.conftest import RunningStack
from tests.integration.helpers import wait_for
from tests.integration.mosquitto import SecuredBroker, secured_mosquitto
from tests.integration.test_ingest_http import event_ids, gateway_settings, read_topic
from topics.catalog import SENSOR_WATER_LEVEL

RUN = uuid.uuid4().hex[:6]
OWN, OTHER = f"HUB{RUN}A", f"HUB{RUN}B"  # gw-a may send as OWN only; gw-b as OTHER
ROUTES = "routes:\n  - {topic: 'it/+/water-level', feed: sensor.water-level, source_level: 1}\n"
REFUSED_LOGIN = {"Not authorized", "Bad user name or password"}  # Mosquitto 2.0.11 sends the first


class Publisher:
    """A station gateway's MQTT 5 client: each CONNACK's and PUBACK's reason, as the broker sent it."""

    def __init__(self, broker: SecuredBroker, username: str, password: str) -> None:
        self.connack: Any = None
        self.pubacks: dict[int, str] = {}
        self._lock = threading.Lock()
        self.client = broker.client(f"it-{username}-{uuid.uuid4().hex[:6]}", username, password)
        self.client.on_connect = self._on_connect
        self.client.on_publish = self._on_publish
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()
        wait_for(lambda: self.connack, lambda reason: reason is not None, 10, 0.05)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        self.connack = reason

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        with self._lock:
            self.pubacks[mid] = str(reason)

    def publish(self, station: str, event_id: str, qos: int = 1) -> int:
        reading = {
            "event_id": event_id,
            "station_id": station,
            "observed_at": datetime.now(UTC).isoformat(),
            "water_level_cm": 120.0,
        }
        info = self.client.publish(f"it/{station}/water-level", json.dumps(reading), qos=qos)
        return info.mid

    def puback(self, mid: int) -> str:
        return wait_for(lambda: self.pubacks.get(mid), lambda reason: reason is not None, 10, 0.05) or ""

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def bridge_file(folder: Path, broker: SecuredBroker, password_file: Path) -> Path:
    path = folder / "bridge.yaml"
    path.write_text(
        f"broker: {{host: 127.0.0.1, port: {broker.port}, tls: {{ca: '{broker.ca}'}},\n"
        f"         username: it-bridge, password_file: '{password_file}'}}\n"
        f"client_id: it-bridge-{RUN}\nshare_group: it-{RUN}\n{ROUTES}"
    )
    return path


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredBroker]:
    folder = tmp_path_factory.mktemp("mosquitto")
    (folder / "routes.yaml").write_text(ROUTES)
    routes = load_routes(folder / "routes.yaml", set(build_feeds()))
    accounts = Accounts("it-bridge", (Station("gw-a", (OWN,)), Station("gw-b", (OTHER,))))
    with secured_mosquitto(folder, accounts, routes) as running:
        yield running


@pytest.fixture(scope="module")
def gateway(local_stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gateway = connect_gateway(gateway_settings(local_stack, tmp_path_factory.mktemp("gateway")))
    yield gateway
    gateway.close()


@pytest.fixture(scope="module")
def bridge(
    broker: SecuredBroker, gateway: Gateway, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MqttBridge]:
    folder = tmp_path_factory.mktemp("bridge")
    config = load_config(bridge_file(folder, broker, broker.passwords / "it-bridge"), set(gateway.feeds))
    running = MqttBridge(gateway, config, instance_id="auth").start()
    time.sleep(0.5)  # the subscription is sent on connect; give the broker a moment to register it
    yield running
    running.stop()


def stored(local_stack: RunningStack, station: str) -> list[str]:
    return event_ids(read_topic(local_stack, SENSOR_WATER_LEVEL, station))


def test_a_station_reading_of_its_own_source_over_tls_is_stored(
    local_stack: RunningStack, broker: SecuredBroker, bridge: MqttBridge
) -> None:
    assert bridge.config.url.startswith("mqtts://") and bridge.client.is_connected()
    station = Publisher(broker, "gw-a", broker.password("gw-a"))
    handled = bridge.handled
    try:
        assert str(station.connack) == "Success"
        assert station.puback(station.publish(OWN, f"{OWN}-own")) == "Success"
        wait_for(lambda: bridge.handled, lambda n: n > handled, 30, 0.1)
    finally:
        station.close()
    assert f"{OWN}-own" in stored(local_stack, OWN)


def test_a_station_publishing_for_another_source_id_is_refused_and_nothing_is_ingested(
    local_stack: RunningStack, broker: SecuredBroker, bridge: MqttBridge
) -> None:
    station = Publisher(broker, "gw-a", broker.password("gw-a"))
    handled = bridge.handled
    try:
        # MQTT 5 at QoS 1: the broker says no. At QoS 0 it cannot say anything and drops it silently.
        assert station.puback(station.publish(OTHER, f"{OTHER}-forged-1")) == "Not authorized"
        station.publish(OTHER, f"{OTHER}-forged-0", qos=0)
        # The bridge handles messages in order: once this one is handled, a forged one would have been.
        assert station.puback(station.publish(OWN, f"{OWN}-after-forged")) == "Success"
        wait_for(lambda: bridge.handled, lambda n: n > handled, 30, 0.1)
        time.sleep(0.3)
    finally:
        station.close()
    assert bridge.handled == handled + 1
    assert stored(local_stack, OTHER) == []
    assert f"{OWN}-after-forged" in stored(local_stack, OWN)


def test_a_wrong_password_is_refused_at_connect_and_nothing_is_stored(
    local_stack: RunningStack,
    broker: SecuredBroker,
    bridge: MqttBridge,
    gateway: Gateway,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    intruder = Publisher(broker, "gw-a", "not-the-password")
    try:
        assert str(intruder.connack) in REFUSED_LOGIN
        assert intruder.client.publish(f"it/{OWN}/water-level", b"{}", qos=1).rc == mqtt.MQTT_ERR_NO_CONN
    finally:
        intruder.close()

    # The bridge itself with a wrong password: one error and its hint, the password in neither.
    wrong = tmp_path / "wrong-password"
    wrong.write_text("wrong-bridge-password\n")
    config = load_config(bridge_file(tmp_path, broker, wrong), set(gateway.feeds))
    refused = MqttBridge(gateway, config, instance_id=f"wrong-{RUN}")
    with (
        caplog.at_level(logging.ERROR, logger="ingest.mqtt_bridge"),
        pytest.raises(BrokerRefusedError) as error,
    ):
        refused.start()
    assert any(reason in str(error.value) for reason in REFUSED_LOGIN)
    assert "'it-bridge'" in str(error.value) and "mqtt-accounts render" in error.value.hint
    logged = [r.getMessage() for r in caplog.records if r.name == "ingest.mqtt_bridge"]
    assert [line.split(":")[0] for line in logged] == ["error", "hint"]
    assert "wrong-bridge-password" not in str(error.value) + error.value.hint + caplog.text

    station = Publisher(broker, "gw-a", broker.password("gw-a"))
    handled = bridge.handled
    try:
        assert station.puback(station.publish(OWN, f"{OWN}-after-intruder")) == "Success"
        wait_for(lambda: bridge.handled, lambda n: n > handled, 30, 0.1)
    finally:
        station.close()
    assert bridge.handled == handled + 1  # the intruder's publish never reached the broker


def test_a_plaintext_client_gets_no_mqtt_answer_from_the_tls_port(broker: SecuredBroker) -> None:
    # An MQTT 3.1.1 CONNECT (client id "p", clean session), in clear text.
    connect = bytes([0x10, 13, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 30, 0, 1]) + b"p"
    with socket.create_connection(("127.0.0.1", broker.port), timeout=5) as plain:
        plain.sendall(connect)
        try:
            answer = plain.recv(64)
        except ConnectionResetError:
            answer = b""
    assert not answer.startswith(b"\x20")  # no CONNACK: the broker reset the connection, or sent a TLS alert
