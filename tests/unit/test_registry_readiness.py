"""Unit tests for ioc.serde's reading of a registry that says "not found" while it loads its journal.

A loopback HTTP server stands in for Apicurio: its Confluent API answers 404 (40403 / 40401) for
everything, as Apicurio with KafkaSQL storage did for 18 s after a restart, and its readiness
probe answers whatever the test sets. Nothing leaves the machine.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from avro_schemas import load_schema
from ioc.endpoints import Endpoints
from ioc.serde import AvroDecoder, AvroEncoder, RegistryUnavailableError, SerdeError, registry_client

SUBJECT = "ioc.derived.indicators-value"
# A framed message naming schema id 16, with a body that is never reached.
MESSAGE_OF_ID_16 = b"\x00\x00\x00\x00\x10" + b"\x02"


@dataclass
class LoadingRegistry:
    """The stand-in's address and the status its readiness probe answers (503 while loading)."""

    url: str
    ready_status: int = 503

    @property
    def ready_url(self) -> str:
        return f"{self.url}/health/ready"

    def endpoints(self, ready_url: str) -> Endpoints:
        return Endpoints("127.0.0.1:9", f"{self.url}/apis/ccompat/v7", "", registry_ready=ready_url)


@pytest.fixture
def registry() -> Iterator[LoadingRegistry]:
    state = LoadingRegistry("")

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            if self.path == "/health/ready":
                status, body = state.ready_status, {"status": "UP" if state.ready_status == 200 else "DOWN"}
            elif "/schemas/ids/" in self.path:
                status, body = 404, {"error_code": 40403, "message": "Schema 16 not found"}
            else:
                status, body = 404, {"error_code": 40401, "message": f"Subject '{SUBJECT}' not found."}
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._answer()

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            self._answer()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_an_unknown_id_from_a_loading_registry_is_waited_for(registry: LoadingRegistry) -> None:
    """While the probe says not ready, "schema 16 not found" means the registry has not read it yet."""
    decoder = AvroDecoder(
        registry_client(registry.endpoints(registry.ready_url)), load_schema("derived/indicators")
    )
    with pytest.raises(RegistryUnavailableError, match=r"still loading its schemas \(schema id 16\)"):
        decoder.decode(MESSAGE_OF_ID_16)


def test_an_unknown_id_from_a_ready_registry_is_a_bad_message(registry: LoadingRegistry) -> None:
    """Once the journal is loaded, the same answer is believed: the message goes to the dead letters."""
    registry.ready_status = 200
    decoder = AvroDecoder(
        registry_client(registry.endpoints(registry.ready_url)), load_schema("derived/indicators")
    )
    with pytest.raises(SerdeError, match=r"unknown schema id 16"):
        decoder.decode(MESSAGE_OF_ID_16)


def test_an_unreachable_probe_counts_as_not_ready(registry: LoadingRegistry) -> None:
    """A probe that does not answer says nothing about the schemas: wait rather than refuse."""
    decoder = AvroDecoder(
        registry_client(registry.endpoints("http://127.0.0.1:9/health/ready")),
        load_schema("derived/indicators"),
    )
    with pytest.raises(RegistryUnavailableError):
        decoder.decode(MESSAGE_OF_ID_16)


def test_without_a_probe_not_found_is_believed_at_once(registry: LoadingRegistry) -> None:
    """A registry configured without a probe (one that has no loading gap) keeps the old answer."""
    decoder = AvroDecoder(registry_client(registry.endpoints("")), load_schema("derived/indicators"))
    with pytest.raises(SerdeError, match=r"unknown schema id 16"):
        decoder.decode(MESSAGE_OF_ID_16)


def test_a_producer_starting_against_a_loading_registry_waits(registry: LoadingRegistry) -> None:
    """A gateway starting while the registry loads was told to run `ioc schemas register`."""
    client = registry_client(registry.endpoints(registry.ready_url))
    schema = load_schema("derived/indicators")
    with pytest.raises(RegistryUnavailableError, match=r"still loading its schemas \(" + SUBJECT):
        AvroEncoder.for_subject(client, SUBJECT, schema)
    registry.ready_status = 200
    with pytest.raises(SerdeError, match=r"is not registered"):
        AvroEncoder.for_subject(client, SUBJECT, schema)
