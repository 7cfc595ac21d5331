"""SQL for routing: sites to plan, road-network snapping, pgRouting matrices and paths, routes, plans."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from ..errors import NotFound

SQL_DIR = Path(__file__).parent / "sql"

# Per-mode cost columns of roads_edges; only these names of our own are ever formatted into SQL.
COST_COLUMNS = {
    "walk": ("cost_walk_s", "reverse_cost_walk_s"),
    "drive": ("cost_drive_s", "reverse_cost_drive_s"),
}


@dataclass(frozen=True)
class SiteStop:
    id: int
    code: str
    name: str
    category: str
    lon: float
    lat: float
    opening_hours: dict
    dwell_min: int | None
    tags: list[str]


@dataclass(frozen=True)
class Snap:
    vertex_id: int | None
    snap_m: float | None


@dataclass(frozen=True)
class PathLeg:
    source: int
    target: int
    length_m: float
    geometry: dict  # GeoJSON LineString, EPSG:4326


@dataclass(frozen=True)
class CorridorPoi:
    id: int
    code: str
    name: str
    category: str
    address: str | None
    lon: float
    lat: float
    distance_m: float
    along: float  # position along the path, 0 at its start and 1 at its end


@dataclass(frozen=True)
class RouteRow:
    id: int
    code: str
    name: str
    theme: str | None
    description: str | None
    suggested_duration_min: int | None
    season: str | None
    stop_count: int


_SITE_COLUMNS = """s.id, s.code, s.name, s.category, ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat,
    s.opening_hours, s.dwell_min, s.tags"""

SITES_BY_REF = text(f"""
    SELECT {_SITE_COLUMNS} FROM heritage_sites s
    WHERE s.id = ANY(CAST(:ids AS integer[])) OR s.code = ANY(CAST(:codes AS text[]))
""")

# Candidates for a choice rule, nearest to the start first (KNN on the geometry GiST index).
CANDIDATE_SITES = text(f"""
    SELECT {_SITE_COLUMNS} FROM heritage_sites s
    WHERE (CAST(:tag AS text) IS NULL OR s.tags @> ARRAY[CAST(:tag AS text)])
      AND (CAST(:category AS text) IS NULL OR s.category = :category)
      AND (CAST(:adcode AS text) IS NULL OR ST_Intersects(s.geom,
           (SELECT geom FROM regions WHERE adcode = :adcode)))
    ORDER BY s.geom <-> CAST(:origin AS geometry)
    LIMIT :limit
""")

REGION_EXISTS = text("SELECT EXISTS (SELECT 1 FROM regions WHERE adcode = :adcode)")

POINT_IN_REGIONS = text("""
    SELECT EXISTS (SELECT 1 FROM regions WHERE ST_Intersects(geom, CAST(:point AS geometry)))
""")


def _snap_sql(mode: str) -> str:
    cost, reverse = COST_COLUMNS[mode]
    # The nearest edge usable in this mode (KNN on its GiST index), then its nearer end.
    return f"""
    SELECT p.i, near.vertex_id, near.snap_m
    FROM unnest(CAST(:lons AS float8[]), CAST(:lats AS float8[])) WITH ORDINALITY AS p(x, y, i)
    LEFT JOIN LATERAL (
        SELECT v.id AS vertex_id,
               ST_Distance(v.geom::geography, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326)::geography) AS snap_m
        FROM (SELECT e.source, e.target FROM roads_edges e
              WHERE e.{cost} >= 0 OR e.{reverse} >= 0
              ORDER BY e.geom <-> ST_SetSRID(ST_MakePoint(p.x, p.y), 4326) LIMIT 1) e
        JOIN roads_vertices v ON v.id IN (e.source, e.target)
        ORDER BY v.geom <-> ST_SetSRID(ST_MakePoint(p.x, p.y), 4326) LIMIT 1
    ) near ON true
    ORDER BY p.i
    """


SNAP = {mode: text(_snap_sql(mode)) for mode in COST_COLUMNS}

# The edge query handed to pgRouting, limited to a box around the stops (EPSG:4326 degrees).
_EDGES_SQL = """format(
    'SELECT id, source, target, %I AS cost, %I AS reverse_cost FROM roads_edges '
    'WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)',
    CAST(:cost AS text), CAST(:reverse AS text),
    CAST(:x1 AS float8), CAST(:y1 AS float8), CAST(:x2 AS float8), CAST(:y2 AS float8))"""

COST_MATRIX = text(f"""
    SELECT start_vid, end_vid, agg_cost
    FROM pgr_dijkstraCostMatrix({_EDGES_SQL}, CAST(:vids AS bigint[]), directed => true)
""")

LEG_PATHS = text((SQL_DIR / "leg_paths.sql").read_text(encoding="utf-8").replace(":edges_sql", _EDGES_SQL))

CORRIDOR_POIS = text((SQL_DIR / "corridor_pois.sql").read_text(encoding="utf-8"))

EDGES_IN_BOX = text("""
    SELECT count(*) FROM roads_edges WHERE geom && ST_MakeEnvelope(:x1, :y1, :x2, :y2, 4326)
""")

LIST_ROUTES = text("""
    SELECT r.id, r.code, r.name, r.theme, r.description, r.suggested_duration_min, r.season,
           (SELECT count(*) FROM route_stops rs WHERE rs.route_id = r.id) AS stop_count
    FROM routes r
    WHERE CAST(:theme AS text) IS NULL OR r.theme = :theme
    ORDER BY r.code
""")
GET_ROUTE = text("""
    SELECT r.id, r.code, r.name, r.theme, r.description, r.suggested_duration_min, r.season,
           (SELECT count(*) FROM route_stops rs WHERE rs.route_id = r.id) AS stop_count
    FROM routes r WHERE r.id = :id OR r.code = :code
""")
ROUTE_STOPS = text(f"""
    SELECT rs.seq, rs.dwell_min AS stop_dwell_min, {_SITE_COLUMNS}
    FROM route_stops rs JOIN heritage_sites s ON s.id = rs.site_id
    WHERE rs.route_id = :route_id ORDER BY rs.seq
""")
INSERT_ROUTE = text("""
    INSERT INTO routes (code, name, theme, description, suggested_duration_min, season)
    VALUES (:code, :name, :theme, :description, :suggested_duration_min, :season) RETURNING id
""")
UPDATE_ROUTE = text("""
    UPDATE routes SET code = :code, name = :name, theme = :theme, description = :description,
        suggested_duration_min = :suggested_duration_min, season = :season, updated_at = now()
    WHERE id = :id
""")
DELETE_STOPS = text("DELETE FROM route_stops WHERE route_id = :route_id")
INSERT_STOP = text("""
    INSERT INTO route_stops (route_id, seq, site_id, dwell_min) VALUES (:route_id, :seq, :site_id, :dwell_min)
""")
DELETE_ROUTE = text("DELETE FROM routes WHERE id = :id")
ROUTE_CODE_TAKEN = text("SELECT EXISTS (SELECT 1 FROM routes WHERE code = :code AND id <> :id)")

INSERT_PLAN = text("""
    INSERT INTO plans (token, request, answer, user_id)
    VALUES (:token, CAST(:request AS jsonb), CAST(:answer AS jsonb), :user_id)
""")
GET_PLAN = text("SELECT request, answer FROM plans WHERE token = :token")
# Served by the partial index ix_plans_user_created (user_id, created_at DESC).
USER_PLANS = text("""
    SELECT p.token, p.created_at, p.answer ->> 'start_at' AS start_at, p.answer ->> 'finish_at' AS finish_at,
           p.answer -> 'travel' ->> 'mode' AS mode, p.answer -> 'totals' AS totals,
           coalesce((SELECT jsonb_agg(jsonb_build_object('code', s -> 'code', 'name', s -> 'name')
                                      ORDER BY n)
                     FROM jsonb_array_elements(p.answer -> 'stops') WITH ORDINALITY AS x(s, n)),
                    '[]') AS stops,
           coalesce(jsonb_array_length(p.answer -> 'dropped'), 0) AS dropped
    FROM plans p
    WHERE p.user_id = :user_id
    ORDER BY p.created_at DESC, p.token
    LIMIT :limit OFFSET :offset
""")
COUNT_USER_PLANS = text("SELECT count(*) FROM plans WHERE user_id = :user_id")


def sites_by_ref(session: Session, ids: list[int], codes: list[str]) -> list[SiteStop]:
    """Return the heritage sites whose id is in ids or code in codes (lon/lat EPSG:4326)."""
    rows = session.execute(SITES_BY_REF, {"ids": ids, "codes": codes}).mappings()
    return [SiteStop(**r) for r in rows]


def candidate_sites(
    session: Session,
    origin_ewkt: str,
    limit: int,
    tag: str | None = None,
    category: str | None = None,
    adcode: str | None = None,
) -> list[SiteStop]:
    """Return up to limit sites matching tag, category and region adcode, nearest to origin first."""
    params = {"origin": origin_ewkt, "limit": limit, "tag": tag, "category": category, "adcode": adcode}
    return [SiteStop(**r) for r in session.execute(CANDIDATE_SITES, params).mappings()]


def region_exists(session: Session, adcode: str) -> bool:
    """Return True when a region with adcode is loaded."""
    return bool(session.execute(REGION_EXISTS, {"adcode": adcode}).scalar())


def point_in_regions(session: Session, point_ewkt: str) -> bool:
    """Return True when the point (EPSG:4326 EWKT) lies in any loaded region."""
    return bool(session.execute(POINT_IN_REGIONS, {"point": point_ewkt}).scalar())


def snap_points(session: Session, mode: str, lons: list[float], lats: list[float]) -> list[Snap]:
    """Return, per point, the nearest network vertex usable in mode and its distance in metres."""
    rows = session.execute(SNAP[mode], {"lons": lons, "lats": lats}).all()
    return [Snap(r.vertex_id, r.snap_m) for r in rows]


def _box_params(mode: str, bbox: tuple[float, float, float, float]) -> dict:
    cost, reverse = COST_COLUMNS[mode]
    return {"cost": cost, "reverse": reverse, "x1": bbox[0], "y1": bbox[1], "x2": bbox[2], "y2": bbox[3]}


def cost_matrix(
    session: Session, mode: str, vertex_ids: list[int], bbox: tuple[float, float, float, float]
) -> dict[tuple[int, int], float]:
    """Return travel seconds between every pair of vertices by one pgr_dijkstraCostMatrix call.

    Only edges in bbox (EPSG:4326) take part; pairs with no path are missing from the answer.
    """
    params = {**_box_params(mode, bbox), "vids": sorted(set(vertex_ids))}
    return {(r.start_vid, r.end_vid): r.agg_cost for r in session.execute(COST_MATRIX, params)}


def leg_paths(
    session: Session, mode: str, pairs: list[tuple[int, int]], bbox: tuple[float, float, float, float]
) -> dict[tuple[int, int], PathLeg]:
    """Return the shortest-time path (length in metres, GeoJSON line) for each vertex pair, in one call."""
    params = {
        **_box_params(mode, bbox),
        "sources": [a for a, _ in pairs],
        "targets": [b for _, b in pairs],
    }
    rows = session.execute(LEG_PATHS, params).mappings()
    return {(r["source"], r["target"]): PathLeg(**r) for r in rows}


def edges_in_box(session: Session, bbox: tuple[float, float, float, float]) -> int:
    """Return how many road edges intersect bbox (EPSG:4326)."""
    x1, y1, x2, y2 = bbox
    return int(session.execute(EDGES_IN_BOX, {"x1": x1, "y1": y1, "x2": x2, "y2": y2}).scalar())


def corridor_pois(
    session: Session, path_geojson: dict, within_m: float, categories: list[str]
) -> list[CorridorPoi]:
    """Return POIs of categories within within_m metres of the path (GeoJSON, EPSG:4326), in path order."""
    params = {"path": json.dumps(path_geojson), "within_m": within_m, "categories": categories}
    return [CorridorPoi(**r) for r in session.execute(CORRIDOR_POIS, params).mappings()]


def list_routes(session: Session, theme: str | None = None) -> list[RouteRow]:
    """Return the curated routes (optionally of one theme) with their stop counts, by code."""
    return [RouteRow(**r) for r in session.execute(LIST_ROUTES, {"theme": theme}).mappings()]


def get_route(session: Session, ref: str) -> RouteRow:
    """Return the curated route with id or code ref; NotFound if there is none."""
    route_id = int(ref) if ref.isdigit() and len(ref) < 10 else -1
    row = session.execute(GET_ROUTE, {"id": route_id, "code": ref}).mappings().first()
    if row is None:
        raise NotFound(f"route {ref} does not exist")
    return RouteRow(**row)


def route_stops(session: Session, route_id: int) -> list[tuple[int, int | None, SiteStop]]:
    """Return the route's stops in order as (seq, stop dwell minutes or None, site)."""
    out = []
    for r in session.execute(ROUTE_STOPS, {"route_id": route_id}).mappings():
        row = dict(r)
        seq, dwell = row.pop("seq"), row.pop("stop_dwell_min")
        out.append((seq, dwell, SiteStop(**row)))
    return out


def route_code_taken(session: Session, code: str, route_id: int = -1) -> bool:
    """Return True when another route already uses code."""
    return bool(session.execute(ROUTE_CODE_TAKEN, {"code": code, "id": route_id}).scalar())


def insert_route(session: Session, fields: dict) -> int:
    """Insert a route row and return its id."""
    return int(session.execute(INSERT_ROUTE, fields).scalar_one())


def update_route(session: Session, route_id: int, fields: dict) -> None:
    """Replace the route row's fields."""
    session.execute(UPDATE_ROUTE, {**fields, "id": route_id})


def replace_stops(session: Session, route_id: int, stops: list[tuple[int, int | None]]) -> None:
    """Replace the route's stops by (site id, dwell minutes or None) in order, seq from 1."""
    session.execute(DELETE_STOPS, {"route_id": route_id})
    for seq, (site_id, dwell) in enumerate(stops, start=1):
        session.execute(
            INSERT_STOP, {"route_id": route_id, "seq": seq, "site_id": site_id, "dwell_min": dwell}
        )


def delete_route(session: Session, route_id: int) -> None:
    """Delete the route and (by cascade) its stops."""
    session.execute(DELETE_ROUTE, {"id": route_id})


def save_plan(session: Session, token: str, request: dict, answer: dict, user_id: int | None = None) -> None:
    """Store a plan's request and answer under token, owned by user_id when an account made it."""
    params = {
        "token": token,
        "request": json.dumps(request),
        "answer": json.dumps(answer),
        "user_id": user_id,
    }
    session.execute(INSERT_PLAN, params)


@dataclass(frozen=True)
class PlanSummary:
    """One saved plan of an account: when it was made, its times (ISO 8601), mode, totals and stops."""

    token: str
    created_at: datetime
    start_at: str | None
    finish_at: str | None
    mode: str | None
    totals: dict | None
    stops: list[dict]
    dropped: int


def user_plans(session: Session, user_id: int, *, limit: int, offset: int) -> list[PlanSummary]:
    """Return one page of the plans user_id saved, newest first."""
    params = {"user_id": user_id, "limit": limit, "offset": offset}
    return [PlanSummary(**r) for r in session.execute(USER_PLANS, params).mappings()]


def count_user_plans(session: Session, user_id: int) -> int:
    """Return how many plans user_id has saved."""
    return session.execute(COUNT_USER_PLANS, {"user_id": user_id}).scalar_one()


def get_plan(session: Session, token: str) -> tuple[dict, dict]:
    """Return the saved (request, answer) of token; NotFound if there is none."""
    row = session.execute(GET_PLAN, {"token": token}).first()
    if row is None:
        raise NotFound(f"plan {token} does not exist or has expired")
    return row.request, row.answer
