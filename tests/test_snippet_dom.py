"""The DNI snippet (src/callscope/tracking/snippet.js) in real Chromium against a stub API.

Pages are served from http://localhost:PORT and the snippet plus its API from
http://127.0.0.1:PORT (another origin, as on real sites), so every API call goes through CORS.
"""

from __future__ import annotations

import gzip
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser import launch, screenshot

SNIPPET = Path(__file__).resolve().parent.parent / "src" / "callscope" / "tracking" / "snippet.js"
KEY = "acme-1"
BOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def swap(frm: str, to: str, display: str, cc: str, prefix: str) -> dict[str, str]:
    return {"from": frm, "to": to, "display": display, "cc": cc, "national_prefix": prefix}


US = swap("+15125550100", "+15125550140", "(512) 555-0140", "1", "1")
DE = swap("+4930123456", "+4930987654", "030 987654", "49", "0")
RU = swap("+78005553535", "+78005550101", "8 (800) 555-01-01", "7", "8")
# a tracking number longer than the business number: keep-format cannot go digit for digit
DE_LONGER = swap("+498912345", "+4989123456789", "089 123456789", "49", "0")
SWAPS = [US, DE, RU, DE_LONGER]


class Stub:
    """The server side of the snippet contract, recording every request."""

    def __init__(self) -> None:
        self.ids = itertools.count(1)
        self.reset()

    def reset(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.pages: dict[str, str] = {}
        self.swaps: Callable[[int], list[dict[str, str]]] = lambda n: SWAPS
        self.ping_seconds = 60
        self.delay = 0.0
        self.start_status = 200
        self.expired: set[str] = set()
        self.sessions: dict[str, int] = {}  # session id -> how many sessions so far (1, 2, ...)

    def api(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] != "GET"]

    def starts(self) -> list[dict[str, Any]]:
        return [
            r["body"]
            for r in self.requests
            if r["method"] == "POST" and r["path"].endswith("/sessions")
        ]

    def pings(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == "POST" and r["path"].endswith("/ping")]

    def start(self, body: dict[str, Any]) -> dict[str, Any]:
        sid = body.get("session_id")
        if sid not in self.sessions or sid in self.expired:
            sid = f"sess{next(self.ids):06d}"
            self.sessions[sid] = len(self.sessions) + 1
        return {
            "visitor_id": body.get("visitor_id") or f"visitor{next(self.ids):06d}",
            "session_id": sid,
            "ping_seconds": self.ping_seconds,
            "swaps": self.swaps(self.sessions[sid]),
        }


def handler(stub: Stub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def record(self, body: object = None) -> str:
            path = urlsplit(self.path).path
            stub.requests.append(  # list.append is atomic: no lock needed
                {
                    "method": self.command,
                    "path": path,
                    "body": body,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                }
            )
            return path

        def send(self, status: int, body: bytes = b"", ctype: str = "application/json") -> None:
            try:
                self.send_response(status)
                if origin := self.headers.get("Origin"):
                    self.send_header("Access-Control-Allow-Origin", origin)
                    self.send_header("Vary", "Origin")
                self.send_header("Access-Control-Allow-Headers", "content-type")
                self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the snippet gave up waiting (timeout test)

        def do_OPTIONS(self) -> None:
            self.record()
            self.send(204)

        def do_GET(self) -> None:
            path = self.record()
            if re.fullmatch(r"/t/[\w-]+\.js", path):
                self.send(200, SNIPPET.read_bytes(), "text/javascript")
            elif path in stub.pages:
                self.send(200, stub.pages[path].encode(), "text/html; charset=utf-8")
            else:
                self.send(404, b"{}")

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.loads(raw or b"null")
            path = self.record(body)
            if re.fullmatch(rf"/t/{KEY}/sessions", path):
                time.sleep(stub.delay)
                if stub.start_status != 200:
                    self.send(stub.start_status, b'{"detail": "boom"}')
                else:
                    self.send(200, json.dumps(stub.start(body)).encode())
            elif m := re.fullmatch(rf"/t/{KEY}/sessions/([^/]+)/ping", path):
                if m[1] in stub.sessions and m[1] not in stub.expired:
                    answer = {"session_id": m[1], "ping_seconds": stub.ping_seconds}
                    self.send(200, json.dumps(answer).encode())
                else:
                    self.send(404, b'{"detail": "expired"}')
            else:
                self.send(404, b"{}")

    return Handler


@pytest.fixture(scope="module")
def stub_server() -> Iterator[tuple[Stub, int]]:
    stub = Stub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(stub))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def stub(stub_server: tuple[Stub, int]) -> Stub:
    stub_server[0].reset()
    return stub_server[0]


@pytest.fixture
def port(stub_server: tuple[Stub, int]) -> int:
    return stub_server[1]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch()


class Tab:
    """One fresh browser context (own cookies) with one page, collecting page errors."""

    def __init__(self, browser: Any, port: int, stub: Stub, user_agent: str | None = None) -> None:
        self.ctx = browser.new_context(**({"user_agent": user_agent} if user_agent else {}))
        self.page = self.ctx.new_page()
        self.page.set_default_timeout(5000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.port, self.stub = port, stub

    def open(self, body: str, attrs: str = "", path: str = "/page.html", query: str = "") -> Any:
        self.stub.pages[path] = html(body, attrs, self.port)
        self.page.goto(f"http://localhost:{self.port}{path}{query}")
        return self.page

    def wait_session(self) -> dict[str, Any]:
        self.page.wait_for_function("() => window.callscope && callscope.state().session_id")
        return self.page.evaluate("callscope.state()")

    def texts(self) -> dict[str, str]:
        return self.page.evaluate(
            "Object.fromEntries([...document.querySelectorAll('[id]')].map(e => [e.id, e.textContent]))"
        )

    def cookies(self) -> dict[str, dict[str, Any]]:
        return {c["name"]: c for c in self.ctx.cookies()}


def html(body: str, attrs: str, port: int) -> str:
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Acme Plumbing</title>
<style>body{{font:18px/1.6 sans-serif;margin:24px}} .area{{color:#b00}} b{{color:#06c}}
.btn{{display:inline-block;padding:4px 10px;background:#eee;border-radius:4px}}</style>
<script async src="http://127.0.0.1:{port}/t/{KEY}.js" {attrs}></script>
</head><body>{body}</body></html>"""


@pytest.fixture
def tabs(browser: Any, port: int, stub: Stub) -> Iterator[Callable[..., Tab]]:
    made: list[Tab] = []

    def make(user_agent: str | None = None) -> Tab:
        made.append(Tab(browser, port, stub, user_agent))
        return made[-1]

    yield make
    for tab in made:
        tab.page.evaluate("1")  # let pending page events arrive
        errors = tab.errors
        tab.ctx.close()
        assert errors == [], errors


def wait_until(check: Callable[[], object], timeout: float = 4.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


FORMATS = {
    # id: (page text, expected with data-format=keep)
    "us-intl": ("+1 (512) 555-0100", "+1 (512) 555-0140"),
    "us-prefixed": ("1-512-555-0100", "1-512-555-0140"),
    "us-paren": ("(512) 555-0100", "(512) 555-0140"),
    "us-dots": ("512.555.0100", "512.555.0140"),
    "us-spaces": ("512 555 0100", "512 555 0140"),
    "us-nbsp": ("512\u00a0555\u00a00100", "512\u00a0555\u00a00140"),
    "us-thin": ("512\u2009555\u20090100", "512\u2009555\u20090140"),
    "us-plain": ("5125550100", "5125550140"),
    "us-in-text": ("Call 24/7: 512-555-0100, ask for Bob", "Call 24/7: 512-555-0140, ask for Bob"),
    "de-intl": ("+49 30 123456", "+49 30 987654"),
    "de-national": ("030 123456", "030 987654"),
    "de-trunk-in-parens": ("+49 (0)30 123456", "+49 (0)30 987654"),
    "de-idd": ("0049 30 123456", "0049 30 987654"),
    "ru-national": ("8 (800) 555-35-35", "8 (800) 555-01-01"),
    "ru-intl": ("+7 800 555 35 35", "+7 800 555 01 01"),
    "longer-national": ("Munich: 089 12345", "Munich: 089 123456789"),
    "longer-intl": ("Munich: +49 89 12345.", "Munich: +4989123456789."),
    # never touched
    "longer-run": ("Order 95125550100", "Order 95125550100"),
    "longer-run-2": ("Invoice 51255501009", "Invoice 51255501009"),
    "other-country": ("UK: +44 512 555 0100", "UK: +44 512 555 0100"),
    "other-number": ("(512) 555-0199", "(512) 555-0199"),
    "blocks": ("", ""),
    "br": ("", ""),
}


def formats_body() -> str:
    items = "".join(
        f'<li id="{key}">{text}</li>' for key, (text, _) in FORMATS.items() if text
    ).replace("\u00a0", "&nbsp;")
    return f"""<h1>Acme Plumbing</h1>
<p id="split"><a id="tel" class="btn" data-x="1" href="tel:+15125550100"><span class="area">(512)</span> 555-<b>0100</b></a></p>
<p>Fax: <a id="tel-bare" href="tel:5125550100">fax us</a> <a id="callto" href="callto:+49-30-123456">Skype</a>
<a id="tel-other" href="tel:+15125550199">other</a></p>
<ul>{items}</ul>
<div id="blocks"><div>512</div><div>555 0100</div></div>
<p id="br">512<br>555-0100</p>
<div id="quiet"><textarea id="ta">512-555-0100</textarea><span id="ign" data-callscope-ignore>512-555-0100</span></div>"""


def test_formats_split_numbers_and_tel_links(tabs: Callable[..., Tab], stub: Stub) -> None:
    tab = tabs()
    tab.open(formats_body())
    tab.wait_session()
    texts = tab.texts()
    for key, (_, want) in FORMATS.items():
        if key not in ("blocks", "br"):
            assert texts[key] == want, key
    assert texts["blocks"] == "512555 0100"  # never joined across block elements
    assert texts["br"] == "512555-0100"
    assert texts["ign"] == "512-555-0100"
    assert tab.page.input_value("#ta") == "512-555-0100"
    split = tab.page.inner_html("#split")
    assert split == (
        '<a id="tel" class="btn" data-x="1" href="tel:+15125550140">'
        '<span class="area">(512)</span> 555-<b>0140</b></a>'
    )
    href = tab.page.get_attribute
    assert href("#tel-bare", "href") == "tel:+15125550140"
    assert href("#callto", "href") == "callto:+4930987654"
    assert href("#tel-other", "href") == "tel:+15125550199"
    shot = screenshot(tab.page, "snippet-formats")
    assert shot.stat().st_size > 5_000


def test_start_request_body_cookies_and_cors(
    tabs: Callable[..., Tab], stub: Stub, port: int
) -> None:
    tab = tabs()
    origin = f"http://localhost:{port}"
    tab.ctx.add_cookies(
        [
            {"name": "_ga", "value": "GA1.1.1234567890.1700000000", "url": origin},
            {"name": "_ym_uid", "value": "1700000000123456789", "url": origin},
        ]
    )
    stub.pages["/page.html"] = html("<p id=n>(512) 555-0100</p>", "", port)
    tab.page.goto(f"{origin}/page.html?x=1", referer="https://www.google.com/")
    state = tab.wait_session()
    assert tab.texts()["n"] == "(512) 555-0140"
    [body] = stub.starts()
    ua = tab.page.evaluate("navigator.userAgent")
    assert body == {
        "visitor_id": None,
        "session_id": None,
        "url": f"{origin}/page.html?x=1",
        "referrer": "https://www.google.com/",
        "ga_client_id": "1234567890.1700000000",
        "ym_uid": "1700000000123456789",
        "user_agent": ua,
    }
    # A CORS "simple request": no preflight round trip slows the page.
    assert [r for r in stub.api() if r["method"] == "OPTIONS"] == []
    [post] = [r for r in stub.api() if r["method"] == "POST"]
    assert post["headers"]["origin"] == origin
    assert post["headers"]["content-type"] == "text/plain"
    assert "cookie" not in post["headers"]  # credentials: "omit"
    assert state == {
        "visitor_id": state["visitor_id"],
        "session_id": state["session_id"],
        "swaps": SWAPS,
    }
    cookies = tab.cookies()
    now = time.time()
    assert cookies["_cs_vid"]["value"] == state["visitor_id"]
    # asked for 2 years; Chromium caps every cookie at 400 days
    assert cookies["_cs_vid"]["expires"] - now > 399 * 86400
    assert cookies["_cs_ses"]["expires"] - now == pytest.approx(1800, abs=60)
    for name in ("_cs_vid", "_cs_ses"):
        assert cookies[name]["path"] == "/"
        assert cookies[name]["sameSite"] == "Lax"
        assert cookies[name]["domain"] == "localhost"


def test_data_api_overrides_the_base(tabs: Callable[..., Tab], stub: Stub, port: int) -> None:
    tab = tabs()
    tab.open("<p id=n>512-555-0100</p>", f'data-api="http://localhost:{port}/"')
    tab.wait_session()
    assert tab.texts()["n"] == "512-555-0140"
    [post] = [r for r in stub.api() if r["method"] == "POST"]
    assert post["headers"]["host"] == f"localhost:{port}"  # same origin as the page now
    assert not [
        r for r in stub.api() if r["method"] == "OPTIONS" and "127.0.0.1" in r["headers"]["host"]
    ]


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("national", ["(512) 555-0140", "Call (512) 555-0140 now", "030 987654", "(512) 555-0140"]),
        ("e164", ["+15125550140", "Call +15125550140 now", "+4930987654", "+15125550140"]),
    ],
)
def test_data_format(tabs: Callable[..., Tab], fmt: str, expected: list[str]) -> None:
    tab = tabs()
    tab.open(
        '<p id="a">+1 512 555 0100</p><p id="b">Call (512) 555-0100 now</p>'
        '<p id="c">+49 (0)30 123456</p><p id="d"><span class="area">(512)</span> 555-<b>0100</b></p>',
        f'data-format="{fmt}"',
    )
    tab.wait_session()
    texts = tab.texts()
    assert [texts[k] for k in "abcd"] == expected
    assert tab.page.inner_html("#d") == f'<span class="area">{expected[3]}</span><b></b>'


def test_include_and_exclude(tabs: Callable[..., Tab]) -> None:
    tab = tabs()
    tab.open(
        '<header id="head">512-555-0100 <a id="head-tel" href="tel:+15125550100">call</a></header>'
        '<main id="main"><p id="in">512-555-0100</p><p id="out" class="no-swap">512-555-0100</p>'
        '<p><span id="ign" data-callscope-ignore>512-555-0100</span></p></main>'
        '<aside class="phones"><b id="side">512-555-0100</b></aside>',
        'data-include="#main, .phones" data-exclude=".no-swap"',
    )
    tab.wait_session()
    texts = tab.texts()
    assert texts["head"] == "512-555-0100 call"
    assert tab.page.get_attribute("#head-tel", "href") == "tel:+15125550100"
    assert texts["in"] == "512-555-0140"
    assert texts["side"] == "512-555-0140"
    assert texts["out"] == "512-555-0100"
    assert texts["ign"] == "512-555-0100"


SPA = """<div id="app">Loading...</div>
<script>
setTimeout(function () {
  document.getElementById('app').innerHTML =
    '<p id="late">Call <a id="late-tel" href="tel:+15125550100"><b>(512)</b> 555-0100</a></p>';
}, 1000);
window.go = function () {
  history.pushState({}, '', '/spa/contact');
  document.getElementById('app').innerHTML = '<h2 id="contact">Contact: +1 512 555 0100</h2>';
};
</script>"""


def test_spa_late_render_route_change_and_text_edit(
    tabs: Callable[..., Tab], stub: Stub, port: int
) -> None:
    tab = tabs()
    began = time.monotonic()
    page = tab.open(SPA, path="/spa")
    tab.wait_session()
    page.wait_for_function("document.getElementById('late')")
    assert time.monotonic() - began > 0.9
    assert tab.texts()["late"] == "Call (512) 555-0140"
    assert page.get_attribute("#late-tel", "href") == "tel:+15125550140"
    page.evaluate("go()")
    page.wait_for_function("document.getElementById('contact')")
    assert tab.texts()["contact"] == "Contact: +1 512 555 0140"
    wait_until(
        lambda: (
            [p["body"] for p in stub.pings()] == [{"url": f"http://localhost:{port}/spa/contact"}]
        )
    )
    assert (
        stub.pings()[0]["path"]
        == f"/t/{KEY}/sessions/{page.evaluate('callscope.state().session_id')}/ping"
    )
    # a text node edited in place (characterData) is swapped too
    page.evaluate("document.getElementById('contact').firstChild.data = 'Now: 5125550100'")
    page.wait_for_function("document.getElementById('contact').textContent === 'Now: 5125550140'")
    page.go_back()
    wait_until(lambda: len(stub.pings()) == 2)
    assert stub.pings()[1]["body"] == {"url": f"http://localhost:{port}/spa"}
    screenshot(page, "snippet-spa")


def test_server_timeout_leaves_the_page_alone(tabs: Callable[..., Tab], stub: Stub) -> None:
    stub.delay = 5
    tab = tabs()
    page = tab.open('<p id="n">(512) 555-0100</p>', 'data-timeout="300"')
    wait_until(lambda: stub.starts(), timeout=2)
    page.wait_for_timeout(700)
    assert tab.texts()["n"] == "(512) 555-0100"
    assert page.evaluate("callscope.state()") == {
        "visitor_id": None,
        "session_id": None,
        "swaps": [],
    }
    assert len(stub.starts()) == 1  # no retries
    assert "_cs_ses" not in tab.cookies()
    assert tab.errors == []


def test_server_error_and_bad_selector_do_not_break_the_page(
    tabs: Callable[..., Tab], stub: Stub
) -> None:
    stub.start_status = 500
    tab = tabs()
    page = tab.open(
        '<p id="n">(512) 555-0100</p><script>window.after = 1</script>',
        'data-include="###bad[" data-exclude="::nope("',
    )
    wait_until(lambda: stub.starts(), timeout=2)
    page.wait_for_timeout(300)
    assert tab.texts()["n"] == "(512) 555-0100"
    assert page.evaluate("callscope.state().session_id") is None
    page.evaluate("callscope.rescan(); callscope.consent(true); history.pushState({}, '', '/x')")
    assert page.evaluate("window.after") == 1
    assert len(stub.starts()) == 1


def test_consent_required(tabs: Callable[..., Tab], stub: Stub) -> None:
    tab = tabs()
    page = tab.open('<p id="n">(512) 555-0100</p>', 'data-consent="required"')
    page.wait_for_timeout(600)
    page.evaluate("history.pushState({}, '', '/other')")  # a route change sends nothing either
    page.wait_for_timeout(100)
    assert stub.api() == []
    assert tab.cookies() == {}
    assert page.evaluate("callscope.state().session_id") is None
    assert tab.texts()["n"] == "(512) 555-0100"

    page.evaluate("callscope.consent(true)")
    state = tab.wait_session()
    assert tab.texts()["n"] == "(512) 555-0140"
    assert {"_cs_vid", "_cs_ses"} <= set(tab.cookies())
    assert stub.starts()[0]["session_id"] is None

    page.evaluate("callscope.consent(false)")
    assert not {"_cs_vid", "_cs_ses"} & set(tab.cookies())
    assert page.evaluate("callscope.state().session_id") is None
    before = len(stub.api())
    page.evaluate("history.pushState({}, '', '/again')")
    page.wait_for_timeout(200)
    assert len(stub.api()) == before  # no pings after consent is withdrawn
    assert state["session_id"]


def test_consent_granted_before_the_snippet_loads(tabs: Callable[..., Tab], stub: Stub) -> None:
    tab = tabs()
    tab.page.add_init_script("window.callscope = {consent: true, mine: 1}")
    page = tab.open('<p id="n">(512) 555-0100</p>', 'data-consent="required"')
    tab.wait_session()
    assert tab.texts()["n"] == "(512) 555-0140"
    assert page.evaluate("callscope.mine") == 1  # merged, not replaced


def test_bot_user_agent_does_nothing(tabs: Callable[..., Tab], stub: Stub) -> None:
    tab = tabs(user_agent=BOT_UA)
    page = tab.open('<p id="n">(512) 555-0100</p>')
    page.wait_for_timeout(600)
    assert stub.api() == []
    assert tab.cookies() == {}
    assert tab.texts()["n"] == "(512) 555-0100"
    page.evaluate("callscope.consent(true); callscope.rescan()")  # harmless no-ops


def test_reload_reuses_the_session(tabs: Callable[..., Tab], stub: Stub) -> None:
    tab = tabs()
    page = tab.open('<p id="n">(512) 555-0100</p>')
    first = tab.wait_session()
    page.reload()
    second = tab.wait_session()
    assert second["session_id"] == first["session_id"]
    assert second["visitor_id"] == first["visitor_id"]
    assert stub.starts()[1]["session_id"] == first["session_id"]
    assert stub.starts()[1]["visitor_id"] == first["visitor_id"]
    assert tab.texts()["n"] == "(512) 555-0140"


def test_new_campaign_starts_a_new_session(tabs: Callable[..., Tab], stub: Stub) -> None:
    tab = tabs()
    tab.open('<p id="n">(512) 555-0100</p>')
    s1 = tab.wait_session()
    tab.open('<p id="n">(512) 555-0100</p>', query="?utm_source=google&utm_campaign=spring")
    s2 = tab.wait_session()
    tab.open('<p id="n">(512) 555-0100</p>', path="/about.html")  # no campaign: same session
    s3 = tab.wait_session()
    tab.open('<p id="n">(512) 555-0100</p>', query="?utm_campaign=spring&utm_source=google&x=1")
    s4 = tab.wait_session()  # the same campaign again: same session
    tab.open('<p id="n">(512) 555-0100</p>', query="?gclid=abc")
    s5 = tab.wait_session()
    sent = [b["session_id"] for b in stub.starts()]
    assert sent == [None, None, s2["session_id"], s2["session_id"], None]
    assert s1["session_id"] != s2["session_id"] == s3["session_id"] == s4["session_id"]
    assert s5["session_id"] not in (s1["session_id"], s2["session_id"])
    assert len({s["visitor_id"] for s in (s1, s2, s3, s4, s5)}) == 1


def test_heartbeat(tabs: Callable[..., Tab], stub: Stub, port: int) -> None:
    stub.ping_seconds = 1
    tab = tabs()
    page = tab.open('<p id="n">(512) 555-0100</p>')
    state = tab.wait_session()
    assert page.evaluate("document.visibilityState") == "visible"
    wait_until(lambda: len(stub.pings()) >= 2, timeout=3.5)
    for ping in stub.pings():
        assert ping["path"] == f"/t/{KEY}/sessions/{state['session_id']}/ping"
        assert ping["body"] == {"url": f"http://localhost:{port}/page.html"}


def test_expired_session_gets_a_new_number(tabs: Callable[..., Tab], stub: Stub) -> None:
    stub.ping_seconds = 1

    def numbers(n: int) -> list[dict[str, str]]:
        return [swap("+15125550100", f"+1512555014{n}", f"(512) 555-014{n}", "1", "1")]

    stub.swaps = numbers
    tab = tabs()
    page = tab.open(
        '<p id="n"><a id="t" href="tel:+15125550100"><span class="area">(512)</span> 555-<b>0100</b></a></p>'
        '<p id="m">Office: 512.555.0100</p>'
    )
    first = tab.wait_session()
    assert tab.texts()["n"] == "(512) 555-0141"
    stub.expired.add(first["session_id"])
    page.wait_for_function(
        "document.getElementById('n').textContent === '(512) 555-0142'", timeout=4000
    )
    assert page.inner_html("#n") == (
        '<a id="t" href="tel:+15125550142"><span class="area">(512)</span> 555-<b>0142</b></a>'
    )
    assert tab.texts()["m"] == "Office: 512.555.0142"
    second = page.evaluate("callscope.state()")
    assert second["session_id"] != first["session_id"]
    assert stub.starts()[1]["session_id"] is None
    assert stub.starts()[1]["visitor_id"] == first["visitor_id"]
    assert tab.cookies()["_cs_ses"]["value"].startswith(second["session_id"])


def test_gzipped_size() -> None:
    source = SNIPPET.read_bytes()
    assert len(gzip.compress(source)) < 6144
    assert source.lstrip().startswith(b"/*")


def test_loaded_twice_and_a_page_that_reverts_our_writes(
    tabs: Callable[..., Tab], stub: Stub, port: int
) -> None:
    tab = tabs()
    page = tab.open(
        '<p id="n">(512) 555-0100</p><p id="ok">512-555-0100</p>'
        f'<script async src="http://127.0.0.1:{port}/t/{KEY}.js"></script>'
        "<script>new MutationObserver(function () {"
        "  var t = document.getElementById('n').firstChild;"
        "  if (t.data !== '(512) 555-0100') t.data = '(512) 555-0100';"
        "}).observe(document.getElementById('n'), {characterData: true, subtree: true});</script>"
    )
    tab.wait_session()
    page.wait_for_timeout(300)
    assert page.evaluate("1 + 1") == 2  # not stuck in a write war
    assert tab.texts()["n"] == "(512) 555-0100"
    assert tab.texts()["ok"] == "512-555-0140"
    assert len(stub.starts()) == 1  # the second copy of the snippet did nothing


def test_garbage_id_cookies_are_not_sent(tabs: Callable[..., Tab], stub: Stub, port: int) -> None:
    tab = tabs()
    origin = f"http://localhost:{port}"
    tab.ctx.add_cookies(
        [
            {"name": "_cs_vid", "value": "%3Cscript%3E", "url": origin},
            {"name": "_cs_ses", "value": "a%20b%7C9999999999999%7C", "url": origin},
        ]
    )
    tab.open('<p id="n">(512) 555-0100</p>')
    state = tab.wait_session()
    assert stub.starts()[0]["visitor_id"] is None
    assert stub.starts()[0]["session_id"] is None
    assert tab.cookies()["_cs_vid"]["value"] == state["visitor_id"]
