"""The wall app served by uvicorn: in the foreground (`ioc wall serve`) or in a thread for the length
of a block (`ioc wall snapshot`, the browser tests), on loopback."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from ioc.stack.ports import LOOPBACK, free_port


@contextmanager
def serving(app: FastAPI, host: str = LOOPBACK, port: int = 0, timeout_s: float = 30.0) -> Iterator[str]:
    """`app` listening in a daemon thread (a free port when `port` is 0); yields its base URL."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, name="wall-http", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the wall app did not start on {host}:{port}")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
