"""The wall in a real browser: Debian's headless Chromium opens the wall app (mounted under `/wall`, as
the operations console mounts it) on the real warehouse filled with the crafted wall rows, and every
one of the 27 screens draws with no panel in error; a stat panel shows what its SQL returns when run
directly as `grafana`; and when a feed stops, its markers turn to the stale mark on the next refresh.
One app and one page serve the whole module, to keep it short."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import FastAPI

from ioc.province import Province, load_province
from tests.integration.conftest import RunningStack
from tests.integration.helpers import wait_for, warehouse_client
from tests.integration.wall_data import INDICATOR_COLUMNS, Rows, crafted
from wall.build import dashboards
from wall.dashboards.traffic import CONGESTION_MAX_AGE_S
from wall.layout import SCREENS
from wall.panels import STALE_TEXT
from wall.snapshot import open_when_drawn
from wall.web.app import screen_view, wall_app
from wall.web.data import run_panel, wall_client
from wall.web.server import serving
from warehouse.users import WRITER

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

PANELS = """els => els.map(e => ({id: Number(e.dataset.panelId), title: e.dataset.title, type: e.dataset.type,
  state: e.dataset.state, error: e.dataset.error || '', text: e.dataset.text || '', value: e.dataset.value}))"""


@pytest.fixture(scope="module")
def province(local_stack: RunningStack) -> Province:
    return load_province(local_stack.settings.province_file)


@pytest.fixture(scope="module")
def wall_url(local_stack: RunningStack, province: Province) -> Iterator[str]:
    """The crafted wall rows stored now, and the wall app served under `/wall` of a parent app."""
    writer = warehouse_client(local_stack.endpoints, local_stack.settings, WRITER)
    for table, (columns, values) in crafted(province, datetime.now(UTC), skip_cameras=set()).items():
        writer.insert(table, values, column_names=columns)
    console = FastAPI()
    console.mount("/wall", wall_app(local_stack.settings, local_stack.endpoints))
    with serving(console) as url:
        yield f"{url}/wall"


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:
    opened = browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        yield opened
    finally:
        opened.close()


def panels(page: Page) -> list[dict[str, Any]]:
    return page.eval_on_selector_all("section.panel", PANELS)


def test_every_screen_draws_every_panel_without_error(wall_url: str, page: Page, province: Province) -> None:
    built = dashboards(province)
    open_when_drawn(page, f"{wall_url}/")
    assert page.locator("a.tile").count() == len(SCREENS) == 27

    for screen in SCREENS:
        view = screen_view(screen, built)
        open_when_drawn(page, f"{wall_url}/screen/{screen.number}")
        shown = panels(page)
        dashboard = built[view["uids"][0]]
        expected = [p["title"] for p in dashboard["panels"] if view["panel"] in (None, p["id"])]
        where = f"screen {screen.number} ({dashboard['uid']})"
        assert [p["title"] for p in shown] == expected, where
        assert [p for p in shown if p["state"] != "ok"] == [], where
        # Over filled data every stat has a number (or the heartbeat's clock), never a blank.
        assert all(p["text"] for p in shown if p["type"] == "stat"), (where, shown)
        assert page.locator(".error").count() == 0, where


def test_a_stat_panel_shows_what_its_sql_returns(
    wall_url: str, page: Page, local_stack: RunningStack, province: Province
) -> None:
    dashboard = dashboards(province)["ioc-wall-overview"]
    panel = next(p for p in dashboard["panels"] if p["title"] == "Lưu lượng xe / phút")
    grafana = wall_client(local_stack.settings, local_stack.endpoints)
    open_when_drawn(page, f"{wall_url}/d/ioc-wall-overview")

    def shown_and_direct() -> tuple[dict[str, Any], float]:
        shown = next(p for p in panels(page) if p["id"] == panel["id"])
        return shown, run_panel(grafana, dashboard, panel["id"]).column("value")[-1]

    shown, direct = wait_for(shown_and_direct, lambda pair: float(pair[0]["value"]) == pair[1], 30)
    assert float(shown["value"]) == direct and direct > 0
    # Vietnamese digit grouping and the panel's unit suffix, as the dashboard defines it.
    assert shown["text"] == f"{int(direct):,}".replace(",", ".") + " xe"


def test_a_stopped_feed_turns_its_markers_to_the_stale_mark(
    wall_url: str, page: Page, local_stack: RunningStack, province: Province
) -> None:
    writer = warehouse_client(local_stack.endpoints, local_stack.settings, WRITER)
    now = datetime.now(UTC)
    recent = {
        row[0]
        for row in writer.query(
            "SELECT DISTINCT entity_id FROM indicators WHERE indicator = 'traffic.congestion_level' "
            "AND window_end > {t:DateTime64(3, 'UTC')}",
            parameters={"t": now - timedelta(minutes=30)},
        ).result_rows
    }
    # An intersection no other data speaks for: its last congestion window is the one stored here.
    intersection = next(i for i in province.intersections if i.id not in recent)
    cameras = {c.id for c in province.cameras if c.intersection == intersection.id}
    assert cameras
    rows = Rows(now)
    last_end = now - timedelta(seconds=CONGESTION_MAX_AGE_S - 20)  # fresh for 20 more seconds
    rows.add("traffic.congestion_level", "intersection", intersection.id, intersection.area,
             last_end - timedelta(minutes=1), timedelta(minutes=1), 3)  # fmt: skip
    writer.insert("indicators", rows.indicators, column_names=INDICATOR_COLUMNS)

    open_when_drawn(page, f"{wall_url}/screen/2")  # the traffic map, full size

    def levels() -> dict[str, tuple[str, str]]:
        markers = page.eval_on_selector_all(
            "circle.marker", "els => els.map(e => [e.dataset.name, e.dataset.level, e.textContent])"
        )
        return {
            name.split(" · ")[0]: (level, text)
            for name, level, text in markers
            if name.split(" · ")[0] in cameras
        }

    assert {level for level, _ in levels().values()} == {"3"}, "the feed's markers before it went quiet"
    # Nothing more arrives: the page's own refresh (every 10 s) turns them stale once 5 minutes pass.
    after = wait_for(levels, lambda shown: {level for level, _ in shown.values()} == {"-1"}, 45, 1)
    assert {level for level, _ in after.values()} == {"-1"}
    assert all(text.endswith(STALE_TEXT) for _, text in after.values())
