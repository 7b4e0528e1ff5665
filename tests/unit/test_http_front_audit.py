"""What the front hands the audit log: every request, refused logins included, with its statement
and outcome; and no query runs while the audit log cannot take its row. No chDB is started: both
requests are answered before the engine is needed, and the audit log here only collects entries."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator

import httpx
import pytest

from warehouse.audit import AuditEntry
from warehouse.http_front import Front, serve
from warehouse.users import Limits, User

ANALYST = User("analyst", "s3cret", Limits(30, 2_000_000_000, 1_000_000, 1_000_000_000), "analyst")


class CollectingAudit:
    """Stands in for warehouse.audit.AuditLog: keeps entries, and says whether it is full."""

    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []
        self.full = False
        self.recorded = threading.Event()

    def record(self, entry: AuditEntry) -> None:
        self.entries.append(entry)
        self.recorded.set()

    def only_entry(self) -> AuditEntry:
        """The request's entry: the front records it after its answer is sent, so wait for it."""
        assert self.recorded.wait(10), "nothing was recorded"
        (entry,) = self.entries
        return entry


@pytest.fixture
def front() -> Iterator[tuple[str, CollectingAudit]]:
    audit = CollectingAudit()
    server = serve(Front(None, {"analyst": ANALYST}, "ioc", audit=audit), 0)  # type: ignore[arg-type]
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", audit
    finally:
        server.shutdown()
        server.server_close()


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_a_refused_login_is_recorded_under_the_name_it_gave(front: tuple[str, CollectingAudit]) -> None:
    url, audit = front
    response = httpx.post(url, content=b"SELECT 1", headers=basic("analyst", "wrong"))
    assert response.status_code == 403
    entry = audit.only_entry()
    assert (entry.user, entry.role, entry.outcome, entry.error_code) == (
        "analyst",
        "",
        "AUTHENTICATION_FAILED",
        516,
    )


def test_no_query_runs_unrecorded_when_the_audit_log_is_full(front: tuple[str, CollectingAudit]) -> None:
    url, audit = front
    audit.full = True
    response = httpx.post(
        url,
        params={"param_p": "30A-123.45"},
        content=b"SELECT {p:String}",
        headers=basic("analyst", "s3cret"),
    )
    assert response.status_code == 500
    assert "AUDIT_LOG_UNAVAILABLE" in response.text
    entry = audit.only_entry()
    assert (entry.user, entry.role, entry.query, entry.parameters) == (
        "analyst",
        "analyst",
        "SELECT {p:String}",
        {"p": "30A-123.45"},
    )
    assert (entry.outcome, entry.error_code) == ("AUDIT_LOG_UNAVAILABLE", 1002)
