"""The browser launcher names what is missing instead of failing inside Playwright."""

from pathlib import Path

import pytest

from ioc.browser import BrowserMissingError, chromium
from ioc.settings import BrowserSettings


def test_a_missing_chromium_is_named_with_how_to_install_it(tmp_path: Path) -> None:
    absent = tmp_path / "no-chromium"
    with pytest.raises(BrowserMissingError, match="apt-get install") as refused:
        with chromium(BrowserSettings(chromium=absent)):
            pass
    assert str(absent) in str(refused.value)


def test_a_browser_opened_inside_another_in_the_same_thread_prints_a_pdf() -> None:
    """The reports print PDFs while the browser tests hold the session's browser in the same
    thread; Playwright's sync driver refuses a second start there, so the two share one driver."""
    with chromium(BrowserSettings()) as outer, chromium(BrowserSettings()) as inner:
        page = inner.new_page()
        page.set_content("<p>Báo cáo</p>")
        assert page.pdf().startswith(b"%PDF")
        assert outer.is_connected()
    with chromium(BrowserSettings()) as again:  # the driver was stopped and starts anew
        assert again.is_connected()
