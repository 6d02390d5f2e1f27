"""The whole DNI path in real Chromium: a client site on one origin, callscope on another.

The demo business is seeded, `callscope serve` runs for real (SQLite or PostgreSQL, SQL or
Redis leases), and the site's pages embed the one script tag a customer would paste.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from callscope.db.engine import make_engine
from callscope.tracking.models import VisitorSession
from tests.browser import launch, screenshot
from tests.cli import run_json
from tests.conftest import REDIS_URL
from tests.server import Server, running

PAGE = """<!doctype html><html><head><meta charset=utf-8><title>Rapid Rooter</title>
<script async src="{api}/t/{key}.js" {attrs}></script></head>
<body><header><a id=call href="tel:+15125550100">Call <b>(512)</b> 555-0100</a></header>
<main><p id=text>Emergency line: 512.555.0100, open 24/7.</p>
<p id=other>Our supplier: (512) 555-0199</p>
<div id=late></div>
<script>setTimeout(function () {{
  document.getElementById('late').innerHTML = '<span id=lt>+1 512-555-0100</span>';
  history.pushState({{}}, '', '/booking');
}}, 600);</script></main></body></html>"""


class Site:
    """The client's website: static pages on its own origin."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = site.pages.get(self.path.split("?")[0], "not found").encode()
                self.send_response(200 if self.path.split("?")[0] in site.pages else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://localhost:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launch()


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    yield s
    s.server.shutdown()


@pytest.fixture(params=["sql", "redis"])
def callscope(
    request: pytest.FixtureRequest, db: Engine, database_url: str, tmp_path: Path
) -> Iterator[tuple[Server, dict[str, Any]]]:
    url = ["--database-url", database_url]
    info = run_json(
        *url, "demo", "--seed-only", "--json", "--data-dir", str(tmp_path), "--pool-size", "3"
    )
    env: dict[str, str] = {}
    if request.param == "redis":
        request.getfixturevalue("redis_client")
        env = {
            "CALLSCOPE_REDIS_URL": REDIS_URL,
            "CALLSCOPE_REDIS_PREFIX": f"cse2e{secrets.token_hex(4)}",
        }
    with running(*url, "serve", "--no-migrate", env=env) as server:
        yield server, info


def open_page(
    browser: Any,
    site: Site,
    server: Server,
    info: dict[str, Any],
    attrs: str = "",
    user_agent: str | None = None,
) -> Any:
    site.pages["/"] = PAGE.format(api=server.url, key=info["site_key"], attrs=attrs)
    context = browser.new_context(user_agent=user_agent) if user_agent else browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{site.origin}/")
    page.errors = errors
    return page


def texts(page: Any) -> dict[str, str]:
    return page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('[id]')]"
        ".map(e => [e.id, e.textContent]))"
    )


def test_a_visitor_sees_a_pool_number_everywhere(
    browser: Any, site: Site, callscope: Any, database_url: str
) -> None:
    server, info = callscope
    page = open_page(browser, site, server, info)
    page.wait_for_function(
        "() => document.getElementById('lt') && window.callscope.state().session_id"
        " && !document.getElementById('lt').textContent.includes('0100')"
    )
    state = page.evaluate("window.callscope.state()")
    shown = state["swaps"][0]["to"]
    assert shown in info["pool_numbers"]
    local = f"{shown[2:5]}) {shown[5:8]}-{shown[8:]}"  # (512) 555-01xx
    got = texts(page)
    assert got["call"] == f"Call ({local}"
    assert page.inner_html("#call") == f"Call <b>({shown[2:5]})</b> {shown[5:8]}-{shown[8:]}"
    assert page.get_attribute("#call", "href") == f"tel:{shown}"
    assert got["text"] == f"Emergency line: {shown[2:5]}.{shown[5:8]}.{shown[8:]}, open 24/7."
    assert got["other"] == "Our supplier: (512) 555-0199"  # not the business number
    assert got["lt"] == f"+1 {shown[2:5]}-{shown[5:8]}-{shown[8:]}"  # rendered late, SPA route
    screenshot(page, "dni-end-to-end")

    # The session in the database carries the visit and the number.
    engine = make_engine(database_url)
    with engine.connect() as conn:
        row = conn.execute(
            select(VisitorSession).where(VisitorSession.public_id == state["session_id"])
        ).one()
    engine.dispose()
    assert row.landing_url == f"{site.origin}/"
    assert row.channel == "direct"
    assert page.errors == []

    # A second visitor (another browser profile) gets another number.
    second = open_page(browser, site, server, info)
    second.wait_for_function("() => window.callscope.state().session_id")
    assert second.evaluate("window.callscope.state()")["swaps"][0]["to"] != shown


def test_bots_and_consent(browser: Any, site: Site, callscope: Any) -> None:
    server, info = callscope
    bot = open_page(
        browser,
        site,
        server,
        info,
        user_agent="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    )
    bot.wait_for_timeout(1200)
    assert texts(bot)["text"] == "Emergency line: 512.555.0100, open 24/7."

    page = open_page(browser, site, server, info, attrs='data-consent="required"')
    page.wait_for_timeout(1200)
    assert texts(page)["text"] == "Emergency line: 512.555.0100, open 24/7."
    assert page.context.cookies() == []
    page.evaluate("window.callscope.consent(true)")
    page.wait_for_function("() => !document.getElementById('text').textContent.includes('0100')")
    assert {c["name"] for c in page.context.cookies()} >= {"_cs_vid", "_cs_ses"}


def test_the_snippet_is_small_cached_and_compressed(callscope: Any) -> None:
    server, info = callscope
    url = f"{server.url}/t/{info['site_key']}.js"
    plain = httpx.get(url, headers={"Accept-Encoding": "identity"})
    zipped = httpx.get(url, headers={"Accept-Encoding": "gzip"})
    assert plain.headers["content-type"].startswith("text/javascript")
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < 6 * 1024
    assert zipped.content == plain.content  # httpx decoded it
    assert "max-age=300" in plain.headers["cache-control"]
    again = httpx.get(url, headers={"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304
