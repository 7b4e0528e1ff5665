"""Running the HTTP door: in the foreground (`ioc ingest serve`) or in a thread (`ioc run`, tests).

uvicorn serves the FastAPI app; the gateway is closed (queued messages delivered, bounded) when the
server stops, so a stop never loses a request that was answered. Several instances may run behind
one address: each follows the shared keys topic and announces itself on the members topic, so keys
added or revoked anywhere apply everywhere within seconds and a key's rate is shared among them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import uvicorn

from ingest.gateway import Gateway
from ingest.http_app import build_app
from ingest.keys import KeyStore
from ingest.members import Membership, member_id
from ingest.shared_topics import TopicFollower
from ingest.wiring import connect_gateway, follow_keys, former_keys_file, kafka_of, members_topic
from ioc.settings import Settings

log = logging.getLogger(__name__)


class BackgroundServer:
    """uvicorn in a daemon thread, stoppable; `url` is where it listens. `members` tells how many
    gateway instances share each key's rate (one when not given)."""

    def __init__(
        self,
        gateway: Gateway,
        keys: KeyStore,
        settings: Settings,
        port: int | None = None,
        members: Callable[[], int] | None = None,
    ) -> None:
        ingest = settings.ingest
        self.gateway = gateway
        port = ingest.port if port is None else port
        app = build_app(gateway, keys, ingest, members)
        config = uvicorn.Config(app, host=ingest.host, port=port, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.url = f"http://{ingest.host}:{port}"
        self.thread = threading.Thread(target=self.server.run, name="ingest-http", daemon=True)

    def start(self, timeout_s: float = 30.0) -> BackgroundServer:
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the ingestion gateway did not start on {self.url}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.gateway.close()


class GatewayInstance:
    """One gateway instance of possibly several: the HTTP door, the followed keys, its heartbeat."""

    def __init__(self, settings: Settings, port: int | None = None) -> None:
        self.settings = settings
        self.port = port
        self.keys: KeyStore | None = None
        self._follower: TopicFollower | None = None
        self.members: Membership | None = None
        self.server: BackgroundServer | None = None

    def start(self) -> GatewayInstance:
        ingest = self.settings.ingest
        try:
            self.keys, self._follower = follow_keys(self.settings)
            self.members = Membership(
                kafka_of(self.settings),
                members_topic(self.settings),
                member_id(ingest.instance_id),
                ingest.heartbeat_s,
                ingest.member_ttl_s,
            ).start()
            gateway = connect_gateway(self.settings)
            self.server = BackgroundServer(gateway, self.keys, self.settings, self.port, self.members.count)
            self.server.start()
        except BaseException:
            self.stop()
            raise
        log.info(
            "gateway %s: %d keys, %d live instances",
            self.members.me,
            len(self.keys.by_id),
            self.members.count(),
        )
        return self

    @property
    def url(self) -> str:
        if self.server is None:
            raise RuntimeError("the gateway instance is not started")
        return self.server.url

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.members is not None:
            self.members.stop()
        if self._follower is not None:
            self._follower.stop()


def serve(settings: Settings, stop: threading.Event | None = None) -> None:
    """Run the gateway on `settings.ingest.host:port` until `stop` is set (or Ctrl-C without one).

    This is what `ioc run` calls in a thread, with its own stop event, after the stack is up.
    """
    if former_keys_file(settings).exists():
        log.warning(
            "API keys now live on the keys topic; %s is no longer read (import it once with "
            "`ioc ingest keys import %s`)",
            former_keys_file(settings),
            former_keys_file(settings),
        )
    instance = GatewayInstance(settings).start()
    try:
        while stop is None or not stop.is_set():
            if instance.server is None or not instance.server.thread.is_alive():
                raise RuntimeError("the ingestion gateway stopped unexpectedly")
            time.sleep(0.5)
    finally:
        instance.stop()
