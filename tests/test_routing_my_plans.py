"""GET /api/v1/plans/mine: a signed-in account's saved plans, newest first; visitors' plans stay anonymous."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.auth_support import bearer, make_user
from tests.routing_support import ALWAYS, add_site, next_weekday, node

START = dict(zip(("lon", "lat"), node(1, 1), strict=True))


@pytest.fixture
def people(session, test_regions):
    add_site(session, "T-A", node(2, 4), ALWAYS)
    add_site(session, "T-B", node(4, 6), ALWAYS)
    member = make_user(session, "planner", "member")
    other = make_user(session, "other-planner", "member")
    session.commit()
    return {"member": bearer(session, member), "other": bearer(session, other), "member_id": member}


def _plan(client, headers, sites):
    body = {"sites": sites, "start": START, "start_at": next_weekday(2, 9).isoformat()}
    response = client.post("/api/v1/plans", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def test_visitors_get_401(client, people):
    response = client.get("/api/v1/plans/mine")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_an_account_sees_only_its_own_plans_newest_first(client, people, session):
    first = _plan(client, people["member"], ["T-A"])
    second = _plan(client, people["member"], ["T-A", "T-B"])
    _plan(client, people["other"], ["T-B"])
    anonymous = _plan(client, {}, ["T-A"])
    # Two plans made within one transaction share now(); spread them so the order is the creation order.
    session.execute(
        text("UPDATE plans SET created_at = created_at - interval '1 hour' WHERE token = :t"), {"t": first}
    )
    body = client.get("/api/v1/plans/mine", headers=people["member"]).get_json()
    assert body["count"] == 2
    assert [p["token"] for p in body["plans"]] == [second, first]
    newest = body["plans"][0]
    assert sorted(s["code"] for s in newest["stops"]) == ["T-A", "T-B"]
    assert newest["share_url"] == f"/api/v1/plans/{second}" and newest["mode"] == "walk"
    assert newest["totals"]["sites"] == 2 and newest["dropped"] == 0 and newest["start_at"]
    owner = text("SELECT user_id FROM plans WHERE token = :t")
    assert session.execute(owner, {"t": anonymous}).scalar() is None
    assert session.execute(owner, {"t": first}).scalar() == people["member_id"]
    # A saved plan is still shared by its token with anyone.
    assert client.get(f"/api/v1/plans/{first}").status_code == 200


def test_paging_and_bad_paging(client, people):
    tokens = [_plan(client, people["member"], ["T-A"]) for _ in range(3)]
    page = client.get("/api/v1/plans/mine?limit=2&offset=2", headers=people["member"]).get_json()
    assert page["count"] == 3 and len(page["plans"]) == 1 and page["plans"][0]["token"] in tokens
    for query, param in (
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("offset=-1", "offset"),
        ("limit=x", "limit"),
    ):
        response = client.get(f"/api/v1/plans/mine?{query}", headers=people["member"])
        assert response.status_code == 400 and response.get_json()["errors"][0]["param"] == param


def test_an_account_without_plans_gets_an_empty_page(client, people):
    body = client.get("/api/v1/plans/mine", headers=people["other"]).get_json()
    assert body == {"count": 0, "limit": 20, "offset": 0, "plans": []}


def test_the_break_glass_token_keeps_no_plans(client, people, admin_headers):
    _plan(client, admin_headers, ["T-A"])
    assert client.get("/api/v1/plans/mine", headers=admin_headers).get_json()["count"] == 0
