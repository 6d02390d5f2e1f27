"""CRUD through HTTP for sites, sources, pools, numbers, categories and the account."""

from __future__ import annotations

from tests.factories import Tenant, next_number


def test_site_lifecycle(tenant: Tenant) -> None:
    site = tenant.site(
        name="Main site",
        domains=["Example.COM", "www.example.com", "example.com"],
        business_number="+1 (512) 555-0100",
    )
    assert site["domains"] == ["example.com", "www.example.com"]
    assert site["business_number"] == "+15125550100"
    assert len(site["site_key"]) == 24
    assert tenant.ok("get", f"/sites/{site['id']}") == site

    updated = tenant.ok("patch", f"/sites/{site['id']}", {"domains": ["shop.example.com:8443"]})
    assert updated["domains"] == ["shop.example.com:8443"]
    assert updated["name"] == "Main site"
    assert updated["site_key"] == site["site_key"]

    assert tenant.delete(f"/sites/{site['id']}").status_code == 204
    assert tenant.get(f"/sites/{site['id']}").status_code == 404


def test_site_keys_are_unique(tenant: Tenant) -> None:
    keys = {tenant.site()["site_key"] for _ in range(5)}
    assert len(keys) == 5


def test_site_with_pool_cannot_be_deleted(tenant: Tenant) -> None:
    pool = tenant.pool()
    response = tenant.delete(f"/sites/{pool['site_id']}")
    assert response.status_code == 409
    assert response.json()["type"] == "urn:callscope:problem:conflict"
    assert tenant.get(f"/sites/{pool['site_id']}").status_code == 200


def test_source_with_rules(tenant: Tenant) -> None:
    source = tenant.source(
        name="Google Ads",
        medium="CPC",
        rules=[{"utm_source": "Google", "utm_medium": "cpc"}, {"click_id": "gclid"}],
    )
    assert source["medium"] == "cpc"
    assert source["rules"] == [{"utm_source": "google", "utm_medium": "cpc"}, {"click_id": "gclid"}]
    renamed = tenant.ok("patch", f"/sources/{source['id']}", {"name": "Google Ads (search)"})
    assert renamed["rules"] == source["rules"]


def test_a_medium_longer_than_its_column_is_refused(tenant: Tenant) -> None:
    """The column holds 100 characters: PostgreSQL would fail the insert with a 500."""
    long = "m" * 101
    response = tenant.post("/sources", {"name": "Ads", "channel": "paid_search", "medium": long})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "medium"]
    source = tenant.source(name="Ads", medium="cpc")
    response = tenant.patch(f"/sources/{source['id']}", {"medium": long})
    assert response.status_code == 422
    assert tenant.ok("get", f"/sources/{source['id']}")["medium"] == "cpc"
    assert tenant.ok("patch", f"/sources/{source['id']}", {"medium": "m" * 100})["medium"] == (
        "m" * 100
    )


def test_source_names_are_unique_per_account(tenant: Tenant, other: Tenant) -> None:
    tenant.source(name="Flyer")
    response = tenant.post("/sources", {"name": "Flyer", "channel": "offline"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "name"]
    other.source(name="Flyer")  # another account may use the same name


def test_offline_source_has_no_online_rules(tenant: Tenant) -> None:
    response = tenant.post(
        "/sources",
        {"name": "TV", "channel": "offline", "is_offline": True, "rules": [{"utm_source": "tv"}]},
    )
    assert response.status_code == 422
    offline = tenant.source(name="TV", channel="offline", is_offline=True)
    response = tenant.patch(f"/sources/{offline['id']}", {"rules": [{"utm_source": "tv"}]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "rules"]


def test_empty_rule_is_refused(tenant: Tenant) -> None:
    response = tenant.post("/sources", {"name": "X", "channel": "email", "rules": [{}]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][:3] == ["body", "rules", 0]


def test_pool_lifecycle(tenant: Tenant) -> None:
    site = tenant.site()
    pool = tenant.pool(site_id=site["id"], hold_seconds=900)
    assert pool["exhaustion_policy"] == "reuse_oldest"
    assert pool["hold_seconds"] == 900
    listed = tenant.ok("get", f"/pools?site_id={site['id']}")
    assert [p["id"] for p in listed["items"]] == [pool["id"]]
    assert tenant.ok("get", f"/pools?site_id={tenant.site()['id']}")["items"] == []

    number = tenant.number(pool_id=pool["id"])
    assert tenant.delete(f"/pools/{pool['id']}").status_code == 409
    assert tenant.delete(f"/numbers/{number['id']}").status_code == 204
    # A released number still refers to the pool, so its history keeps the pool.
    assert tenant.delete(f"/pools/{pool['id']}").status_code == 409


def test_pool_overflow_policy_needs_a_number(tenant: Tenant) -> None:
    site = tenant.site()
    response = tenant.post(
        "/pools", {"site_id": site["id"], "name": "P", "exhaustion_policy": "overflow_number"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "overflow_number"]
    pool = tenant.pool(
        site_id=site["id"], exhaustion_policy="overflow_number", overflow_number="+15125559999"
    )
    response = tenant.patch(f"/pools/{pool['id']}", {"overflow_number": None})
    assert response.status_code == 422


def test_static_and_pool_numbers(tenant: Tenant) -> None:
    source = tenant.source(name="Flyer", channel="offline", is_offline=True)
    pool = tenant.pool()
    static = tenant.number(
        number="+1 512-555-0111",
        source_id=source["id"],
        forward_to="+15125550100",
        label="Flyer",
        location="Austin",
    )
    pooled = tenant.number(pool_id=pool["id"])
    assert static["number"] == "+15125550111"
    assert static["source_id"] == source["id"]
    assert static["pool_id"] is None
    assert pooled["pool_id"] == pool["id"]
    by_pool = tenant.ok("get", f"/numbers?pool_id={pool['id']}")["items"]
    assert [n["id"] for n in by_pool] == [pooled["id"]]

    moved = tenant.ok(
        "patch", f"/numbers/{static['id']}", {"source_id": None, "pool_id": pool["id"]}
    )
    assert moved["pool_id"] == pool["id"]
    assert moved["source_id"] is None


def test_released_number_can_be_reused_and_stays_readable(tenant: Tenant, other: Tenant) -> None:
    number = tenant.number(number="+15125550177")
    assert tenant.delete(f"/numbers/{number['id']}").status_code == 204
    released = tenant.ok("get", f"/numbers/{number['id']}")
    assert released["active"] is False
    assert number["id"] not in [n["id"] for n in tenant.ok("get", "/numbers")["items"]]
    assert [n["id"] for n in tenant.ok("get", "/numbers?active=false")["items"]] == [number["id"]]

    again = other.number(number="+15125550177")  # bought by another business
    response = tenant.patch(f"/numbers/{number['id']}", {"active": True})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "active"]
    assert other.delete(f"/numbers/{again['id']}").status_code == 204
    assert tenant.ok("patch", f"/numbers/{number['id']}", {"active": True})["active"] is True


def test_duplicate_active_number_is_422_at_the_field(tenant: Tenant, other: Tenant) -> None:
    number = next_number()
    tenant.number(number=number)
    source = other.source(is_offline=True, channel="offline")
    response = other.post("/numbers", {"number": number, "source_id": source["id"]})
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["loc"] == ["body", "number"]
    assert body["errors"][0]["type"] == "duplicate"
    assert "Acme" not in response.text  # nothing about who holds it


def test_categories_builtin_and_custom(tenant: Tenant) -> None:
    listed = tenant.ok("get", "/categories?limit=200")["items"]
    keys = [c["key"] for c in listed]
    assert keys == [
        "sale",
        "appointment",
        "quote",
        "inquiry",
        "customer_service",
        "solicitation",
        "spam",
        "wrong_number",
        "voicemail",
    ]
    assert {c["key"] for c in listed if c["is_lead"]} == {"sale", "appointment", "quote", "inquiry"}

    custom = tenant.ok(
        "post",
        "/categories",
        {
            "key": "warranty_claim",
            "name": "Warranty claim",
            "description": "An existing customer claims a repair under warranty.",
            "examples": ["the water heater you put in last spring is leaking again"],
        },
        201,
    )
    assert custom["builtin"] is False
    response = tenant.post("/categories", {"key": "sale", "name": "My sale"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "key"]

    sale = next(c for c in listed if c["key"] == "sale")
    edited = tenant.ok("patch", f"/categories/{sale['id']}", {"examples": ["I'll take it"]})
    assert edited["examples"] == ["I'll take it"]
    assert tenant.patch(f"/categories/{sale['id']}", {"is_lead": False}).status_code == 422
    assert tenant.delete(f"/categories/{sale['id']}").status_code == 409
    assert tenant.delete(f"/categories/{custom['id']}").status_code == 204


def test_account_settings(tenant: Tenant) -> None:
    account = tenant.ok("get", "/account")
    assert account["sales_cycle_days"] == 30
    assert account["qualified_call_seconds"] == 60
    updated = tenant.ok("patch", "/account", {"timezone": "Europe/Berlin", "currency": "EUR"})
    assert (updated["timezone"], updated["currency"]) == ("Europe/Berlin", "EUR")
    response = tenant.patch("/account", {"timezone": "Mars/Olympus"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "timezone"]


def test_times_are_utc_with_offset(tenant: Tenant) -> None:
    created = tenant.site()["created_at"]
    assert created.endswith(("Z", "+00:00"))


def test_healthz(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert client.get("/livez").json() == {"status": "ok"}
    assert client.post("/livez").status_code == 405
