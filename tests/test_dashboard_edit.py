"""Editing settings in the dashboard: the API's own Update rules, on the page.

Each kind (sites, sources, pools, numbers, categories) is edited through HTTP as a browser
does it; the result is read back through the API. Refused input answers with the form and
a reason, and the object is unchanged.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from callscope.accounts.models import Role
from tests.factories import Tenant
from tests.test_dashboard import page_csrf, signed_in

LONG = "x" * 10_000
HOSTILE = '<script>alert("x")</script>'
OWN = "<the page's own token>"
ERROR = re.compile(r'<p class="error" role="alert" id="edit-error">([^<]*)</p>')


class Editor:
    """An admin's browser on the Settings page."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = page_csrf(client, "/settings")

    def form(self, kind: str, object_id: int) -> Any:
        return self.client.get(f"/settings/{kind}/{object_id}/edit")

    def post(self, kind: str, object_id: int, token: str | None = OWN, **form: Any) -> Any:
        """Post an edit form; `token` is the form's CSRF token (None: leave it out)."""
        data = {"csrf_token": self.csrf if token == OWN else token} if token is not None else {}
        return self.client.post(
            f"/settings/{kind}/{object_id}/edit", data=data | form, follow_redirects=False
        )

    def refused(self, kind: str, object_id: int, status: int = 422, **form: str) -> str:
        """Post a bad form: it comes back with the reason, as HTML; the reason is returned."""
        response = self.post(kind, object_id, **form)
        assert response.status_code == status, (form, response.text[:500])
        assert "text/html" in response.headers["content-type"]
        assert f'id="edit-{kind}"' in response.text  # the form again, to correct
        found = ERROR.search(response.text)
        assert found is not None, response.text[:500]
        return html.unescape(found.group(1))


@pytest.fixture
def admin(app: FastAPI, tenant: Tenant) -> Editor:
    return Editor(signed_in(app, tenant.account_id, Role.admin))


def saved(response: Any, kind: str) -> None:
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == f"/settings#{kind}"


# -- sites ----------------------------------------------------------------------------------


def test_an_admin_edits_a_site(admin: Editor, tenant: Tenant) -> None:
    site = tenant.site(name="Main", domains=["rooter.example"], business_number="+15125550100")
    shown = admin.form("sites", site["id"])
    assert shown.status_code == 200
    assert 'value="Main"' in shown.text
    assert 'value="rooter.example"' in shown.text
    assert 'value="+15125550100"' in shown.text
    assert f'name="csrf_token" value="{admin.csrf}"' in shown.text
    assert f'href="/settings/sites/{site["id"]}/edit"' in admin.client.get("/settings").text

    saved(
        admin.post(
            "sites",
            site["id"],
            name="Main site",
            domains="rooter.example, www.rooter.example shop.rooter.example",
            business_number="+1 512 555 0101",
        ),
        "sites",
    )
    after = tenant.ok("get", f"/sites/{site['id']}")
    assert after["name"] == "Main site"
    assert after["domains"] == ["rooter.example", "www.rooter.example", "shop.rooter.example"]
    assert after["business_number"] == "+15125550101"
    assert after["site_key"] == site["site_key"]
    assert "Main site" in admin.client.get("/settings").text

    # an empty optional field clears it; a field left out stays as it was
    saved(admin.post("sites", site["id"], business_number=""), "sites")
    after = tenant.ok("get", f"/sites/{site['id']}")
    assert after["business_number"] is None
    assert after["name"] == "Main site"


def test_a_site_edit_refuses_what_the_api_refuses(admin: Editor, tenant: Tenant) -> None:
    site = tenant.site(name="Main", domains=["rooter.example"])
    before = tenant.ok("get", f"/sites/{site['id']}")
    assert admin.refused("sites", site["id"], name="").startswith("name:")
    assert admin.refused("sites", site["id"], name="   ").startswith("name:")
    assert "at most 200" in admin.refused("sites", site["id"], name=LONG)
    assert admin.refused("sites", site["id"], domains=HOSTILE).startswith("domains.0:")
    assert admin.refused("sites", site["id"], domains="https://rooter.example/x")
    assert admin.refused("sites", site["id"], domains=LONG)
    assert admin.refused("sites", site["id"], name="Fine", business_number="not a phone")
    # the form comes back with what was sent, escaped
    again = admin.post("sites", site["id"], name="Fine", domains=HOSTILE)
    assert HOSTILE not in again.text
    assert html.escape(HOSTILE) in again.text or "&lt;script&gt;" in again.text
    assert tenant.ok("get", f"/sites/{site['id']}") == before


def test_a_hostile_name_is_kept_as_text_and_shown_escaped(admin: Editor, tenant: Tenant) -> None:
    site = tenant.site(name="Main")
    saved(admin.post("sites", site["id"], name=HOSTILE), "sites")
    assert tenant.ok("get", f"/sites/{site['id']}")["name"] == HOSTILE  # as the API keeps it
    for page in (admin.client.get("/settings"), admin.form("sites", site["id"])):
        assert page.status_code == 200
        assert HOSTILE not in page.text
        assert "&lt;script&gt;" in page.text


# -- sources --------------------------------------------------------------------------------


def test_an_admin_edits_a_source_and_its_rules(admin: Editor, tenant: Tenant) -> None:
    source = tenant.source(
        name="Google Ads", channel="paid_search", rules=[{"utm_source": "google"}]
    )
    shown = admin.form("sources", source["id"])
    assert shown.status_code == 200
    assert 'value="Google Ads"' in shown.text
    assert "utm_source=google</textarea>" in shown.text
    assert '<option value="paid_search" selected>' in shown.text

    saved(
        admin.post(
            "sources",
            source["id"],
            name="Google Ads search",
            channel="paid_search",
            medium="CPC",
            is_offline="false",
            rules="utm_source=google utm_medium=cpc\n\nclick_id=gclid\nreferrer_domain=Ads.Google.com",
        ),
        "sources",
    )
    after = tenant.ok("get", f"/sources/{source['id']}")
    assert after["name"] == "Google Ads search"
    assert after["medium"] == "cpc"
    assert after["rules"] == [
        {"utm_source": "google", "utm_medium": "cpc"},
        {"click_id": "gclid"},
        {"referrer_domain": "ads.google.com"},
    ]
    assert 'data-source-id="{}"'.format(source["id"]) in admin.client.get("/settings").text

    # a source made offline must lose its rules in the same edit, as in the API
    saved(
        admin.post(
            "sources", source["id"], channel="offline", is_offline="true", rules="", medium=""
        ),
        "sources",
    )
    after = tenant.ok("get", f"/sources/{source['id']}")
    assert (after["channel"], after["is_offline"], after["rules"], after["medium"]) == (
        "offline",
        True,
        [],
        None,
    )


def test_a_source_edit_refuses_what_the_api_refuses(admin: Editor, tenant: Tenant) -> None:
    tenant.source(name="Taken")
    source = tenant.source(name="Mine", rules=[{"utm_source": "google"}])
    before = tenant.ok("get", f"/sources/{source['id']}")
    sid = source["id"]
    assert "'Taken' exists" in admin.refused("sources", sid, name="Taken")
    assert admin.refused("sources", sid, name="").startswith("name:")
    assert admin.refused("sources", sid, name=LONG).startswith("name:")
    assert admin.refused("sources", sid, channel="carrier_pigeon").startswith("channel:")
    assert admin.refused("sources", sid, channel="").startswith("channel:")
    assert admin.refused("sources", sid, is_offline="maybe").startswith("is_offline:")
    assert admin.refused("sources", sid, medium=LONG).startswith("medium:")
    assert "field=value" in admin.refused("sources", sid, rules="google")
    assert admin.refused("sources", sid, rules="colour=red").startswith("rules.0")
    assert admin.refused("sources", sid, rules="click_id=nope").startswith("rules.0")
    assert admin.refused("sources", sid, rules=f"utm_source={LONG}").startswith("rules.0")
    assert admin.refused("sources", sid, rules="referrer_domain=" + HOSTILE).startswith("rules")
    assert "offline" in admin.refused("sources", sid, is_offline="true")  # it has rules
    assert "offline" in admin.refused("sources", sid, is_offline="true", rules="utm_source=google")
    assert tenant.ok("get", f"/sources/{sid}") == before


# -- pools ----------------------------------------------------------------------------------


def test_an_admin_edits_a_pool(admin: Editor, tenant: Tenant) -> None:
    pool = tenant.pool(name="Web", hold_seconds=1800)
    shown = admin.form("pools", pool["id"])
    assert shown.status_code == 200
    assert 'value="1800"' in shown.text
    assert '<option value="reuse_oldest" selected>' in shown.text
    assert f'href="/settings/pools/{pool["id"]}/edit"' in admin.client.get("/settings").text

    saved(
        admin.post(
            "pools",
            pool["id"],
            name="Web visitors",
            hold_seconds="600",
            exhaustion_policy="overflow_number",
            overflow_number="+15125550199",
        ),
        "pools",
    )
    after = tenant.ok("get", f"/pools/{pool['id']}")
    assert (after["name"], after["hold_seconds"]) == ("Web visitors", 600)
    assert (after["exhaustion_policy"], after["overflow_number"]) == (
        "overflow_number",
        "+15125550199",
    )
    assert after["site_id"] == pool["site_id"]
    assert "Web visitors" in admin.client.get("/settings").text


def test_a_pool_edit_refuses_what_the_api_refuses(admin: Editor, tenant: Tenant) -> None:
    pool = tenant.pool(name="Web")
    before = tenant.ok("get", f"/pools/{pool['id']}")
    pid = pool["id"]
    for hold in ["abc", "0", "86401", "", "-5", "1.5", "9" * 30]:
        assert admin.refused("pools", pid, hold_seconds=hold).startswith("hold_seconds:"), hold
    assert admin.refused("pools", pid, exhaustion_policy="panic").startswith("exhaustion_policy:")
    assert "overflow number" in admin.refused("pools", pid, exhaustion_policy="overflow_number")
    assert admin.refused("pools", pid, overflow_number=HOSTILE).startswith("overflow_number:")
    assert admin.refused("pools", pid, name="").startswith("name:")
    assert admin.refused("pools", pid, name=LONG).startswith("name:")
    assert tenant.ok("get", f"/pools/{pid}") == before


# -- numbers --------------------------------------------------------------------------------


def test_an_admin_edits_a_number_and_moves_it_into_a_pool(admin: Editor, tenant: Tenant) -> None:
    flyer = tenant.source(name="Flyer", channel="offline", is_offline=True)
    pool = tenant.pool(name="Web")
    number = tenant.number(source_id=flyer["id"], forward_to="+15125550100")
    shown = admin.form("numbers", number["id"])
    assert shown.status_code == 200
    assert f'<option value="{flyer["id"]}" selected>Flyer</option>' in shown.text
    assert 'value="+15125550100"' in shown.text
    assert f'href="/settings/numbers/{number["id"]}/edit"' in admin.client.get("/settings").text

    saved(
        admin.post(
            "numbers",
            number["id"],
            forward_to="+1 512 555 0102",
            label="main line",
            location="Austin",
            source_id="",
            pool_id=str(pool["id"]),
            active="true",
        ),
        "numbers",
    )
    after = tenant.ok("get", f"/numbers/{number['id']}")
    assert (after["source_id"], after["pool_id"]) == (None, pool["id"])
    assert (after["forward_to"], after["label"], after["location"]) == (
        "+15125550102",
        "main line",
        "Austin",
    )
    assert after["number"] == number["number"]

    # unticked, the browser sends the hidden "false" alone: released; ticked it sends both
    # ("false" from the hidden field, then "true"): active again
    saved(admin.post("numbers", number["id"], active="false"), "numbers")
    assert tenant.ok("get", f"/numbers/{number['id']}")["active"] is False
    saved(admin.post("numbers", number["id"], active=["false", "true"]), "numbers")
    assert tenant.ok("get", f"/numbers/{number['id']}")["active"] is True


def test_a_number_edit_refuses_what_the_api_refuses(
    admin: Editor, tenant: Tenant, other: Tenant
) -> None:
    flyer = tenant.source(name="Flyer", channel="offline", is_offline=True)
    pool = tenant.pool(name="Web")
    number = tenant.number(source_id=flyer["id"])
    theirs = other.pool()
    their_source = other.source()
    before = tenant.ok("get", f"/numbers/{number['id']}")
    nid = number["id"]
    both = admin.refused("numbers", nid, source_id=str(flyer["id"]), pool_id=str(pool["id"]))
    assert "either one static source or one pool" in both
    assert "either" in admin.refused("numbers", nid, source_id="", pool_id="")
    assert admin.refused("numbers", nid, source_id="", pool_id=str(theirs["id"])) == (
        "pool_id: pool not found"
    )
    assert admin.refused("numbers", nid, source_id=str(their_source["id"])) == (
        "source_id: source not found"
    )
    assert admin.refused("numbers", nid, source_id="abc").startswith("source_id:")
    assert admin.refused("numbers", nid, source_id="9" * 40).startswith("source_id:")
    assert admin.refused("numbers", nid, forward_to=HOSTILE).startswith("forward_to:")
    assert admin.refused("numbers", nid, forward_to=LONG).startswith("forward_to:")
    assert admin.refused("numbers", nid, location=LONG).startswith("location:")
    assert admin.refused("numbers", nid, active="maybe").startswith("active:")
    assert admin.refused("numbers", nid, active="").startswith("active:")
    assert tenant.ok("get", f"/numbers/{nid}") == before


def test_a_released_number_in_use_elsewhere_is_not_taken_back(
    admin: Editor, tenant: Tenant
) -> None:
    flyer = tenant.source(name="Flyer", channel="offline", is_offline=True)
    number = tenant.number(source_id=flyer["id"])
    tenant.ok("delete", f"/numbers/{number['id']}", status=204)
    tenant.number(source_id=flyer["id"], number=number["number"])  # bought again
    assert "in use elsewhere" in admin.refused("numbers", number["id"], active="true")
    assert tenant.ok("get", f"/numbers/{number['id']}")["active"] is False


# -- categories -----------------------------------------------------------------------------


def test_an_admin_edits_a_custom_category(admin: Editor, tenant: Tenant) -> None:
    made = tenant.ok(
        "post",
        "/categories",
        {"key": "warranty", "name": "Warranty", "examples": ["it broke"]},
        201,
    )
    shown = admin.form("categories", made["id"])
    assert shown.status_code == 200
    assert "it broke</textarea>" in shown.text
    assert '<input type="hidden" name="is_lead" value="false">' in shown.text
    assert f'href="/settings/categories/{made["id"]}/edit"' in admin.client.get("/settings").text

    saved(
        admin.post(
            "categories",
            made["id"],
            name="Warranty claim",
            description="a repair under warranty",
            examples="the part you installed broke\n\n  is this covered by the warranty  \n",
            is_lead="true",
        ),
        "categories",
    )
    after = tenant.ok("get", f"/categories/{made['id']}")
    assert (after["key"], after["name"], after["is_lead"]) == ("warranty", "Warranty claim", True)
    assert after["description"] == "a repair under warranty"
    assert after["examples"] == ["the part you installed broke", "is this covered by the warranty"]
    # the browser sends the hidden "false" alone when the box is unticked
    saved(admin.post("categories", made["id"], is_lead="false"), "categories")
    assert tenant.ok("get", f"/categories/{made['id']}")["is_lead"] is False


def test_a_builtin_category_keeps_its_lead_flag(admin: Editor, tenant: Tenant) -> None:
    listed = tenant.ok("get", "/categories?limit=100")["items"]
    sale = next(c for c in listed if c["key"] == "sale")
    shown = admin.form("categories", sale["id"])
    assert shown.status_code == 200
    assert 'name="is_lead" value="true" checked disabled' in shown.text
    assert '<input type="hidden" name="is_lead"' not in shown.text  # nothing sent for it

    saved(
        admin.post(
            "categories", sale["id"], name="Sale", description="bought", examples="I'll take it"
        ),
        "categories",
    )
    after = tenant.ok("get", f"/categories/{sale['id']}")
    assert (after["is_lead"], after["description"], after["examples"]) == (
        True,
        "bought",
        ["I'll take it"],
    )
    assert "is_lead:" in admin.refused("categories", sale["id"], is_lead="false")
    assert tenant.ok("get", f"/categories/{sale['id']}")["is_lead"] is True


def test_a_category_edit_refuses_what_the_api_refuses(admin: Editor, tenant: Tenant) -> None:
    made = tenant.ok("post", "/categories", {"key": "warranty", "name": "Warranty"}, 201)
    before = tenant.ok("get", f"/categories/{made['id']}")
    cid = made["id"]
    assert admin.refused("categories", cid, name="").startswith("name:")
    assert "at most 100" in admin.refused("categories", cid, name="x" * 101)
    assert admin.refused("categories", cid, description=LONG).startswith("description:")
    assert admin.refused("categories", cid, examples="fine\n" + "y" * 2001).startswith(
        "examples.1:"
    )
    assert admin.refused("categories", cid, examples="e\n" * 201).startswith("examples:")
    assert admin.refused("categories", cid, is_lead="yes please").startswith("is_lead:")
    # a key is fixed: the form has no such field, and a post that sends one does not change it
    saved(admin.post("categories", cid, key="sale"), "categories")
    assert tenant.ok("get", f"/categories/{cid}") == before


# -- who may edit what -------------------------------------------------------------------------


def _one_of_each(tenant: Tenant) -> dict[str, int]:
    source = tenant.source(name="Flyer", channel="offline", is_offline=True)
    pool = tenant.pool()
    number = tenant.number(source_id=source["id"])
    category = tenant.ok("post", "/categories", {"key": "warranty", "name": "Warranty"}, 201)
    return {
        "sites": pool["site_id"],
        "sources": source["id"],
        "pools": pool["id"],
        "numbers": number["id"],
        "categories": category["id"],
    }


RENAME = {
    "sites": {"name": "Renamed"},
    "sources": {"name": "Renamed"},
    "pools": {"name": "Renamed"},
    "numbers": {"location": "Renamed"},
    "categories": {"name": "Renamed"},
}


def _snapshot(tenant: Tenant, ids: dict[str, int]) -> dict[str, Any]:
    return {kind: tenant.ok("get", f"/{kind}/{object_id}") for kind, object_id in ids.items()}


@pytest.mark.parametrize("role", [Role.viewer, Role.analyst])
def test_only_an_admin_edits(app: FastAPI, tenant: Tenant, role: Role) -> None:
    ids = _one_of_each(tenant)
    before = _snapshot(tenant, ids)
    client = signed_in(app, tenant.account_id, role)
    page = client.get("/settings")
    assert page.status_code == 200
    assert "/edit" not in page.text
    them = Editor(client)
    for kind, object_id in ids.items():
        shown = them.form(kind, object_id)
        assert shown.status_code == 403, kind
        assert "only an admin" in shown.text
        assert them.post(kind, object_id, **RENAME[kind]).status_code == 403, kind
    assert _snapshot(tenant, ids) == before


def test_an_edit_without_its_csrf_token_changes_nothing(admin: Editor, tenant: Tenant) -> None:
    ids = _one_of_each(tenant)
    before = _snapshot(tenant, ids)
    for kind, object_id in ids.items():
        for token in (None, "", "forged-token"):
            response = admin.post(kind, object_id, token=token, **RENAME[kind])
            assert response.status_code == 403, (kind, token)
            assert "security token" in response.text
    assert _snapshot(tenant, ids) == before


def test_another_accounts_objects_are_not_found(
    admin: Editor, tenant: Tenant, other: Tenant
) -> None:
    theirs = _one_of_each(other)
    before = _snapshot(other, theirs)
    for kind, object_id in theirs.items():
        assert admin.form(kind, object_id).status_code == 404, kind
        response = admin.post(kind, object_id, **RENAME[kind])
        assert response.status_code == 404, kind
        assert "text/html" in response.headers["content-type"]
        # bad input for someone else's object is still "not found", not a validation answer
        assert admin.post(kind, object_id, name="").status_code == 404, kind
        assert admin.form(kind, 10**12).status_code == 404, kind
        assert admin.post(kind, 10**12, **RENAME[kind]).status_code == 404, kind
    assert _snapshot(other, theirs) == before
    assert admin.form("planets", 1).status_code == 404
    assert admin.post("planets", 1, name="x").status_code == 404
    assert admin.form("users", 1).status_code == 404
    assert admin.form("sites", 0).status_code == 422
    assert admin.form("sites", 2**64).status_code == 422
    assert admin.client.get("/settings/sites/abc/edit").status_code == 422
