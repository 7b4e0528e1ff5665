"""Telling a departed client from a waiting one, on real connected sockets."""

from __future__ import annotations

import socket
import threading
import time

from warehouse.disconnect import cancel_on_disconnect, client_gone


def test_an_open_idle_connection_is_not_gone() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        assert not client_gone(ours)


def test_a_closed_connection_is_gone() -> None:
    ours, theirs = socket.socketpair()
    with ours:
        theirs.close()
        assert client_gone(ours)


def test_bytes_of_a_next_request_are_not_a_departure_and_stay_unread() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(b"GET /ping HTTP/1.1\r\n")
        time.sleep(0.05)
        assert not client_gone(ours)
        assert ours.recv(3) == b"GET"


def test_the_query_is_cancelled_until_it_ends_once_the_client_left() -> None:
    ours, theirs = socket.socketpair()
    cancels: list[float] = []
    with ours:
        with cancel_on_disconnect(ours, lambda: cancels.append(time.monotonic()), poll_s=0.05):
            time.sleep(0.2)
            assert cancels == []  # the client is still there
            theirs.close()
            time.sleep(0.3)
        count = len(cancels)
        time.sleep(0.2)
    assert count >= 2  # repeated: a kill sent before the engine registered the query finds nothing
    assert len(cancels) == count  # and no more once the block has ended
    assert not any(t.name == "disconnect-watch" for t in threading.enumerate())
