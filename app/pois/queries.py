"""SQL for nearby points of interest (周边): filtered lists, one POI, and exact nearest or within a radius."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from ..errors import NotFound
from ..sites.filters import bbox_condition, like_pattern, region_condition
from ..sites.nearest import nearest_rows
from ..sites.tablesql import Condition, Count, count_rows, select_page

TABLE = "pois"

COLUMNS = """t.id, t.code, t.name, t.category,
    (SELECT g.adcode FROM regions g WHERE g.id = t.region_id) AS adcode,
    t.address, t.phone, ST_AsGeoJSON(t.geom, 7)::json AS geometry"""

KEYWORD_SQL = r"t.name ILIKE :q_like ESCAPE '\' OR t.address ILIKE :q_like ESCAPE '\'"


@dataclass(frozen=True)
class PoiRow:
    """A POI; geometry GeoJSON EPSG:4326, distance_m in metres on the spheroid when measured."""

    id: int
    code: str
    name: str
    category: str
    adcode: str | None
    address: str | None
    phone: str | None
    geometry: dict
    distance_m: float | None = None


def poi_conditions(
    categories: Sequence[str] = (),
    region_ids: tuple[int, ...] | None = None,
    bbox: BaseGeometry | None = None,
    q: str | None = None,
) -> list[Condition]:
    """Return the SQL conditions for the POI filters that are set."""
    out = []
    if categories:
        out.append(Condition("t.category = ANY(:categories)", {"categories": list(categories)}))
    if region_ids is not None:
        out.append(region_condition(region_ids))
    if bbox is not None:
        out.append(bbox_condition(bbox))
    if q:
        out.append(Condition(KEYWORD_SQL, {"q_like": like_pattern(q)}))
    return out


def pois_near(
    session: Session,
    origin: Point,
    conditions: Sequence[Condition] = (),
    *,
    k: int | None = None,
    radius_m: float | None = 1000.0,
    limit: int = 50,
) -> list[PoiRow]:
    """Return POIs nearest origin (EPSG:4326): the k nearest, or up to limit within radius_m metres.

    Both are served by the KNN walk: up to limit within radius_m are the limit nearest within it.
    """
    rows = nearest_rows(
        session,
        TABLE,
        COLUMNS,
        conditions,
        origin,
        limit=k if k is not None else limit,
        max_m=radius_m,
    )
    return [PoiRow(**row) for row in rows]


def list_pois(
    session: Session, conditions: Sequence[Condition], *, limit: int = 20, offset: int = 0
) -> list[PoiRow]:
    """Return one page of POIs matching conditions, ordered by code."""
    rows = select_page(
        session,
        TABLE,
        f"{COLUMNS}, NULL::float8 AS distance_m",
        conditions,
        "t.code, t.id",
        limit=limit,
        offset=offset,
    )
    return [PoiRow(**row) for row in rows]


def count_pois(session: Session, conditions: Sequence[Condition], exact_max: int = 10_000) -> Count:
    """Return how many POIs match, exact up to exact_max."""
    return count_rows(session, TABLE, conditions, exact_max)


GET_POI = text(f"SELECT {COLUMNS} FROM {TABLE} t WHERE t.id = :id")


def get_poi(session: Session, poi_id: int) -> PoiRow:
    """Return POI poi_id; NotFound otherwise."""
    row = session.execute(GET_POI, {"id": poi_id}).mappings().first()
    if row is None:
        raise NotFound(f"POI {poi_id} does not exist", param="id")
    return PoiRow(**row)
