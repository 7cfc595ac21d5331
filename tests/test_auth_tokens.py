"""Bearer tokens: stored as sha256 only, revocable, expiring, and the break-glass config token."""

import hashlib

import pytest
from sqlalchemy import text

from app.auth import service
from tests.auth_support import headers_by_role, make_accounts


@pytest.fixture
def accounts(session, test_regions):
    return make_accounts(session)


@pytest.fixture
def role_headers(session, accounts):
    return headers_by_role(session, accounts)


def _secret(headers):
    return headers["Authorization"].removeprefix("Bearer ")


def test_only_the_sha256_of_a_token_is_stored(session, role_headers):
    secret = _secret(role_headers["member"])
    stored = session.execute(text("SELECT token_hash, prefix FROM api_tokens")).all()
    assert hashlib.sha256(secret.encode()).hexdigest() in {row.token_hash for row in stored}
    dump = session.execute(text("SELECT row_to_json(t)::text FROM api_tokens t")).scalars().all()
    assert not any(secret in row for row in dump)


def test_a_revoked_token_stops_working(client, role_headers, session):
    headers = role_headers["org_admin"]
    [mine] = client.get("/api/v1/auth/tokens", headers=headers).get_json()["tokens"]
    assert client.delete(f"/api/v1/auth/tokens/{mine['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).get_json()["role"] == "visitor"
    assert client.get("/api/v1/auth/tokens", headers=headers).status_code == 403  # a bad token is refused


def test_an_expired_token_stops_working(client, role_headers, session):
    headers = role_headers["member"]
    expire = (
        "UPDATE api_tokens SET created_at = now() - interval '3 days', expires_at = now() - interval '1 s'"
    )
    session.execute(text(expire))
    assert client.get("/api/v1/auth/me", headers=headers).get_json()["authenticated"] is False


def test_nobody_revokes_someone_elses_token_but_the_super_admin(client, role_headers, accounts, session):
    [member_token] = client.get("/api/v1/auth/tokens", headers=role_headers["member"]).get_json()["tokens"]
    url = f"/api/v1/auth/tokens/{member_token['id']}"
    assert client.delete(url, headers=role_headers["org_admin"]).status_code == 404
    assert client.delete(url, headers=role_headers["super_admin"]).status_code == 204


def test_tokens_expire_within_the_configured_maximum(client, role_headers):
    response = client.post("/api/v1/auth/tokens", json={"days": 10_000}, headers=role_headers["member"])
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["param"] == "days"
    response = client.post(
        "/api/v1/auth/tokens", json={"days": 7, "name": "phone"}, headers=role_headers["member"]
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["token"].startswith(body["prefix"]) and body["name"] == "phone"


def test_token_use_is_recorded_at_most_every_ten_minutes(client, role_headers, session):
    headers = role_headers["member"]
    client.get("/api/v1/auth/me", headers=headers)
    first = session.execute(text("SELECT max(last_used_at) FROM api_tokens")).scalar_one()
    assert first is not None
    client.get("/api/v1/auth/me", headers=headers)
    assert session.execute(text("SELECT max(last_used_at) FROM api_tokens")).scalar_one() == first


def test_the_config_token_is_a_super_admin_without_an_account(client, admin_headers):
    me = client.get("/api/v1/auth/me", headers=admin_headers).get_json()
    assert me["role"] == "super_admin" and me["via"] == "config"


def test_other_schemes_are_not_accepted(client):
    response = client.get("/api/v1/users", headers={"Authorization": "Basic cm9vdDpwdw=="})
    assert response.status_code == 403
    assert "Bearer" in response.get_json()["detail"]


def test_issue_token_returns_a_fresh_secret_each_time(session, accounts):
    first = service.issue_token(session, accounts.member, "a", 1)
    second = service.issue_token(session, accounts.member, "b", 1)
    assert first.secret != second.secret and len(first.secret) > 40
