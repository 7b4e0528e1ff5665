"""`ioc wall snapshot`: screenshots of the wall's browser pages (wall/web) taken by headless Chromium.

Shift reports want a picture of the wall, and where no Grafana runs the wall app is what shows it:
so the images are the real pages, drawn from the generated dashboards and the warehouse's current
data, as a browser on the wall shows them. One page is opened and taken to each dashboard in turn;
a picture is taken once every panel has answered its first refresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ioc.settings import WallSettings

if TYPE_CHECKING:  # Playwright is imported by ioc.browser, which says how to install it when missing
    from playwright.sync_api import Browser, Page

READY = "document.body.dataset.ready === '1'"
LAYOUT_IMAGE = "wall-layout.png"


def open_when_drawn(page: Page, url: str, timeout_s: float = 60.0) -> None:
    """Go to a wall page and wait until every panel has answered (data or error) and been drawn."""
    page.goto(url)
    page.wait_for_function(READY, timeout=timeout_s * 1000)


def take(browser: Browser, base_url: str, uids: Sequence[str], out: Path, wall: WallSettings) -> list[Path]:
    """One PNG per dashboard, `out`/<uid>.png, and the 27-screen layout, from the app at `base_url`."""
    out.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": wall.snapshot_width, "height": wall.snapshot_height})
    try:
        paths = []
        for uid in uids:
            open_when_drawn(page, f"{base_url}/d/{uid}")
            path = out / f"{uid}.png"
            page.screenshot(path=str(path))
            paths.append(path)
        open_when_drawn(page, f"{base_url}/")
        page.screenshot(path=str(out / LAYOUT_IMAGE))
        return [*paths, out / LAYOUT_IMAGE]
    finally:
        page.close()
