"""Operators' actions on an alert: acknowledge, add a note, hand over to another unit, resolve, mark a
false alarm. Whatever asked (the signed link, `ioc alerts ack`, the console's API), the request goes
through `ioc.internal.routing.acks` to the active router, which decides here, once, whether it may be
done (`refusal`), applies it to the router's state and audits it, refusals included, in
`notifications`.

What changes the alert itself (acknowledged, resolved, false alarm) is also handed to the alert task
that owns the alert (streams/model/alerting/operator.py), in the same Kafka transaction as the router
state that records the request as done (routing/replica.py): the CAP revision follows exactly once.
Escalation stops here at once; it does not wait for that revision to come back.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, cast

from routing.audit import event
from routing.escalation import deadline_after, notify_officer
from routing.matching import assign_unit
from routing.roster import Roster
from routing.state import AlertState, Store, from_ms, to_ms
from routing.templates import local_time
from streams.model.alerting.operator import ActionKind, OperatorAction

log = logging.getLogger(__name__)
KINDS = ("ack", "note", "handover", "resolve", "false_alarm")
ENGINE_KINDS = ("ack", "resolve", "false_alarm")
"""The actions that change the alert itself, so that the alert task writes a revision."""
AUDIT_ACTION = {
    "ack": "acknowledged",
    "note": "note",
    "handover": "handed_over",
    "resolve": "resolved_by_operator",
    "false_alarm": "false_alarm",
}
KIND_VI = {
    "ack": "xác nhận",
    "note": "ghi chú",
    "handover": "chuyển giao",
    "resolve": "kết thúc",
    "false_alarm": "đánh dấu báo nhầm",
}


@dataclass(frozen=True)
class AckResult:
    """`done` when the request was applied; otherwise `reason` says why not (Vietnamese), or, when
    `pending`, that the request is on its way to the active router but not yet applied."""

    done: bool
    reason: str = ""
    pending: bool = False


@dataclass(frozen=True)
class ActionRequest:
    """One operator's request, as it travels on the acknowledgements topic."""

    kind: str
    alert_id: str
    officer_id: str
    via: str  # link, cli or console
    at: datetime
    text: str = ""
    unit: str = ""
    request_id: str = ""

    @staticmethod
    def new(
        kind: str, alert_id: str, officer_id: str, via: str, at: datetime, text: str = "", unit: str = ""
    ) -> ActionRequest:
        return ActionRequest(kind, alert_id, officer_id, via, at, text, unit, uuid.uuid4().hex)

    def to_json(self, group: str) -> bytes:
        body = asdict(self) | {"router": group, "at": to_ms(self.at)}
        return json.dumps(body, ensure_ascii=False).encode()

    @staticmethod
    def from_json(group: str, value: bytes | None) -> ActionRequest | None:
        """This deployment's request; None for another deployment's or garbage. A request written by a
        router before operators' actions existed is an acknowledgement."""
        try:
            body: dict[str, Any] = json.loads(value or b"")
            if body.get("router") != group:
                return None
            at = from_ms(int(body["at"]))
            alert_id, officer_id = str(body["alert_id"]), str(body["officer_id"])
            request_id = str(body.get("request_id") or f"{alert_id}|{officer_id}|{body['at']}")
            kind = str(body.get("kind", "ack"))
            if kind not in KINDS:
                raise ValueError(f"kind {kind!r}")
            return ActionRequest(
                kind,
                alert_id,
                officer_id,
                str(body["via"]),
                at,
                str(body.get("text", "")),
                str(body.get("unit", "")),
                request_id,
            )
        except (ValueError, KeyError, TypeError):
            log.warning("operator request not understood: %r", (value or b"")[:200])
            return None


def refusal(store: Store, roster: Roster, request: ActionRequest) -> str | None:
    """Why this request cannot be done (Vietnamese, for the officer); None when it can. The one place
    that decides it: links, the command and the console all come here through the active router."""
    if request.officer_id not in roster.officer_by_id:
        return f"Cán bộ {request.officer_id} không có trong lịch trực; không thể {KIND_VI[request.kind]}."
    state = store.alert(request.alert_id)
    if state is None:
        return f"Không có cảnh báo {request.alert_id} trong bộ định tuyến."
    if request.kind == "note":
        return None
    closed = store.closed_by_operator(request.alert_id)
    if closed is not None:
        kind, by, at = closed
        return f"Cảnh báo đã được {by} {KIND_VI[kind]} lúc {local_time(at)}."
    if state.record["state"] == "resolved":
        return "Cảnh báo đã kết thúc."
    if request.kind == "ack" and state.acked_at is not None:
        return f"Cảnh báo đã được {state.acked_by} xác nhận lúc {local_time(state.acked_at)}."
    if request.kind == "handover":
        if request.unit not in roster.unit_by_code:
            return f"Không có đơn vị {request.unit} trong lịch trực."
        if any(e.unit == request.unit for e in store.engagements(request.alert_id)):
            return f"Cảnh báo đang do đơn vị {request.unit} xử lý."
    return None


def apply_request(
    store: Store, roster: Roster, request: ActionRequest, now: datetime
) -> tuple[AckResult, OperatorAction | None]:
    """Apply one request to the state, audited (refused or done); returns the answer and, for an
    action that changes the alert, what the alert task must receive. A request applied before (read
    again after a crash) gets its stored answer and nothing new."""
    with store.transaction():
        known = store.request_outcome(request.request_id)
        if known is not None:
            return AckResult(*known), None
        state = store.alert(request.alert_id)
        record = state.record if state is not None else _unknown(request.alert_id)
        reason = refusal(store, roster, request)
        store.record_request(
            request.request_id, request.alert_id, request.kind, request.officer_id, request.at, reason or ""
        )
        if reason is not None or state is None:
            store.audit(
                event(
                    "refused",
                    record,
                    now,
                    officer=request.officer_id,
                    unit=request.unit,
                    detail=f"{request.kind} via {request.via}: {reason}",
                )
            )
            return AckResult(False, reason or ""), None
        detail = _EFFECTS[request.kind](store, roster, state, request, now)
        store.audit(
            event(
                AUDIT_ACTION[request.kind],
                record,
                now,
                officer=request.officer_id,
                unit=request.unit,
                detail=f"via {request.via}; {detail}" + (f"; {request.text}" if request.text else ""),
            )
        )
    if request.kind not in ENGINE_KINDS:
        return AckResult(True), None
    action = OperatorAction(
        request.request_id,
        cast(ActionKind, request.kind),  # one of ENGINE_KINDS
        request.alert_id,
        record["dedup_key"],
        request.officer_id,
        to_ms(request.at),
    )
    return AckResult(True), action


def _unknown(alert_id: str) -> dict[str, Any]:
    """What the audit trail says of an alert the router does not hold."""
    return {"alert_id": alert_id, "revision": -1, "category": "", "severity": "", "area_code": ""}


def _ack(store: Store, roster: Roster, state: AlertState, request: ActionRequest, now: datetime) -> str:
    store.record_ack(request.alert_id, request.officer_id, request.via, request.at)
    store.close_engagements(request.alert_id)
    dropped = store.cancel_pending(request.alert_id, ("escalation",))
    return f"{dropped} escalation(s) dropped"


def _note(store: Store, roster: Roster, state: AlertState, request: ActionRequest, now: datetime) -> str:
    return "note"


def _handover(store: Store, roster: Roster, state: AlertState, request: ActionRequest, now: datetime) -> str:
    """The units engaged so far stop escalating; the new unit is engaged as routing would engage it."""
    previous = [e.unit for e in store.engagements(request.alert_id)]
    store.close_engagements(request.alert_id)
    store.cancel_pending(request.alert_id, ("escalation",))
    assignment = assign_unit(roster, request.unit, now)
    levels = assignment.levels
    store.engage(request.alert_id, request.unit, levels, deadline_after(roster, levels, 0, now), again=True)
    for officer_id in levels[0]:
        notify_officer(store, roster, state.record, "new", request.unit, 0, officer_id, now, now)
    return f"{','.join(previous) or '-'} > {request.unit}: {','.join(levels[0])}"


def _close(store: Store, roster: Roster, state: AlertState, request: ActionRequest, now: datetime) -> str:
    store.close_engagements(request.alert_id)
    dropped = store.cancel_pending(request.alert_id, ("new", "update", "escalation"))
    return f"{dropped} unsent message(s) dropped"


_EFFECTS = {"ack": _ack, "note": _note, "handover": _handover, "resolve": _close, "false_alarm": _close}
