"""The demo's /docs page works in a real browser with no internet: authorize, try an endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.browser import launch, screenshot
from tests.server import Server, running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launch()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running("demo", "--json", "--data-dir", str(tmp_path_factory.mktemp("demo"))) as server:
        yield server


def test_swagger_ui_lists_the_api_and_runs_a_request(browser, demo: Server) -> None:  # type: ignore[no-untyped-def]
    info = json.loads(demo.first_line)
    page = browser.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(f"{demo.url}/docs")
    page.wait_for_selector(".opblock-summary", timeout=15_000)
    operations = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/numbers" in operations
    assert "/api/v1/pools/{object_id}" in operations

    page.click("button.authorize")
    page.fill(".modal-ux input[type=text], .modal-ux input[type=password]", info["api_token"])
    page.click(".modal-ux button.authorize")
    page.click(".modal-ux button.btn-done")

    block = page.locator("#operations-numbers-list__api_v1_numbers_get")
    block.locator(".opblock-summary").click()
    block.locator("button.try-out__btn").click()
    block.locator("button.execute").click()
    body = block.locator(".responses-wrapper .live-responses-table .microlight").first
    body.wait_for(timeout=15_000)
    text = body.inner_text()
    assert info["pool_numbers"][0] in text
    shot = screenshot(page, "docs-try-it-out")
    assert shot.stat().st_size > 10_000
    assert failed == []  # nothing reached for outside the server
    page.close()
