"""Session login: CSRF on every form and cookie write, generic failure messages, rate limits, logout."""

import re

import pytest
from sqlalchemy import text

from app import create_app
from tests.auth_support import PASSWORD, headers_by_role, make_accounts


@pytest.fixture
def accounts(session, test_regions):
    return make_accounts(session)


def _csrf(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _login(client, username, password, token=None):
    token = token if token is not None else _csrf(client)
    form = {"username": username, "password": password, "csrf_token": token}
    return client.post("/login", data=form)


def test_login_page_is_chinese_first_and_carries_a_csrf_token(client):
    response = client.get("/login")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert len(_csrf(client)) >= 32


def test_login_without_the_csrf_token_is_refused(client, accounts):
    client.get("/login")
    response = client.post("/login", data={"username": "party-member", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/api/v1/auth/me").get_json()["authenticated"] is False


def test_login_starts_a_session_and_logout_ends_it(client, accounts):
    response = _login(client, "party-member", PASSWORD)
    assert response.status_code == 303
    me = client.get("/api/v1/auth/me").get_json()
    assert me["username"] == "party-member" and me["via"] == "session"
    token = me["csrf_token"]
    assert client.post("/logout").status_code == 403  # no token, no logout
    assert client.post("/logout", headers={"X-CSRF-Token": token}).status_code == 303
    assert client.get("/api/v1/auth/me").get_json()["authenticated"] is False


def test_usernames_are_case_insensitive(client, accounts):
    assert _login(client, "Party-Member", PASSWORD).status_code == 303


def test_next_never_leaves_the_site(client, accounts):
    token = _csrf(client)
    form = {"username": "party-member", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/"}
    response = client.post("/login", data=form)
    assert response.headers["Location"] == "/"


def test_wrong_password_and_unknown_user_read_the_same(client, accounts):
    wrong = _login(client, "party-member", "not the password")
    unknown = _login(client, "nobody-here", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    message = re.compile(r'<p class="message" role="alert">([^<]+)</p>')
    assert message.search(wrong.get_data(as_text=True)).group(1) == message.search(
        unknown.get_data(as_text=True)
    ).group(1)


def test_a_session_cookie_cannot_write_without_the_csrf_header(client, accounts, session):
    _login(client, "root", PASSWORD)
    token = client.get("/api/v1/auth/me").get_json()["csrf_token"]
    body = {"username": "made-by-cookie", "password": "x" * 12, "role": "member"}
    response = client.post("/api/v1/users", json=body)
    assert response.status_code == 403
    assert "CSRF" in response.get_json()["detail"]
    response = client.post("/api/v1/users", json=body, headers={"X-CSRF-Token": token})
    assert response.status_code == 201


def test_account_locks_after_five_failures_with_one_message(client, app, accounts):
    app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 5
    for _ in range(5):
        assert _login(client, "party-member", "guess").status_code == 401
    locked = _login(client, "party-member", PASSWORD)
    assert locked.status_code == 429
    page = locked.get_data(as_text=True)
    # Says neither that the account exists nor that the password was right.
    assert "party-member" not in re.search(r'role="alert">([^<]+)<', page).group(1)
    locked_unknown = [_login(client, "ghost", "guess") for _ in range(6)][-1]
    assert locked_unknown.status_code == 429
    assert re.search(r'role="alert">([^<]+)<', locked_unknown.get_data(as_text=True)).group(1) == re.search(
        r'role="alert">([^<]+)<', page
    ).group(1)


def test_address_is_limited_across_accounts(client, app, accounts):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    for name in ("a-user", "b-user", "c-user"):
        assert _login(client, name, "guess").status_code == 401
    assert _login(client, "party-member", PASSWORD).status_code == 429


def test_a_success_resets_the_account_counter(client, app, accounts):
    app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 3
    for _ in range(2):
        _login(client, "party-member", "guess")
    assert _login(client, "party-member", PASSWORD).status_code == 303
    other = app.test_client()
    for _ in range(2):
        _login(other, "party-member", "guess")
    assert _login(other, "party-member", PASSWORD).status_code == 303


def test_failures_age_out_of_the_window(client, app, accounts, session):
    app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 2
    for _ in range(2):
        _login(client, "party-member", "guess")
    assert _login(client, "party-member", PASSWORD).status_code == 429
    session.execute(text("UPDATE login_attempts SET at = at - interval '1 hour'"))
    assert _login(client, "party-member", PASSWORD).status_code == 303


def test_token_endpoint_shares_the_limit(client, app, accounts):
    app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 2
    for _ in range(2):
        response = client.post("/api/v1/auth/tokens", json={"username": "party-member", "password": "x"})
        assert response.status_code == 401
    response = client.post("/api/v1/auth/tokens", json={"username": "party-member", "password": PASSWORD})
    assert response.status_code == 429
    assert response.headers["Retry-After"].isdigit()


def test_password_change_ends_existing_sessions(client, accounts, session):
    _login(client, "party-member", PASSWORD)
    assert client.get("/api/v1/auth/me").get_json()["authenticated"] is True
    headers = headers_by_role(session, accounts)["super_admin"]
    response = client.patch(
        f"/api/v1/users/{accounts.member}", json={"password": "a brand new secret"}, headers=headers
    )
    assert response.status_code == 200
    assert client.get("/api/v1/auth/me").get_json()["authenticated"] is False


def test_session_cookie_is_http_only_and_same_site(client, accounts):
    response = _login(client, "party-member", PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("hongtu_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def _failures_from(client, addresses, forwarded_for):
    for name, address in zip(("a-user", "b-user", "c-user"), addresses, strict=True):
        form = {"username": name, "password": "guess", "csrf_token": _csrf(client)}
        headers = {"X-Forwarded-For": forwarded_for(address)}
        assert (
            client.post(
                "/login", data=form, headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"}
            ).status_code
            == 401
        )


def _login_from(client, address):
    form = {"username": "party-member", "password": PASSWORD, "csrf_token": _csrf(client)}
    return client.post(
        "/login", data=form, headers={"X-Forwarded-For": address}, environ_base={"REMOTE_ADDR": "10.0.0.1"}
    )


def test_behind_a_trusted_proxy_the_limit_keys_on_the_forwarded_client(connection, accounts):
    app = create_app({"TESTING": True, "DB_CONNECTION": connection, "TRUSTED_PROXIES": 1})
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    client = app.test_client()
    # Three clients behind one proxy fail once each: none of them, and nobody else, is limited.
    _failures_from(client, ["203.0.113.1", "203.0.113.2", "203.0.113.3"], lambda a: a)
    assert _login_from(client, "203.0.113.9").status_code == 303
    # One client failing three times is limited, whatever it claims further left in the header.
    client = app.test_client()
    _failures_from(client, ["203.0.113.5"] * 3, lambda a: f"198.51.100.7, {a}")
    assert _login_from(client, "203.0.113.5").status_code == 429


def test_without_trusted_proxies_a_forged_header_changes_nothing(client, app, accounts):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    _failures_from(client, ["203.0.113.1", "203.0.113.2", "203.0.113.3"], lambda a: a)
    assert _login_from(client, "203.0.113.9").status_code == 429
