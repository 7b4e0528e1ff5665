"""Shared parts of the console's unit tests: a console on real accounts, sessions and audit files in
a temporary folder, with a stand-in for the warehouse (pure unit tests: the integration test reads the
real one) and a loopback stand-in for the router's HTTP API."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from console.accounts import NAME, SignIn
from console.app import Console
from console.audit import ConsoleAudit
from console.roles import ROLES
from console.router_client import RouterClient
from console.sessions import Sessions
from console.store import Row, WarehouseDownError
from ioc.province import Province, load_province
from ioc.settings import Settings
from routing.roster import Roster, load_roster
from warehouse.accounts import add_account

NOW = datetime.now(UTC)


def alert_row(alert_id: str = "AL-1", **changes: Any) -> Row:
    row: Row = {
        "alert_id": alert_id, "severity": "Severe", "area_code": "26001", "area_desc": "Phường Trấn Biên",
        "category": "public_order", "headline_vi": "Tai nạn tại nút giao số 1", "state": "open",
        "opened_at": NOW - timedelta(minutes=3), "updated_at": NOW - timedelta(minutes=3), "entity_type": "camera",
        "entity_id": "CAM-0001", "acknowledged_by": "", "acknowledged_at": None, "resolved_at": None,
        "level": 1, "latitude": None, "longitude": None, "description_vi": "", "instruction_vi": "",
        "msg_type": "Alert", "revision": 0,
    }  # fmt: skip
    return row | changes


@dataclass
class FakeStore:
    """The warehouse as the pages see it; `down` makes every read fail as a restarting warehouse does."""

    alerts: list[Row] = field(default_factory=lambda: [alert_row()])
    links: list[Row] = field(default_factory=list)
    down: bool = False
    searched: list[dict[str, Any]] = field(default_factory=list)

    def _check(self) -> None:
        if self.down:
            raise WarehouseDownError("Kho dữ liệu không trả lời; bảng điều hành đang thử kết nối lại.")

    def open_alerts(self) -> list[Row]:
        self._check()
        return [a for a in self.alerts if a["state"] != "resolved"]

    def alert(self, alert_id: str) -> Row | None:
        self._check()
        return next((a for a in self.alerts if a["alert_id"] == alert_id), None)

    def revisions(self, alert_id: str) -> list[Row]:
        self._check()
        return [a for a in self.alerts if a["alert_id"] == alert_id]

    def trail(self, alert_id: str) -> list[Row]:
        self._check()
        return [{"occurred_at": NOW, "action": "escalated", "unit_code": "CA-TRANBIEN", "officer_id": "ioc.le.thu",
                 "level": 1, "channel": "email", "kind": "escalation", "attempt": 1, "detail": ""}]  # fmt: skip

    def evidence(self, alert: Row) -> list[Row]:
        self._check()
        return self.links

    def search(self, **criteria: Any) -> list[Row]:
        self._check()
        self.searched.append(criteria)
        return self.alerts


@dataclass
class Rig:
    """A console and what it was built from."""

    console: Console
    store: FakeStore
    audit: ConsoleAudit
    accounts: Path
    passwords: dict[str, str]

    def audited(self, action: str) -> list[dict[str, str]]:
        return [entry for entry in self.audit.entries() if entry["action"] == action]


@functools.cache
def _configuration() -> tuple[Province, Roster]:
    """The demo province and roster, read once (a few seconds on a busy machine)."""
    settings = Settings()
    province = load_province(settings.province_file)
    return province, load_roster(settings.routing.roster, province)


def make_rig(tmp_path: Path, router_url: str = "http://127.0.0.1:9", ttl_s: float = 600.0) -> Rig:
    province, roster = _configuration()
    accounts = tmp_path / "accounts.json"
    passwords = {
        name: add_account(accounts, name, role, frozenset(), ROLES, NAME)
        for name, role in (("ioc.le.thu", "operator"), ("truong.ca", "shift_lead"), ("xem", "viewer"))
    }
    store = FakeStore()
    audit = ConsoleAudit(tmp_path / "audit.jsonl")
    console = Console(
        province=province,
        roster=roster,
        store=store,  # type: ignore[arg-type]
        sessions=Sessions(b"k" * 32, ttl_s),
        sign_in=SignIn(accounts),
        audit=audit,
        router=RouterClient(router_url, "secret-token", timeout_s=5),
        queue_interval_s=0.05,
    )
    return Rig(console, store, audit, accounts, passwords)


@dataclass
class StandIn:
    """What the stand-in router was asked, and what it answers next."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    answer: dict[str, Any] = field(default_factory=lambda: {"done": True})


@contextmanager
def stand_in_router() -> Iterator[StandIn]:
    """A loopback HTTP server answering the router's action API as told (not the router: a stand-in
    that lets the client's handling of each answer be seen)."""
    state = StandIn("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length", 0))
            state.requests.append(
                {"path": self.path, "auth": self.headers.get("Authorization"),
                 "body": json.loads(self.rfile.read(length))}
            )  # fmt: skip
            payload = json.dumps(state.answer, ensure_ascii=False).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
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
