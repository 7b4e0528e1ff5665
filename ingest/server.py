"""Running the HTTP door: in the foreground (`ioc ingest serve`) or in a thread (`ioc run`, tests).

uvicorn serves the FastAPI app; the gateway is closed (queued messages delivered, bounded) when the
server stops, so a stop never loses a request that was answered.
"""

from __future__ import annotations

import threading
import time

import uvicorn

from ingest.gateway import Gateway
from ingest.http_app import build_app
from ingest.keys import KeyStore
from ingest.wiring import connect_gateway, keys_path
from ioc.settings import Settings


class BackgroundServer:
    """uvicorn in a daemon thread, stoppable; `url` is where it listens."""

    def __init__(self, gateway: Gateway, keys: KeyStore, settings: Settings, port: int | None = None) -> None:
        ingest = settings.ingest
        self.gateway = gateway
        port = ingest.port if port is None else port
        app = build_app(gateway, keys, ingest)
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


def serve(settings: Settings, stop: threading.Event | None = None) -> None:
    """Run the gateway on `settings.ingest.host:port` until `stop` is set (or Ctrl-C without one).

    This is what `ioc run` calls in a thread, with its own stop event, after the stack is up.
    """
    keys = KeyStore.load(keys_path(settings))
    server = BackgroundServer(connect_gateway(settings), keys, settings).start()
    try:
        while stop is None or not stop.is_set():
            if not server.thread.is_alive():
                raise RuntimeError("the ingestion gateway stopped unexpectedly")
            time.sleep(0.5)
    finally:
        server.stop()
