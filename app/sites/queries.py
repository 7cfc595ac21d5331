"""SQL for red heritage sites: filtered search, cheap counts, exact nearest-by-spheroid, one site in full."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from shapely.geometry import Point
from sqlalchemy import text
from sqlalchemy.orm import Session

from ..errors import NotFound
from ..geo import ewkt
from ..vocab import SITE_CATEGORIES, SITE_LEVELS
from .filters import KEYWORD_RANK_SQL, SiteFilters, like_pattern
from .nearest import nearest_rows
from .tablesql import Count, count_rows, select_page, select_page_features

log = logging.getLogger(__name__)

TABLE = "heritage_sites"

SUMMARY_COLUMNS = """t.id, t.code, t.name, t.category, t.level,
    (SELECT g.adcode FROM regions g WHERE g.id = t.region_id) AS adcode,
    t.address, t.tags, t.dwell_min, ST_AsGeoJSON(t.geom, 7)::json AS geometry"""

DETAIL_COLUMNS = """t.id, t.code, t.name, t.category, t.level, t.official_ids,
    (SELECT g.adcode FROM regions g WHERE g.id = t.region_id) AS adcode,
    t.address, t.intro, t.story, t.opening_hours, t.ticket, t.transport, t.visit_guide, t.photos,
    t.tags, t.dwell_min, t.updated_at, ST_AsGeoJSON(t.geom, 7)::json AS geometry"""


def label_sql(column: str, labels: dict[str, str]) -> str:
    """Return a SQL CASE giving the Chinese label of column's value from one of our vocabularies."""
    quoted = " ".join(
        "WHEN '{}' THEN '{}'".format(k.replace("'", "''"), v.replace("'", "''")) for k, v in labels.items()
    )
    return f"CASE {column} {quoted} END"


# The same properties as the routes' summary_properties, assembled in PostGIS for large GeoJSON pages.
SUMMARY_FEATURE = f"""json_build_object('type', 'Feature', 'id', t.id,
    'geometry', ST_AsGeoJSON(t.geom, 7)::json,
    'properties', json_build_object('id', t.id, 'code', t.code, 'name', t.name,
        'category', t.category, 'category_label', {label_sql("t.category", SITE_CATEGORIES)},
        'level', t.level, 'level_label', {label_sql("t.level", SITE_LEVELS)},
        'adcode', (SELECT g.adcode FROM regions g WHERE g.id = t.region_id),
        'address', t.address, 'tags', t.tags, 'dwell_min', t.dwell_min{{distance}}))"""
DISTANCE_PROPERTY = (
    ", 'distance_m', round(CAST(ST_Distance(t.geom::geography, CAST(:origin AS geography)) AS numeric), 1)"
)

LEVEL_ORDER = "array_position(ARRAY['national', 'provincial', 'municipal', 'county'], t.level::text)"

# Orders for the list; distance is served separately by the exact nearest search.
SORTS: dict[str, str] = {
    "level": f"{LEVEL_ORDER} NULLS LAST, t.id",
    # ICU's zh collation orders Chinese names by pinyin, as a visitor expects.
    "name": 't.name COLLATE "zh-Hans-x-icu", t.id',
    "relevance": f"{KEYWORD_RANK_SQL} DESC, t.id",
    "id": "t.id",
}
SORT_CHOICES = ("distance", *SORTS)
NO_FILTERS = SiteFilters()


@dataclass(frozen=True)
class SiteSummary:
    """A site as listed: geometry is a GeoJSON Point in EPSG:4326, distance_m on the spheroid if asked."""

    id: int
    code: str
    name: str
    category: str
    level: str | None
    adcode: str | None
    address: str | None
    tags: list[str]
    dwell_min: int | None
    geometry: dict
    distance_m: float | None = None


@dataclass(frozen=True)
class SiteDetail:
    """Every stored field of one site; geometry is a GeoJSON Point in EPSG:4326."""

    id: int
    code: str
    name: str
    category: str
    level: str | None
    official_ids: list[str]
    adcode: str | None
    address: str | None
    intro: str | None
    story: str | None
    opening_hours: dict
    ticket: str | None
    transport: str | None
    visit_guide: str | None
    photos: list[str]
    tags: list[str]
    dwell_min: int | None
    updated_at: Any
    geometry: dict


def _distance_column(origin: Point | None) -> tuple[str, dict[str, Any]]:
    if origin is None:
        return "NULL::float8 AS distance_m", {}
    return "ST_Distance(t.geom::geography, CAST(:origin AS geography)) AS distance_m", {
        "origin": ewkt(origin)
    }


def search_sites(
    session: Session,
    filters: SiteFilters,
    *,
    sort: str = "level",
    limit: int = 20,
    offset: int = 0,
    origin: Point | None = None,
    few: bool = False,
) -> list[SiteSummary]:
    """Return one page of sites matching filters, in sort order; distances in metres from origin if given.

    sort=distance needs origin and is exact on the spheroid (see nearest.sql); the others are SORTS.
    few, when a count found at most a few thousand matches, filters before sorting (tablesql._fenced).
    """
    if sort == "distance":
        if origin is None:
            raise ValueError("sort=distance needs an origin")
        return nearby_sites(session, origin, filters, k=limit, skip=offset)
    if sort == "relevance" and not filters.q:
        sort = "level"
    distance, params = _distance_column(origin)
    if sort == "relevance":
        params.update(q=filters.q, q_like=like_pattern(filters.q or ""))
    rows = select_page(
        session,
        TABLE,
        f"{SUMMARY_COLUMNS}, {distance}",
        filters.conditions(),
        SORTS[sort],
        limit=limit,
        offset=offset,
        params=params,
        few=few,
    )
    return [SiteSummary(**row) for row in rows]


def search_sites_features(
    session: Session,
    filters: SiteFilters,
    *,
    sort: str = "level",
    limit: int = 20,
    offset: int = 0,
    origin: Point | None = None,
    few: bool = False,
) -> str:
    """Return the page search_sites would give, as the JSON text of GeoJSON Features (EPSG:4326).

    Built entirely in PostGIS; sort=distance is not offered here (it goes through nearby_sites).
    """
    if sort == "distance":
        raise ValueError("sort=distance pages come from nearby_sites")
    if sort == "relevance" and not filters.q:
        sort = "level"
    params: dict[str, Any] = {}
    if origin is not None:
        params["origin"] = ewkt(origin)
    if sort == "relevance":
        params.update(q=filters.q, q_like=like_pattern(filters.q or ""))
    feature = SUMMARY_FEATURE.format(distance=DISTANCE_PROPERTY if origin is not None else "")
    features, _ = select_page_features(
        session,
        TABLE,
        feature,
        filters.conditions(),
        SORTS[sort],
        limit=limit,
        offset=offset,
        params=params,
        few=few,
    )
    return features


def nearby_sites(
    session: Session,
    origin: Point,
    filters: SiteFilters | None = None,
    *,
    k: int | None = 10,
    radius_m: float | None = None,
    skip: int = 0,
    limit: int = 1000,
) -> list[SiteSummary]:
    """Return the k sites nearest origin (EPSG:4326) on the spheroid, or all within radius_m metres.

    With both, the k nearest within radius_m.  Without k, up to limit sites within radius_m, nearest
    first: the same as the limit nearest within radius_m, so it is served by the KNN walk too and a
    dense city centre never has every site within reach ranked.  Exact: the result equals a brute-force
    ranking by ST_Distance(geography) over all rows.
    """
    rows = nearest_rows(
        session,
        TABLE,
        SUMMARY_COLUMNS,
        (filters or NO_FILTERS).conditions(),
        origin,
        limit=k if k is not None else limit,
        skip=skip,
        max_m=radius_m,
    )
    return [SiteSummary(**row) for row in rows]


def count_sites(session: Session, filters: SiteFilters, exact_max: int = 10_000) -> Count:
    """Return the number of sites matching filters, exact up to exact_max and estimated beyond it."""
    return count_rows(session, TABLE, filters.conditions(), exact_max)


REGION_SUBTREE_IDS = text("""
    WITH RECURSIVE sub AS (
        SELECT id, 0 AS depth FROM regions WHERE adcode = :adcode
        UNION ALL
        SELECT g.id, sub.depth + 1 FROM regions g JOIN sub ON g.parent_id = sub.id WHERE sub.depth < 8
    )
    SELECT id FROM sub ORDER BY id
""")


def region_subtree_ids(session: Session, adcode: str) -> tuple[int, ...]:
    """Return the ids of region adcode and of every region below it in the tree; empty if unknown."""
    return tuple(session.execute(REGION_SUBTREE_IDS, {"adcode": adcode}).scalars())


GET_SITE = text(f"SELECT {DETAIL_COLUMNS} FROM {TABLE} t WHERE t.id = :id")
GET_SITE_BY_CODE = text(f"SELECT {DETAIL_COLUMNS} FROM {TABLE} t WHERE t.code = :code")


def get_site(session: Session, ref: int | str) -> SiteDetail:
    """Return the site with integer id ref, or with code ref when ref is text; NotFound otherwise."""
    if isinstance(ref, int):
        row = session.execute(GET_SITE, {"id": ref}).mappings().first()
    else:
        row = session.execute(GET_SITE_BY_CODE, {"code": ref}).mappings().first()
    if row is None:
        raise NotFound(f"site {ref} does not exist", param="id")
    return SiteDetail(**row)
