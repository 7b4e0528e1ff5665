"""Acknowledgement: signed links in every message, the small HTTP endpoint that serves them, and the
the console's API (routing/console_api.py). An acknowledgement stops the alert's escalation in every
unit; what it does is decided and applied in routing/actions.py.

A link is `<public url>/ack?t=<token>`; the token carries the alert, the officer and an expiry,
signed with HMAC-SHA256, so it cannot be forged or moved to another alert and stops working after
`IOC_ROUTING_ACK_LINK_TTL_H`. Opening the link (GET) only shows the alert and a button; the
acknowledgement itself is the button's POST, because mail scanners and chat previews open links on
their own and must not acknowledge alerts for the officer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import FastAPI, Form, Query
from fastapi.responses import HTMLResponse

from routing.actions import AckResult, ActionRequest
from routing.clock import Clock
from routing.console_api import add_console_api
from routing.state import Store
from routing.templates import local_time


class AckLinkError(ValueError):
    """A link that is malformed, forged or expired; the message says which, in Vietnamese."""


@dataclass(frozen=True)
class AckClaim:
    alert_id: str
    officer_id: str
    expires: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class AckSigner:
    def __init__(self, secret: bytes, public_url: str, ttl: timedelta) -> None:
        self.secret, self.public_url, self.ttl = secret, public_url.rstrip("/"), ttl

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self.secret, payload, hashlib.sha256).digest()

    def token(self, alert_id: str, officer_id: str, now: datetime) -> str:
        expires = int((now + self.ttl).timestamp())
        payload = f"{alert_id}\n{officer_id}\n{expires}".encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def link(self, alert_id: str, officer_id: str, now: datetime) -> str:
        return f"{self.public_url}/ack?t={self.token(alert_id, officer_id, now)}"

    def verify(self, token: str, now: datetime) -> AckClaim:
        try:
            encoded, mac = token.split(".")
            payload = _unb64(encoded)
            alert_id, officer_id, expires = payload.decode().split("\n")
            expires_at = datetime.fromtimestamp(int(expires), now.tzinfo)
            valid = hmac.compare_digest(_unb64(mac), self._mac(payload))
        except (ValueError, UnicodeDecodeError) as exc:
            raise AckLinkError("Liên kết xác nhận không hợp lệ (sai định dạng).") from exc
        if not valid:
            raise AckLinkError("Liên kết xác nhận không hợp lệ (sai chữ ký).")
        if now >= expires_at:
            raise AckLinkError(f"Liên kết xác nhận đã hết hạn lúc {local_time(expires_at)}.")
        return AckClaim(alert_id, officer_id, expires_at)


# Apply an operator's request: handed to the active router, which answers (routing/actions.py).
Submit = Callable[[ActionRequest], AckResult]


PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Xác nhận cảnh báo</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:2em auto">{body}</body></html>"""


def ack_app(
    store: Store, signer: AckSigner, clock: Clock, submit: Submit, console_token: str = ""
) -> FastAPI:
    """The endpoint behind the links: GET shows the alert and a button, POST acknowledges, through
    `submit` (the active router applies it: routing/leader.py). With `console_token`, also the
    console's API for every operator action (routing/console_api.py)."""
    app = FastAPI(title="IOC — xác nhận cảnh báo", docs_url=None, redoc_url=None, openapi_url=None)

    def page(body: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(PAGE.format(body=body), status_code=status)

    @app.get("/ack")
    def show(t: str = Query(...)) -> HTMLResponse:
        try:
            claim = signer.verify(t, clock.now())
        except AckLinkError as exc:
            return page(f"<p>{html.escape(str(exc))}</p>", 403)
        state = store.alert(claim.alert_id)
        if state is None:
            return page("<p>Không tìm thấy cảnh báo.</p>", 404)
        alert = state.record
        status = (
            f"<p>Đã được {html.escape(state.acked_by)} xác nhận lúc {local_time(state.acked_at)}.</p>"
            if state.acked_at is not None
            else (
                '<form method="post" action="ack">'
                f'<input type="hidden" name="t" value="{html.escape(t)}">'
                f"<button type=submit>Tôi ({html.escape(claim.officer_id)}) đã nhận và đang xử lý</button></form>"
            )
        )
        return page(
            f"<h1>{html.escape(alert['headline_vi'])}</h1>"
            f"<p>Từ lúc {local_time(alert['opened_at'])} (giờ Việt Nam) — mã {html.escape(alert['alert_id'])}</p>"
            + status
        )

    @app.post("/ack")
    def confirm(t: str = Form(...)) -> HTMLResponse:
        now = clock.now()
        try:
            claim = signer.verify(t, now)
        except AckLinkError as exc:
            return page(f"<p>{html.escape(str(exc))}</p>", 403)
        result = submit(ActionRequest.new("ack", claim.alert_id, claim.officer_id, "link", now))
        if result.pending:
            return page(f"<p>{html.escape(result.reason)}</p>", 202)
        if not result.done:
            return page(f"<p>{html.escape(result.reason)}</p>", 409)
        return page(
            f"<p>Đã xác nhận cảnh báo {html.escape(claim.alert_id)} lúc {local_time(now)}. Cảm ơn đồng chí.</p>"
        )

    @app.get("/healthz")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    if console_token:
        add_console_api(app, console_token, submit, clock)
    return app
