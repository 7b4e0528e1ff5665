"""The operations console's API on the router's acknowledgement server: every operator action on an
alert, for the console's server to call on behalf of its signed-in user.

`POST /api/alerts/{alert_id}/actions`, header `Authorization: Bearer <IOC_ROUTING_CONSOLE_TOKEN>`,
JSON `{"kind": "ack"|"note"|"handover"|"resolve"|"false_alarm", "by": "<officer id>",
"text": "<note>", "unit": "<unit code, for handover>"}`. Answers: 200 `{"done": true}`; 202
`{"done": false, "pending": true, "reason": …}` (handed to the active router, not applied yet);
409 `{"done": false, "reason": …}` (refused: the reason is Vietnamese, for the operator); 400
`{"done": false, "field": …, "reason": …}` for a malformed body; 401 for a missing or wrong token.

The token is the console server's, not a person's: the console signs its users in and says who acts
in `by`; the router still checks that `by` is an officer of the roster (routing/actions.py).
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from routing.actions import KINDS, AckResult, ActionRequest
from routing.clock import Clock

MAX_TEXT = 2000
MAX_ID = 100


class BodyError(ValueError):
    """A malformed request body: `field` names the field, the message the rule (Vietnamese)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


def parse_body(raw: bytes) -> dict[str, str]:
    """The action's fields (kind, by, text, unit), or BodyError naming the one that is wrong."""
    try:
        body: Any = json.loads(raw or b"")
    except ValueError as exc:
        raise BodyError("body", f"Nội dung yêu cầu không phải JSON hợp lệ ({exc}).") from exc
    if not isinstance(body, dict):
        raise BodyError("body", "Nội dung yêu cầu phải là một đối tượng JSON.")
    unknown = sorted(set(body) - {"kind", "by", "text", "unit"})
    if unknown:
        raise BodyError(unknown[0], f"Trường {unknown[0]!r} không được hỗ trợ.")
    fields = {name: body.get(name, "") for name in ("kind", "by", "text", "unit")}
    for name, value in fields.items():
        if not isinstance(value, str):
            raise BodyError(name, f"Trường {name!r} phải là chuỗi ký tự.")
    if fields["kind"] not in KINDS:
        raise BodyError("kind", f"Trường 'kind' phải là một trong: {', '.join(KINDS)}.")
    if not fields["by"].strip() or len(fields["by"]) > MAX_ID:
        raise BodyError("by", f"Trường 'by' (mã cán bộ) là bắt buộc, tối đa {MAX_ID} ký tự.")
    if len(fields["text"]) > MAX_TEXT:
        raise BodyError("text", f"Trường 'text' dài tối đa {MAX_TEXT} ký tự.")
    if fields["kind"] == "note" and not fields["text"].strip():
        raise BodyError("text", "Ghi chú cần có nội dung (trường 'text').")
    if fields["kind"] == "handover" and not fields["unit"].strip():
        raise BodyError("unit", "Chuyển giao cần mã đơn vị nhận (trường 'unit').")
    return fields


def answer(result: AckResult) -> JSONResponse:
    if result.done:
        return JSONResponse({"done": True})
    if result.pending:
        return JSONResponse({"done": False, "pending": True, "reason": result.reason}, status_code=202)
    return JSONResponse({"done": False, "reason": result.reason}, status_code=409)


def add_console_api(app: FastAPI, token: str, submit: Any, clock: Clock) -> None:
    """Add the console's routes to the acknowledgement app; `submit` as in routing/ack.py."""
    expected = f"Bearer {token}".encode()

    @app.post("/api/alerts/{alert_id}/actions")
    async def act(alert_id: str, request: Request) -> JSONResponse:
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return JSONResponse({"done": False, "reason": "Thiếu hoặc sai mã truy cập."}, status_code=401)
        try:
            fields = parse_body(await request.body())
        except BodyError as exc:
            return JSONResponse({"done": False, "field": exc.field, "reason": str(exc)}, status_code=400)
        action = ActionRequest.new(
            fields["kind"],
            alert_id,
            fields["by"].strip(),
            "console",
            clock.now(),
            fields["text"].strip(),
            fields["unit"].strip(),
        )
        return answer(await run_in_threadpool(submit, action))
