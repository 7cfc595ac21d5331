"""ST_AsMVT tiles per layer: features clipped to the tile, simplified per zoom and capped at low zooms."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from ..auth import Scope, current_scope, org_clause, region_clause

EXTENT = 4096
WEB_MERCATOR_WIDTH_M = 40_075_016.685578488


@dataclass(frozen=True)
class TileLayer:
    """One tile layer: its source table, the properties it carries and the zooms it is drawn at."""

    name: str
    source: str  # a FROM clause we wrote ourselves, exposing id, geom (EPSG:4326) and the properties
    properties: tuple[str, ...]
    min_zoom: int
    admin_only: bool = False
    polygons: bool = False
    low_zoom_cap: int = 3000  # most features per tile below CAP_BELOW_ZOOM
    order: str = "id"
    # SQL condition on t limiting the features to the caller's scope (binds Scope.params()); None = public.
    scope_filter: str | None = None


CAP_BELOW_ZOOM = 12
HIGH_ZOOM_CAP = 20_000

LAYERS: dict[str, TileLayer] = {
    "regions": TileLayer(
        "regions",
        "regions t",
        ("adcode", "name", "level"),
        min_zoom=3,
        polygons=True,
        order="t.level = 'province' DESC, t.level = 'city' DESC, t.id",
    ),
    "sites": TileLayer("sites", "heritage_sites t", ("name", "category", "level"), min_zoom=5),
    "centres": TileLayer("centres", "service_centres t", ("name", "level", "reach_m"), min_zoom=9),
    "zones": TileLayer(
        "zones",
        "zones t LEFT JOIN organizations o ON o.id = t.org_id",
        ("code", "name", "level", "org_id", "org_name"),
        min_zoom=11,
        admin_only=True,
        polygons=True,
        # The same rows the zone API lets the caller read: its organizations' zones and its regions' zones.
        scope_filter=f"({org_clause('t.org_id')} OR {region_clause('t.region_id')})",
    ),
}

_PROPERTY_SQL = {"org_name": "o.name AS org_name"}


def _tile_sql(layer: TileLayer) -> str:
    props = ", ".join(_PROPERTY_SQL.get(p, f"t.{p}") for p in layer.properties)
    # Big polygons (a province) are cut to the tile plus a margin before projecting, then simplified to
    # about half a display pixel, so a tile costs what is inside it rather than the whole outline.
    shape = (
        "ST_Simplify(ST_Transform(ST_ClipByBox2D(t.geom, ST_Expand(bounds.wgs, :margin_deg)), 3857),"
        " :tolerance_m, true)"
    )
    if not layer.polygons:
        shape = "ST_Transform(t.geom, 3857)"
    in_scope = f"AND {layer.scope_filter}" if layer.scope_filter else ""
    return f"""
        WITH bounds AS (
            SELECT ST_TileEnvelope(:z, :x, :y) AS merc,
                   ST_Translate(ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326), -:dx, -:dy) AS wgs
        ), picked AS (
            SELECT t.id, {props},
                   ST_AsMVTGeom(ST_Translate({shape}, :dx_m, :dy_m), bounds.merc, {EXTENT}, 64, true) AS geom
            FROM {layer.source}, bounds
            WHERE t.geom && bounds.wgs {in_scope}
            ORDER BY {layer.order}
            LIMIT :cap
        )
        SELECT ST_AsMVT(picked, :layer, {EXTENT}, 'geom', 'id') FROM picked WHERE geom IS NOT NULL
    """


TILE_SQL = {name: text(_tile_sql(layer)) for name, layer in LAYERS.items()}


def tile_centre(z: int, x: int, y: int) -> tuple[float, float]:
    """Return the centre of tile z/x/y as lon, lat in degrees (EPSG:4326)."""
    n = 2**z
    lon = (x + 0.5) / n * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 0.5) / n))))
    return lon, lat


def tile_bytes(
    session: Session,
    layer: TileLayer,
    z: int,
    x: int,
    y: int,
    shift_deg: tuple[float, float] = (0.0, 0.0),
    scope: Scope | None = None,
) -> bytes:
    """Return the MVT for layer at z/x/y; shift_deg moves features by (dlon, dlat) degrees for display.

    A scoped layer holds only the features in scope, by default the current request caller's scope.
    """
    if z < layer.min_zoom:
        return b""
    tile_m = WEB_MERCATOR_WIDTH_M / 2**z
    dx, dy = shift_deg
    # A shift in degrees becomes a shift in Web Mercator metres at the tile's latitude.
    _, lat = tile_centre(z, x, y)
    dx_m = math.radians(dx) * 6_378_137.0
    dy_m = math.radians(dy) * 6_378_137.0 / math.cos(math.radians(lat))
    params = {
        "z": z,
        "x": x,
        "y": y,
        "dx": dx,
        "dy": dy,
        "dx_m": dx_m,
        "dy_m": dy_m,
        "tolerance_m": tile_m / 512,
        "margin_deg": 360.0 / 2**z / 8,
        "cap": layer.low_zoom_cap if z < CAP_BELOW_ZOOM else HIGH_ZOOM_CAP,
        "layer": layer.name,
    }
    if layer.scope_filter:
        params |= (scope or current_scope()).params()
    data = session.execute(TILE_SQL[layer.name], params).scalar_one()
    return bytes(data or b"")
