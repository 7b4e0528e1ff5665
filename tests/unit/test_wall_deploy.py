"""`ioc grafana deploy` against a small fake of Grafana's HTTP API (no Grafana runs here): the
payloads grafana-client sends, and that a second deploy updates instead of creating copies."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from grafana_client import GrafanaApi

from ioc.province import load_province
from ioc.settings import Settings
from wall.build import FOLDER_UID, dashboards, datasource, playlists
from wall.deploy import deploy


class FakeGrafana(BaseHTTPRequestHandler):
    """Stores folders, datasources, dashboards and playlists by uid, like Grafana's API does."""

    store: dict[str, dict[str, Any]]
    calls: list[tuple[str, str]]

    def _reply(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def _route(self) -> tuple[str, str]:
        parts = self.path.split("?")[0].strip("/").split("/")[1:]  # drop "api"
        if parts[:2] == ["datasources", "uid"]:
            return "datasources", parts[2]
        if parts[:2] == ["dashboards", "uid"]:
            return "dashboards", parts[2]
        return parts[0], parts[1] if len(parts) > 1 else ""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        kind, uid = self._route()
        self.calls.append(("GET", self.path))
        found = self.store[kind].get(uid)
        self._reply(200, found) if found is not None else self._reply(404, {"message": "not found"})

    def do_POST(self) -> None:  # noqa: N802
        body = self._body()
        self.calls.append(("POST", self.path))
        kind, _ = self._route()
        if kind == "dashboards":  # POST /api/dashboards/db
            self.store["dashboards"][body["dashboard"]["uid"]] = body
        else:
            assert body["uid"] not in self.store[kind], f"duplicate {kind} {body['uid']}"
            self.store[kind][body["uid"]] = body
        self._reply(200, {"status": "success"})

    def do_PUT(self) -> None:  # noqa: N802
        body = self._body()
        self.calls.append(("PUT", self.path))
        kind, uid = self._route()
        assert uid in self.store[kind], f"update of a missing {kind} {uid}"
        self.store[kind][uid] = {**self.store[kind][uid], **body}
        self._reply(200, {"status": "success"})

    def log_message(self, *args: Any) -> None:
        """Quiet: pytest shows failures, not access logs."""


@pytest.fixture
def grafana() -> Iterator[tuple[str, type[FakeGrafana]]]:
    handler = type(
        "Handler",
        (FakeGrafana,),
        {"calls": [], "store": {k: {} for k in ("folders", "datasources", "dashboards", "playlists")}},
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://admin:secret@127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()


def test_deploy_creates_everything_once_and_a_second_run_only_updates(
    grafana: tuple[str, type[FakeGrafana]],
) -> None:
    url, handler = grafana
    built = dashboards(load_province(Settings().province_file))
    source = datasource("127.0.0.1", 8124) | {"secureJsonData": {"password": "pw"}}
    api = GrafanaApi.from_url(url)

    first = deploy(api, source, built, playlists())
    assert all(action.startswith("created") for action in first.actions)
    assert len(first.actions) == 2 + len(built) + len(playlists())
    second = deploy(api, source, built, playlists())
    assert all(action.startswith("updated") for action in second.actions)

    store = handler.store
    assert set(store["folders"]) == {FOLDER_UID}
    assert set(store["dashboards"]) == set(built)
    assert set(store["playlists"]) == set(playlists())
    [stored_source] = store["datasources"].values()
    assert stored_source["jsonData"]["host"] == "127.0.0.1" and stored_source["jsonData"]["port"] == 8124
    for uid, payload in store["dashboards"].items():
        assert payload["folderUid"] == FOLDER_UID and payload["overwrite"] is True
        assert payload["dashboard"]["uid"] == uid and payload["dashboard"]["id"] is None
        assert payload["dashboard"]["panels"] == built[uid]["panels"]
