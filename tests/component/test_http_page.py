"""The search page in headless Chromium: query, tabs, removable facet chips, feedback on click.

The page is served by the real ingress app (uvicorn) over the in-memory twins; the browser is
driven through the DevTools protocol. Skipped when no Chromium is installed.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from devtools import CHROMIUM, chromium_devtools, open_page, result_ids
from test_http_api import make_stack  # the same twins as the API tests (pytest puts this folder on sys.path)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


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


@pytest.fixture(scope="module")
def chromium() -> Iterator[str]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    with chromium_devtools() as endpoint:
        yield endpoint


def test_search_chips_tabs_and_feedback_in_a_real_browser(server: tuple[str, Any], chromium: str) -> None:
    url, stack = server
    asyncio.run(_scenario(chromium, url, stack))


async def _scenario(endpoint: str, url: str, stack: Any) -> None:
    page, ws = await open_page(endpoint, url + "/")
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
        people = await result_ids(page, startswith="p")
        assert people[0] == "p1"
    finally:
        await ws.close()
