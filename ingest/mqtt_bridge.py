"""The MQTT door for sensors: topics mapped to feeds by configuration, same checks as HTTP.

Each route maps an MQTT topic filter to a feed and says where the source id comes from (a fixed
value, or one level of the topic, e.g. the gateway id in `ioc/sensors/<gateway>/air-quality`). A
message is one JSON record or a JSON list of records. The bridge subscribes with QoS 1 in a
persistent session and acknowledges a message only after Kafka acknowledged its records (or its
dead letters), so a message is never lost on the way: while Kafka is away the bridge waits and
retries, and Mosquitto keeps the rest queued for it.

Several bridges may run at once: each connects with MQTT 5 under a client id of its own
(`<client_id>-<instance id>`, stable across restarts so its session and queued messages survive)
and subscribes through a shared subscription (`$share/<share_group>/<filter>`), so the broker hands
each message to one bridge of the group and none is ingested twice. A bridge that stops for good
leaves its session, and the messages the broker had already queued for it, until
`session_expiry_s` runs out: scale down by stopping a bridge for less than that, or accept that its
queued share arrives only if it comes back.
"""

from __future__ import annotations

import json
import logging
import queue
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import yaml
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ingest.errors import ConfigError, KafkaUnavailableError
from ingest.gateway import Gateway

log = logging.getLogger(__name__)
QUEUE_SIZE = 1_000


@dataclass(frozen=True)
class Route:
    """One topic filter and the feed its messages belong to."""

    topic: str
    feed: str
    source_id: str = ""  # fixed source id, or
    source_level: int | None = None  # the topic level (0-based) that holds it

    def matches(self, topic: str) -> bool:
        return bool(mqtt.topic_matches_sub(self.topic, topic))

    def source_of(self, topic: str) -> str:
        if self.source_level is None:
            return self.source_id
        levels = topic.split("/")
        return levels[self.source_level] if self.source_level < len(levels) else ""


@dataclass(frozen=True)
class BridgeConfig:
    host: str
    port: int
    client_id: str
    routes: tuple[Route, ...]
    qos: int = 1
    keepalive_s: int = 30
    share_group: str = "ioc-ingest"  # empty: a plain subscription (one bridge only)
    session_expiry_s: int = 3600

    def subscription(self, route: Route) -> str:
        """The filter this bridge subscribes to: shared with the other bridges of its group."""
        return f"$share/{self.share_group}/{route.topic}" if self.share_group else route.topic


def load_config(path: Path, feeds: set[str]) -> BridgeConfig:
    """The bridge configuration, with each error naming the file, route and field."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    broker = data.get("broker", {})
    routes = []
    for i, entry in enumerate(data.get("routes") or []):
        where = f"{path}: routes[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("topic"), str):
            raise ConfigError(f"{where}: field 'topic' must be an MQTT topic filter")
        if entry.get("feed") not in feeds:
            raise ConfigError(f"{where}: field 'feed' must be one of {', '.join(sorted(feeds))}")
        level, fixed = entry.get("source_level"), entry.get("source_id", "")
        if (level is None) == (not fixed):
            raise ConfigError(
                f"{where}: give exactly one of 'source_id' (fixed) or 'source_level' (topic level)"
            )
        if level is not None and (not isinstance(level, int) or isinstance(level, bool) or level < 0):
            raise ConfigError(f"{where}: field 'source_level' must be a topic level number from 0")
        routes.append(Route(entry["topic"], entry["feed"], str(fixed), level))
    if not routes:
        raise ConfigError(f"{path}: no routes; map at least one topic to a feed")
    return BridgeConfig(
        host=str(broker.get("host", "127.0.0.1")),
        port=int(broker.get("port", 1883)),
        client_id=str(data.get("client_id", "ioc-ingest-bridge")),
        routes=tuple(routes),
        qos=int(data.get("qos", 1)),
        share_group=_share_group(data.get("share_group", "ioc-ingest"), path),
        session_expiry_s=int(data.get("session_expiry_s", 3600)),
    )


def _share_group(value: object, path: Path) -> str:
    group = "" if value is None else str(value)
    if any(c in group for c in "/+#"):
        raise ConfigError(f"{path}: field 'share_group' must not contain '/', '+' or '#'")
    return group


def records_of(payload: bytes) -> list[Any]:
    """The records in a message: one JSON object, or a list of them. ValueError when unreadable."""
    document = json.loads(payload.decode("utf-8"))
    return document if isinstance(document, list) else [document]


class MqttBridge:
    """Subscribes, validates and stores through the gateway, acknowledging after Kafka did."""

    def __init__(
        self,
        gateway: Gateway,
        config: BridgeConfig,
        retry_wait_s: float | None = None,
        instance_id: str = "",
    ) -> None:
        self.gateway = gateway
        self.config = config
        self.client_id = f"{config.client_id}-{instance_id or socket.gethostname()}"
        self.retry_wait_s = gateway.retry_after_s if retry_wait_s is None else retry_wait_s
        self.handled = 0
        self._inbox: queue.Queue[mqtt.MQTTMessage] = queue.Queue(QUEUE_SIZE)
        self._stop = threading.Event()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self._worker = threading.Thread(target=self._work, name="mqtt-bridge", daemon=True)

    def start(self) -> MqttBridge:
        session = Properties(PacketTypes.CONNECT)
        session.SessionExpiryInterval = self.config.session_expiry_s
        self.client.connect(
            self.config.host,
            self.config.port,
            self.config.keepalive_s,
            clean_start=False,
            properties=session,
        )
        self.client.loop_start()
        self._worker.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._worker.join(30)
        self.client.loop_stop()
        self.client.disconnect()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        # Subscribing on every (re)connect: the broker may have lost the session.
        client.subscribe([(self.config.subscription(route), self.config.qos) for route in self.config.routes])

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        # Blocks the network loop when the worker is behind: back-pressure instead of unbounded memory.
        self._inbox.put(message)

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                message = self._inbox.get(timeout=0.2)
            except queue.Empty:
                continue
            while not self._stop.is_set():
                try:
                    self._handle(message)
                except KafkaUnavailableError as exc:
                    log.warning(
                        "Kafka unavailable, retrying %s in %.0f s: %s", message.topic, self.retry_wait_s, exc
                    )
                    self._stop.wait(self.retry_wait_s)
                    continue
                self.client.ack(message.mid, message.qos)
                self.handled += 1
                break

    def _handle(self, message: mqtt.MQTTMessage) -> None:
        route = next((r for r in self.config.routes if r.matches(message.topic)), None)
        if route is None:
            log.warning("no route for MQTT topic %s; message dropped", message.topic)
            return
        feed = self.gateway.feeds[route.feed]
        source_id = route.source_of(message.topic)
        door = f"mqtt:{message.topic}"
        try:
            records = records_of(message.payload)
        except (ValueError, RecursionError) as exc:
            text = message.payload.decode("utf-8", "replace")
            self.gateway.refuse(feed, source_id, text, "json", f"payload is not JSON in UTF-8: {exc}", door)
            return
        outcome = self.gateway.submit(feed, source_id, records, door=door)
        for rejection in outcome.rejected:
            log.info(
                "MQTT %s: record %d rejected: %s [%s]",
                message.topic,
                rejection.index,
                rejection.message,
                rejection.rule,
            )
