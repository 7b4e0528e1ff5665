"""The chaos run's own parts that need no platform: the ledger, the expected minute totals and their
comparison, and the TCP proxy's cut (on loopback sockets)."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime, timedelta

import pytest

from config import CONFIG_DIR
from ioc.province import load_province
from load_tests.chaos.ledger import Ledger
from load_tests.chaos.proxy import TcpProxy
from load_tests.chaos.verify import RawCheck, compare, expected_minutes
from topics.catalog import CAMERA_SPEEDS, CAMERA_VEHICLE_COUNTS

T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
T0_MS = int(T0.timestamp() * 1000)


def counts(event_id: str, camera: str, at: datetime, vehicles: int) -> dict[str, object]:
    return {"event_id": event_id, "camera_id": camera, "observed_at": at, "vehicle_count": vehicles}


def test_the_ledger_keeps_the_first_acknowledgement_and_minute_counts_of_vehicle_counts_only() -> None:
    ledger = Ledger()
    ledger.acknowledge(
        CAMERA_VEHICLE_COUNTS.name, [counts("a", "CAM-0001", T0 + timedelta(seconds=70), 5)], 10.0
    )
    ledger.acknowledge(
        CAMERA_VEHICLE_COUNTS.name, [counts("a", "CAM-0001", T0 + timedelta(seconds=70), 5)], 20.0
    )
    ledger.acknowledge(CAMERA_SPEEDS.name, [counts("s", "CAM-0001", T0, 9)], 30.0)

    assert ledger.entries["a"].acked_at == 10.0  # a resend does not move it
    assert set(ledger.counts) == {"a"}  # speeds carry vehicle counts too, but live elsewhere
    assert ledger.counts["a"].minute_ms == T0_MS + 60_000
    assert ledger.acked_between(5, 15) == {"a"}
    assert ledger.first_after(0, 5) == ["a"]
    assert ledger.by_feed() == {CAMERA_VEHICLE_COUNTS.name: ["a"], CAMERA_SPEEDS.name: ["s"]}


def test_expected_minutes_add_a_camera_into_its_intersection_and_every_area_above_it() -> None:
    province = load_province(CONFIG_DIR / "province.yaml")
    ledger = Ledger()
    ledger.acknowledge(
        CAMERA_VEHICLE_COUNTS.name,
        [counts("1", "CAM-0001", T0, 10), counts("2", "CAM-0002", T0 + timedelta(seconds=30), 30)],
        1.0,
    )
    ledger.acknowledge(
        CAMERA_VEHICLE_COUNTS.name, [counts("3", "CAM-0001", T0 + timedelta(minutes=5), 1)], 1.0
    )

    expected = expected_minutes(ledger, province, T0_MS, T0_MS + 60_000)

    assert expected[("camera", "CAM-0001", T0_MS)] == (1, 10)
    assert expected[("intersection", "INT-0001", T0_MS)] == (2, 40)
    assert expected[("area", "26001", T0_MS)] == (2, 40)
    assert expected[("area", "75", T0_MS)] == (2, 40)
    assert all(minute == T0_MS for _, _, minute in expected)  # minute 5 is outside the range


def test_a_comparison_tells_short_from_over_and_leaves_late_windows_out() -> None:
    expected = {("CAM-1", 0): 10, ("CAM-2", 0): 5, ("CAM-3", 0): 7}
    found = {("CAM-1", 0): 10, ("CAM-2", 0): 6, ("CAM-4", 0): 1}

    check = compare("level", expected, found, late_minutes={("CAM-3", 0)})

    assert (check.compared, check.short, check.over, check.late_windows) == (3, 0, 2, 1)
    assert any("CAM-2" in example for example in check.examples)


def test_raw_counts_name_missing_and_twice_stored_ids() -> None:
    raw = RawCheck({"a": 1, "b": 2})
    assert (raw.lost(["a", "b", "c"]), raw.duplicated(["a", "b", "c"])) == (1, 1)


@pytest.fixture
def echo_port() -> int:
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(
                target=lambda c=conn: [c.sendall(d) for d in iter(lambda: c.recv(1024), b"")], daemon=True
            ).start()

    threading.Thread(target=serve, daemon=True).start()
    return int(server.getsockname()[1])


def test_the_proxy_passes_bytes_drops_connections_while_cut_and_passes_again_after(echo_port: int) -> None:
    proxy = TcpProxy(echo_port)
    try:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as conn:
            conn.sendall(b"ping")
            assert conn.recv(4) == b"ping"
            proxy.cut()
            assert conn.recv(4) == b""  # the open connection is dropped
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as refused:
            assert refused.recv(4) == b""  # a new one is closed at once
        proxy.restore()
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as again:
            again.sendall(b"pong")
            assert again.recv(4) == b"pong"
    finally:
        proxy.close()
