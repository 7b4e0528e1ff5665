"""Loopback ports: pick free ones, or check that a configured one is free before a service fails on it."""

from __future__ import annotations

import socket

from ioc.stack.errors import StackError

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A port nobody listens on right now (the kernel's choice, so parallel runs do not collide)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def is_listening(port: int, host: str = LOOPBACK) -> bool:
    """Whether something accepts connections on the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def claim_port(configured: int, what: str, env_var: str) -> int:
    """The configured port if it is free, a free one when none is configured, else a clear error."""
    if configured == 0:
        return free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((LOOPBACK, configured))
        except OSError as exc:
            raise StackError(
                f"port {configured} for {what} is already in use on {LOOPBACK}",
                f"stop the program that uses it, or set {env_var} to another port (0 picks a free one)",
            ) from exc
    return configured
