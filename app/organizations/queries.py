"""SQL for the party organization tree: scoped lists, one organization, children, subtrees, versioned writes.

Reads bind Scope.params(): an organization admin reaches its own organization's subtree, a super admin
every organization. They also bind :province, the shard key (migration 0009_province_shard_key): a list
of a region, a children list and a subtree name theirs, since a tree never leaves its root's province.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ..auth import Scope, org_clause
from ..regions.province import province_clause
from ..vocab import REGION_LEVELS


@dataclass(frozen=True)
class OrgRow:
    """An organization with its parent, region and counts; geometry is a GeoJSON Point (EPSG:4326) or None."""

    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    parent_code: str | None
    parent_name: str | None
    adcode: str | None
    region_name: str | None
    member_total: int
    member_counts: dict[str, Any]
    contact_person: str | None
    contact_phone: str | None
    active: bool
    version: int
    updated_at: datetime
    children_count: int
    zones_count: int
    geometry: dict[str, Any] | None
    province: str
    depth: int | None = None


@dataclass(frozen=True)
class RegionStep:
    """One region on the path from the top of the region tree down to an organization's region."""

    adcode: str
    name: str
    level: str


@dataclass(frozen=True)
class OrgFilters:
    """List filters; None (or empty) means no filter. region_ids is the region and everything below it,
    province the one they lie in (or the parent's)."""

    region_ids: tuple[int, ...] | None = None
    province: str | None = None
    parent_id: int | None = None
    kinds: tuple[str, ...] = ()
    active: bool | None = None
    q: str | None = None


# Children, parent and zones share the organization's province (fk_organizations_province_parent,
# fk_zones_province_org). With :province bound the planner folds this to that constant, which keeps
# the correlated lookups on the one shard too; without, it is the row's own province.
_SAME = "COALESCE(CAST(:province AS char(2)), o.province)"
_COLUMNS = f"""
    o.id, o.code, o.name, o.kind, o.parent_id, p.code AS parent_code, p.name AS parent_name,
    g.adcode, g.name AS region_name, o.member_total, o.member_counts, o.contact_person, o.contact_phone,
    o.active, o.version, o.updated_at, o.province,
    -- both counts are served by the indexes on organizations.parent_id and zones.org_id
    (SELECT count(*) FROM organizations c
     WHERE c.province = {_SAME} AND c.parent_id = o.id) AS children_count,
    (SELECT count(*) FROM zones z WHERE z.province = {_SAME} AND z.org_id = o.id) AS zones_count,
    ST_AsGeoJSON(o.geom, 7)::json AS geometry
"""
_FROM = f"""
    FROM organizations o
    LEFT JOIN organizations p ON p.province = {_SAME} AND p.id = o.parent_id
    LEFT JOIN regions g ON g.id = o.region_id
"""
_FILTERS = f"""
    WHERE {org_clause("o.id")}
      AND {province_clause("o.province")}
      AND (CAST(:region_ids AS integer[]) IS NULL OR o.region_id = ANY(CAST(:region_ids AS integer[])))
      AND (CAST(:parent_id AS integer) IS NULL OR o.parent_id = :parent_id)
      AND (CAST(:kinds AS text[]) IS NULL OR o.kind = ANY(CAST(:kinds AS text[])))
      AND (CAST(:active AS boolean) IS NULL OR o.active = :active)
      AND (CAST(:q AS text) IS NULL OR o.name ILIKE :q ESCAPE '\\' OR o.code ILIKE :q ESCAPE '\\')
"""

LIST_ORGS = text(f"SELECT {_COLUMNS} {_FROM} {_FILTERS} ORDER BY o.code, o.id LIMIT :limit OFFSET :offset")
COUNT_ORGS = text(f"SELECT count(*) FROM organizations o {_FILTERS}")
GET_ORG = text(f"SELECT {_COLUMNS} {_FROM} WHERE o.id = :id AND {org_clause('o.id')}")
# GET_ORG looks an organization up by id alone: its province is what it tells.
_ANY_PROVINCE = {"province": None}
ORG_ID_BY_CODE = text("SELECT id FROM organizations WHERE code = :code")
ORG_CODE = text("SELECT code FROM organizations WHERE id = :id")

# The organization and everything below it, depth first by code, at most max_depth levels down.
SUBTREE = text(f"""
    WITH RECURSIVE tree(id, depth, path) AS (
        SELECT id, 0, ARRAY[code::text] FROM organizations WHERE province = :province AND id = :id
        UNION ALL
        SELECT c.id, t.depth + 1, t.path || c.code::text
        FROM organizations c JOIN tree t ON c.parent_id = t.id
        WHERE c.province = :province AND t.depth < :max_depth
    )
    SELECT {_COLUMNS}, t.depth {_FROM} JOIN tree t ON t.id = o.id
    WHERE o.province = :province AND {org_clause("o.id")}
    ORDER BY t.path
    LIMIT :limit
""")

REGION_PATH = text("""
    WITH RECURSIVE up(id, parent_id, adcode, name, level, depth) AS (
        SELECT g.id, g.parent_id, g.adcode, g.name, g.level, 0
        FROM regions g JOIN organizations o ON o.region_id = g.id WHERE o.id = :id
        UNION ALL
        SELECT g.id, g.parent_id, g.adcode, g.name, g.level, up.depth + 1
        FROM regions g JOIN up ON g.id = up.parent_id
        WHERE up.depth < 10
    )
    SELECT adcode, name, level FROM up ORDER BY depth DESC
""")


def _like(q: str | None) -> str | None:
    if q is None:
        return None
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filter_params(filters: OrgFilters, scope: Scope) -> dict[str, Any]:
    return {
        "region_ids": list(filters.region_ids) if filters.region_ids is not None else None,
        "province": filters.province,
        "parent_id": filters.parent_id,
        "kinds": list(filters.kinds) or None,
        "active": filters.active,
        "q": _like(filters.q),
        **scope.params(),
    }


def list_orgs(
    session: Session, filters: OrgFilters, scope: Scope, *, limit: int, offset: int
) -> list[OrgRow]:
    """Return one page of the organizations in scope that match filters, ordered by code."""
    params = {**_filter_params(filters, scope), "limit": limit, "offset": offset}
    return [OrgRow(**r) for r in session.execute(LIST_ORGS, params).mappings()]


def count_orgs(session: Session, filters: OrgFilters, scope: Scope) -> int:
    """Return how many organizations in scope match filters."""
    return session.execute(COUNT_ORGS, _filter_params(filters, scope)).scalar_one()


def get_org(session: Session, org_id: int, scope: Scope) -> OrgRow | None:
    """Return organization org_id, or None if there is none in scope."""
    row = session.execute(GET_ORG, {"id": org_id, **_ANY_PROVINCE, **scope.params()}).mappings().first()
    return OrgRow(**row) if row else None


def org_id_by_code(session: Session, code: str) -> int | None:
    """Return the id of the organization with code, or None."""
    return session.execute(ORG_ID_BY_CODE, {"code": code}).scalar()


def org_code(session: Session, org_id: int) -> str | None:
    """Return the code of organization org_id, or None."""
    return session.execute(ORG_CODE, {"id": org_id}).scalar()


def org_subtree(session: Session, org: OrgRow, scope: Scope, *, max_depth: int, limit: int) -> list[OrgRow]:
    """Return org and the organizations below it (depth 0 for org), in scope, depth first by code."""
    params = {"id": org.id, "province": org.province, "max_depth": max_depth, "limit": limit}
    params |= scope.params()
    return [OrgRow(**r) for r in session.execute(SUBTREE, params).mappings()]


def region_path(session: Session, org_id: int) -> list[RegionStep]:
    """Return the regions from the top of the tree down to the organization's own region."""
    return [RegionStep(**r) for r in session.execute(REGION_PATH, {"id": org_id}).mappings()]


# --- writes -------------------------------------------------------------------------------------------

REFERENCES = text("""
    SELECT (SELECT id FROM regions WHERE adcode = CAST(:adcode AS text)) AS region_id,
           (SELECT id FROM organizations WHERE code = CAST(:parent_code AS text)) AS parent_id
""")
# Region levels from the deepest (community) up, our own vocabulary formatted into the SQL.
_LEVELS_UP = ", ".join(f"'{level}'" for level in reversed(REGION_LEVELS))
_DEEPEST_FIRST = f"array_position(ARRAY[{_LEVELS_UP}], g.level::text)"
# The deepest region whose outline covers the point (served by the GiST index on regions.geom), as the
# importer places points.
REGION_AT = text(f"""
    SELECT g.id FROM regions g
    WHERE ST_Covers(g.geom, ST_GeomFromWKB(decode(:wkb, 'hex'), 4326))
    ORDER BY {_DEEPEST_FIRST}, g.adcode LIMIT 1
""")
PARENT_REGION = text("SELECT region_id FROM organizations WHERE id = :id")
# True when candidate is org_id itself or lies below it: making it the parent would close a cycle.
IS_DESCENDANT = text("""
    WITH RECURSIVE up(id, depth) AS (
        SELECT CAST(:candidate AS integer), 0
        UNION ALL
        SELECT o.parent_id, up.depth + 1 FROM organizations o JOIN up ON o.id = up.id
        WHERE o.parent_id IS NOT NULL AND up.depth < 64
    )
    SELECT EXISTS (SELECT 1 FROM up WHERE id = :org_id)
""")
OWNERS = text("SELECT parent_id, region_id, version FROM organizations WHERE id = :id")
DEPENDANTS = text("""
    SELECT (SELECT count(*) FROM organizations WHERE parent_id = :id) AS children,
           (SELECT count(*) FROM zones WHERE org_id = :id) AS zones,
           (SELECT count(*) FROM users WHERE org_id = :id) AS accounts
""")

_WRITTEN = """code, name, kind, parent_id, region_id, member_total, member_counts, contact_person,
              contact_phone, active"""
INSERT_ORG = text(f"""
    INSERT INTO organizations ({_WRITTEN}, geom)
    VALUES (:code, :name, :kind, :parent_id, :region_id, :member_total, CAST(:member_counts AS jsonb),
            :contact_person, :contact_phone, :active,
            CASE WHEN CAST(:wkb AS text) IS NULL THEN NULL ELSE ST_GeomFromWKB(decode(:wkb, 'hex'), 4326) END)
    ON CONFLICT (code) DO NOTHING
    RETURNING id
""")
UPDATE_ORG = text("""
    UPDATE organizations SET code = :code, name = :name, kind = :kind, parent_id = :parent_id,
           region_id = :region_id, member_total = :member_total,
           member_counts = CAST(:member_counts AS jsonb),
           contact_person = :contact_person, contact_phone = :contact_phone, active = :active,
           geom = CASE WHEN CAST(:wkb AS text) IS NULL THEN NULL
                       ELSE ST_GeomFromWKB(decode(:wkb, 'hex'), 4326) END,
           version = version + 1, updated_at = now()
    WHERE id = :id AND version = :version
    RETURNING id
""")
DELETE_ORG = text("DELETE FROM organizations WHERE id = :id AND version = :version RETURNING id")
ORG_WKB = text("SELECT encode(ST_AsBinary(geom), 'hex') FROM organizations WHERE id = :id")


@dataclass(frozen=True)
class Owners:
    """Where an organization hangs: its parent and region ids, and its current version."""

    parent_id: int | None
    region_id: int | None
    version: int


@dataclass(frozen=True)
class Dependants:
    """What still refers to an organization: child organizations, grid zones and accounts."""

    children: int
    zones: int
    accounts: int


def resolve_references(
    session: Session, adcode: str | None, parent_code: str | None
) -> tuple[int | None, int | None]:
    """Return the ids of region adcode and of organization parent_code (None when absent or unknown)."""
    row = session.execute(REFERENCES, {"adcode": adcode, "parent_code": parent_code}).one()
    return row.region_id, row.parent_id


def region_at(session: Session, wkb_hex: str) -> int | None:
    """Return the id of the deepest region covering the point (WKB hex, EPSG:4326), or None."""
    return session.execute(REGION_AT, {"wkb": wkb_hex}).scalar()


def parent_region(session: Session, parent_id: int) -> int | None:
    """Return the region id of organization parent_id."""
    return session.execute(PARENT_REGION, {"id": parent_id}).scalar()


def would_cycle(session: Session, org_id: int, new_parent_id: int) -> bool:
    """Return True if new_parent_id is org_id or one of its descendants."""
    return session.execute(IS_DESCENDANT, {"candidate": new_parent_id, "org_id": org_id}).scalar_one()


def owners(session: Session, org_id: int) -> Owners | None:
    """Return the organization's parent, region and version, or None if it does not exist."""
    row = session.execute(OWNERS, {"id": org_id}).mappings().first()
    return Owners(**row) if row else None


def dependants(session: Session, org_id: int) -> Dependants:
    """Return how many organizations, zones and accounts still refer to org_id."""
    return Dependants(**session.execute(DEPENDANTS, {"id": org_id}).mappings().one())


def insert_org(session: Session, values: dict[str, Any]) -> int | None:
    """Insert an organization (point as WKB hex, EPSG:4326, or None); return its id, None if code is taken."""
    return session.execute(INSERT_ORG, values).scalar()


def update_org(session: Session, values: dict[str, Any]) -> int | None:
    """Update organization id at version (bumping it); return its id, or None if id/version do not match."""
    return session.execute(UPDATE_ORG, values).scalar()


def delete_org(session: Session, org_id: int, version: int) -> int | None:
    """Delete organization org_id at version; return its id, or None if id/version do not match."""
    return session.execute(DELETE_ORG, {"id": org_id, "version": version}).scalar()


def org_wkb(session: Session, org_id: int) -> str | None:
    """Return the organization's point as WKB hex (EPSG:4326), or None when it has none."""
    return session.execute(ORG_WKB, {"id": org_id}).scalar()
