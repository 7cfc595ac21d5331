"""Account jobs that combine queries: signing in under the rate limit, creating users, issuing tokens."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from shapely.geometry import Point
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import ApiError, InvalidBody, NotFound
from ..geo import ewkt
from . import queries
from .audit import audit
from .identity import ACCOUNT_ROLES, ORG_ADMIN, hash_token

log = logging.getLogger(__name__)

TOKEN_PREFIX = "ht_"
# Compared against when the username is unknown, so both failures cost one hash check.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="pbkdf2:sha256:1000")


class TooManyAttempts(ApiError):
    status, code, title = 429, "too-many-attempts", "Too many attempts"


class LoginFailed(ApiError):
    status, code, title = 401, "login-failed", "Login failed"


# One message for an unknown user, a wrong password and a disabled account: none is told apart.
LOGIN_FAILED = "用户名或密码错误 / wrong username or password"
LOCKED_OUT = "登录尝试过多，请稍后再试 / too many attempts, try again later"


@dataclass(frozen=True)
class LoginLimits:
    window_s: int
    per_account: int
    per_address: int

    @classmethod
    def from_config(cls, config: Any) -> LoginLimits:
        return cls(
            config["LOGIN_WINDOW_S"],
            config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
            config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
        )


@dataclass(frozen=True)
class IssuedToken:
    """A new token: secret is shown once and only its sha256 is stored."""

    secret: str
    token: queries.TokenRow


def hash_password(password: str, method: str) -> str:
    """Return werkzeug's salted hash of password with method (scrypt or pbkdf2 with its cost)."""
    return generate_password_hash(password, method=method)


def check_password(password_hash: str, password: str) -> bool:
    """Return True if password matches password_hash."""
    return check_password_hash(password_hash, password)


def authenticate(
    session: Session, username: str, password: str, address: str, limits: LoginLimits
) -> queries.Credentials:
    """Return the account matching username and password; LoginFailed or TooManyAttempts otherwise.

    Failures are counted per account (since its last success) and per client address within the window;
    the attempt is recorded either way, so the caller must commit even when this raises.
    """
    account_failures, address_failures = queries.recent_failures(session, username, address, limits.window_s)
    if account_failures >= limits.per_account or address_failures >= limits.per_address:
        queries.record_attempt(session, username, address, "blocked")
        log.warning(
            "login blocked for %r from %s (%d/%d failures)",
            username,
            address,
            account_failures,
            address_failures,
        )
        raise TooManyAttempts(LOCKED_OUT, extra={"retry_after_s": limits.window_s})
    found = queries.credentials(session, username)
    ok = check_password(found.password_hash if found else _DUMMY_HASH, password)
    if not (found and ok and found.active):
        queries.record_attempt(session, username, address, "fail")
        raise LoginFailed(LOGIN_FAILED)
    queries.record_attempt(session, username, address, "ok")
    return found


def check_new_password(password: str, min_length: int) -> None:
    """Raise InvalidBody unless password is long enough."""
    if not isinstance(password, str) or len(password) < min_length:
        raise InvalidBody(f"password must have at least {min_length} characters", param="password")
    if len(password) > 1024:
        raise InvalidBody("password must have at most 1024 characters", param="password")


def resolve_org(session: Session, role: str, org_code: str | None) -> int | None:
    """Return the organization id an account of role is bound to; 400 when the binding is wrong."""
    if role not in ACCOUNT_ROLES:
        raise InvalidBody(f"role must be one of {', '.join(ACCOUNT_ROLES)}", param="role")
    if role == ORG_ADMIN and not org_code:
        raise InvalidBody("an org_admin needs org (the code of its organization)", param="org")
    if not org_code:
        return None
    org_id = queries.org_id_by_code(session, org_code)
    if org_id is None:
        raise InvalidBody(f"no organization with code {org_code[:40]!r}", param="org")
    return org_id


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    org_code: str | None,
    *,
    hash_method: str,
    min_length: int,
    display_name: str | None = None,
) -> queries.UserRow:
    """Create an account (audited) and return it; 400 on a bad role/org/password, 409 if the name is taken."""
    check_new_password(password, min_length)
    org_id = resolve_org(session, role, org_code)
    user_id = queries.insert_user(
        session, username, hash_password(password, hash_method), role, org_id, display_name
    )
    user = queries.get_user(session, user_id)
    audit(session, "create", "user", user.id, None, public_user(user))
    return user


def public_user(user: queries.UserRow) -> dict[str, Any]:
    """Return what the API shows of an account (never its password hash)."""
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "org_id": user.org_id,
        "org_code": user.org_code,
        "active": user.active,
        "created_at": user.created_at.isoformat(),
    }


def issue_token(session: Session, user_id: int, name: str, days: int) -> IssuedToken:
    """Create an API token for user_id valid for days days; the secret is returned once (audited)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = queries.insert_token(session, user_id, name, hash_token(secret), secret[:10], days)
    audit(session, "create", "api_token", token.id, None, public_token(token))
    return IssuedToken(secret, token)


def revoke(session: Session, token: queries.TokenRow) -> None:
    """Revoke token (audited)."""
    queries.revoke_token(session, token.id)
    after = queries.get_token(session, token.id)
    audit(session, "revoke", "api_token", token.id, public_token(token), public_token(after))


def public_token(token: queries.TokenRow | None) -> dict[str, Any] | None:
    """Return what the API shows of a token (its prefix, never its hash)."""
    if token is None:
        return None
    return {
        "id": token.id,
        "user_id": token.user_id,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at.isoformat(),
        "expires_at": token.expires_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
    }


class TooFar(ApiError):
    status, code, title = 422, "too-far", "Too far from the site"


def check_in(
    session: Session, user_id: int, site_id: int, where: Point, radius_m: float
) -> tuple[int | None, float, str]:
    """Record a visit of site_id from where (WGS84) within radius_m metres; return (id or None, m, name).

    The id is None when the member already checked in at this site today (China Standard Time).
    """
    point = ewkt(where)
    found = queries.site_distance(session, site_id, point)
    if found is None:
        raise NotFound(f"site {site_id} does not exist")
    name, distance_m = found
    if distance_m > radius_m:
        raise TooFar(
            f"you are {distance_m:.0f} m from {name}; check-ins count within {radius_m:.0f} m",
            extra={"distance_m": round(distance_m, 1), "radius_m": radius_m},
        )
    checkin_id = queries.insert_checkin(session, user_id, site_id, point, distance_m)
    if checkin_id is not None:
        after = {"site_id": site_id, "distance_m": round(distance_m, 1), "lon": where.x, "lat": where.y}
        audit(session, "create", "checkin", checkin_id, None, after)
    return checkin_id, distance_m, name
