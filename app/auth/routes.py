"""Login pages, API tokens, account management, the audit trail API and member check-ins."""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request

from ..config import PROJECT_ROOT
from ..db import get_session
from ..errors import ApiError, Forbidden, InvalidBody, InvalidParameter, NotFound, problem
from ..geo import parse_int, parse_point
from . import csrf, queries, service
from .audit import audit, list_audit
from .identity import (
    ROLE_LABELS,
    SUPER_ADMIN,
    current_user,
    forget_login,
    remember_login,
    require_login,
    require_super_admin,
)
from .limits import json_body

bp = Blueprint("auth", __name__, template_folder=str(PROJECT_ROOT / "map_templates"))

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")


def _limits() -> service.LoginLimits:
    return service.LoginLimits.from_config(current_app.config)


def _safe_next(target: str | None) -> str:
    # Only paths on this site: "//host" and "/\\host" would leave it.
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _login_page(message: str | None, status: int, username: str = ""):
    html = render_template(
        "auth/login.html", message=message, username=username, next=_safe_next(request.values.get("next"))
    )
    return html, status, {"Content-Type": "text/html; charset=utf-8"}


@bp.get("/login")
def login_form():
    if current_user().authenticated:
        return redirect(_safe_next(request.args.get("next")))
    return _login_page(None, 200)


@bp.post("/login")
def login_submit():
    if not csrf.csrf_valid():
        return _login_page("页面已过期，请重试 / the form expired, please try again", 400)
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")
    session = get_session()
    try:
        account = service.authenticate(session, username, password, request.remote_addr or "", _limits())
    except (service.LoginFailed, service.TooManyAttempts) as err:
        session.commit()  # the failed attempt must count even though the login is refused
        return _login_page(err.message, err.status, username)
    remember_login(account.id, account.session_version)
    audit(session, "login", "user", account.id)
    session.commit()
    return redirect(_safe_next(request.form.get("next")), 303)


@bp.post("/logout")
def logout():
    if not csrf.csrf_valid():
        raise Forbidden("the CSRF token is missing or wrong")
    forget_login()
    return redirect("/login", 303)


@bp.get("/api/v1/auth/me")
def me():
    identity = current_user()
    body: dict[str, Any] = {
        "authenticated": identity.authenticated,
        "username": identity.username,
        "role": identity.role,
        "role_label": ROLE_LABELS[identity.role],
        "org_id": identity.org_id,
        "via": identity.via,
    }
    if identity.via == "session":
        # Scripts on our pages echo this header on writes.
        body["csrf_token"] = csrf.csrf_token()
    return body


def _days(body: dict[str, Any]) -> int:
    config = current_app.config
    return parse_int(body, "days", default=config["TOKEN_DEFAULT_DAYS"], lo=1, hi=config["TOKEN_MAX_DAYS"])


def _text(body: dict[str, Any], name: str, max_len: int, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise InvalidBody(f"{name} is required", param=name)
        return None
    if not isinstance(value, str) or len(value) > max_len:
        raise InvalidBody(f"{name} must be text of at most {max_len} characters", param=name)
    return value


@bp.post("/api/v1/auth/tokens")
def create_token():
    """Issue a token to the caller, or to username/password when sent (rate-limited like the login page)."""
    body = json_body()
    session = get_session()
    if "username" in body or "password" in body:
        username = _text(body, "username", 64, required=True) or ""
        password = _text(body, "password", 1024, required=True) or ""
        try:
            account = service.authenticate(session, username, password, request.remote_addr or "", _limits())
        except (service.LoginFailed, service.TooManyAttempts):
            session.commit()
            raise
        user_id = account.id
    else:
        user_id = require_login().user_id
        if user_id is None:
            raise InvalidBody("the configured admin token has no account; create a user first", param="body")
    issued = service.issue_token(session, user_id, _text(body, "name", 100) or "", _days(body))
    session.commit()
    return {"token": issued.secret, **service.public_token(issued.token)}, 201


@bp.get("/api/v1/auth/tokens")
def list_my_tokens():
    identity = require_login()
    if identity.user_id is None:
        return {"tokens": []}
    return {"tokens": [service.public_token(t) for t in queries.list_tokens(get_session(), identity.user_id)]}


@bp.delete("/api/v1/auth/tokens/<int:token_id>")
def revoke_token(token_id: int):
    identity = require_login()
    session = get_session()
    token = queries.get_token(session, token_id)
    if token is None or (token.user_id != identity.user_id and identity.role != SUPER_ADMIN):
        raise NotFound(f"token {token_id} does not exist")
    service.revoke(session, token)
    session.commit()
    return "", 204


@bp.get("/api/v1/users")
def list_users():
    require_super_admin()
    limit = parse_int(request.args, "limit", default=100, lo=1, hi=1000)
    offset = parse_int(request.args, "offset", default=0, lo=0, hi=10_000_000)
    users = queries.list_users(get_session(), limit, offset)
    return {"users": [service.public_user(u) for u in users]}


@bp.post("/api/v1/users")
def create_user():
    require_super_admin()
    body = json_body()
    username = _text(body, "username", 64, required=True) or ""
    if not USERNAME.match(username):
        raise InvalidBody("username: 3-64 letters, digits or _ . @ -", param="username")
    session = get_session()
    config = current_app.config
    user = service.create_user(
        session,
        username,
        _text(body, "password", 1024, required=True) or "",
        _text(body, "role", 20, required=True) or "",
        _text(body, "org", 40),
        hash_method=config["PASSWORD_HASH_METHOD"],
        min_length=config["PASSWORD_MIN_LENGTH"],
        display_name=_text(body, "display_name", 100),
    )
    session.commit()
    return service.public_user(user), 201


@bp.get("/api/v1/users/<int:user_id>")
def get_user(user_id: int):
    require_super_admin()
    return service.public_user(queries.get_user(get_session(), user_id))


@bp.patch("/api/v1/users/<int:user_id>")
def update_user(user_id: int):
    require_super_admin()
    body = json_body()
    session = get_session()
    user = queries.get_user(session, user_id)
    role = _text(body, "role", 20) or user.role
    org_code = _text(body, "org", 40) if "org" in body else user.org_code
    active = body.get("active", user.active)
    if not isinstance(active, bool):
        raise InvalidBody("active must be true or false", param="active")
    display_name = _text(body, "display_name", 100) if "display_name" in body else user.display_name
    org_id = service.resolve_org(session, role, org_code)
    queries.update_user(session, user, display_name=display_name, role=role, org_id=org_id, active=active)
    password = body.get("password")
    if password is not None:
        service.check_new_password(password, current_app.config["PASSWORD_MIN_LENGTH"])
        queries.set_password(
            session, user.id, service.hash_password(password, current_app.config["PASSWORD_HASH_METHOD"])
        )
    after = queries.get_user(session, user_id)
    details = {"password_changed": password is not None}
    audit(session, "update", "user", user.id, service.public_user(user), service.public_user(after), details)
    session.commit()
    return service.public_user(after)


@bp.get("/api/v1/audit")
def audit_trail():
    require_super_admin()
    args = request.args
    entries = list_audit(
        get_session(),
        object_type=_arg(args, "object_type", 40),
        object_id=_arg(args, "object_id", 80),
        user_id=parse_int(args, "user_id", lo=1, hi=2**31 - 1) if args.get("user_id") else None,
        action=_arg(args, "action", 40),
        before_id=parse_int(args, "before_id", lo=1, hi=2**62) if args.get("before_id") else None,
        limit=parse_int(args, "limit", default=100, lo=1, hi=1000),
    )
    items = [{**asdict(e), "at": e.at.isoformat()} for e in entries]
    return {"entries": items, "next_before_id": entries[-1].id if entries else None}


def _arg(args: Any, name: str, max_len: int) -> str | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    if len(value) > max_len or "\x00" in value:
        raise InvalidParameter(f"{name} must be at most {max_len} characters", param=name)
    return value


@bp.post("/api/v1/checkins")
def create_checkin():
    identity = require_login()
    if identity.user_id is None:
        raise InvalidBody("check-ins belong to an account; the configured admin token has none", param="body")
    body = json_body()
    site_id = parse_int(body, "site_id", lo=1, hi=2**31 - 1)
    where = parse_point(body)
    session = get_session()
    radius_m = current_app.config["CHECKIN_RADIUS_M"]
    checkin_id, distance_m, name = service.check_in(session, identity.user_id, site_id, where, radius_m)
    session.commit()
    result = {"site_id": site_id, "site_name": name, "distance_m": round(distance_m, 1), "radius_m": radius_m}
    if checkin_id is None:
        return {**result, "counted": False, "detail": "already checked in at this site today"}, 200
    return {**result, "id": checkin_id, "counted": True}, 201


@bp.get("/api/v1/checkins")
def my_checkins():
    identity = require_login()
    if identity.user_id is None:
        return {"checkins": []}
    limit = parse_int(request.args, "limit", default=100, lo=1, hi=1000)
    rows = queries.list_checkins(get_session(), identity.user_id, limit)
    return {
        "checkins": [
            {**asdict(r), "at": r.at.isoformat(), "visit_date": r.visit_date.isoformat()} for r in rows
        ]
    }


@bp.errorhandler(service.TooManyAttempts)
def _too_many(err: ApiError):
    response = problem(err.status, err.code, err.title, err.message, err.errors, **err.extra)
    response.headers["Retry-After"] = str(current_app.config["LOGIN_WINDOW_S"])
    return response
