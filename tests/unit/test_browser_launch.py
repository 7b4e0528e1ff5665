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
