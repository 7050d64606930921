"""The search page in headless Chromium: query, tabs, removable facet chips, feedback on click.

The page is served by the real ingress app (uvicorn) over the in-memory twins; the browser is
driven through the DevTools protocol. Skipped when no Chromium is installed.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from test_http_api import make_stack  # the same twins as the API tests (pytest puts this folder on sys.path)

pytestmark = [pytest.mark.integration, pytest.mark.slow]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Any]]:
    stack = make_stack()
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(stack.client.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", stack
    srv.should_exit = True
    thread.join(timeout=10)


class Browser:
    """Just enough of the DevTools protocol: evaluate JavaScript in one page."""

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
                result = message["result"]
                if "exceptionDetails" in result:
                    raise AssertionError(f"page error: {result['exceptionDetails']}")
                return result["result"].get("value")

    async def wait_for(self, expression: str, timeout_s: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = await self.eval(expression)
            if value:
                return value
            await asyncio.sleep(0.1)
        raise AssertionError(f"timed out waiting for {expression}")


@pytest.fixture(scope="module")
def chromium() -> Iterator[str]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    profile = tempfile.mkdtemp(prefix="semstream-chromium-")
    proc = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        endpoint = _devtools_endpoint(proc)
        yield endpoint
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


async def _open(endpoint: str, url: str) -> tuple[Browser, Any]:
    import websockets

    pages = [t for t in httpx.get(f"{endpoint}/json/list").json() if t["type"] == "page"]
    ws = await websockets.connect(pages[0]["webSocketDebuggerUrl"], max_size=None)
    browser = Browser(ws)
    await browser.eval(f"location.href = {json.dumps(url)}")
    await browser.wait_for("document.readyState === 'complete' && !!document.getElementById('q')")
    return browser, ws


def test_search_chips_tabs_and_feedback_in_a_real_browser(server: tuple[str, Any], chromium: str) -> None:
    url, stack = server
    asyncio.run(_scenario(chromium, url, stack))


async def _scenario(endpoint: str, url: str, stack: Any) -> None:
    page, ws = await _open(endpoint, url + "/")
    try:
        await page.eval("document.getElementById('q').value = 'python remote';"
                        "document.getElementById('search-form').requestSubmit()")
        ids = await page.wait_for("[...document.querySelectorAll('#results li')].map(li => li.dataset.id)")
        assert set(ids) <= {"j1", "j4", "j2", "j3", "j5"} and ids[:2] in (["j1", "j4"], ["j4", "j1"])
        assert await page.eval("[...document.querySelectorAll('.chip[data-facet]')].map(c => c.dataset.facet)") \
            == ["remote:remote"]
        # removing the chip re-issues the query without the facet
        await page.eval("document.querySelector('.chip[data-facet] button.remove').click()")
        await page.wait_for("!!document.querySelector('.chip[data-disabled=\"remote:remote\"]')")
        ids = await page.wait_for("(() => { const ids = [...document.querySelectorAll('#results li')]"
                                  ".map(li => li.dataset.id); return ids.includes('j2') && ids; })()")
        assert "j2" in ids
        # a click on a result sends feedback
        await page.eval("document.querySelector('#results li[data-id=\"j2\"] a.title').click()")
        await page.wait_for("document.getElementById('status').textContent.startsWith('Recorded click')")
        event = json.loads(stack.sink.records[-1][2])
        assert (event["item_id"], event["action"], event["query_text"]) == ("j2", "click", "python remote")
        assert event["position"] == ids.index("j2")
        # the People tab searches people
        await page.eval("document.getElementById('tab-people').click()")
        people = await page.wait_for("(() => { const ids = [...document.querySelectorAll('#results li')]"
                                     ".map(li => li.dataset.id); return ids.length && ids[0].startsWith('p') && ids; })()")
        assert people[0] == "p1"
    finally:
        await ws.close()
