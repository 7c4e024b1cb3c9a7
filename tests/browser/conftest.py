"""The desk's web pages in a real headless Chromium (issue 24): Debian's chromium and
chromium-driver, driven by Selenium through /usr/bin/chromedriver (Selenium Manager
downloads nothing). Skipped where they are not installed (`make test` installs them).

Selenium blocks: its calls run in a worker thread (`Browser.call`), while the bot and its
web server run in the test's event loop. One browser per module."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import pytest

CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            if not (CHROMEDRIVER.exists() and CHROMIUM.exists()):
                item.add_marker(pytest.mark.skip(
                    reason="no Debian chromium / chromium-driver (apt-get install chromium "
                           "chromium-driver)"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """A headless Chromium; every call in a worker thread (`await b.call(...)`)."""

    def __init__(self) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in ("--headless", "--no-sandbox", "--disable-gpu",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--disable-dev-shm-usage", "--lang=zh-CN",
                     "--window-size=360,800"):
            options.add_argument(flag)
        options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
        self.driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)),
                                       options=options)
        self.driver.implicitly_wait(0)

    async def call(self, fn, *args):
        return await asyncio.to_thread(fn, *args)

    async def get(self, url: str) -> None:
        await self.call(self.driver.get, url)

    async def css(self, selector: str):
        from selenium.webdriver.common.by import By

        return await self.call(self.driver.find_elements, By.CSS_SELECTOR, selector)

    async def text(self, selector: str = "body") -> str:
        found = await self.css(selector)
        return "\n".join([await self.call(lambda e=e: e.text) for e in found])

    async def wait_for(self, selector: str, timeout: float = 10.0):
        """The first element `selector` finds, once the page has it (a navigation)."""
        loop = asyncio.get_running_loop()
        until = loop.time() + timeout
        while True:
            found = await self.css(selector)
            if found:
                return found[0]
            if loop.time() > until:
                raise AssertionError(f"no {selector!r} on {self.driver.current_url}:\n"
                                     f"{await self.text()}")
            await asyncio.sleep(0.1)

    async def shot(self, name: str, width: int) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        await self.call(self.driver.set_window_size, width, 900)
        height = await self.call(self.driver.execute_script,
                                 "return document.documentElement.scrollHeight")
        await self.call(self.driver.set_window_size, width, min(max(height, 600), 4000))
        path = SHOTS / f"{name}-{width}.png"
        await self.call(self.driver.save_screenshot, str(path))
        await self.call(self.driver.set_window_size, 360, 800)
        return path

    def quit(self) -> None:
        self.driver.quit()


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    yield b
    b.quit()
