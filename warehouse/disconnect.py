"""Cancelling a query whose client has gone away.

A ClickHouse server cancels a read-only HTTP query when its client closes the connection
(`cancel_http_readonly_queries_on_client_close`); without that, a runaway analyst query kept a core
busy for up to its time limit after the analyst had given up. The front's request thread is blocked
in the engine while the query runs, so a watcher thread polls the client's socket meanwhile: a
socket that reads as end-of-file (or resets) means the client left, and the query is killed. A
socket with bytes waiting is a client sending its next request early, not a departure.
"""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

POLL_S = 0.2


def client_gone(sock: socket.socket) -> bool:
    """Whether the peer has closed or reset the connection; never blocks, never consumes bytes."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return False
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except (OSError, ValueError):  # reset, or already closed on our side
        return True


@contextmanager
def cancel_on_disconnect(
    sock: socket.socket, cancel: Callable[[], None], poll_s: float = POLL_S
) -> Iterator[None]:
    """While the block runs, call `cancel` once the client is gone, and again every `poll_s` until
    the block ends: a kill sent before the engine registered the query finds nothing to kill."""
    done = threading.Event()

    def watch() -> None:
        while not done.wait(poll_s):
            if client_gone(sock):
                cancel()

    watcher = threading.Thread(target=watch, name="disconnect-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
