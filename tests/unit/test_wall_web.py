"""The wall app's parts that need no warehouse: what each screen shows, the time range and SQL a panel
runs, how results become JSON, the areas' outlines, and the pages' addresses under a mount prefix
(the operations console mounts the app at `/wall`). The pages with data are the browser tests'."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from config import CONFIG_DIR
from ioc.area_shapes import convex_hull
from ioc.endpoints import Endpoints
from ioc.province import load_province
from ioc.settings import Settings, WarehouseSettings
from wall.build import dashboards
from wall.layout import SCREENS
from wall.macros import expand
from wall.web.app import screen_view, wall_app
from wall.web.data import Frame, PanelNotFoundError, dashboard_range, panel_sql
from wall.web.geo import PAD_DEG, area_outlines

PROVINCE = load_province(CONFIG_DIR / "province.yaml")
BUILT = dashboards(PROVINCE)


def test_every_screen_shows_a_dashboard_its_panel_or_its_rotation() -> None:
    for screen in SCREENS:
        view = screen_view(screen, BUILT)
        assert all(uid in BUILT for uid in view["uids"])
        if screen.playlist:
            assert len(view["uids"]) > 1 and view["rotate_s"] > 0 and view["panel"] is None
        elif screen.panel_title:
            panel = next(p for p in BUILT[screen.target]["panels"] if p["id"] == view["panel"])
            assert panel["title"] == screen.panel_title
        else:
            assert view == {"uids": [screen.target], "panel": None, "rotate_s": 0,
                            "name": BUILT[screen.target]["title"]}  # fmt: skip


def test_a_panel_runs_its_own_sql_over_the_dashboards_range_ending_now() -> None:
    dashboard = BUILT["ioc-wall-overview"]
    now = datetime(2026, 12, 7, 22, 0, tzinfo=UTC)
    time_range = dashboard_range(dashboard, now)
    assert (time_range.start, time_range.end) == (now - timedelta(hours=6), now)
    sql = panel_sql(dashboard, 3)
    assert sql == dashboard["panels"][2]["targets"][0]["rawSql"]
    assert "$__" not in expand(sql, time_range)
    with pytest.raises(PanelNotFoundError, match="ioc-wall-overview has no panel 99"):
        panel_sql(dashboard, 99)
    with pytest.raises(ValueError, match="not now-<n><unit>"):
        dashboard_range({**dashboard, "time": {"from": "2026-01-01", "to": "now"}})


def test_results_become_json_with_times_as_utc_milliseconds() -> None:
    moment = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    frame = Frame(
        ["time", "naive", "day", "n", "x", "dec", "text", "missing", "inf"],
        ["DateTime64(3, 'UTC')", "DateTime", "Date", "UInt64", "Float64", "Decimal(9, 2)", "String",
         "Nullable(Float64)", "Float64"],
        [(moment, moment.replace(tzinfo=None), date(2026, 12, 7), 2**63, 1.5, Decimal("2.25"), "Mới", None,
          float("inf"))],
    )  # fmt: skip
    millis = int(moment.timestamp() * 1000)
    assert frame.to_json()["rows"] == [[millis, millis, millis - 15 * 3600_000, 2**63, 1.5, 2.25, "Mới", None,
                                        None]]  # fmt: skip


def test_each_area_is_drawn_round_its_configured_places() -> None:
    assert convex_hull([(0, 0), (2, 0), (1, 1), (2, 2), (0, 2), (1, 0.5)]) == [(0, 0), (2, 0), (2, 2), (0, 2)]
    outlines = {a["code"]: a for a in area_outlines(PROVINCE)}
    assert outlines and all(a["name"] for a in outlines.values())
    for intersection in PROVINCE.intersections:
        outline = outlines[PROVINCE.current_area(intersection.area)]["outline"]
        xs, ys = [p[0] for p in outline], [p[1] for p in outline]
        assert (
            min(xs) <= intersection.longitude - PAD_DEG + 1e-5
            and max(ys) >= intersection.latitude + PAD_DEG - 1e-5
        )


@pytest.fixture(scope="module")
def console() -> TestClient:
    """The app mounted under `/wall`, its warehouse an address where nothing listens."""
    settings = Settings(warehouse=WarehouseSettings(grafana_password="not-used"))  # noqa: S106 - a test value
    parent = FastAPI()
    parent.mount(
        "/wall", wall_app(settings, Endpoints(kafka="", registry="", clickhouse="http://127.0.0.1:9"))
    )
    return TestClient(parent)


def test_pages_address_everything_under_the_mount_prefix(console: TestClient) -> None:
    page = console.get("/wall/screen/2")
    assert page.status_code == 200
    assert '<base href="/wall/">' in page.text and 'src="static/wall.js"' in page.text
    assert '"panel": 3' in page.text and '"mode": "kiosk"' in page.text
    assert console.get("/wall/static/wall.js").status_code == 200
    assert console.get("/wall/static/vendor/uPlot.iife.min.js").status_code == 200
    assert console.get("/wall/api/dashboards/ioc-wall-traffic").json() == BUILT["ioc-wall-traffic"]
    assert '"mode": "layout"' in console.get("/wall/").text
    assert len(console.get("/wall/api/areas").json()) == len(area_outlines(PROVINCE))


def test_unknown_screens_and_panels_are_refused_and_an_unreachable_warehouse_is_an_error_state(
    console: TestClient,
) -> None:
    assert console.get("/wall/screen/28").json() == {"detail": "Không có màn hình số 28 (1-27)"}
    assert console.get("/wall/api/panels/nope/1").status_code == 404
    assert console.get("/wall/api/panels/ioc-wall-traffic/99").status_code == 404
    failed = console.get("/wall/api/panels/ioc-wall-traffic/3")
    assert failed.status_code == 502 and failed.json()["error"].startswith("Lỗi truy vấn kho dữ liệu")
