"""Headless Chromium driven over the DevTools protocol, for the page tests of two tiers.

Just enough of the protocol to open a page and evaluate JavaScript in it; no browser download
(Debian's ``chromium`` is used when installed, otherwise the tests that need it skip).
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--remote-debugging-port=0"]


class ProtocolError(AssertionError):
    """The browser answered a command with an error (e.g. the page navigated away mid-evaluation)."""


class Browser:
    """Evaluate JavaScript in one page and wait for expressions to become truthy."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self._id = 0

    async def eval(self, expression: str) -> Any:
        self._id += 1
        await self.ws.send(json.dumps({"id": self._id, "method": "Runtime.evaluate", "params": {
            "expression": expression, "awaitPromise": True, "returnByValue": True}}))
        while True:
            message = json.loads(await self.ws.recv())
            if message.get("id") == self._id:
                if "error" in message:
                    raise ProtocolError(f"devtools error for {expression!r}: {message['error']}")
                result = message["result"]
                if "exceptionDetails" in result:
                    raise AssertionError(f"page error: {result['exceptionDetails']}")
                return result["result"].get("value")

    async def wait_for(self, expression: str, timeout_s: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                value = await self.eval(expression)
            except ProtocolError:  # a navigation destroyed the context; the next try sees the new page
                value = None
            if value:
                return value
            await asyncio.sleep(0.1)
        raise AssertionError(f"timed out waiting for {expression}")


@contextmanager
def chromium_devtools() -> Iterator[str]:
    """A headless Chromium with an empty profile; yields its DevTools HTTP endpoint."""
    if CHROMIUM is None:
        raise RuntimeError("chromium is not installed")
    profile = tempfile.mkdtemp(prefix="semstream-chromium-")
    proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        yield _devtools_endpoint(proc)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


def _devtools_endpoint(proc: subprocess.Popen) -> str:
    deadline = time.time() + 30
    while time.time() < deadline:
        line = proc.stderr.readline() if proc.stderr else ""
        if match := re.search(r"DevTools listening on ws://([^/]+)/", line):
            return f"http://{match.group(1)}"
    raise AssertionError("chromium did not open its DevTools port")


async def open_page(endpoint: str, url: str, timeout_s: float = 15.0) -> tuple[Browser, Any]:
    """Navigate the browser's page to ``url`` and wait until the search form is there."""
    import websockets

    pages = [t for t in httpx.get(f"{endpoint}/json/list").json() if t["type"] == "page"]
    ws = await websockets.connect(pages[0]["webSocketDebuggerUrl"], max_size=None)
    browser = Browser(ws)
    await browser.eval(f"location.href = {json.dumps(url)}")
    await browser.wait_for("document.readyState === 'complete' && !!document.getElementById('q')", timeout_s)
    return browser, ws


async def result_ids(page: Browser, timeout_s: float = 15.0, startswith: str = "") -> list[str]:
    """The ids of the listed results, once there is at least one (starting with ``startswith``)."""
    return await page.wait_for(
        "(() => { const ids = [...document.querySelectorAll('#results li')].map(li => li.dataset.id); "
        f"return ids.length && ids[0].startsWith({json.dumps(startswith)}) && ids; }})()", timeout_s)
