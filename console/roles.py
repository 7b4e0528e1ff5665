"""What each role of the console may do, defined once.

Viewers read (the queue, alerts, the map, the search); operators act on alerts as the officer on
duty does (acknowledge, add a note, resolve); shift leads may, besides, hand an alert over to
another unit and declare a false alarm, the two decisions that take an alert away from the officers
called for it. The evidence link of a camera incident may show faces and plates (personal data,
Decree 13/2023): operators and shift leads see it, viewers do not.
"""

from __future__ import annotations

OPERATOR = "operator"
SHIFT_LEAD = "shift_lead"
VIEWER = "viewer"
ROLES = (OPERATOR, SHIFT_LEAD, VIEWER)
ROLE_NAMES_VI = {OPERATOR: "Cán bộ trực", SHIFT_LEAD: "Trưởng ca", VIEWER: "Người xem"}

# The router's action kinds (console.router_client) and their Vietnamese names.
ACTIONS_VI = {
    "ack": "Xác nhận",
    "note": "Ghi chú",
    "handover": "Chuyển đơn vị",
    "resolve": "Kết thúc",
    "false_alarm": "Báo động giả",
}
_MAY_ACT = {
    OPERATOR: frozenset({"ack", "note", "resolve"}),
    SHIFT_LEAD: frozenset(ACTIONS_VI),
    VIEWER: frozenset(),
}
_SEES_EVIDENCE = frozenset({OPERATOR, SHIFT_LEAD})


def may_act(role: str, kind: str) -> bool:
    """Whether a person of `role` may perform the action `kind`."""
    return kind in _MAY_ACT.get(role, frozenset())


def actions_for(role: str) -> list[str]:
    """The actions a person of `role` is offered, in the order of ACTIONS_VI."""
    return [kind for kind in ACTIONS_VI if may_act(role, kind)]


def sees_evidence(role: str) -> bool:
    """Whether a person of `role` is shown an incident's evidence link (personal data)."""
    return role in _SEES_EVIDENCE
