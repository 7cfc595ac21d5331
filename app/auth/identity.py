"""Who is asking: the identity behind a bearer token or a login session, resolved once per request."""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

from flask import current_app, g, request, session

from ..db import get_session
from ..errors import Forbidden, Unauthorized
from . import csrf, queries

log = logging.getLogger(__name__)

VISITOR_ROLE, MEMBER, ORG_ADMIN, SUPER_ADMIN = "visitor", "member", "org_admin", "super_admin"
ROLES = (VISITOR_ROLE, MEMBER, ORG_ADMIN, SUPER_ADMIN)
ACCOUNT_ROLES = (MEMBER, ORG_ADMIN, SUPER_ADMIN)
ADMIN_ROLES = (ORG_ADMIN, SUPER_ADMIN)
ROLE_LABELS = {VISITOR_ROLE: "访客", MEMBER: "党员", ORG_ADMIN: "组织管理员", SUPER_ADMIN: "超级管理员"}

SESSION_USER_KEY, SESSION_VERSION_KEY = "uid", "sv"


@dataclass(frozen=True)
class Identity:
    """The caller: an account (with its role and organization) or the anonymous visitor."""

    user_id: int | None
    username: str | None
    role: str
    org_id: int | None = None
    via: str | None = None  # "session", "token" or "config" (the HONGTU_ADMIN_TOKEN break-glass token)
    token_id: int | None = None

    @property
    def authenticated(self) -> bool:
        return self.role != VISITOR_ROLE


VISITOR = Identity(None, None, VISITOR_ROLE)


def hash_token(secret: str) -> str:
    """Return the sha256 hex digest under which an API token secret is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _from_bearer(secret: str) -> Identity | None:
    expected = current_app.config.get("ADMIN_TOKEN")
    if expected and hmac.compare_digest(secret.encode(), expected.encode()):
        return Identity(None, "admin-token", SUPER_ADMIN, via="config")
    db = get_session()
    owner = queries.token_owner(db, hash_token(secret))
    if owner is None:
        return None
    if owner.stale:
        # last_used_at is refreshed at most every ten minutes, so most requests stay read-only.
        queries.touch_token(db, owner.token_id)
        db.commit()
    return Identity(owner.user_id, owner.username, owner.role, owner.org_id, "token", owner.token_id)


def _from_session() -> Identity | None:
    user_id = session.get(SESSION_USER_KEY)
    if not isinstance(user_id, int):
        return None
    if request.method in csrf.UNSAFE_METHODS and not csrf.csrf_valid():
        # A cookie alone never authorises a write: without the token the request is anonymous.
        g.auth_problem = "the CSRF token is missing or wrong: send it as X-CSRF-Token or field csrf_token"
        return None
    principal = queries.session_user(get_session(), user_id, session.get(SESSION_VERSION_KEY, 0))
    if principal is None:
        session.pop(SESSION_USER_KEY, None)
        return None
    return Identity(principal.user_id, principal.username, principal.role, principal.org_id, "session")


def _resolve() -> Identity:
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            g.auth_problem = "send the token as Authorization: Bearer <token>"
            return VISITOR
        identity = _from_bearer(secret.strip())
        if identity is None:
            g.auth_problem = "the bearer token is not valid (unknown, expired or revoked)"
            return VISITOR
        return identity
    return _from_session() or VISITOR


def current_user() -> Identity:
    """Return the caller of this request, looked up once and kept on flask.g."""
    if "hongtu_identity" not in g:
        g.hongtu_identity = _resolve()
    return g.hongtu_identity


def remember_login(user_id: int, session_version: int) -> None:
    """Start a fresh login session for user_id (a new session id and CSRF token against fixation)."""
    session.clear()
    session.permanent = True
    session[SESSION_USER_KEY] = user_id
    session[SESSION_VERSION_KEY] = session_version
    csrf.rotate()
    g.pop("hongtu_identity", None)


def forget_login() -> None:
    """End the login session of this browser."""
    session.clear()
    csrf.rotate()
    g.pop("hongtu_identity", None)


def require_role(*roles: str) -> Identity:
    """Return the caller if its role is one of roles; 401 when anonymous, 403 otherwise."""
    identity = current_user()
    if identity.role in roles:
        return identity
    problem = g.get("auth_problem")
    if problem:
        raise Forbidden(problem)
    if not identity.authenticated:
        raise Unauthorized("sign in at /login or send Authorization: Bearer <token>")
    wanted = " or ".join(roles)
    log.warning(
        "user %s (%s) refused %s %s: needs %s",
        identity.username,
        identity.role,
        request.method,
        request.path,
        wanted,
    )
    raise Forbidden(f"this needs the role {wanted}; you are {identity.role}")


def require_login() -> Identity:
    """Return the signed-in caller of any role; 401 (or 403 for a bad token) for visitors."""
    return require_role(*ACCOUNT_ROLES)


def require_super_admin() -> Identity:
    """Return the caller if a super admin; 401/403 otherwise."""
    return require_role(SUPER_ADMIN)


def is_admin() -> bool:
    """Return True when the caller is an organization admin or a super admin."""
    return current_user().role in ADMIN_ROLES


def require_admin() -> Identity:
    """Return the caller if an organization admin or super admin; 401 when anonymous, 403 otherwise."""
    return require_role(*ADMIN_ROLES)
