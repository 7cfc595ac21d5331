"""Map-page reads: sites, centres and POIs by bounding box, server-side clusters, search and page details.

Every function returns GeoJSON-ready dataclasses or FeatureCollections in EPSG:4326; the routes convert to
GCJ-02 for display when a GCJ-02 basemap is chosen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from ..auth import org_clause
from ..geo import feature_collection, to_feature
from ..regions.province import province_of
from ..vocab import CENTRE_DEFAULT_REACH_M, WEEKDAYS

CHINA_TZ = ZoneInfo("Asia/Shanghai")

# Above this many sites in the viewport the server answers with grid clusters instead of points, so a
# pan at city zoom on a 100,000-site database stays well under 1 MB.
SITE_POINT_LIMIT = 1500
BBOX_POINT_LIMIT = 3000

_ENVELOPE = "ST_MakeEnvelope(:x1, :y1, :x2, :y2, 4326)"

COUNT_SITES = text(f"""
    SELECT count(*) FROM (
        SELECT 1 FROM heritage_sites WHERE geom && {_ENVELOPE} LIMIT :cap
    ) AS capped
""")
SITES_IN_BBOX = text(f"""
    SELECT id, name, category, level, ST_X(geom) AS lon, ST_Y(geom) AS lat,
           opening_hours -> :weekday AS hours_today, opening_hours ->> 'note' AS hours_note
    FROM heritage_sites
    WHERE geom && {_ENVELOPE}
    ORDER BY id
    LIMIT :limit
""")
# Grid clusters: one row per occupied cell of cell_deg degrees, placed at the mean of its members.
SITE_CLUSTERS = text(f"""
    SELECT count(*) AS n, avg(ST_X(geom)) AS lon, avg(ST_Y(geom)) AS lat
    FROM heritage_sites
    WHERE geom && {_ENVELOPE}
    GROUP BY floor(ST_X(geom) / :cell_deg), floor(ST_Y(geom) / :cell_deg)
""")
CENTRES_IN_BBOX = text(f"""
    SELECT id, name, level, ST_X(geom) AS lon, ST_Y(geom) AS lat, reach_m, address
    FROM service_centres
    WHERE geom && {_ENVELOPE}
    ORDER BY id
    LIMIT :limit
""")
POIS_IN_BBOX = text(f"""
    SELECT id, name, category, ST_X(geom) AS lon, ST_Y(geom) AS lat, address
    FROM pois
    WHERE geom && {_ENVELOPE}
    ORDER BY id
    LIMIT :limit
""")
# Organization density for the admin heat layer: members summed per square cell of cell_deg degrees.
ORG_HEAT = text(f"""
    SELECT floor(ST_X(geom) / :cell_deg) AS gx, floor(ST_Y(geom) / :cell_deg) AS gy,
           count(*) AS organizations, coalesce(sum(member_total), 0) AS members
    FROM organizations
    WHERE active AND geom && {_ENVELOPE} AND {org_clause("id")}
    GROUP BY 1, 2
""")
REGION_ADCODE = text("SELECT adcode FROM regions WHERE id = :id")
# The overview draws each curated route as straight hops between its stops; the route page shows the
# routed path from app.routing.
ROUTE_LINES = text("""
    SELECT r.id, r.name, r.theme, ST_AsGeoJSON(ST_MakeLine(s.geom ORDER BY rs.seq), 6)::json AS geometry
    FROM routes r JOIN route_stops rs ON rs.route_id = r.id JOIN heritage_sites s ON s.id = rs.site_id
    GROUP BY r.id
    HAVING count(*) > 1
    ORDER BY r.id
    LIMIT :limit
""")


@dataclass(frozen=True)
class Box:
    """A WGS84 bounding box in degrees (EPSG:4326)."""

    x1: float
    y1: float
    x2: float
    y2: float

    @classmethod
    def of(cls, geom: BaseGeometry) -> Box:
        return cls(*geom.bounds)

    def params(self) -> dict[str, float]:
        return {"x1": self.x1, "y1": self.y1, "x2": self.x2, "y2": self.y2}


def today_key(now: datetime | None = None) -> str:
    """Return today's weekday key (mon..sun) in China Standard Time."""
    return WEEKDAYS[(now or datetime.now(CHINA_TZ)).astimezone(CHINA_TZ).weekday()]


def hours_text(spans: Any) -> str:
    """Return opening spans [["09:00","17:00"], ...] as '09:00-17:00', or '' when closed."""
    if not spans:
        return ""
    return ", ".join(f"{a}-{b}" for a, b in spans)


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}


def sites_in_bbox(session: Session, box: Box, cell_deg: float, weekday: str) -> dict[str, Any]:
    """Return the sites in box as points, or as grid clusters of cell_deg degrees when there are too many."""
    count = session.execute(COUNT_SITES, {**box.params(), "cap": SITE_POINT_LIMIT + 1}).scalar_one()
    if count > SITE_POINT_LIMIT:
        rows = session.execute(SITE_CLUSTERS, {**box.params(), "cell_deg": cell_deg})
        features = [to_feature(_point(r.lon, r.lat), {"cluster": True, "count": r.n}) for r in rows]
        return feature_collection(features, clustered=True)
    rows = session.execute(SITES_IN_BBOX, {**box.params(), "weekday": weekday, "limit": SITE_POINT_LIMIT})
    features = [
        to_feature(
            _point(r.lon, r.lat),
            {
                "id": r.id,
                "name": r.name,
                "category": r.category,
                "level": r.level,
                "hours_today": hours_text(r.hours_today),
                "hours_note": r.hours_note,
            },
            fid=r.id,
        )
        for r in rows
    ]
    return feature_collection(features, clustered=False)


def centres_in_bbox(session: Session, box: Box) -> dict[str, Any]:
    """Return the service centres in box with their reach in metres (the level default when unset)."""
    rows = session.execute(CENTRES_IN_BBOX, {**box.params(), "limit": BBOX_POINT_LIMIT})
    features = [
        to_feature(
            _point(r.lon, r.lat),
            {
                "id": r.id,
                "name": r.name,
                "level": r.level,
                "reach_m": r.reach_m or CENTRE_DEFAULT_REACH_M.get(r.level, 500),
                "address": r.address,
            },
            fid=r.id,
        )
        for r in rows
    ]
    return feature_collection(features)


def pois_in_bbox(session: Session, box: Box) -> dict[str, Any]:
    """Return the points of interest in box (at most BBOX_POINT_LIMIT)."""
    rows = session.execute(POIS_IN_BBOX, {**box.params(), "limit": BBOX_POINT_LIMIT})
    features = [
        to_feature(
            _point(r.lon, r.lat),
            {"id": r.id, "name": r.name, "category": r.category, "address": r.address},
            fid=r.id,
        )
        for r in rows
    ]
    return feature_collection(features)


def organization_heat(session: Session, box: Box, cell_deg: float, scope: dict[str, Any]) -> dict[str, Any]:
    """Return square cells of cell_deg degrees with the organizations (in scope) and members inside each."""
    rows = session.execute(ORG_HEAT, {**box.params(), "cell_deg": cell_deg, **scope})
    features = []
    for r in rows:
        x, y = r.gx * cell_deg, r.gy * cell_deg
        ring = [[x, y], [x + cell_deg, y], [x + cell_deg, y + cell_deg], [x, y + cell_deg], [x, y]]
        ring = [[round(a, 6), round(b, 6)] for a, b in ring]
        features.append(
            to_feature(
                {"type": "Polygon", "coordinates": [ring]},
                {"organizations": r.organizations, "members": int(r.members)},
            )
        )
    return feature_collection(features)


def route_lines(session: Session, limit: int = 500) -> dict[str, Any]:
    """Return every curated route as a LineString through its stops in order (EPSG:4326)."""
    rows = session.execute(ROUTE_LINES, {"limit": limit})
    features = [
        to_feature(r.geometry, {"id": r.id, "name": r.name, "theme": r.theme}, fid=r.id) for r in rows
    ]
    return feature_collection(features)


_SUBTREE = """
    WITH RECURSIVE tree AS (
        SELECT c.id AS child_id, c.id
        FROM regions c JOIN regions p ON p.id = c.parent_id WHERE p.adcode = :adcode
        UNION ALL
        SELECT t.child_id, r.id FROM regions r JOIN tree t ON r.parent_id = t.id
    )
"""
ORGS_BY_CHILD = text(f"""{_SUBTREE}
    SELECT c.adcode, c.name, count(o.id) AS organizations, coalesce(sum(o.member_total), 0) AS members
    FROM tree t JOIN regions c ON c.id = t.child_id
    LEFT JOIN organizations o ON o.province = :province AND o.region_id = t.id AND o.active
    GROUP BY c.adcode, c.name
    ORDER BY c.adcode
""")
ORGS_BY_KIND = text(f"""{_SUBTREE}
    SELECT o.kind, count(*) AS organizations
    FROM organizations o JOIN tree t ON t.id = o.region_id
    WHERE o.province = :province AND o.active
    GROUP BY o.kind ORDER BY o.kind
""")
MEMBERS_BY_CATEGORY = text(f"""{_SUBTREE}
    SELECT m.key AS category, sum(CASE WHEN m.value ~ '^[0-9]+$' THEN m.value::bigint ELSE 0 END) AS members
    FROM organizations o JOIN tree t ON t.id = o.region_id, jsonb_each_text(o.member_counts) AS m
    WHERE o.province = :province AND o.active
    GROUP BY m.key ORDER BY m.key
""")


def region_adcode(session: Session, region_id: int) -> str | None:
    """Return the adcode of region region_id, or None."""
    return session.execute(REGION_ADCODE, {"id": region_id}).scalar_one_or_none()


def distribution(session: Session, adcode: str) -> dict[str, list[dict]]:
    """Return active organizations and members under adcode by child region, by kind and by category."""
    params = {"adcode": adcode, "province": province_of(adcode)}
    return {
        "by_region": [
            {**r, "members": int(r["members"])} for r in session.execute(ORGS_BY_CHILD, params).mappings()
        ],
        "by_kind": [dict(r) for r in session.execute(ORGS_BY_KIND, params).mappings()],
        "by_category": [
            {**r, "members": int(r["members"])}
            for r in session.execute(MEMBERS_BY_CATEGORY, params).mappings()
        ],
    }
