"""SQL for party-mass service centres: filtered lists, one centre, and the exact nearest to a point."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from ..errors import NotFound
from ..sites.filters import bbox_condition, region_condition
from ..sites.nearest import nearest_rows
from ..sites.tablesql import Condition, Count, count_rows, select_page
from ..vocab import CENTRE_DEFAULT_REACH_M

TABLE = "service_centres"

# A centre without its own reach serves the default of its level (GB 50180 life circles).
REACH_SQL = (
    "coalesce(t.reach_m, CASE t.level "
    + " ".join(f"WHEN '{level}' THEN {metres}" for level, metres in CENTRE_DEFAULT_REACH_M.items())
    + " END)"
)

COLUMNS = f"""t.id, t.code, t.name, t.level,
    (SELECT g.adcode FROM regions g WHERE g.id = t.region_id) AS adcode,
    {REACH_SQL} AS reach_m, t.address, t.phone, ST_AsGeoJSON(t.geom, 7)::json AS geometry"""


@dataclass(frozen=True)
class CentreRow:
    """A service centre; reach_m in metres (its own or its level's default), geometry GeoJSON EPSG:4326."""

    id: int
    code: str
    name: str
    level: str
    adcode: str | None
    reach_m: int | None
    address: str | None
    phone: str | None
    geometry: dict
    distance_m: float | None = None


def centre_conditions(
    levels: Sequence[str] = (), region_ids: tuple[int, ...] | None = None, bbox: BaseGeometry | None = None
) -> list[Condition]:
    """Return the SQL conditions for the centre filters that are set."""
    out = []
    if levels:
        out.append(Condition("t.level = ANY(:levels)", {"levels": list(levels)}))
    if region_ids is not None:
        out.append(region_condition(region_ids))
    if bbox is not None:
        out.append(bbox_condition(bbox))
    return out


def nearest_centres(
    session: Session,
    origin: Point,
    *,
    k: int = 1,
    conditions: Sequence[Condition] = (),
    radius_m: float | None = None,
) -> list[CentreRow]:
    """Return the k centres nearest origin (EPSG:4326) on the spheroid, distance_m in metres."""
    rows = nearest_rows(session, TABLE, COLUMNS, conditions, origin, limit=k, max_m=radius_m)
    return [CentreRow(**row) for row in rows]


def list_centres(
    session: Session, conditions: Sequence[Condition], *, limit: int = 20, offset: int = 0
) -> list[CentreRow]:
    """Return one page of centres matching conditions, ordered by code."""
    rows = select_page(
        session,
        TABLE,
        f"{COLUMNS}, NULL::float8 AS distance_m",
        conditions,
        "t.code, t.id",
        limit=limit,
        offset=offset,
    )
    return [CentreRow(**row) for row in rows]


def count_centres(session: Session, conditions: Sequence[Condition], exact_max: int = 10_000) -> Count:
    """Return how many centres match, exact up to exact_max."""
    return count_rows(session, TABLE, conditions, exact_max)


GET_CENTRE = text(f"SELECT {COLUMNS} FROM {TABLE} t WHERE t.id = :id")


def get_centre(session: Session, centre_id: int) -> CentreRow:
    """Return centre centre_id; NotFound otherwise."""
    row = session.execute(GET_CENTRE, {"id": centre_id}).mappings().first()
    if row is None:
        raise NotFound(f"centre {centre_id} does not exist", param="id")
    return CentreRow(**row)
