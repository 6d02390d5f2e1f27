"""The dashboard over HTTP: login, sessions, CSRF, roles, tenancy, the call log and a call."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from callscope.accounts.models import Account, Role, User, WebSession
from callscope.accounts.security import hash_password
from callscope.analysis.models import TranscriptRecord
from callscope.calls.models import Call, CallNote
from callscope.intel.models import CategoryCorrection
from tests.factories import Tenant

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_user(app: FastAPI, account_id: int, role: Role) -> str:
    email = f"{role.value}{next(_seq)}@dash.example"
    with app.state.sessionmaker.begin() as session:
        session.add(
            User(
                account_id=account_id,
                email=email,
                role=role,
                password_hash=hash_password(PASSWORD),
            )
        )
    return email


def login(client: TestClient, email: str, password: str = PASSWORD, next: str = "/") -> Any:
    form = client.get("/login")
    assert form.status_code == 200
    token = CSRF_FIELD.search(form.text)
    assert token is not None
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token.group(1), "next": next},
        follow_redirects=False,
    )


def page_csrf(client: TestClient, path: str = "/calls") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text
    found = CSRF_FIELD.search(response.text)
    assert found is not None
    return found.group(1)


def signed_in(app: FastAPI, account_id: int, role: Role = Role.admin) -> TestClient:
    client = TestClient(app)
    assert login(client, add_user(app, account_id, role)).status_code == 303
    return client


def add_call(app: FastAPI, account_id: int, **over: Any) -> int:
    with app.state.sessionmaker.begin() as session:
        fields = {
            "account_id": account_id,
            "provider": "demo",
            "provider_call_id": f"dash-{next(_seq)}",
            "status": "answered",
            "caller": "+15125550199",
            "tracking_number": "+15125550111",
            "started_at": datetime.now(UTC) - timedelta(hours=2),
            "talk_seconds": 95,
        }
        call = Call(**(fields | over))
        session.add(call)
        session.flush()
        session.add(
            TranscriptRecord(
                account_id=account_id,
                call_id=call.id,
                language="en",
                language_source="account",
                model="test",
                model_version="test",
                device="cpu",
                channels=2,
                duration_seconds=95,
                speech_seconds=80,
                processing_seconds=1,
                real_time_factor=0.01,
                text="agent: Rapid Rooter, how can I help?\ncaller: my water heater is leaking",
                turns=[
                    {
                        "speaker": "agent",
                        "start": 0.0,
                        "end": 2.0,
                        "text": "Rapid Rooter, how can I help?",
                    },
                    {
                        "speaker": "caller",
                        "start": 2.5,
                        "end": 6.0,
                        "text": "My water heater is leaking, can someone come tomorrow morning?",
                    },
                ],
                redactions={},
            )
        )
        return call.id


# -- login, logout, sessions ----------------------------------------------------------------


def test_pages_need_a_login_and_come_back_after_it(app: FastAPI, tenant: Tenant) -> None:
    client = TestClient(app)
    response = client.get("/calls?q=heater", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/calls%3Fq%3Dheater"
    email = add_user(app, tenant.account_id, Role.viewer)
    done = login(client, email, next="/calls?q=heater")
    assert done.status_code == 303
    assert done.headers["location"] == "/calls?q=heater"
    cookie = done.headers["set-cookie"]
    assert "callscope_session=" in cookie
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    page = client.get("/calls")
    assert page.status_code == 200
    assert email in page.text


def test_wrong_password_and_unknown_email_get_the_same_answer(app: FastAPI, tenant: Tenant) -> None:
    client = TestClient(app)
    email = add_user(app, tenant.account_id, Role.viewer)
    wrong = login(client, email, password="nope")
    unknown = login(client, "nobody@dash.example")
    assert wrong.status_code == unknown.status_code == 401
    assert "The email or password is wrong." in wrong.text
    assert "The email or password is wrong." in unknown.text
    assert "callscope_session" not in client.cookies


def test_login_without_its_csrf_token_is_refused(app: FastAPI, tenant: Tenant) -> None:
    client = TestClient(app)
    email = add_user(app, tenant.account_id, Role.admin)
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403
    forged = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert "callscope_session" not in client.cookies


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/ok\r\nSet-Cookie: x=1",
        "http:/evil.example",
    ],
)
def test_login_never_redirects_off_site(app: FastAPI, tenant: Tenant, target: str) -> None:
    client = TestClient(app)
    response = login(client, add_user(app, tenant.account_id, Role.viewer), next=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_a_cookie_set_before_login_is_never_promoted(app: FastAPI, tenant: Tenant) -> None:
    """Session fixation: an attacker's planted cookie must not become the victim's session."""
    client = TestClient(app)
    planted = "attacker-chosen-session-value"
    client.cookies.set("callscope_session", planted, domain="testserver.local")
    response = login(client, add_user(app, tenant.account_id, Role.admin))
    assert response.status_code == 303
    assert client.cookies["callscope_session"] != planted
    attacker = TestClient(app)
    attacker.cookies.set("callscope_session", planted, domain="testserver.local")
    assert attacker.get("/", follow_redirects=False).status_code == 303

    # a real earlier session is ended by the new login, not kept beside it
    before = client.cookies["callscope_session"]
    assert login(client, add_user(app, tenant.account_id, Role.admin)).status_code == 303
    stale = TestClient(app)
    stale.cookies.set("callscope_session", before, domain="testserver.local")
    assert stale.get("/", follow_redirects=False).status_code == 303


def test_logout_ends_the_session_on_the_server(app: FastAPI, tenant: Tenant) -> None:
    client = signed_in(app, tenant.account_id)
    cookie = client.cookies["callscope_session"]
    csrf = page_csrf(client, "/")
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    replay = TestClient(app)
    replay.cookies.set("callscope_session", cookie, domain="testserver.local")
    assert replay.get("/", follow_redirects=False).status_code == 303
    assert replay.get("/api/v1/calls").status_code == 401


def test_login_attempts_are_rate_limited(app: FastAPI, tenant: Tenant) -> None:
    client = TestClient(app)
    email = add_user(app, tenant.account_id, Role.viewer)
    codes = [login(client, email, password=f"guess {i}").status_code for i in range(11)]
    assert codes[:10] == [401] * 10
    assert codes[10] == 429
    # the right password does not get through while limited
    assert login(client, email).status_code == 429


def test_expired_sessions_do_not_authenticate(app: FastAPI, tenant: Tenant) -> None:
    client = signed_in(app, tenant.account_id)
    with app.state.sessionmaker.begin() as session:
        for row in session.scalars(select(WebSession)):
            row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_hostile_login_input_is_refused_cleanly(app: FastAPI, tenant: Tenant) -> None:
    client = TestClient(app)
    form = client.get("/login")
    token = CSRF_FIELD.search(form.text)
    assert token is not None
    huge = client.post(
        "/login",
        data={"email": "a@b.example", "password": "x" * 5000, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert huge.status_code == 422
    assert "text/html" in huge.headers["content-type"]
    oversized_cookie = TestClient(app)
    oversized_cookie.cookies.set("callscope_session", "x" * 5000, domain="testserver.local")
    assert oversized_cookie.get("/", follow_redirects=False).status_code == 303
    with app.state.reader() as session:
        assert session.scalar(select(func.count()).select_from(WebSession)) == 0


# -- roles, CSRF on writes, tenancy -------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.viewer, Role.analyst])
def test_only_an_admin_changes_settings(app: FastAPI, tenant: Tenant, role: Role) -> None:
    with app.state.reader() as session:
        secret = session.get(Account, tenant.account_id).webhook_secret  # type: ignore[union-attr]
    client = signed_in(app, tenant.account_id, role)
    page = client.get("/settings")
    assert page.status_code == 200
    assert "only an admin can change them" in page.text
    assert 'id="rotate-secret"' not in page.text
    csrf = page_csrf(client, "/settings")
    refused = client.post("/settings/webhook-secret", data={"csrf_token": csrf})
    assert refused.status_code == 403
    added = client.post(
        "/settings/users", data={"csrf_token": csrf, "email": "x@y.example", "role": "admin"}
    )
    assert added.status_code == 403
    # nor through the API with the cookie
    api = client.post("/api/v1/account/webhook-secret", headers={"X-CSRF-Token": csrf})
    assert api.status_code == 403
    with app.state.reader() as session:
        assert session.get(Account, tenant.account_id).webhook_secret == secret  # type: ignore[union-attr]
        assert session.scalar(select(User).where(User.email == "x@y.example")) is None


def test_an_admin_rotates_the_secret_and_adds_a_user(app: FastAPI, tenant: Tenant) -> None:
    client = signed_in(app, tenant.account_id, Role.admin)
    csrf = page_csrf(client, "/settings")
    assert client.post("/settings/webhook-secret", data={}).status_code == 403
    rotated = client.post("/settings/webhook-secret", data={"csrf_token": csrf})
    assert rotated.status_code == 200
    shown = re.search(r'id="secret" value="(whsec_[0-9a-f]+)"', rotated.text)
    assert shown is not None
    with app.state.reader() as session:
        assert session.get(Account, tenant.account_id).webhook_secret == shown.group(1)  # type: ignore[union-attr]
    added = client.post(
        "/settings/users",
        data={"csrf_token": csrf, "email": "New.Analyst@Dash.example", "role": "analyst"},
    )
    assert added.status_code == 200
    password = re.search(r'id="password" value="([^"]+)"', added.text)
    assert password is not None
    newcomer = TestClient(app)
    assert login(newcomer, "new.analyst@dash.example", password.group(1)).status_code == 303
    assert "(analyst)" in newcomer.get("/").text
    bad = client.post(
        "/settings/users", data={"csrf_token": csrf, "email": "not an email", "role": "admin"}
    )
    assert bad.status_code == 422
    wrong_role = client.post(
        "/settings/users", data={"csrf_token": csrf, "email": "r@dash.example", "role": "root"}
    )
    assert wrong_role.status_code == 422


def test_another_accounts_call_is_not_found(app: FastAPI, tenant: Tenant, other: Tenant) -> None:
    theirs = add_call(app, other.account_id)
    client = signed_in(app, tenant.account_id)
    page = client.get(f"/calls/{theirs}")
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]
    csrf = page_csrf(client)
    post = client.post(f"/calls/{theirs}/notes", data={"csrf_token": csrf, "text": "mine now"})
    assert post.status_code == 404
    assert client.get(f"/api/v1/calls/{theirs}").status_code == 404
    assert client.get("/calls/99999999999").status_code == 404
    assert client.get("/calls/0").status_code == 422
    with app.state.reader() as session:
        assert session.scalar(select(func.count()).select_from(CallNote)) == 0


def test_the_api_takes_the_session_cookie_and_its_csrf_header(app: FastAPI, tenant: Tenant) -> None:
    call_id = add_call(app, tenant.account_id)
    client = signed_in(app, tenant.account_id, Role.analyst)
    listed = client.get("/api/v1/calls")
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["items"]] == [call_id]
    no_header = client.patch(f"/api/v1/calls/{call_id}/analysis", json={"category": "spam"})
    assert no_header.status_code == 403
    assert no_header.headers["content-type"].startswith("application/problem+json")
    with app.state.reader() as session:
        assert session.scalar(select(func.count()).select_from(CategoryCorrection)) == 0


# -- the call log and a call ---------------------------------------------------------------------


def test_call_log_searches_words_said_and_numbers(app: FastAPI, tenant: Tenant) -> None:
    heater = add_call(app, tenant.account_id)
    other_call = add_call(app, tenant.account_id, caller="+15125550177")
    client = signed_in(app, tenant.account_id, Role.viewer)
    everything = client.get("/calls")
    assert f'data-call-id="{heater}"' in everything.text
    assert f'data-call-id="{other_call}"' in everything.text
    by_words = client.get("/calls", params={"q": "WATER heater"})
    assert f'data-call-id="{heater}"' in by_words.text  # both calls share the transcript
    by_digits = client.get("/calls", params={"q": "555-0177"})
    assert f'data-call-id="{other_call}"' in by_digits.text
    assert f'data-call-id="{heater}"' not in by_digits.text
    literal = client.get("/calls", params={"q": "100%_"})
    assert "No calls match." in literal.text
    hostile = client.get("/calls", params={"q": "'; DROP TABLE calls; --<script>"})
    assert hostile.status_code == 200
    assert "<script>" not in hostile.text.split("<main>")[1].split("</main>")[0].replace(
        '<script src="', ""
    )
    assert client.get("/calls", params={"from": "2026-13-01"}).status_code == 422
    assert (
        client.get("/calls", params={"from": "2026-02-01", "to": "2026-01-01"}).status_code == 422
    )
    assert client.get("/calls", params={"q": "x" * 201}).status_code == 422


def test_a_call_page_shows_times_in_the_accounts_timezone(app: FastAPI, tenant: Tenant) -> None:
    started = datetime(2026, 11, 30, 5, 30, tzinfo=UTC)  # 23:30 on Nov 29 in Chicago
    with app.state.sessionmaker.begin() as session:
        session.get(Account, tenant.account_id).timezone = "America/Chicago"  # type: ignore[union-attr]
    call_id = add_call(app, tenant.account_id, started_at=started)
    client = signed_in(app, tenant.account_id, Role.viewer)
    page = client.get(f"/calls/{call_id}")
    assert page.status_code == 200
    assert "2026-11-29 23:30:00 (America/Chicago)" in page.text
    assert "My water heater is leaking" in page.text
    assert 'id="correct"' not in page.text  # a viewer gets no correction form


def test_an_analyst_corrects_tags_and_notes_a_call(app: FastAPI, tenant: Tenant) -> None:
    call_id = add_call(app, tenant.account_id)
    client = signed_in(app, tenant.account_id, Role.analyst)
    csrf = page_csrf(client, f"/calls/{call_id}")
    done = client.post(
        f"/calls/{call_id}/category",
        data={"csrf_token": csrf, "category": "appointment"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = client.get(f"/calls/{call_id}")
    assert '<strong id="category">appointment</strong>' in page.text
    assert (
        client.post(
            f"/calls/{call_id}/category", data={"csrf_token": csrf, "category": "nonsense"}
        ).status_code
        == 404
    )
    assert client.post(f"/calls/{call_id}/category", data={"category": "spam"}).status_code == 403
    assert (
        client.post(
            f"/calls/{call_id}/tags", data={"csrf_token": csrf, "tags": "vip, callback, vip"}
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"/calls/{call_id}/tags", data={"csrf_token": csrf, "tags": "<b>bad</b>"}
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"/calls/{call_id}/notes", data={"csrf_token": csrf, "text": "Booked for Tuesday <b>"}
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"/calls/{call_id}/notes", data={"csrf_token": csrf, "text": "x" * 2001}
        ).status_code
        == 422
    )
    page = client.get(f"/calls/{call_id}")
    assert "Booked for Tuesday &lt;b&gt;" in page.text
    with app.state.reader() as session:
        assert session.scalar(select(Call.tags).where(Call.id == call_id)) == ["vip", "callback"]
        corrections = session.scalars(select(CategoryCorrection)).all()
        assert [
            (c.to_category, c.token_id is None, c.user_id is not None) for c in corrections
        ] == [("appointment", True, True)]
    viewer = signed_in(app, tenant.account_id, Role.viewer)
    viewer_csrf = page_csrf(viewer)
    assert (
        viewer.post(
            f"/calls/{call_id}/notes", data={"csrf_token": viewer_csrf, "text": "viewer"}
        ).status_code
        == 403
    )


def test_every_page_renders_for_a_viewer(app: FastAPI, tenant: Tenant) -> None:
    tenant.pool()
    add_call(app, tenant.account_id)
    client = signed_in(app, tenant.account_id, Role.viewer)
    for path in ["/", "/calls", "/numbers", "/settings", "/reports/sources", "/reports/when"]:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert "text/html" in response.headers["content-type"]
    assert client.get("/reports/nope").status_code == 404
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/vendor/chart.umd.min.js").status_code == 200


def test_an_admin_makes_and_revokes_tokens_and_adds_a_category(
    app: FastAPI, tenant: Tenant
) -> None:
    client = signed_in(app, tenant.account_id, Role.admin)
    csrf = page_csrf(client, "/settings")
    made = client.post("/settings/tokens", data={"csrf_token": csrf, "name": "crm sync"})
    assert made.status_code == 200
    token = re.search(r'id="token" value="(cs_[^"]+)"', made.text)
    assert token is not None
    bearer = {"Authorization": f"Bearer {token.group(1)}"}
    assert client.get("/api/v1/account", headers=bearer).status_code == 200
    token_id = re.findall(r'data-token-id="(\d+)"', client.get("/settings").text)[-1]
    revoked = client.post(
        f"/settings/tokens/{token_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert revoked.status_code == 303
    fresh = TestClient(app)
    assert fresh.get("/api/v1/account", headers=bearer).status_code == 401

    added = client.post(
        "/settings/categories",
        data={
            "csrf_token": csrf,
            "key": "warranty_claim",
            "name": "Warranty claim",
            "examples": "the part you installed broke\n\nis this covered by the warranty\n",
            "is_lead": "false",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    listed = tenant.ok("get", "/categories?limit=100")["items"]
    custom = [c for c in listed if c["key"] == "warranty_claim"]
    assert [c["examples"] for c in custom] == [
        ["the part you installed broke", "is this covered by the warranty"]
    ]
    for bad in [{"key": "sale"}, {"key": "Bad Key"}, {"key": "x" * 65}]:
        response = client.post("/settings/categories", data={"csrf_token": csrf, "name": "N"} | bad)
        assert response.status_code == 422, bad
    assert len(tenant.ok("get", "/categories?limit=100")["items"]) == len(listed)
    viewer = signed_in(app, tenant.account_id, Role.viewer)
    viewer_csrf = page_csrf(viewer, "/settings")
    assert (
        viewer.post(
            "/settings/tokens", data={"csrf_token": viewer_csrf, "name": "mine"}
        ).status_code
        == 403
    )


def test_an_admin_adds_a_site_source_pool_and_numbers(
    app: FastAPI, tenant: Tenant, other: Tenant
) -> None:
    client = signed_in(app, tenant.account_id, Role.admin)
    csrf = page_csrf(client, "/settings")

    def add(kind: str, **form: str) -> Any:
        return client.post(
            f"/settings/{kind}/new", data={"csrf_token": csrf} | form, follow_redirects=False
        )

    assert (
        add(
            "sites",
            name="Main site",
            domains="rooter.example, www.rooter.example",
            business_number="+1 512 555 0100",
        ).status_code
        == 303
    )
    assert add("sources", name="Radio", channel="offline", is_offline="true").status_code == 303
    sites = tenant.ok("get", "/sites")["items"]
    assert [(s["name"], s["domains"], s["business_number"]) for s in sites] == [
        ("Main site", ["rooter.example", "www.rooter.example"], "+15125550100")
    ]
    radio = next(s for s in tenant.ok("get", "/sources")["items"] if s["name"] == "Radio")
    assert (
        add("pools", site_id=str(sites[0]["id"]), name="Web pool", hold_seconds="900").status_code
        == 303
    )
    pool = tenant.ok("get", "/pools")["items"][0]
    assert pool["hold_seconds"] == 900
    assert (
        add(
            "numbers", number="+15125550161", source_id=str(radio["id"]), location="Austin"
        ).status_code
        == 303
    )
    assert add("numbers", number="+15125550162", pool_id=str(pool["id"])).status_code == 303
    numbers = sorted(n["number"] for n in tenant.ok("get", "/numbers")["items"])
    assert numbers == ["+15125550161", "+15125550162"]
    page = client.get("/settings")
    assert "rooter.example" in page.text
    assert "/t/" in page.text  # the snippet tag to copy

    # refused, and nothing changed: the API's own rules, on the page
    theirs = other.pool()
    refused = [
        add("sources", name="Radio", channel="offline", is_offline="true"),  # name taken
        add("sources", name="X", channel="carrier_pigeon"),
        add("numbers", number="not a phone"),
        add("numbers", number="+15125550161", source_id=str(radio["id"])),  # in use
        add("numbers", number="+15125550163", pool_id=str(theirs["id"])),  # not ours
        add("pools", site_id="abc", name="P"),
        add("sites", name="x" * 3000),
    ]
    assert [r.status_code for r in refused] == [422] * len(refused), [r.text[:300] for r in refused]
    assert client.post("/settings/planets/new", data={"csrf_token": csrf}).status_code == 404
    assert (
        client.post("/settings/sources/new", data={"name": "Y", "channel": "offline"}).status_code
        == 403
    )
    assert len(tenant.ok("get", "/numbers")["items"]) == 2
    assert len(tenant.ok("get", "/sources")["items"]) == 1
    viewer = signed_in(app, tenant.account_id, Role.viewer)
    assert (
        viewer.post(
            "/settings/sources/new",
            data={"csrf_token": page_csrf(viewer, "/settings"), "name": "V", "channel": "offline"},
        ).status_code
        == 403
    )


def test_an_admin_deletes_what_nothing_uses_and_releases_numbers(
    app: FastAPI, tenant: Tenant, other: Tenant
) -> None:
    client = signed_in(app, tenant.account_id, Role.admin)
    csrf = page_csrf(client, "/settings")
    used = tenant.source(name="Used", channel="offline", is_offline=True)
    number = tenant.number(source_id=used["id"])
    unused = tenant.source(name="Unused")
    pool = tenant.pool()
    custom = tenant.ok("post", "/categories", {"key": "warranty", "name": "Warranty"}, 201)
    builtin = next(c for c in tenant.ok("get", "/categories?limit=100")["items"] if c["builtin"])
    theirs = other.source(name="Theirs")

    def delete(kind: str, object_id: int, token: str | None = csrf) -> int:
        data = {"csrf_token": token} if token else {}
        response = client.post(
            f"/settings/{kind}/{object_id}/delete", data=data, follow_redirects=False
        )
        return int(response.status_code)

    assert delete("sources", used["id"]) == 409  # a number is bound to it
    assert delete("categories", builtin["id"]) == 409
    assert delete("sources", theirs["id"]) == 404
    assert delete("sources", unused["id"], token=None) == 403
    assert delete("planets", 1) == 404
    assert delete("sources", unused["id"]) == 303
    assert delete("categories", custom["id"]) == 303
    assert delete("pools", pool["id"]) == 303
    assert delete("numbers", number["id"]) == 303
    names = {s["name"] for s in tenant.ok("get", "/sources")["items"]}
    assert names == {"Used"}
    assert tenant.ok("get", f"/numbers/{number['id']}")["active"] is False
    assert other.ok("get", f"/sources/{theirs['id']}")["name"] == "Theirs"
    analyst = signed_in(app, tenant.account_id, Role.analyst)
    assert (
        analyst.post(
            f"/settings/sources/{used['id']}/delete",
            data={"csrf_token": page_csrf(analyst, "/settings")},
        ).status_code
        == 403
    )
