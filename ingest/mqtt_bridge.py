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

The broker authenticates: the bridge logs in with a user and password (`broker.username`; the
password from IOC_INGEST_MQTT_PASSWORD or the file `broker.password_file`, never from the YAML
itself) over TLS (`broker.tls.ca`, the CA that signed the broker's certificate). Which source ids a
station may publish as is the broker's ACL (ingest/mqtt_accounts.py); a refused login is an
`error:` and a `hint:`, at start and on every later reconnect.
"""

from __future__ import annotations

import json
import logging
import queue
import socket
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import yaml
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pydantic import SecretStr

from ingest.errors import BrokerRefusedError, ConfigError, KafkaUnavailableError
from ingest.gateway import Gateway
from ioc.credentials import outdated

log = logging.getLogger(__name__)
QUEUE_SIZE = 1_000
CONNECT_WAIT_S = 10.0  # how long `start` waits for the broker's first answer (CONNACK)
# CONNACK reasons that no retry will cure: MQTT 5's codes, and MQTT 3.1.1's 4 and 5.
REFUSED_LOGIN = {"Bad user name or password", "Not authorized", "Banned", "Client identifier not valid"}


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
    username: str = ""  # empty: an anonymous login (a broker on loopback for tests)
    password: SecretStr = SecretStr("")
    tls_ca: Path | None = None  # the CA of the broker's certificate; None: plaintext

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls_ca else 'mqtt'}://{self.host}:{self.port}"

    def subscription(self, route: Route) -> str:
        """The filter this bridge subscribes to: shared with the other bridges of its group."""
        return f"$share/{self.share_group}/{route.topic}" if self.share_group else route.topic


def load_config(path: Path, feeds: set[str], password: SecretStr | None = None) -> BridgeConfig:
    """The bridge configuration, with each error naming the file, route and field.

    `password` (IOC_INGEST_MQTT_PASSWORD) wins over the file `broker.password_file`; relative
    paths are read from the configuration's folder."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    broker = data.get("broker", {})
    username, tls_ca, secret = _login(broker, path, password)
    return BridgeConfig(
        host=str(broker.get("host", "127.0.0.1")),
        port=int(broker.get("port", 1883)),
        client_id=str(data.get("client_id", "ioc-ingest-bridge")),
        routes=_routes(data, path, feeds),
        qos=int(data.get("qos", 1)),
        share_group=_share_group(data.get("share_group", "ioc-ingest"), path),
        session_expiry_s=int(data.get("session_expiry_s", 3600)),
        username=username,
        password=secret,
        tls_ca=tls_ca,
    )


def load_routes(path: Path, feeds: set[str]) -> tuple[Route, ...]:
    """Only the routes of a bridge configuration (what the broker's ACL is made from): no password
    needed."""
    return _routes(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, path, feeds)


def _routes(data: dict[str, Any], path: Path, feeds: set[str]) -> tuple[Route, ...]:
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
    return tuple(routes)


def _login(
    broker: dict[str, Any], path: Path, password: SecretStr | None
) -> tuple[str, Path | None, SecretStr]:
    """The broker's user, CA file and password, each checked to exist (never read into an error)."""
    username = str(broker.get("username") or "")
    tls = broker.get("tls") or {}
    if not isinstance(tls, dict) or ("ca" in tls and not isinstance(tls["ca"], str)):
        raise ConfigError(f"{path}: field 'broker.tls' must be {{ca: <CA certificate file, PEM>}}")
    tls_ca = path.parent / tls["ca"] if tls.get("ca") else None
    if tls_ca is not None and not tls_ca.is_file():
        raise ConfigError(f"{path}: broker.tls.ca: no file {tls_ca}")
    secret = password if password is not None and password.get_secret_value() else None
    if secret is None and broker.get("password_file"):
        password_file = path.parent / str(broker["password_file"])
        if not password_file.is_file():
            raise ConfigError(f"{path}: broker.password_file: no file {password_file}")
        secret = SecretStr(password_file.read_text(encoding="utf-8").strip())
    if username and not (secret and secret.get_secret_value()):
        raise ConfigError(
            f"{path}: broker.username {username!r} needs a password: "
            "IOC_INGEST_MQTT_PASSWORD or a file in broker.password_file"
        )
    return username, tls_ca, secret or SecretStr("")


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
        self._answered = threading.Event()  # the broker's first CONNACK, whatever it said
        self.refusal = ""  # the reason of the last refused login, empty once accepted
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if config.tls_ca is not None:
            self.client.tls_set(ca_certs=str(config.tls_ca))
        if config.username:
            self.client.username_pw_set(config.username, config.password.get_secret_value())
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self._worker = threading.Thread(target=self._work, name="mqtt-bridge", daemon=True)

    def start(self) -> MqttBridge:
        """Connect, and wait for the broker's answer: a refused login raises BrokerRefusedError
        (nothing is started); a broker that does not answer in time is left to reconnect."""
        session = Properties(PacketTypes.CONNECT)
        session.SessionExpiryInterval = self.config.session_expiry_s
        try:
            self.client.connect(
                self.config.host,
                self.config.port,
                self.config.keepalive_s,
                clean_start=False,
                properties=session,
            )
        except ssl.SSLError as exc:
            raise self._tls_refusal(exc) from None
        except OSError as exc:
            raise BrokerRefusedError(
                f"cannot reach the MQTT broker {self.config.url}: {exc}",
                "is Mosquitto running, and broker.host and broker.port right (TLS: usually 8883)?",
            ) from None
        self.client.loop_start()
        if not self._answered.wait(CONNECT_WAIT_S):
            log.warning(
                "no answer from the MQTT broker %s in %.0f s (a TLS port without broker.tls?); still trying",
                self.config.url,
                CONNECT_WAIT_S,
            )
        if self.refusal:
            self.client.loop_stop()
            raise BrokerRefusedError(self._refusal_text(), self._refusal_hint())
        self._worker.start()
        return self

    def _tls_refusal(self, exc: ssl.SSLError) -> BrokerRefusedError:
        """What to fix when the TLS handshake fails: the broker's certificate when its dates are the
        reason (a CA hint would send the operator the wrong way), else the CA or the host name."""
        if isinstance(exc, ssl.SSLCertVerificationError) and (problem := outdated(exc)):
            return BrokerRefusedError(
                f"the MQTT broker {self.config.url} shows a TLS certificate that {problem} "
                f"(OpenSSL: {exc.verify_message}); the bridge refuses it",
                "renew the broker's certificate (the certfile in mosquitto.conf) and restart "
                "Mosquitto; if it should still be valid, check this machine's clock",
            )
        return BrokerRefusedError(
            f"TLS with {self.config.url} failed: {exc}",
            f"broker.tls.ca must be the CA that signed the broker's certificate ({self.config.tls_ca}), "
            "and the certificate must name the host",
        )

    def stop(self) -> None:
        self._stop.set()
        self._worker.join(30)
        self.client.loop_stop()
        self.client.disconnect()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            self.refusal = str(reason)
            # paho reconnects by itself: say why each time, never loop silently.
            log.error("error: %s", self._refusal_text())
            log.error("hint: %s", self._refusal_hint())
        else:
            self.refusal = ""
            # Subscribing on every (re)connect: the broker may have lost the session.
            subscriptions = [
                (self.config.subscription(route), self.config.qos) for route in self.config.routes
            ]
            client.subscribe(subscriptions)
        self._answered.set()

    def _refusal_text(self) -> str:
        who = repr(self.config.username) if self.config.username else "an anonymous login"
        return f"the MQTT broker {self.config.url} refused {who} ({self.client_id}): {self.refusal}"

    def _refusal_hint(self) -> str:
        if self.refusal not in REFUSED_LOGIN:
            return "the broker's log says why"
        return (
            "the password (IOC_INGEST_MQTT_PASSWORD or broker.password_file) must be the one "
            "`ioc ingest mqtt-accounts render` hashed for broker.username; render again and reload "
            "Mosquitto after changing either"
        )

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
