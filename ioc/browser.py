"""Headless Chromium through Playwright: the one place that knows how to start the browser, for
`ioc wall snapshot` and the browser tests alike.

It is Debian's chromium (`scripts/bootstrap.sh` installs it), started with the flags these machines
need: no sandbox (root in a container), and no background networking, component updates or sync,
whose connections this closed network refuses many at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ioc.settings import BrowserSettings

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

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


# Playwright's sync driver runs an event loop in its thread and refuses to start a second one there:
# a browser opened while another is open in the same thread (a report printed by a test that holds
# the session's browser) shares the running driver.
_running = threading.local()


@contextmanager
def _driver() -> Iterator[Playwright]:
    active: Playwright | None = getattr(_running, "playwright", None)
    if active is not None:
        yield active
        return
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:  # an install without Playwright
        raise BrowserMissingError("playwright is not installed: pip install -e .") from error
    with sync_playwright() as playwright:
        _running.playwright = playwright
        try:
            yield playwright
        finally:
            _running.playwright = None


@contextmanager
def chromium(settings: BrowserSettings) -> Iterator[Browser]:
    """A headless Chromium for the length of the block, closed after (with the Playwright driver,
    unless an enclosing block in this thread holds it)."""
    if not settings.chromium.exists():
        raise BrowserMissingError(
            f"chromium not found at {settings.chromium}; install it with "
            "`apt-get install -y --no-install-recommends chromium` (scripts/bootstrap.sh does), "
            "or set IOC_BROWSER_CHROMIUM"
        )
    with _driver() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(settings.chromium), headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()
