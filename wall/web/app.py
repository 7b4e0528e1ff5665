"""The wall in a browser: every screen as a kiosk page drawn from the generated Grafana dashboards.

Grafana stays the production wall; no Grafana can run where the embedded default runs, so this app
shows the same dashboards there (and to the tests and `ioc wall snapshot`). The dashboards are the
JSON `ioc grafana build` writes (`wall.build.dashboards`, the very function that generates the
committed files), read panel by panel: the page draws each panel from its type, units, thresholds,
mappings and grid position, and asks this app for its data; the app runs that panel's SQL from the
dashboard (never SQL from the page) through `wall.web.data`, as the warehouse's `grafana` user.

Every address is relative to where the app is mounted (`request.scope["root_path"]`), so the same
app serves at `/` (`ioc wall serve`) and under `/wall` in the operations console.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from ioc.endpoints import Endpoints
from ioc.province import load_province
from ioc.settings import Settings
from ioc.stack.errors import StackError
from wall.build import dashboards
from wall.layout import COLUMNS, PLAYLISTS, ROWS, SCREENS, Screen
from wall.web.data import PanelNotFoundError, panel_sql, run_panel, wall_client
from wall.web.geo import area_outlines

STATIC = Path(__file__).resolve().parent / "static"
Json = dict[str, Any]


def _seconds(interval: str) -> int:
    """A Grafana interval such as `10s`, `30s` or `1m` in seconds."""
    number, unit = int(interval[:-1]), interval[-1]
    return number * {"s": 1, "m": 60, "h": 3600}[unit]


def screen_view(screen: Screen, built: dict[str, Json]) -> Json:
    """What a screen's page shows: the dashboards it cycles through (one unless a playlist), the
    panel it shows full size if any, and how long each dashboard stays."""
    if screen.playlist:
        rotation = next(p for p in PLAYLISTS if p.uid == screen.target)
        return {"uids": list(rotation.dashboards), "panel": None, "rotate_s": _seconds(rotation.interval),
                "name": rotation.name}  # fmt: skip
    panel = None
    if screen.panel_title:
        panel = next(p["id"] for p in built[screen.target]["panels"] if p.get("title") == screen.panel_title)
    return {"uids": [screen.target], "panel": panel, "rotate_s": 0, "name": built[screen.target]["title"]}


def _page(request: Request, title: str, view: Json) -> HTMLResponse:
    """The one HTML shell: the page script draws everything from `view` and the dashboard JSON."""
    base = request.scope.get("root_path", "").rstrip("/") + "/"
    # "</" cannot close the script element when written "<\/" (same value in JavaScript).
    data = json.dumps(view, ensure_ascii=False).replace("</", "<\\/")
    body = f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<base href="{html.escape(base)}">
<title>{html.escape(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="static/vendor/uPlot.min.css">
<link rel="stylesheet" href="static/wall.css">
<script src="static/vendor/uPlot.iife.min.js"></script>
<script>window.WALL = {data};</script>
<script src="static/wall.js" defer></script>
</head><body data-ready="0"><main id="wall"></main></body></html>"""
    return HTMLResponse(body)


def wall_app(settings: Settings, endpoints: Endpoints) -> FastAPI:
    """The wall's ASGI app; mount it anywhere (`app.mount("/wall", wall_app(settings, endpoints))`)."""
    province = load_province(settings.province_file)
    built = dashboards(province)
    areas = area_outlines(province)
    clients: list[Client] = []  # made at the first panel, so the app starts while the warehouse is down
    by_number = {screen.number: screen for screen in SCREENS}
    app = FastAPI(title="Tường màn hình IOC", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.dashboard_uids = list(built)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def dashboard(uid: str) -> Json:
        if uid not in built:
            raise HTTPException(404, f"Không có dashboard {uid}")
        return built[uid]

    @app.get("/", response_class=HTMLResponse)
    def layout(request: Request) -> HTMLResponse:
        tiles = [
            {"screen": s.number, "row": s.row, "column": s.column, **screen_view(s, built),
             "panel_title": s.panel_title, "playlist": s.playlist}
            for s in SCREENS
        ]  # fmt: skip
        return _page(request, "Tường màn hình IOC", {"mode": "layout", "rows": ROWS, "columns": COLUMNS,
                                                      "tiles": tiles})  # fmt: skip

    @app.get("/screen/{number}", response_class=HTMLResponse)
    def screen(request: Request, number: int) -> HTMLResponse:
        if number not in by_number:
            raise HTTPException(404, f"Không có màn hình số {number} (1-{ROWS * COLUMNS})")
        view = screen_view(by_number[number], built)
        return _page(
            request, f"Màn hình {number} · {view['name']}", {"mode": "kiosk", "screen": number, **view}
        )

    @app.get("/d/{uid}", response_class=HTMLResponse)
    def one_dashboard(request: Request, uid: str, panel: int | None = None) -> HTMLResponse:
        title = dashboard(uid)["title"]
        return _page(
            request, title, {"mode": "kiosk", "uids": [uid], "panel": panel, "rotate_s": 0, "name": title}
        )

    @app.get("/api/dashboards/{uid}")
    def dashboard_json(uid: str) -> Json:
        return dashboard(uid)

    @app.get("/api/areas")
    def areas_json() -> list[Json]:
        return areas

    @app.get("/api/panels/{uid}/{panel_id}")
    def panel_data(uid: str, panel_id: int) -> JSONResponse:
        model = dashboard(uid)
        try:
            panel_sql(model, panel_id)
        except PanelNotFoundError as error:
            raise HTTPException(404, str(error)) from error
        try:
            if not clients:
                clients.append(wall_client(settings, endpoints))
            frame = run_panel(clients[0], model, panel_id)
        except (ClickHouseError, OSError, StackError) as error:
            # The panel shows this in its error state; the warehouse's own words say what failed.
            return JSONResponse({"error": f"Lỗi truy vấn kho dữ liệu: {error}"[:600]}, status_code=502)
        return JSONResponse(frame.to_json(), headers={"Cache-Control": "no-store"})

    return app
