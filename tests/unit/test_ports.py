"""Unit tests for ioc.stack.ports on the loopback interface (real sockets, nothing leaves the machine)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from ioc.stack.errors import StackError
from ioc.stack.ports import LOOPBACK, claim_port, free_port, is_listening

ENV_VAR = "IOC_STACK_KAFKA_PORT"


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A socket listening on a kernel-chosen loopback port, as another program would hold it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        sock.listen()
        yield sock


def can_bind(port: int) -> bool:
    """Whether this process could bind the port right now (the check a service does at start-up)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


def test_claim_port_zero_returns_a_free_port() -> None:
    """Port 0 in the settings means 'pick one': the service must be able to bind what is returned."""
    port = claim_port(0, "Kafka", ENV_VAR)
    assert 0 < port < 65536
    assert can_bind(port)


def test_free_port_is_bindable() -> None:
    """The kernel's choice is not in use."""
    port = free_port()
    assert 0 < port < 65536
    assert can_bind(port)


def test_claim_port_returns_a_free_configured_port() -> None:
    """A configured port that nobody holds is used as configured, not replaced."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port = int(sock.getsockname()[1])
    assert claim_port(port, "Kafka", ENV_VAR) == port


def test_claim_port_on_a_bound_port_explains_the_conflict(listener: socket.socket) -> None:
    """The operator learns which port, for what, and which variable moves it."""
    port = int(listener.getsockname()[1])
    with pytest.raises(StackError) as info:
        claim_port(port, "Kafka", ENV_VAR)
    assert f"port {port}" in info.value.cause
    assert "Kafka" in info.value.cause
    assert ENV_VAR in info.value.hint
    assert isinstance(info.value.__cause__, OSError)


def test_claim_port_on_a_bound_but_not_listening_port(listener: socket.socket) -> None:
    """A port merely bound (a service still starting) is just as taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port = int(sock.getsockname()[1])
        with pytest.raises(StackError) as info:
            claim_port(port, "the schema registry", "IOC_STACK_REGISTRY_PORT")
    assert str(port) in info.value.cause
    assert "IOC_STACK_REGISTRY_PORT" in info.value.hint


def test_is_listening(listener: socket.socket) -> None:
    """Readiness checks see a listening port as up and a closed one as down."""
    assert is_listening(int(listener.getsockname()[1]))
    port = free_port()
    assert not is_listening(port)
