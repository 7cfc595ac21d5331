"""SQL for accounts: users, API tokens, login attempts, the organization and region subtrees, check-ins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import Conflict, NotFound
from ..regions.province import province_clause


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    display_name: str | None
    role: str
    org_id: int | None
    org_code: str | None
    active: bool
    session_version: int
    created_at: datetime


@dataclass(frozen=True)
class Credentials:
    id: int
    username: str
    password_hash: str
    active: bool
    session_version: int


@dataclass(frozen=True)
class TokenRow:
    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    role: str
    org_id: int | None


@dataclass(frozen=True)
class TokenOwner(Principal):
    token_id: int
    stale: bool


@dataclass(frozen=True)
class CheckInRow:
    id: int
    site_id: int
    site_name: str
    at: datetime
    visit_date: date
    distance_m: float


_USER_COLUMNS = """
    u.id, u.username, u.display_name, u.role, u.org_id, o.code AS org_code, u.active,
    u.session_version, u.created_at
"""
GET_USER = text(
    f"SELECT {_USER_COLUMNS} FROM users u LEFT JOIN organizations o ON o.id = u.org_id WHERE u.id = :id"
)
LIST_USERS = text(f"""
    SELECT {_USER_COLUMNS} FROM users u LEFT JOIN organizations o ON o.id = u.org_id
    ORDER BY u.id LIMIT :limit OFFSET :offset
""")
CREDENTIALS = text("""
    SELECT id, username, password_hash, active, session_version FROM users
    WHERE lower(username) = lower(:username)
""")
INSERT_USER = text("""
    INSERT INTO users (username, display_name, password_hash, role, org_id)
    VALUES (:username, :display_name, :password_hash, :role, :org_id)
    RETURNING id
""")
UPDATE_USER = text("""
    UPDATE users SET display_name = :display_name, role = :role, org_id = :org_id, active = :active,
           session_version = session_version + CAST(:bump AS integer), updated_at = now()
    WHERE id = :id
""")
SET_PASSWORD = text("""
    UPDATE users SET password_hash = :password_hash, session_version = session_version + 1, updated_at = now()
    WHERE id = :id
""")
ORG_ID_BY_CODE = text("SELECT id FROM organizations WHERE code = :code")
ORG_PLACE = text("SELECT region_id, province FROM organizations WHERE id = :id")


def _subtree(table: str, sharded: bool = False):
    # UNION (not UNION ALL) stops at nodes already seen, so a cycle in parent_id cannot loop forever.
    # A sharded tree lies in its root's province (fk_organizations_province_parent): one shard.
    root = province_clause(f"{table}.province") if sharded else "true"
    child = province_clause("child.province") if sharded else "true"
    return text(f"""
        WITH RECURSIVE tree AS (
            SELECT id FROM {table} WHERE id = :root_id AND {root}
            UNION
            SELECT child.id FROM {table} child JOIN tree ON child.parent_id = tree.id WHERE {child}
        )
        SELECT id FROM tree ORDER BY id
    """)


ORG_SUBTREE = _subtree("organizations", sharded=True)
REGION_SUBTREE = _subtree("regions")

SESSION_USER = text("""
    SELECT id AS user_id, username, role, org_id FROM users
    WHERE id = :id AND active AND session_version = :session_version
""")
TOKEN_OWNER = text("""
    SELECT t.id AS token_id, u.id AS user_id, u.username, u.role, u.org_id,
           (t.last_used_at IS NULL OR t.last_used_at < now() - interval '10 minutes') AS stale
    FROM api_tokens t JOIN users u ON u.id = t.user_id
    WHERE t.token_hash = :token_hash AND t.revoked_at IS NULL AND t.expires_at > now() AND u.active
""")
TOUCH_TOKEN = text("UPDATE api_tokens SET last_used_at = now() WHERE id = :id")
INSERT_TOKEN = text("""
    INSERT INTO api_tokens (user_id, name, token_hash, prefix, expires_at)
    VALUES (:user_id, :name, :token_hash, :prefix, now() + make_interval(days => :days))
    RETURNING id, user_id, name, prefix, created_at, expires_at, revoked_at, last_used_at
""")
LIST_TOKENS = text("""
    SELECT id, user_id, name, prefix, created_at, expires_at, revoked_at, last_used_at
    FROM api_tokens WHERE user_id = :user_id ORDER BY id
""")
GET_TOKEN = text("""
    SELECT id, user_id, name, prefix, created_at, expires_at, revoked_at, last_used_at
    FROM api_tokens WHERE id = :id
""")
REVOKE_TOKEN = text("UPDATE api_tokens SET revoked_at = now() WHERE id = :id AND revoked_at IS NULL")

RECORD_ATTEMPT = text("""
    INSERT INTO login_attempts (username, address, outcome) VALUES (lower(:username), :address, :outcome)
""")
# Failures since the account's last success (or within the window), and from the address within the window.
RECENT_FAILURES = text("""
    SELECT
        (SELECT count(*) FROM login_attempts a
         WHERE lower(a.username) = lower(:username) AND a.outcome = 'fail'
           AND a.at > now() - make_interval(secs => :window_s)
           AND a.at > coalesce((SELECT max(at) FROM login_attempts s
                                WHERE lower(s.username) = lower(:username) AND s.outcome = 'ok'),
                               '-infinity')) AS account_failures,
        (SELECT count(*) FROM login_attempts a
         WHERE a.address = :address AND a.outcome = 'fail'
           AND a.at > now() - make_interval(secs => :window_s)) AS address_failures
""")

SITE_DISTANCE = text("""
    SELECT name, ST_Distance(geom::geography, CAST(:point AS geography)) AS distance_m
    FROM heritage_sites WHERE id = :site_id
""")
INSERT_CHECKIN = text("""
    INSERT INTO checkins (user_id, site_id, visit_date, geom, distance_m)
    VALUES (:user_id, :site_id, (now() AT TIME ZONE 'Asia/Shanghai')::date,
            ST_GeomFromEWKT(:point), :distance_m)
    ON CONFLICT ON CONSTRAINT one_checkin_per_site_per_day DO NOTHING
    RETURNING id
""")
LIST_CHECKINS = text("""
    SELECT c.id, c.site_id, s.name AS site_name, c.at, c.visit_date, c.distance_m
    FROM checkins c JOIN heritage_sites s ON s.id = c.site_id
    WHERE c.user_id = :user_id ORDER BY c.at DESC, c.id DESC LIMIT :limit
""")


def get_user(session: Session, user_id: int) -> UserRow:
    """Return the account with id user_id; NotFound if there is none."""
    row = session.execute(GET_USER, {"id": user_id}).one_or_none()
    if row is None:
        raise NotFound(f"user {user_id} does not exist")
    return UserRow(**row._mapping)


def list_users(session: Session, limit: int = 100, offset: int = 0) -> list[UserRow]:
    """Return accounts ordered by id."""
    return [UserRow(**r._mapping) for r in session.execute(LIST_USERS, {"limit": limit, "offset": offset})]


def credentials(session: Session, username: str) -> Credentials | None:
    """Return the stored password hash of username (matched case-insensitively), or None."""
    row = session.execute(CREDENTIALS, {"username": username}).one_or_none()
    return Credentials(**row._mapping) if row else None


def insert_user(
    session: Session,
    username: str,
    password_hash: str,
    role: str,
    org_id: int | None,
    display_name: str | None,
) -> int:
    """Insert an account and return its id; Conflict if the username is taken."""
    params = {
        "username": username,
        "password_hash": password_hash,
        "role": role,
        "org_id": org_id,
        "display_name": display_name,
    }
    try:
        with session.begin_nested():
            return session.execute(INSERT_USER, params).scalar_one()
    except IntegrityError:
        raise Conflict(f"username {username!r} is taken", param="username") from None


def update_user(
    session: Session, user: UserRow, *, display_name: str | None, role: str, org_id: int | None, active: bool
) -> None:
    """Store new attributes of user; a change of role, organization or activity ends its sessions."""
    bump = int((role, org_id, active) != (user.role, user.org_id, user.active))
    params = {
        "id": user.id,
        "display_name": display_name,
        "role": role,
        "org_id": org_id,
        "active": active,
        "bump": bump,
    }
    session.execute(UPDATE_USER, params)


def set_password(session: Session, user_id: int, password_hash: str) -> None:
    """Replace the password hash of user_id and end its sessions."""
    session.execute(SET_PASSWORD, {"id": user_id, "password_hash": password_hash})


def org_id_by_code(session: Session, code: str) -> int | None:
    """Return the id of the organization with code, or None."""
    return session.execute(ORG_ID_BY_CODE, {"code": code}).scalar_one_or_none()


def org_place(session: Session, org_id: int) -> tuple[int | None, str | None]:
    """Return the region id (None when it has none) and province of organization org_id."""
    row = session.execute(ORG_PLACE, {"id": org_id}).first()
    return (row.region_id, row.province) if row else (None, None)


def org_subtree_ids(session: Session, org_id: int, province: str | None = None) -> list[int]:
    """Return the ids of organization org_id (of province, when known) and every organization below it."""
    params = {"root_id": org_id, "province": province}
    return list(session.execute(ORG_SUBTREE, params).scalars())


def region_subtree_ids(session: Session, region_id: int) -> list[int]:
    """Return the ids of region region_id and every region below it, ascending."""
    return list(session.execute(REGION_SUBTREE, {"root_id": region_id}).scalars())


def session_user(session: Session, user_id: int, session_version: int) -> Principal | None:
    """Return the active account behind a login session, or None when it is gone or signed out."""
    row = session.execute(SESSION_USER, {"id": user_id, "session_version": session_version}).one_or_none()
    return Principal(**row._mapping) if row else None


def token_owner(session: Session, token_hash: str) -> TokenOwner | None:
    """Return the active account of an unexpired, unrevoked token by its sha256 hex, or None."""
    row = session.execute(TOKEN_OWNER, {"token_hash": token_hash}).one_or_none()
    return TokenOwner(**row._mapping) if row else None


def touch_token(session: Session, token_id: int) -> None:
    """Record that token_id was used now."""
    session.execute(TOUCH_TOKEN, {"id": token_id})


def insert_token(
    session: Session, user_id: int, name: str, token_hash: str, prefix: str, days: int
) -> TokenRow:
    """Store a token hash for user_id valid for days days and return its row."""
    params = {"user_id": user_id, "name": name, "token_hash": token_hash, "prefix": prefix, "days": days}
    return TokenRow(**session.execute(INSERT_TOKEN, params).one()._mapping)


def list_tokens(session: Session, user_id: int) -> list[TokenRow]:
    """Return every token of user_id, revoked and expired ones included."""
    return [TokenRow(**r._mapping) for r in session.execute(LIST_TOKENS, {"user_id": user_id})]


def get_token(session: Session, token_id: int) -> TokenRow | None:
    """Return token token_id, or None."""
    row = session.execute(GET_TOKEN, {"id": token_id}).one_or_none()
    return TokenRow(**row._mapping) if row else None


def revoke_token(session: Session, token_id: int) -> None:
    """Mark token_id revoked now (a no-op when it already is)."""
    session.execute(REVOKE_TOKEN, {"id": token_id})


def record_attempt(session: Session, username: str, address: str, outcome: str) -> None:
    """Append one login attempt (outcome ok, fail or blocked)."""
    session.execute(RECORD_ATTEMPT, {"username": username[:64], "address": address[:64], "outcome": outcome})


def recent_failures(session: Session, username: str, address: str, window_s: int) -> tuple[int, int]:
    """Return failed logins within window_s seconds for the account (since its last success) and address."""
    params = {"username": username[:64], "address": address[:64], "window_s": window_s}
    row = session.execute(RECENT_FAILURES, params).one()
    return row.account_failures, row.address_failures


def site_distance(session: Session, site_id: int, point_ewkt: str) -> tuple[str, float] | None:
    """Return the name of site site_id and its geodesic distance in metres from point_ewkt (SRID 4326)."""
    row = session.execute(SITE_DISTANCE, {"site_id": site_id, "point": point_ewkt}).one_or_none()
    return (row.name, row.distance_m) if row else None


def insert_checkin(
    session: Session, user_id: int, site_id: int, point_ewkt: str, distance_m: float
) -> int | None:
    """Store a check-in for today (China time) and return its id; None when one exists already."""
    params = {"user_id": user_id, "site_id": site_id, "point": point_ewkt, "distance_m": distance_m}
    return session.execute(INSERT_CHECKIN, params).scalar_one_or_none()


def list_checkins(session: Session, user_id: int, limit: int = 100) -> list[CheckInRow]:
    """Return the newest check-ins of user_id, newest first."""
    rows = session.execute(LIST_CHECKINS, {"user_id": user_id, "limit": limit})
    return [CheckInRow(**r._mapping) for r in rows]
