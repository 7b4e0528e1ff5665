"""The router's failover without Kafka: the rows the active router stores (`Store.changed_rows`) are
copied into a standby's state file (`Store.apply_rows`), as the state topic carries them, and a
router on that copy takes over: it sends nothing the first one marked sent, sends again what it was
sending when it died (same message id), and keeps the pending escalations. The Kafka path itself is
tested in tests/integration/test_router_failover.py."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from routing.actions import ActionRequest
from routing.channels.base import DeliveryError
from routing.replica import TAKEOVER, encode_row, parse_record, state_key
from routing.router import Router
from routing.state import Store, to_ms
from tests.mail_box import MailBox
from tests.unit.test_routing_delivery import MONDAY_9AM, HttpReceiver, alert, mailbox, receiver
from tests.unit.test_routing_delivery import Harness as Single

__all__ = ["mailbox", "receiver"]  # fixtures of the delivery tests, used here too


def copy(source: Store, target: Store) -> None:
    """What the state topic does between the active router and a standby: encoded, decoded, applied."""
    last, rows = source.changed_rows()
    records = [(state_key("g", t, k), encode_row(r)) for t, k, r in rows]
    decoded = [parse_record("g", key, value) for key, value in records]
    target.apply_rows([row for row in decoded if row is not None], target.position() + len(records))
    source.forget_changes(last)


class Pair(Single):
    """Two routers on two state files: `standby` is kept a copy of `store` at every durable point."""

    def __init__(self, tmp: Path, port: int, receiver: HttpReceiver) -> None:
        self.standby = Store(tmp / "standby.sqlite")
        super().__init__(tmp, port, receiver)

    def restart(self) -> None:
        super().restart()
        self.router.durable = lambda: copy(self.store, self.standby)

    def take_over(self) -> Router:
        """The active router dies (no final copy); a router on the standby's copy takes over."""
        self.store, old = self.standby, self.store
        old.close()
        interrupted = self.store.requeue_interrupted()
        router = Router(
            self.store,
            self.router.roster,
            self.router.areas,
            self.router.channels,
            self.signer,
            self.clock,
            self.settings,
        )
        self.interrupted = interrupted
        return router


@pytest.fixture
def pair(tmp_path: Path, mailbox: tuple[MailBox, int], receiver: HttpReceiver) -> Pair:
    return Pair(tmp_path, mailbox[1], receiver)


def test_a_takeover_sends_nothing_marked_sent_again_and_keeps_the_escalation(
    pair: Pair, mailbox: tuple[MailBox, int]
) -> None:
    box, _ = mailbox
    pair.router.handle(alert("F1"))
    pair.router.tick()  # minh (email) and nam (webhook): each marked sending, copied, sent
    copy(pair.store, pair.standby)  # the 'sent' marks reach the topic at the end of the round
    assert len(box.to("minh@csgt.test")) == 1

    standby = pair.take_over()
    assert pair.interrupted == []
    standby.tick()
    assert len(box.to("minh@csgt.test")) == 1  # not sent again
    pair.clock.advance(minutes=11)
    standby.tick()
    standby.tick()
    assert len(box.to("tuan@csgt.test")) == 1  # the escalation deadline survived the host


def test_a_message_whose_send_was_interrupted_is_sent_again_with_the_same_message_id(
    pair: Pair, mailbox: tuple[MailBox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one window: the channel took the message, the host died before 'sent' was stored."""
    box, _ = mailbox
    pair.router.handle(alert("F2"))
    email = pair.router.channels["email"]
    sent = email.send

    def send_then_die(address: str, message: object) -> None:
        sent(address, message)  # type: ignore[arg-type]
        raise SystemExit("SIGKILL")  # nothing after the send runs: 'sent' is never stored

    monkeypatch.setattr(email, "send", send_then_die)
    with pytest.raises(SystemExit):
        pair.router.tick()
    monkeypatch.undo()
    (first,) = box.to("minh@csgt.test")

    standby = pair.take_over()
    assert [row.officer_id for row in pair.interrupted] == ["minh"]
    standby.tick()
    first_again = box.to("minh@csgt.test")
    assert len(first_again) == 2  # at-least-once in this window, never zero
    assert first_again[1]["X-IOC-Message-Id"] == first["X-IOC-Message-Id"]  # receivers can drop it


def test_rows_not_yet_copied_are_not_known_to_the_standby(pair: Pair) -> None:
    """Nothing is sent before its 'sending' mark is copied: a router that dies between its change and
    the copy leaves the standby a state without that change, which re-reads it from the alerts
    topic (the stored offsets are copied with the same rows)."""
    with pair.store.transaction():
        pair.store.set_offsets({0: 5})
    pair.router.handle(alert("F3"))
    assert pair.standby.alert("F3") is None and pair.standby.offsets() == {}
    copy(pair.store, pair.standby)
    assert pair.standby.alert("F3") is not None and pair.standby.offsets() == {0: 5}


def test_a_failed_send_is_pending_again_not_left_as_sending(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(address: str, message: object) -> None:
        raise DeliveryError("relay down")

    monkeypatch.setattr(pair.router.channels["email"], "send", refuse)
    pair.router.handle(alert("F4"))
    pair.router.tick()
    statuses = {row["officer_id"]: row["status"] for row in pair.store.outbox("F4")}
    assert statuses == {"minh": "pending", "nam": "sent"}


def test_a_published_audit_event_is_deleted_so_the_topic_forgets_it(pair: Pair) -> None:
    pair.router.handle(alert("F5"))
    copy(pair.store, pair.standby)
    seqs = [seq for seq, _ in pair.store.unpublished()]
    assert seqs and [s for s, _ in pair.standby.unpublished()] == seqs
    pair.store.mark_published(seqs)
    copy(pair.store, pair.standby)
    assert pair.store.unpublished() == [] and pair.standby.unpublished() == []


def test_a_wiped_copy_starts_from_the_topics_beginning(pair: Pair) -> None:
    pair.router.handle(alert("F6"))
    copy(pair.store, pair.standby)
    assert pair.standby.position() > 0
    pair.standby.wipe()
    assert pair.standby.position() == 0 and pair.standby.alert("F6") is None


def test_state_records_belong_to_one_deployment_and_takeover_markers_are_skipped() -> None:
    key = state_key("g", "alerts", ["incident.accident|CAM-1"])  # alert ids hold '|'
    assert parse_record("g", key, b'{"alert_id": "x"}') == (
        "alerts",
        ["incident.accident|CAM-1"],
        {"alert_id": "x"},
    )
    assert parse_record("g", key, None) == ("alerts", ["incident.accident|CAM-1"], None)
    assert parse_record("other", key, b"{}") is None
    assert parse_record("g", state_key("g", TAKEOVER, ["abc"]), None) is None
    assert parse_record("g", None, b"{}") is None


def test_a_row_from_the_topic_with_unknown_names_is_refused(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    with pytest.raises(ValueError, match="unknown table"):
        store.apply_rows([("sqlite_master", ["x"], {"name": "x"})], 1)
    with pytest.raises(ValueError, match="unknown columns"):
        store.apply_rows([("meta", ["x"], {"name": "x", "value": "1", "evil) --": 1})], 1)


def test_an_operator_request_round_trips_and_its_answer_is_read_from_the_state(tmp_path: Path) -> None:
    at = MONDAY_9AM + timedelta(minutes=3, microseconds=123456)
    sent = ActionRequest.new("handover", "A|1", "minh", "console", at, "Chuyển CSGT", "IOC")
    value = sent.to_json("g")
    assert json.loads(value)["router"] == "g"
    assert (
        ActionRequest.from_json("other", value) is None and ActionRequest.from_json("g", b"not json") is None
    )
    request = ActionRequest.from_json("g", value)
    assert request is not None
    assert (request.kind, request.alert_id, request.unit, request.request_id) == (
        "handover",
        "A|1",
        "IOC",
        sent.request_id,
    )
    assert to_ms(request.at) == to_ms(at)
    # A request of a router from before operators' actions is an acknowledgement.
    old = json.dumps({"router": "g", "alert_id": "A|1", "officer_id": "nam", "via": "link", "at": 5}).encode()
    legacy = ActionRequest.from_json("g", old)
    assert legacy is not None and (legacy.kind, legacy.request_id) == ("ack", "A|1|nam|5")

    store = Store(tmp_path / "s.sqlite")
    assert store.request_outcome(sent.request_id) is None  # not applied yet
    with store.transaction():
        store.record_request(sent.request_id, "A|1", "handover", "minh", at, "")
    assert store.request_outcome(sent.request_id) == (True, "")
