"""The MQTT bridge against a real Mosquitto (Debian's package) started here: valid readings reach
their feed's topic, broken ones the sensor dead letters, and each message is acknowledged once handled."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from ingest.mqtt_bridge import MqttBridge, load_config
from ingest.wiring import connect_gateway
from ioc.stack.ports import free_port, is_listening
from tests.integration.conftest import RunningStack
from tests.integration.helpers import wait_for
from tests.integration.test_ingest_http import event_ids, gateway_settings, read_topic
from topics.catalog import DLQ_SENSOR, SENSOR_WATER_LEVEL

MOSQUITTO = "/usr/sbin/mosquitto"


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[int]:
    port = free_port()
    config = tmp_path / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    log = (tmp_path / "mosquitto.log").open("wb")
    broker = subprocess.Popen([MOSQUITTO, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while not is_listening(port):
            assert broker.poll() is None and time.monotonic() < deadline, (
                tmp_path / "mosquitto.log"
            ).read_text()
            time.sleep(0.1)
        yield port
    finally:
        broker.terminate()
        broker.wait(10)
        log.close()


def test_sensor_messages_reach_their_feed_or_the_dead_letters(
    local_stack: RunningStack, mosquitto: int, tmp_path: Path
) -> None:
    station = f"HUB{uuid.uuid4().hex[:6]}"
    bridge_file = tmp_path / "bridge.yaml"
    bridge_file.write_text(
        f"broker: {{host: 127.0.0.1, port: {mosquitto}}}\nclient_id: it-bridge-{station}\n"
        "routes:\n  - {topic: 'it/+/water-level', feed: sensor.water-level, source_level: 1}\n"
    )
    gateway = connect_gateway(gateway_settings(local_stack, tmp_path))
    bridge = MqttBridge(gateway, load_config(bridge_file, set(gateway.feeds))).start()
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"it-pub-{station}")
    publisher.connect("127.0.0.1", mosquitto)
    publisher.loop_start()
    try:
        wait_for(lambda: bridge.client.is_connected(), bool, 10, 0.1)
        time.sleep(0.5)  # the subscription is sent on connect; give the broker a moment to register it
        now = datetime.now(UTC).isoformat()
        good = {
            "event_id": f"{station}-1",
            "station_id": station,
            "observed_at": now,
            "water_level_cm": 231.0,
        }
        missing = {"event_id": f"{station}-2", "station_id": station, "observed_at": now}
        topic = f"it/{station}/water-level"
        for payload in (json.dumps([good, missing]).encode(), b"\xffnot json"):
            publisher.publish(topic, payload, qos=1).wait_for_publish(10)
        wait_for(lambda: bridge.handled, lambda n: n >= 2, 30, 0.2)
    finally:
        publisher.loop_stop()
        publisher.disconnect()
        bridge.stop()
        gateway.close()
    assert event_ids(read_topic(local_stack, SENSOR_WATER_LEVEL, station)) == [f"{station}-1"]
    letters = read_topic(local_stack, DLQ_SENSOR, station)
    assert sorted((d["rule"], d["field_path"]) for d in letters) == [
        ("json", ""),
        ("required", "records[1].water_level_cm"),
    ]
    assert all(d["record_ref"].startswith(f"mqtt:{topic}") for d in letters)


def test_two_bridges_share_the_subscription_and_ingest_each_message_once(
    local_stack: RunningStack, mosquitto: int, tmp_path: Path
) -> None:
    station, count = f"HUB{uuid.uuid4().hex[:6]}", 40
    bridge_file = tmp_path / "bridge.yaml"
    bridge_file.write_text(
        f"broker: {{host: 127.0.0.1, port: {mosquitto}}}\nclient_id: it-bridge-{station}\n"
        f"share_group: it-{station}\n"
        "routes:\n  - {topic: 'it/+/water-level', feed: sensor.water-level, source_level: 1}\n"
    )
    gateways, bridges = [], []
    for name in ("a", "b"):  # two bridge processes' worth: own gateway, own dedup memory, own client id
        gateway = connect_gateway(gateway_settings(local_stack, tmp_path / name))
        gateways.append(gateway)
        bridges.append(
            MqttBridge(gateway, load_config(bridge_file, set(gateway.feeds)), instance_id=name).start()
        )
    assert bridges[0].client_id != bridges[1].client_id
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"it-pub-{station}")
    publisher.connect("127.0.0.1", mosquitto)
    publisher.loop_start()
    try:
        wait_for(lambda: all(b.client.is_connected() for b in bridges), bool, 10, 0.1)
        time.sleep(0.5)  # the subscriptions are sent on connect; give the broker a moment to register them
        now = datetime.now(UTC).isoformat()
        for n in range(count):
            reading = {
                "event_id": f"{station}-{n}",
                "station_id": station,
                "observed_at": now,
                "water_level_cm": n,
            }
            publisher.publish(f"it/{station}/water-level", json.dumps(reading), qos=1).wait_for_publish(10)
        wait_for(lambda: sum(b.handled for b in bridges), lambda n: n >= count, 30, 0.2)
        time.sleep(0.5)  # a message handed to both would show up now as one more
    finally:
        publisher.loop_stop()
        publisher.disconnect()
        for bridge in bridges:
            bridge.stop()
        for gateway in gateways:
            gateway.close()
    handled = [bridge.handled for bridge in bridges]
    assert sum(handled) == count and min(handled) > 0, handled
    stored = event_ids(read_topic(local_stack, SENSOR_WATER_LEVEL, station))
    assert sorted(stored) == sorted(f"{station}-{n}" for n in range(count))
