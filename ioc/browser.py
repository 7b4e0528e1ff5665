"""Headless Chromium through Playwright: the one place that knows how to start the browser, for
`ioc wall snapshot` and the browser tests alike.

It is Debian's chromium (`scripts/bootstrap.sh` installs it), started with the flags these machines
need: no sandbox (root in a container), and no background networking, component updates or sync,
whose connections this closed network refuses many at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ioc.settings import BrowserSettings

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


class BrowserMissingError(RuntimeError):
    """Chromium or Playwright is not installed; the message says how to install it."""


@contextmanager
def chromium(settings: BrowserSettings) -> Iterator[Browser]:
    """A headless Chromium for the length of the block, closed (with its Playwright driver) after."""
    if not settings.chromium.exists():
        raise BrowserMissingError(
            f"chromium not found at {settings.chromium}; install it with "
            "`apt-get install -y --no-install-recommends chromium` (scripts/bootstrap.sh does), "
            "or set IOC_BROWSER_CHROMIUM"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:  # an install without the dev extras
        raise BrowserMissingError("playwright is not installed: pip install -e '.[dev]'") from error
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(settings.chromium), headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()
