"""Cursor pagination: stable order, no row twice or missing, across inserts between pages."""

from __future__ import annotations

from tests.factories import Tenant


def walk(tenant: Tenant, path: str, limit: int) -> list[int]:
    ids: list[int] = []
    cursor = None
    while True:
        query = f"{path}?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = tenant.ok("get", query)
        assert len(page["items"]) <= limit
        ids += [row["id"] for row in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


def test_pages_cover_every_row_once_in_id_order(tenant: Tenant) -> None:
    created = [tenant.source()["id"] for _ in range(7)]
    for limit in (1, 2, 3, 7, 50):
        assert walk(tenant, "/sources", limit) == created


def test_last_page_has_no_cursor(tenant: Tenant) -> None:
    for _ in range(4):
        tenant.source()
    page = tenant.ok("get", "/sources?limit=4")
    assert len(page["items"]) == 4
    assert page["next_cursor"] is None


def test_rows_added_while_paging_appear_at_the_end(tenant: Tenant) -> None:
    first = [tenant.source()["id"] for _ in range(3)]
    page = tenant.ok("get", "/sources?limit=2")
    late = tenant.source()["id"]
    rest = tenant.ok("get", f"/sources?limit=10&cursor={page['next_cursor']}")
    assert [r["id"] for r in page["items"]] + [r["id"] for r in rest["items"]] == [*first, late]


def test_default_page_size_is_50(tenant: Tenant) -> None:
    page = tenant.ok("get", "/categories")
    assert len(page["items"]) == 9  # the built-ins
