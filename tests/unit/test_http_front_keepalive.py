"""The warehouse's HTTP front answers requests on a kept-alive connection without a delayed-ACK wait.

It writes the headers and the body of a reply separately; with Nagle's algorithm on, the body then
waits for the client's delayed ACK (about 40 ms on Linux) on every request after the first, which
every client that keeps its connection (clickhouse-connect, Grafana's driver, the sinks through
`ioc sinks run`) pays. `/ping` needs no engine, so no chDB is started here."""

from __future__ import annotations

import http.client
import time

from warehouse.http_front import Front, serve


def test_requests_on_a_kept_alive_connection_do_not_wait_for_delayed_acks() -> None:
    server = serve(Front(None, {}, "ioc"), 0)  # type: ignore[arg-type]
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
        started = time.perf_counter()
        for _ in range(20):
            connection.request("GET", "/ping")
            reply = connection.getresponse()
            assert (reply.status, reply.read()) == (200, b"Ok.\n")
        elapsed = time.perf_counter() - started
        connection.close()
    finally:
        server.shutdown()
        server.server_close()
    # With the delay, 20 requests take about 0.8 s; without it, a few milliseconds.
    assert elapsed < 0.4, f"20 requests on one connection took {elapsed:.2f} s"
