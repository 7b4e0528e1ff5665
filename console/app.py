"""The console's web application: sign-in, the live queue, an alert's page, actions and search.

Pages are rendered on the server (Jinja2) with a little plain JavaScript for the live queue, which
arrives as Server-Sent Events: the browser's EventSource reconnects by itself when the console
restarts or the connection drops, and the stream says when the warehouse does not answer.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, cast

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp

from console import present
from console.accounts import Person, SignIn
from console.audit import ConsoleAudit
from console.mapsvg import ProvinceMap
from console.roles import ACTIONS_VI, ROLE_NAMES_VI, actions_for, may_act, sees_evidence
from console.router_client import KINDS, Kind, RouterClient
from console.sessions import COOKIE, Sessions, Verdict
from console.store import SEVERITY_ORDER, AlertStore, WarehouseDownError
from ioc.province import Province
from routing.roster import Roster

HERE = Path(__file__).parent
# The wall in a browser (issue 18, items 3-4) is an ASGI application of its own, mounted at this path
# by `build_app(..., wall=...)`: the one place where it joins the console.
WALL_PATH = "/wall"
REASONS_VI = {
    "expired": "Phiên đăng nhập đã hết hạn; xin đăng nhập lại.",
    "forged": "Phiên đăng nhập không hợp lệ; xin đăng nhập lại.",
    "signed_out": "Đã đăng xuất.",
}
PING_S = 15.0


class SignInRequiredError(Exception):
    """No valid session: the person is sent to the sign-in page (a page) or answered 401 (the API)."""

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict


@dataclass
class Console:
    """Everything the pages need, built once by console.server."""

    province: Province
    roster: Roster | None
    store: AlertStore
    sessions: Sessions
    sign_in: SignIn
    audit: ConsoleAudit
    router: RouterClient
    queue_interval_s: float = 2.0


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


def build_app(console: Console, wall: ASGIApp | None = None) -> FastAPI:
    """The console's ASGI application; `wall`, when given, is served at WALL_PATH."""
    app = FastAPI(title="IOC — Bảng điều hành", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["local"] = present.local
    templates.env.filters["severity_vi"] = present.severity_vi
    templates.env.filters["category_vi"] = present.category_vi
    templates.env.filters["level_vi"] = present.level_vi
    people = present.People(console.roster)
    province_map = ProvinceMap(console.province)
    templates.env.filters["person"] = people
    templates.env.globals.update(
        role_vi=ROLE_NAMES_VI,
        state_vi=present.STATE_VI,
        action_vi=present.ACTION_VI,
        has_wall=wall is not None,
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    if wall is not None:
        app.mount(WALL_PATH, wall, name="wall")

    def person_of(request: Request) -> Person:
        session = console.sessions.read(request.cookies.get(COOKIE))
        person = console.sign_in.current(session.name) if session.verdict is Verdict.VALID else None
        if person is not None:
            return person
        # An account disabled since the sign-in ends its sessions as if they had expired.
        verdict = Verdict.EXPIRED if session.verdict is Verdict.VALID else session.verdict
        if verdict is not Verdict.MISSING:
            disabled = " (account disabled)" if session.verdict is Verdict.VALID else ""
            console.audit.record(
                "session", "refused", person=session.name, client=_client(request),
                detail=f"{verdict.value}{disabled} {request.method} {request.url.path}",
            )  # fmt: skip
        raise SignInRequiredError(verdict)

    def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(request, template, context, status_code=status)

    @app.exception_handler(SignInRequiredError)
    async def to_sign_in(request: Request, exc: SignInRequiredError) -> Response:
        reason = exc.verdict.value if exc.verdict is not Verdict.MISSING else ""
        if request.url.path.startswith("/api/"):
            message = REASONS_VI.get(reason, "Chưa đăng nhập.")
            return JSONResponse({"error": message}, status_code=401)
        target = f"/login?ly_do={reason}" if reason else "/login"
        response = RedirectResponse(target, status_code=303)
        response.delete_cookie(COOKIE)
        return response

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, ly_do: str = "") -> HTMLResponse:
        return page(request, "login.html", notice=REASONS_VI.get(ly_do, ""))

    @app.post("/login", response_class=HTMLResponse)
    def login(
        request: Request, name: Annotated[str, Form()] = "", password: Annotated[str, Form()] = ""
    ) -> Response:
        name = name.strip().lower()
        person = console.sign_in.check(name, password)
        if person is None:
            console.audit.record("sign_in", "refused", person=name, client=_client(request))
            return page(request, "login.html", 401, error="Sai tên đăng nhập hoặc mật khẩu.", name=name)
        console.audit.record("sign_in", "ok", person=person.name, role=person.role, client=_client(request))
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            COOKIE, console.sessions.issue(person.name), max_age=int(console.sessions.ttl_s),
            httponly=True, samesite="strict", path="/",
        )  # fmt: skip
        return response

    @app.post("/logout")
    def logout(request: Request) -> Response:
        person = person_of(request)
        console.audit.record("sign_out", "ok", person=person.name, role=person.role, client=_client(request))
        response = RedirectResponse("/login?ly_do=signed_out", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    @app.get("/", response_class=HTMLResponse)
    def queue_page(request: Request) -> HTMLResponse:
        return page(request, "queue.html", person=person_of(request))

    # Every open page asks for the queue each interval: one read of the warehouse serves them all.
    cache: dict[str, Any] = {"at": -1.0, "items": []}
    cache_lock = threading.Lock()

    def queue_items() -> list[dict[str, Any]]:
        with cache_lock:
            if time.monotonic() - cache["at"] >= console.queue_interval_s / 2:
                rows = console.store.open_alerts()
                cache["items"] = [present.queue_item(row, console.province, people) for row in rows]
                cache["at"] = time.monotonic()
            items: list[dict[str, Any]] = cache["items"]
            return items

    @app.get("/api/queue")
    def queue_now(request: Request) -> JSONResponse:
        person_of(request)
        try:
            return JSONResponse({"ok": True, "alerts": queue_items()})
        except WarehouseDownError as down:
            return JSONResponse({"ok": False, "message": str(down), "alerts": []}, status_code=503)

    @app.get("/api/queue/stream")
    async def queue_stream(request: Request) -> StreamingResponse:
        person_of(request)
        cookie = request.cookies.get(COOKIE)

        async def events() -> AsyncIterator[str]:
            last, waited = "", 0.0
            while not await request.is_disconnected():
                session = console.sessions.read(cookie)
                if session.verdict is not Verdict.VALID or console.sign_in.current(session.name) is None:
                    yield f"event: signed_out\ndata: {json.dumps(REASONS_VI['expired'], ensure_ascii=False)}\n\n"
                    return
                try:
                    body = json.dumps(
                        {"ok": True, "alerts": await run_in_threadpool(queue_items)}, ensure_ascii=False
                    )
                except WarehouseDownError as down:
                    body = json.dumps({"ok": False, "message": str(down)}, ensure_ascii=False)
                if body != last or waited >= PING_S:
                    last, waited = body, 0.0
                    yield f"event: queue\ndata: {body}\n\n"
                await asyncio.sleep(console.queue_interval_s)
                waited += console.queue_interval_s

        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(events(), media_type="text/event-stream", headers=headers)

    def alert_page(
        request: Request, person: Person, alert_id: str, status: int = 200, **extra: Any
    ) -> Response:
        try:
            alert = console.store.alert(alert_id)
            if alert is None:
                return page(request, "missing.html", 404, person=person, alert_id=alert_id)
            revisions, trail = console.store.revisions(alert_id), console.store.trail(alert_id)
            evidence = None
            if sees_evidence(person.role):
                evidence = console.store.evidence(alert)
                if evidence:
                    console.audit.record(
                        "evidence_shown", "ok", person=person.name, role=person.role,
                        client=_client(request), alert_id=alert_id, detail=f"{len(evidence)} links",
                    )  # fmt: skip
        except WarehouseDownError as down:
            return page(request, "down.html", 503, person=person, message=str(down))
        units = [(u.code, u.name_vi) for u in console.roster.units] if console.roster else []
        return page(
            request, "alert.html", status, person=person, alert=alert, revisions=revisions, trail=trail,
            evidence=evidence, map_svg=province_map.draw(alert), actions=actions_for(person.role),
            actions_vi=ACTIONS_VI, units=units, **extra,
        )  # fmt: skip

    @app.get("/alerts/{alert_id}", response_class=HTMLResponse)
    def alert_view(request: Request, alert_id: str) -> Response:
        return alert_page(request, person_of(request), alert_id)

    @app.post("/alerts/{alert_id}/actions", response_class=HTMLResponse)
    def act(
        request: Request,
        alert_id: str,
        kind: Annotated[str, Form()] = "",
        text: Annotated[str, Form()] = "",
        unit: Annotated[str, Form()] = "",
    ) -> Response:
        person = person_of(request)
        who = {"person": person.name, "role": person.role, "client": _client(request), "alert_id": alert_id}
        if kind not in KINDS:
            console.audit.record(kind or "action", "refused", **who, detail="unknown action")
            return alert_page(request, person, alert_id, 400, error=f"Thao tác không hợp lệ: {kind!r}.")
        if not may_act(person.role, kind):
            console.audit.record(kind, "refused", **who, detail="role may not")
            message = f"Vai trò {ROLE_NAMES_VI[person.role]} không được phép thực hiện “{ACTIONS_VI[kind]}”."
            return alert_page(request, person, alert_id, 403, error=message)
        if kind == "handover" and not unit:
            console.audit.record(kind, "refused", **who, detail="no unit")
            return alert_page(request, person, alert_id, 400, error="Chọn đơn vị nhận bàn giao.")
        outcome = console.router.act(alert_id, cast(Kind, kind), person.name, text.strip(), unit)
        result = "ok" if outcome.done else "pending" if outcome.pending else "refused"
        console.audit.record(kind, result, **who, detail=f"router {outcome.status}: {outcome.message}")
        if outcome.done or outcome.pending:
            return alert_page(request, person, alert_id, notice=outcome.message)
        return alert_page(
            request, person, alert_id, 409 if outcome.status == 409 else 502, error=outcome.message
        )

    @app.get("/search", response_class=HTMLResponse)
    def search(
        request: Request,
        area: str = "",
        category: str = "",
        severity: str = "",
        entity: str = "",
        since: str = "",
        until: str = "",
    ) -> Response:
        person = person_of(request)
        form = {"area": area, "category": category, "severity": severity, "entity": entity, "since": since,
                "until": until}  # fmt: skip
        choices = {
            "areas": [(a.code, a.name_vi) for a in console.province.areas],
            "categories": list(present.ALERT_CATEGORY),
            "severities": SEVERITY_ORDER,
        }
        if not any(form.values()):
            return page(request, "search.html", person=person, form=form, results=None, **choices)
        try:
            start, end = _local_time(since, "since"), _local_time(until, "until")
        except ValueError as bad:
            return page(request, "search.html", 400, person=person, form=form, results=None, error=str(bad),
                        **choices)  # fmt: skip
        areas = _areas_under(console.province, area) if area else []
        try:
            results = console.store.search(
                areas=areas,
                category=category,
                severity=severity,
                entity=entity.strip(),
                since=start,
                until=end,
            )
        except WarehouseDownError as down:
            return page(request, "down.html", 503, person=person, message=str(down))
        return page(request, "search.html", person=person, form=form, results=results, **choices)

    return app


def _local_time(text: str, field: str) -> datetime | None:
    """A time typed in the search form (local time, `YYYY-MM-DDTHH:MM`) as UTC; empty: none."""
    if not text:
        return None
    try:
        typed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"Trường “{field}”: “{text}” không phải thời điểm dạng YYYY-MM-DDTHH:MM.") from None
    return typed.replace(tzinfo=present.LOCAL_TZ) if typed.tzinfo is None else typed


def _areas_under(province: Province, code: str) -> list[str]:
    """The area, every area below it, and the codes they had before a merger or a rename."""
    under = [a for a in province.areas if code in province.area_lineage(a.code)]
    return sorted({a.code for a in under} | {old for a in under for old in a.former_codes} | {code})
