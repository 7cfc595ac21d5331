"""The public feature collections of the OGC API: their SQL sources, properties, queryables and extents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from ..sites.tablesql import Condition, Count, count_rows, select_page, select_page_features


@dataclass(frozen=True)
class Collection:
    """One public layer: a table or subquery (alias t, with id and geom) and its properties as JSON."""

    id: str
    title: str
    description: str
    source: str
    properties: str
    # Property filters: query parameter -> SQL condition on t with the bound parameter :value.
    queryables: dict[str, str]
    precision: int = 7


def _props(*names: str, extra: str = "") -> str:
    pairs = ", ".join(f"'{n}', t.{n}" for n in names)
    return f"json_build_object({pairs}{', ' + extra if extra else ''})"


_ADCODE = "'adcode', (SELECT g.adcode FROM regions g WHERE g.id = t.region_id)"

COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in (
        Collection(
            "sites",
            "红色资源 Red heritage sites",
            "Revolutionary sites, memorial halls, martyrs' cemeteries and other red education sites.",
            "heritage_sites",
            _props(
                "code",
                "name",
                "category",
                "level",
                "address",
                "intro",
                "ticket",
                "transport",
                "opening_hours",
                "tags",
                "dwell_min",
                extra=_ADCODE,
            ),
            {
                "code": "t.code = :value",
                "category": "t.category = :value",
                "level": "t.level = :value",
                "tag": ":value = ANY(t.tags)",
                "name": "t.name = :value",
            },
        ),
        Collection(
            "centres",
            "党群服务中心 Service centres",
            "Party-mass service centres and stations; reach_m is the walking reach of their level.",
            "service_centres",
            _props("code", "name", "level", "reach_m", "address", "phone", extra=_ADCODE),
            {"code": "t.code = :value", "level": "t.level = :value", "name": "t.name = :value"},
        ),
        Collection(
            "pois",
            "周边设施 Nearby POIs",
            "Food, lodging, parking and other services near the sites.",
            "pois",
            _props("code", "name", "category", "address", "phone", extra=_ADCODE),
            {"code": "t.code = :value", "category": "t.category = :value", "name": "t.name = :value"},
        ),
        Collection(
            "routes",
            "红色线路 Red education routes",
            "Curated routes; the geometry joins their stops in order.",
            """(SELECT r.*, ARRAY(SELECT h.code FROM route_stops s JOIN heritage_sites h ON h.id = s.site_id
                                  WHERE s.route_id = r.id ORDER BY s.seq) AS stops,
                       (SELECT ST_MakeLine(h.geom ORDER BY s.seq) FROM route_stops s
                        JOIN heritage_sites h ON h.id = s.site_id WHERE s.route_id = r.id) AS geom
                FROM routes r)""",
            _props("code", "name", "theme", "description", "suggested_duration_min", "season", "stops"),
            {"code": "t.code = :value", "theme": "t.theme = :value", "name": "t.name = :value"},
        ),
        Collection(
            "regions",
            "行政区划 Administrative regions",
            "Provinces, cities and districts (region tree by parent_adcode).",
            "regions",
            _props(
                "adcode",
                "name",
                "level",
                extra="'parent_adcode', (SELECT p.adcode FROM regions p WHERE p.id = t.parent_id)",
            ),
            {
                "adcode": "t.adcode = :value",
                "level": "t.level = :value",
                "name": "t.name = :value",
                "parent_adcode": "t.parent_id = (SELECT p.id FROM regions p WHERE p.adcode = :value)",
            },
            precision=6,
        ),
    )
}


@dataclass(frozen=True)
class FeatureRow:
    """One feature: id, GeoJSON geometry (EPSG:4326, from ST_AsGeoJSON) and its properties."""

    id: int
    geometry: dict | None
    properties: dict


def _columns(collection: Collection) -> str:
    return (
        f"t.id, ST_AsGeoJSON(t.geom, {collection.precision})::json AS geometry, "
        f"{collection.properties} AS properties"
    )


def property_condition(collection: Collection, name: str, value: str) -> Condition:
    """Return the condition that property name equals value (name must be one of the queryables)."""
    sql = collection.queryables[name].replace(":value", f":qv_{name}")
    return Condition(sql, {f"qv_{name}": value})


def feature_page(
    session: Session, collection: Collection, conditions: Sequence[Condition], *, limit: int, offset: int
) -> list[FeatureRow]:
    """Return one page of the collection's features ordered by id."""
    rows = select_page(
        session, collection.source, _columns(collection), conditions, "t.id", limit=limit, offset=offset
    )
    return [FeatureRow(**row) for row in rows]


def feature_page_json(
    session: Session, collection: Collection, conditions: Sequence[Condition], *, limit: int, offset: int
) -> tuple[str, int]:
    """Return one page ordered by id as the JSON text of GeoJSON Features built in PostGIS, and its length."""
    feature = (
        f"json_build_object('type', 'Feature', 'id', t.id, "
        f"'geometry', ST_AsGeoJSON(t.geom, {collection.precision})::json, "
        f"'properties', {collection.properties})"
    )
    return select_page_features(
        session, collection.source, feature, conditions, "t.id", limit=limit, offset=offset
    )


def count_features(
    session: Session, collection: Collection, conditions: Sequence[Condition], exact_max: int
) -> Count:
    """Return how many features match, exact up to exact_max."""
    return count_rows(session, collection.source, conditions, exact_max)


def get_feature(session: Session, collection: Collection, fid: int) -> FeatureRow | None:
    """Return feature fid of the collection, or None."""
    rows = select_page(
        session,
        collection.source,
        _columns(collection),
        [Condition("t.id = :fid", {"fid": fid})],
        "t.id",
        limit=1,
    )
    return FeatureRow(**rows[0]) if rows else None


# Small tables get an exact extent; large ones the planner's estimate, so /collections stays cheap.
EXTENT = """
    SELECT CASE WHEN (SELECT reltuples FROM pg_class WHERE oid = CAST(:table AS regclass)) > 100000
                THEN CAST(ST_EstimatedExtent(:table, 'geom') AS box2d)
                ELSE (SELECT ST_Extent(t.geom) FROM {source} t) END AS box
"""


def extent(session: Session, collection: Collection) -> list[float] | None:
    """Return the bounding box [minLon, minLat, maxLon, maxLat] in EPSG:4326, or None if empty."""
    # The routes collection is a subquery; its size is that of the routes table.
    table = collection.source if collection.source.isidentifier() else "routes"
    sql = f"SELECT ST_XMin(box), ST_YMin(box), ST_XMax(box), ST_YMax(box) FROM ({EXTENT}) e"
    row = session.execute(text(sql.format(source=collection.source)), {"table": table}).first()
    if row is None or row[0] is None:
        return None
    return [float(v) for v in row]
