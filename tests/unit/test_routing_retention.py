"""Forgetting finished alerts: a resolved alert older than the retention loses its rows in the state
file, the deletions reach a standby's copy as tombstones (as the state topic carries them), and
nothing the router still needs goes with them. On real SQLite files; the router tests run it on a
manual clock with real loopback receivers, as tests/unit/test_routing_delivery.py does."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from routing.audit import event
from routing.state import Store
from tests.mail_box import MailBox
from tests.unit.test_routing_delivery import MONDAY_9AM, Harness, alert, harness, mailbox, receiver
from tests.unit.test_routing_replica import copy

__all__ = ["harness", "mailbox", "receiver"]  # fixtures of the delivery tests, used here too

WEEK = timedelta(days=7)
NOW = MONDAY_9AM + timedelta(days=30)
OLD = NOW - timedelta(days=8)
RECENT = NOW - timedelta(days=1)


def resolved(alert_id: str, at: datetime, **changes: Any) -> dict[str, Any]:
    """Resolved at `at` and issued then, unless `changes` say otherwise."""
    return alert(alert_id, 1, "resolved", **({"sent": at, "updated_at": at, "resolved_at": at} | changes))


def notify(store: Store, record: dict[str, Any], officer: str = "minh") -> int:
    """Queue one e-mail about the alert (inside a transaction) and return its outbox id."""
    address = f"{officer}@csgt.test"
    store.enqueue(record, "new", "CSGT", 0, officer, "email", address, "CSGT|traffic|26001|notice", OLD)
    return int(store.outbox(record["alert_id"])[-1]["id"])


def count(store: Store, table: str, alert_id: str) -> int:
    """Rows of one alert in a table, read through a connection of its own (committed rows only)."""
    with sqlite3.connect(store.path) as db:
        return int(db.execute(f"SELECT count(*) FROM {table} WHERE alert_id = ?", (alert_id,)).fetchone()[0])  # noqa: S608


def test_an_old_resolved_alert_is_forgotten_with_its_rows_and_the_standby_forgets_it_too(
    tmp_path: Path,
) -> None:
    store, standby = Store(tmp_path / "active.sqlite"), Store(tmp_path / "standby.sqlite")
    gone = resolved("GONE", OLD)
    with store.transaction():
        store.save_alert(gone, "")
        store.engage("GONE", "CSGT", (("minh",), ("tuan",)), None)
        store.close_engagements("GONE")
        sent = notify(store, gone, "minh")
        store.mark_sent([sent], "m-1")
        cancelled = notify(store, gone, "nam")
        store.cancel_pending("GONE", ("new",))
        store.audit(event("resolved", gone, OLD))  # not yet on the notifications topic
        store.save_alert(alert("LATER", sent=RECENT, updated_at=RECENT), "")
        notify(store, alert("LATER"))  # the newest message is another alert's
    copy(store, standby)
    assert standby.alert("GONE") is not None

    with store.transaction():
        assert store.forget_finished(NOW - WEEK, 100) == ["GONE"]

    assert store.alert("GONE") is None
    assert [count(store, table, "GONE") for table in ("alerts", "engagements", "outbox")] == [0, 0, 0]
    _, rows = store.changed_rows()
    assert {(table, tuple(key)) for table, key, row in rows if row is None} == {
        ("alerts", ("GONE",)),
        ("engagements", ("GONE", "CSGT")),
        ("outbox", (sent,)),
        ("outbox", (cancelled,)),
    }
    assert all(row is None for _, _, row in rows)  # nothing but the deletions changed
    copy(store, standby)
    assert standby.alert("GONE") is None
    assert [count(standby, table, "GONE") for table in ("alerts", "engagements", "outbox")] == [0, 0, 0]
    assert standby.alert("LATER") is not None
    # Its audit event still goes to the warehouse, where acknowledgements and notifications stay.
    assert [record["action"] for _, record in store.unpublished() if record["alert_id"] == "GONE"] == [
        "resolved"
    ]


def test_open_recent_and_unsent_alerts_are_kept(tmp_path: Path) -> None:
    store = Store(tmp_path / "router.sqlite")
    with store.transaction():
        store.save_alert(alert("OPEN", sent=OLD, updated_at=OLD), "")  # still open, however old
        store.save_alert(resolved("RECENT", RECENT), "")
        store.save_alert(resolved("ISSUED-LATELY", OLD, sent=RECENT), "")  # event time long past
        store.save_alert(resolved("ACKED-LATE", OLD), "")
        store.record_ack("ACKED-LATE", "minh", "link", RECENT)  # its last change is the ack
        store.save_alert(resolved("PENDING", OLD), "")
        pending = notify(store, resolved("PENDING", OLD))  # a resolved notice still to send
        store.save_alert(resolved("SENDING", OLD), "")
        sending = notify(store, resolved("SENDING", OLD))
        store.mark_sending([sending])
        store.save_alert(alert("NEWEST", sent=RECENT, updated_at=RECENT), "")
        notify(store, alert("NEWEST"))

    with store.transaction():
        assert store.forget_finished(NOW - WEEK, 100) == []

    for alert_id in ("OPEN", "RECENT", "ISSUED-LATELY", "ACKED-LATE", "PENDING", "SENDING"):
        assert store.alert(alert_id) is not None, alert_id
    assert [(r["id"], r["status"]) for r in store.outbox("PENDING")] == [(pending, "pending")]
    assert [(r["id"], r["status"]) for r in store.outbox("SENDING")] == [(sending, "sending")]


def test_the_alert_holding_the_newest_message_is_kept_so_a_fresh_copy_never_reuses_its_id(
    tmp_path: Path,
) -> None:
    """Message ids are made of outbox ids; a router copying the state topic into a new file continues
    from the highest id among the rows copied."""
    store = Store(tmp_path / "router.sqlite")
    with store.transaction():
        store.save_alert(resolved("LAST", OLD), "")
        last = notify(store, resolved("LAST", OLD))
        store.mark_sent([last], "m-last")
    with store.transaction():
        assert store.forget_finished(NOW - WEEK, 100) == []

    fresh = Store(tmp_path / "fresh.sqlite")
    copy(store, fresh)
    with fresh.transaction():
        fresh.save_alert(alert("NEXT"), "")
        assert notify(fresh, alert("NEXT")) > last
    copy(fresh, store)  # the new active router's rows reach the old file as the topic carries them
    with store.transaction():
        assert store.forget_finished(NOW - WEEK, 100) == ["LAST"]


def test_a_sweep_forgets_at_most_its_batch(tmp_path: Path) -> None:
    store = Store(tmp_path / "router.sqlite")
    with store.transaction():
        for alert_id in ("A", "B", "C"):
            store.save_alert(resolved(alert_id, OLD), "")
    with store.transaction():
        first = store.forget_finished(NOW - WEEK, 2)
    with store.transaction():
        second = store.forget_finished(NOW - WEEK, 2)
    assert len(first) == 2 and sorted(first + second) == ["A", "B", "C"]


def test_the_router_forgets_a_finished_alert_and_passes_over_a_late_revision_of_it(
    harness: Harness, mailbox: tuple[MailBox, int]
) -> None:
    box, _ = mailbox
    harness.router.handle(alert("F1"))
    harness.router.tick()
    harness.clock.advance(minutes=5)
    harness.router.handle(resolved("F1", harness.clock.now()))
    harness.router.handle(
        alert("F2", sent=harness.clock.now(), updated_at=harness.clock.now())
    )  # open: its messages are newest
    harness.router.tick()
    told = len(box.to("minh@csgt.test"))
    assert told == 2  # F1; then F1's resolved notice and F2 in one message (one group)
    audit = harness.audit("F1")

    harness.clock.advance(days=8)
    harness.router.tick()
    assert harness.store.alert("F1") is None
    assert harness.store.alert("F2") is not None

    # The alerts topic delivers F1's changes again (a replay upstream): nobody is called, nothing
    # about F1 is stored or audited again.
    harness.router.handle(alert("F1"))
    harness.router.handle(resolved("F1", MONDAY_9AM + timedelta(minutes=5)))
    harness.clock.advance(minutes=1)
    harness.router.tick()
    assert harness.store.alert("F1") is None
    assert harness.store.outbox("F1") == []
    assert harness.audit("F1") == audit
    assert len(box.to("minh@csgt.test")) == told


def test_the_router_sweeps_hourly_not_every_tick(harness: Harness) -> None:
    harness.router.tick()  # the first tick sweeps; the next sweep is an hour later
    almost = harness.clock.now() - timedelta(days=7) + timedelta(seconds=30)
    harness.router.handle(resolved("R1", almost))  # unknown, but within the retention: recorded
    assert harness.store.alert("R1") is not None

    harness.clock.advance(minutes=1)
    harness.router.tick()
    assert harness.store.alert("R1") is not None  # older than the retention now, but no sweep due
    harness.clock.advance(hours=1)
    harness.router.tick()
    assert harness.store.alert("R1") is None


def test_a_new_alert_about_a_day_long_past_is_routed(harness: Harness, mailbox: tuple[MailBox, int]) -> None:
    """Only when a change was issued decides whether it may repeat a forgotten alert: an alert opened
    now about a day weeks ago (a department's report late for a period long ended) calls officers."""
    box, _ = mailbox
    weeks_ago = harness.clock.now() - timedelta(days=30)
    harness.router.handle(alert("PAST", sent=harness.clock.now(), opened_at=weeks_ago, updated_at=weeks_ago))
    harness.clock.advance(minutes=1)
    harness.router.tick()
    assert harness.store.alert("PAST") is not None
    assert len(box.to("minh@csgt.test")) == 1
